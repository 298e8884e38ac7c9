"""The deal form (with its 取引先 from freee's partner search) and its 商品内訳 formset, which the page edits in
place: rows are added and removed by re-rendering the posted formset (see lines_data_add / lines_data_remove)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from core.input_guard import BIGINT_MAX
from deals import amounts
from deals.models import Deal, DealLine, DealType, Product

MAX_LINES = 100
LINES_PREFIX = "lines"
BAD_PARTNER = _("取引先の指定が正しくありません。検索結果から選び直してください。")


class DealForm(forms.ModelForm):
    # The model's bigint would say "9223372036854775807 以下"; 金額 has a human limit (deals.amounts), as in the API.
    amount = forms.IntegerField(label=Deal._meta.get_field("amount").verbose_name, min_value=0,
                                max_value=amounts.AMOUNT_MAX, initial=0,
                                error_messages={"max_value": amounts.AMOUNT_LIMIT_MESSAGE})

    # 取引先: the search box as typed, and the partner chosen from freee's results (hidden, filled by app.js).
    partner_search = forms.CharField(label=_("取引先"), required=False, max_length=255)
    partner_freee_id = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX, widget=forms.HiddenInput,
                                          error_messages={key: BAD_PARTNER for key in ("invalid", "min_value",
                                                                                        "max_value")})

    class Meta:
        model = Deal
        fields = ["name", "deal_type", "stage", "partner_search", "partner_freee_id", "partner_name", "amount",
                  "expected_order_date", "expected_billing_date", "owner"]
        widgets = {
            "expected_order_date": forms.DateInput(attrs={"type": "date"}),
            "expected_billing_date": forms.DateInput(attrs={"type": "date"}),
            "partner_name": forms.HiddenInput,
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal_type"].queryset = DealType.objects.for_tenant(tenant)
        self.fields["owner"].queryset = get_user_model().objects.filter(memberships__tenant=tenant).order_by(
            "username"
        )
        self.fields["amount"].help_text = _("商品内訳がない場合、請求書はこの金額1行（税率10%）で作成されます。")
        self.fields["partner_search"].initial = self.instance.partner_name
        if not self.instance.partner_freee_id:
            self.initial["partner_name"] = ""  # a name from the CRM alone is shown in the box, not as chosen

    def clean(self):
        """The box, the hint and what is saved are one partner (as on the 請求書 tab, issue 14 item 1): a partner
        chosen from the results and still in the box, or the deal's own partner left alone, or none (box cleared).
        Text typed but not chosen is refused rather than saved next to another partner's id."""
        cleaned = super().clean()
        if "partner_freee_id" in self.errors or "partner_search" in self.errors:
            return cleaned
        typed = (cleaned.get("partner_search") or "").strip()
        chosen_id, chosen_name = cleaned.get("partner_freee_id"), (cleaned.get("partner_name") or "").strip()
        current = (self.instance.partner_freee_id, self.instance.partner_name)
        if self.add_prefix("partner_search") not in self.data or typed == current[1].strip() and not (
                chosen_id and chosen_id != current[0]):
            cleaned["partner_freee_id"], cleaned["partner_name"] = current  # left alone (or a form without it)
        elif not typed:
            cleaned["partner_freee_id"], cleaned["partner_name"] = None, ""
        elif chosen_id and typed == chosen_name:
            cleaned["partner_name"] = chosen_name
        else:
            self.add_error("partner_search", _("取引先「%(typed)s」はまだ選択されていません。検索結果から取引先を選ぶか、"
                                               "欄を空にしてください。") % {"typed": typed[:100]})
        return cleaned

    @property
    def partner_errors(self) -> list[str]:
        """The errors of the 取引先 box and its hidden fields, shown under the box."""
        if not self.is_bound:
            return []
        return [e for name in ("partner_search", "partner_freee_id", "partner_name") for e in self.errors.get(name, [])]

    @property
    def partner_chosen(self) -> tuple[int | None, str]:
        """The partner the hidden fields name, as the page shows it: none after a refused box."""
        if self.is_bound and (self.errors.get("partner_search") or self.errors.get("partner_freee_id")):
            return None, ""
        return self["partner_freee_id"].value() or None, self["partner_name"].value() or ""


class DealTypeForm(forms.ModelForm):
    class Meta:
        model = DealType
        fields = ["name", "linked_to_freee"]


class DealLineForm(forms.ModelForm):
    class Meta:
        model = DealLine
        fields = ["product", "description", "quantity", "unit", "unit_price", "tax_rate"]

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_tenant(tenant)

    def clean_quantity(self):
        """The same rule as the API: a line of 0 (or fewer) units would be an empty line on the invoice."""
        quantity = self.cleaned_data["quantity"]
        if quantity is not None and quantity <= 0:
            raise forms.ValidationError(_("数量は0より大きい値を入力してください。"))
        return quantity


class BaseDealLineFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, tenant, **kwargs):
        self.tenant = tenant
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk and self.get_queryset().exists():
            self.extra = 0  # a deal's own lines, no blank row below them: 行を追加 adds one in place

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "tenant": self.tenant}

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, tenant=self.tenant, renderer=self.renderer)
        self.add_fields(form, None)
        return form


DealLineFormSet = forms.inlineformset_factory(
    Deal, DealLine, form=DealLineForm, formset=BaseDealLineFormSet, extra=1, can_delete=True, max_num=MAX_LINES,
    validate_max=True,
)


# --------------------------------------------------------------------------- lines added and removed in place
# The page posts the whole form; these return the same data with a row more or less, which the view renders
# again (nothing is saved until 保存). Rows below INITIAL_FORMS are the deal's saved lines: removing one marks it
# DELETE (it must still be posted so 保存 deletes it); a new row is taken out and the later rows move up.


def _count(data: QueryDict, key: str) -> int:
    try:
        return max(0, min(int(data.get(f"{LINES_PREFIX}-{key}", 0)), MAX_LINES + 1))
    except (TypeError, ValueError):
        return 0


def line_count(data: QueryDict) -> int:
    """How many rows the posted formset has (TOTAL_FORMS, bounded)."""
    return _count(data, "TOTAL_FORMS")


def _is_removed(data: QueryDict, index: int) -> bool:
    return str(data.get(f"{LINES_PREFIX}-{index}-DELETE", "")).lower() in {"on", "true", "1"}


def lines_data_add(data: QueryDict, *, tenant) -> tuple[QueryDict, str]:
    """The data with one more row holding a new line's defaults; (data, "") or (unchanged data, why not)."""
    data = data.copy()
    total = _count(data, "TOTAL_FORMS")
    if sum(not _is_removed(data, index) for index in range(total)) >= MAX_LINES:
        return data, str(_("商品内訳は%(max)s行までです。") % {"max": MAX_LINES})
    empty = DealLineForm(tenant=tenant)
    for name in ("product", "description", "quantity", "unit", "unit_price", "tax_rate"):
        value = empty[name].value()
        data[f"{LINES_PREFIX}-{total}-{name}"] = "" if value is None else str(value)
    data[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(total + 1)
    return data, ""


def lines_data_remove(data: QueryDict, index: int) -> QueryDict:
    """The data without row `index` (a saved line is marked DELETE instead)."""
    data = data.copy()
    total, initial = _count(data, "TOTAL_FORMS"), _count(data, "INITIAL_FORMS")
    if not 0 <= index < total:
        return data
    if index < initial:
        data[f"{LINES_PREFIX}-{index}-DELETE"] = "on"
        return data
    for row in range(index, total):
        for key in [k for k in data if k.startswith(f"{LINES_PREFIX}-{row}-")]:
            values = data.pop(key)
            if row > index:
                data.setlist(f"{LINES_PREFIX}-{row - 1}-{key.split('-', 2)[2]}", values)
    data[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(total - 1)
    return data


def typed_lines(formset: BaseDealLineFormSet) -> list[DealLine]:
    """The lines as typed so far, for the live totals: rows not removed whose 数量 and 単価 are valid numbers."""
    lines = []
    for form in formset.forms:
        if not form.has_changed() and not form.instance.pk:
            continue  # the untouched empty row
        form.is_valid()
        data = form.cleaned_data
        if data.get("DELETE") or data.get("quantity") is None or data.get("unit_price") is None:
            continue
        if not data.get("description") and not data["quantity"] * data["unit_price"]:
            continue  # nothing typed yet but a unit: not a line so far
        lines.append(DealLine(quantity=data["quantity"], unit_price=data["unit_price"],
                              tax_rate=data.get("tax_rate") or DealLine._meta.get_field("tax_rate").default))
    return lines
