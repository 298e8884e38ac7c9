"""The request form (honouring 申請フォームの設定), its line formset, the route editor and the form setting."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.input_guard import BIGINT_MAX
from journals.models import AccountItem, TaxCode, Wallet
from journals.selectors import tax_codes_in_use, wallet_list
from payment_requests import selectors, services, validators
from payment_requests.models import ApprovalFlowRoute, ApprovalFlowStep, PaymentRequest, RequestFormSetting

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); cleans to a list (empty when none)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


class ReceiptIdsField(forms.CharField):
    """freee ファイルボックス ids typed or kept as "12, 15": a list of positive integers (at most 100)."""

    def to_python(self, value):
        text = super().to_python(value)
        parts = [part for part in text.replace("、", ",").replace(" ", ",").split(",") if part]
        if not all(part.isdigit() and 1 <= int(part) <= BIGINT_MAX for part in parts):
            raise forms.ValidationError(_("証憑ファイルIDは半角数字をカンマ区切りで入力してください。"), code="invalid")
        if len(parts) > services.MAX_LINES:
            raise forms.ValidationError(_("証憑ファイルIDは100件以内で入力してください。"), code="too_many")
        return list(dict.fromkeys(int(part) for part in parts))

    def prepare_value(self, value):
        return ", ".join(str(item) for item in value) if isinstance(value, list | tuple) else value


def _breakdown_choices(accounts, attribute: str) -> list:
    """Choices grouped by account item (optgroups): the partners or items tied to each (勘定科目の内訳管理)."""
    groups = [(account.name, [(entry_id, name) for entry_id, name in getattr(account, attribute).items()])
              for account in accounts if getattr(account, attribute)]
    return [("", "---------"), *groups]


def _breakdown_accounts(tenant):
    return [account for account in AccountItem.objects.for_tenant(tenant).filter(is_active=True)
            if account.breakdown_partners or account.breakdown_items]


class PaymentRequestFormBreakdown:
    """勘定科目の内訳管理 on the request form: the tied partners to choose the 支払先 from (the service checks)."""

    def _breakdown_partners(self, tenant) -> None:
        field = self.fields["breakdown_partner"]
        accounts = [a for a in _breakdown_accounts(tenant) if a.breakdown_partners]
        if not accounts:
            del self.fields["breakdown_partner"]
            return
        field.choices = _breakdown_choices(accounts, "breakdown_partner_names")
        self._partner_names = {pid: name for a in accounts for pid, name in a.breakdown_partner_names.items()}
        field.help_text = _("内訳管理している勘定科目（%(accounts)s）を使う場合は、ここで支払先を選んでください"
                            "（freee取引先IDと支払先名が入ります）。") % {"accounts": "、".join(a.name for a in accounts)}
        if self.initial.get("partner_id") in self._partner_names:
            self.initial.setdefault("breakdown_partner", self.initial["partner_id"])

    def clean(self):
        data = super().clean()
        chosen = data.get("breakdown_partner")
        if chosen is not None:
            data["partner_id"], data["partner_name"] = chosen, self._partner_names[chosen]
        return data


class PaymentRequestForm(PaymentRequestFormBreakdown, forms.Form):
    title = forms.CharField(label=_("申請タイトル"), max_length=250)
    application_date = forms.DateField(label=_("申請日"), required=False, widget=DATE)
    issue_date = forms.DateField(label=_("発生日"), widget=DATE)
    route = forms.ModelChoiceField(label=_("申請経路"), queryset=ApprovalFlowRoute.objects.none(), required=False,
                                   empty_label=_("基本経路"))
    approver = forms.ModelChoiceField(label=_("承認者（申請時に指定する経路）"), queryset=None, required=False)
    payment_method = forms.ChoiceField(label=_("支払方法"), choices=PaymentRequest.PaymentMethod.choices)
    payment_date = forms.DateField(label=_("支払期限"), required=False, widget=DATE)
    partner_name = forms.CharField(label=_("支払先（取引先名）"), max_length=255, required=False)
    partner_id = forms.IntegerField(label=_("freee取引先ID"), required=False, min_value=1, max_value=BIGINT_MAX)
    document_code = forms.CharField(label=_("請求書番号"), max_length=255, required=False)
    qualified_invoice_status = forms.ChoiceField(label=_("適格請求書"),
                                                 choices=PaymentRequest.QualifiedInvoiceStatus.choices)
    bank_name = forms.CharField(label=_("銀行名"), max_length=255, required=False)
    branch_name = forms.CharField(label=_("支店名"), max_length=255, required=False)
    account_type = forms.ChoiceField(label=_("口座種別"), choices=PaymentRequest.AccountType.choices)
    account_number = forms.CharField(label=_("口座番号"), max_length=7, required=False)
    account_name = forms.CharField(label=_("受取人名（カナ）"), max_length=48, required=False)
    description = forms.CharField(label=_("備考"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    receipt_files = MultipleFileField(
        label=_("証憑ファイル"), required=False,
        help_text=_("添付したファイルはfreeeのファイルボックスに保存されます（1ファイル10MBまで、一度に10件まで）。"))
    receipt_ids = ReceiptIdsField(
        label=_("添付済みの証憑ファイルID"), required=False,
        help_text=_("freeeのファイルボックスのID（カンマ区切り）。消すと添付が外れます。"))
    parent = forms.ModelChoiceField(label=_("親申請"), queryset=PaymentRequest.objects.none(), required=False)
    breakdown_partner = forms.TypedChoiceField(label=_("支払先（勘定科目に紐づく取引先）"), required=False, coerce=int,
                                               empty_value=None)

    # The input that fills each field 申請フォームの設定 can make required (RequestFormSetting.REQUIRABLE_FIELDS).
    REQUIRED_INPUTS = {"partner": "partner_name", "receipt_ids": "receipt_files"}

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = ApprovalFlowRoute.objects.for_tenant(tenant).filter(
            pk__in=[r.pk for r in selectors.usable_routes(tenant=tenant)])
        self.fields["approver"].queryset = selectors.member_users(tenant)
        self.fields["parent"].queryset = PaymentRequest.objects.for_tenant(tenant).filter(
            status=PaymentRequest.Status.APPROVED)
        self._breakdown_partners(tenant)
        required = selectors.form_setting_for(tenant=tenant).required_fields
        for name in required:  # shown as required; enforced by the service only when applying (seed 004)
            field = self.fields.get(self.REQUIRED_INPUTS.get(name, name))
            if field is not None:
                field.widget.attrs["data-required"] = "1"
                field.label = f"{field.label} ※"
                field.help_text = _("申請時は必須です。")


class LineForm(forms.Form):
    id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    line_type = forms.ChoiceField(label=_("種類"), choices=services.LineType.choices)
    description = forms.CharField(label=_("内容"), max_length=255, required=False)
    amount = forms.IntegerField(label=_("金額（税込）"), required=False, min_value=0,
                                max_value=services.MAX_LINE_AMOUNT)
    account_item = forms.ModelChoiceField(label=_("勘定科目"), queryset=AccountItem.objects.none(), required=False)
    tax_code = forms.ModelChoiceField(label=_("税区分"), queryset=TaxCode.objects.none(), required=False)
    item = forms.TypedChoiceField(label=_("品目（内訳管理）"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account_item"].queryset = AccountItem.objects.for_tenant(tenant).filter(is_active=True)
        accounts = [a for a in _breakdown_accounts(tenant) if a.breakdown_items]
        self.fields["item"].choices = _breakdown_choices(accounts, "breakdown_item_names")
        self.fields["tax_code"].queryset = tax_codes_in_use(tenant=tenant)

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return data.get("amount") in (None, "") and not data.get("description")


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        """The lines together must fit the total's database range (payment_requests.validators)."""
        super().clean()
        lines = [f.cleaned_data for f in self.forms if getattr(f, "cleaned_data", None)]
        validators.checked_total(lines)


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=0, min_num=1, max_num=services.MAX_LINES, validate_max=True)


class StepForm(forms.Form):
    resource_type = forms.ChoiceField(label=_("承認方法"), choices=ApprovalFlowStep.ResourceType.choices)
    users = forms.ModelMultipleChoiceField(label=_("承認者"), queryset=None, required=False,
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].queryset = selectors.member_users(tenant)


StepFormSet = forms.formset_factory(StepForm, extra=0, min_num=1, max_num=10, validate_max=True, can_delete=True)


class RouteForm(forms.Form):
    name = forms.CharField(label=_("申請経路名"), max_length=255)
    description = forms.CharField(label=_("説明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    use_for_payment_requests = forms.BooleanField(label=_("支払依頼で利用する"), required=False, initial=True)


class FormSettingForm(forms.Form):
    required_fields = forms.MultipleChoiceField(
        label=_("入力を必須にする項目"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(RequestFormSetting.REQUIRABLE_FIELDS.items()))
    usable_routes = forms.ModelMultipleChoiceField(label=_("支払依頼で利用する申請経路"), required=False,
                                                   queryset=None, widget=forms.CheckboxSelectMultiple,
                                                   help_text=_("選ばない場合は、支払依頼用のすべての経路を利用できます。"))
    default_route = forms.ModelChoiceField(label=_("基本経路"), required=False, queryset=None)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        routes = ApprovalFlowRoute.objects.for_tenant(tenant).filter(usages__contains=["PaymentRequest"])
        self.fields["usable_routes"].queryset = routes
        self.fields["default_route"].queryset = routes


class PayForm(forms.Form):
    """支払登録: the payment date (Asia/Tokyo today by default) and the tenant's active wallet it was paid from."""

    paid_on = forms.DateField(label=_("支払日"), widget=DATE,
                              error_messages={"required": _("支払日を入力してください。"),
                                              "invalid": _("支払日を正しい日付で入力してください。")})
    wallet = forms.ModelChoiceField(label=_("支払口座"), queryset=Wallet.objects.none(), empty_label=None,
                                    error_messages={"required": _("支払口座を選択してください。"),
                                                    "invalid_choice": _("支払口座が見つかりません。")})

    def __init__(self, *args, tenant, **kwargs):
        kwargs.setdefault("initial", {"paid_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["wallet"].queryset = wallet_list(tenant=tenant).filter(is_active=True)


class FreeeUserLinkForm(forms.Form):
    """One select per member: which freee user they are (空欄 = 対応付けない)."""

    def __init__(self, *args, members, freee_users, links: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("（対応付けない）"))] + [(str(u.id), f"{u.label} <{u.email}>") for u in freee_users]
        self.members = list(members)
        for user in self.members:
            self.fields[self.field_name(user)] = forms.TypedChoiceField(
                label=user.get_full_name() or user.username, choices=choices, required=False, coerce=int,
                empty_value=None, initial=str(links.get(user.pk, "")))

    @staticmethod
    def field_name(user) -> str:
        return f"member_{user.pk}"

    def rows(self):
        """(member, bound field) pairs for the table."""
        return [(user, self[self.field_name(user)]) for user in self.members]

    def choices_by_user(self) -> dict[int, int | None]:
        return {user.pk: self.cleaned_data[self.field_name(user)] for user in self.members}
