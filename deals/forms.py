from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from deals import amounts
from deals.models import Deal, DealLine, DealType, Product


class DealForm(forms.ModelForm):
    # The model's bigint would say "9223372036854775807 以下"; 金額 has a human limit (deals.amounts), as in the API.
    amount = forms.IntegerField(label=Deal._meta.get_field("amount").verbose_name, min_value=0,
                                max_value=amounts.AMOUNT_MAX, initial=0,
                                error_messages={"max_value": amounts.AMOUNT_LIMIT_MESSAGE})

    class Meta:
        model = Deal
        fields = ["name", "deal_type", "stage", "amount", "expected_order_date", "expected_billing_date", "owner"]
        widgets = {
            "expected_order_date": forms.DateInput(attrs={"type": "date"}),
            "expected_billing_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deal_type"].queryset = DealType.objects.for_tenant(tenant)
        self.fields["owner"].queryset = get_user_model().objects.filter(memberships__tenant=tenant).order_by(
            "username"
        )
        self.fields["amount"].help_text = _("商品内訳がない場合、請求書はこの金額1行（税率10%）で作成されます。")


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

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "tenant": self.tenant}

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, tenant=self.tenant, renderer=self.renderer)
        self.add_fields(form, None)
        return form


DealLineFormSet = forms.inlineformset_factory(
    Deal, DealLine, form=DealLineForm, formset=BaseDealLineFormSet, extra=1, can_delete=True, max_num=100,
    validate_max=True,
)
