"""The admin's invoice defaults (請求書の設定)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.models import InvoiceSettings


class InvoiceSettingsForm(forms.ModelForm):
    """Every field is required; the subject (stripped) must be 1–255 characters."""

    class Meta:
        model = InvoiceSettings
        fields = ["billing_date_rule", "payment_term", "subject_template", "tax_entry_method", "tax_fraction",
                  "partner_title"]
        widgets = {"tax_entry_method": forms.RadioSelect}
        error_messages = {"subject_template": {"required": _("件名を入力してください。"),
                                               "max_length": _("件名は255文字以内で入力してください。")}}
