"""Forms of the ledger pages: trade with details and payments, 支払登録, 振替伝票, 会計設定, filters."""

from __future__ import annotations

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from journals.models import MAX_TRADE_DETAILS, AccountItem, LedgerSettings, Side, TaxCode, TaxRate, Trade, Wallet


class TenantChoiceMixin:
    """Limits the account / tax code / wallet choices to the tenant's own rows."""

    def _limit(self, tenant) -> None:
        querysets = {
            "account_item": AccountItem.objects.for_tenant(tenant).filter(is_active=True),
            "tax_code": TaxCode.objects.for_tenant(tenant).filter(freee_available=True),
            "wallet": Wallet.objects.for_tenant(tenant).filter(is_active=True),
        }
        for name, queryset in querysets.items():
            if name in self.fields:
                self.fields[name].queryset = queryset


class TradeForm(forms.Form):
    kind = forms.ChoiceField(label=_("収支区分"), choices=Trade.Kind.choices)
    issue_date = forms.DateField(label=_("発生日"), widget=forms.DateInput(attrs={"type": "date"}))
    due_date = forms.DateField(label=_("決済期日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    partner_name = forms.CharField(label=_("取引先"), max_length=255, required=False)
    description = forms.CharField(label=_("備考"), max_length=255, required=False)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue_date"].initial = timezone.localdate()


class DetailForm(TenantChoiceMixin, forms.Form):
    account_item = forms.ModelChoiceField(label=_("勘定科目"), queryset=AccountItem.objects.none())
    tax_code = forms.ModelChoiceField(label=_("税区分"), queryset=TaxCode.objects.none())
    amount = forms.IntegerField(label=_("金額（税込）"), min_value=1, max_value=10**12)
    description = forms.CharField(label=_("備考"), max_length=255, required=False)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit(tenant)


class PaymentForm(TenantChoiceMixin, forms.Form):
    date = forms.DateField(label=_("決済日"), widget=forms.DateInput(attrs={"type": "date"}))
    wallet = forms.ModelChoiceField(label=_("口座"), queryset=Wallet.objects.none())
    amount = forms.IntegerField(label=_("金額"), min_value=1, max_value=10**12)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit(tenant)


DetailFormSet = formset_factory(DetailForm, extra=0, min_num=1, validate_min=True, max_num=MAX_TRADE_DETAILS,
                                validate_max=True, absolute_max=MAX_TRADE_DETAILS)
PaymentFormSet = formset_factory(PaymentForm, extra=0, max_num=20, validate_max=True, absolute_max=20)


class ManualLineForm(TenantChoiceMixin, forms.Form):
    side = forms.ChoiceField(label=_("貸借"), choices=Side.choices)
    account_item = forms.ModelChoiceField(label=_("勘定科目"), queryset=AccountItem.objects.none())
    tax_code = forms.ModelChoiceField(label=_("税区分"), queryset=TaxCode.objects.none(), required=False)
    amount = forms.IntegerField(label=_("金額"), min_value=1, max_value=10**12)
    description = forms.CharField(label=_("摘要"), max_length=255, required=False)

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit(tenant)


ManualLineFormSet = formset_factory(ManualLineForm, extra=0, min_num=2, validate_min=True,
                                    max_num=MAX_TRADE_DETAILS, validate_max=True, absolute_max=MAX_TRADE_DETAILS)


class ManualJournalForm(forms.Form):
    issue_date = forms.DateField(label=_("日付"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("摘要"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue_date"].initial = timezone.localdate()


class LedgerSettingsForm(forms.ModelForm):
    tax_rates_in_use = forms.MultipleChoiceField(
        label=_("消費税率（使用する）"), choices=TaxRate.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("チェックを外した税率の税区分（例: 10%なら課税売上10%・課対仕入10%）は支払依頼に設定できません。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tax_rates_in_use"].initial = sorted(self.instance.tax_rates_in_use)

    class Meta:
        model = LedgerSettings
        fields = ["tax_accounting", "tax_rounding"]
        widgets = {"tax_accounting": forms.RadioSelect, "tax_rounding": forms.RadioSelect}
        help_texts = {
            "tax_accounting": _("税抜経理では、消費税を仮受消費税・仮払消費税に分けて仕訳します。変更は以後に保存する取引から適用されます。"),
            "tax_rounding": _("消費税は取引ごと・税率ごとに1回だけ計算し、この方法で端数を処理します（行ごとには丸めません）。"),
        }


class PeriodForm(forms.Form):
    """期間 and optional 勘定科目 filter of the ledger pages."""

    start = forms.DateField(label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.ModelChoiceField(label=_("勘定科目"), queryset=AccountItem.objects.none(), required=False,
                                     to_field_name="public_id")

    def __init__(self, *args, tenant=None, with_account: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_account:
            self.fields["account"].queryset = AccountItem.objects.for_tenant(tenant)
        else:
            del self.fields["account"]

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("開始日は終了日以前の日付を指定してください。"))
        return data


class TradeFilterForm(PeriodForm):
    kind = forms.ChoiceField(label=_("収支区分"), choices=[("", _("すべて")), *Trade.Kind.choices], required=False)
    status = forms.ChoiceField(label=_("決済状況"), required=False,
                               choices=[("", _("すべて")), ("unsettled", _("未決済")), ("settled", _("決済済み"))])
    q = forms.CharField(label=_("取引先・備考"), required=False)
