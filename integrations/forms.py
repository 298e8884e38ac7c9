from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import SecretField, SecretsFormMixin
from integrations.models import FreeeConnection


class FreeeSettingsForm(SecretsFormMixin, forms.Form):
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = SecretField(label=_("Client Secret"))
    invoice_numbering = forms.ChoiceField(label=_("freee請求書の採番設定"), choices=FreeeConnection.Numbering.choices,
                                          help_text=_("freee請求書側の採番設定と同じものを選んでください。"))
    daily_cap = forms.TypedChoiceField(label=_("1日のAPI利用上限（freeeのプラン）"), coerce=int,
                                       choices=FreeeConnection.DailyCap.choices)


class PasteCodeForm(forms.Form):
    code = forms.CharField(label=_("認可コード"), max_length=512,
                           help_text=_("freeeの画面に表示された認可コードを貼り付けてください（有効期限は10分です）。"))


class ApiCallLogFilterForm(forms.Form):
    RESULT_CHOICES = [("", _("すべて")), ("ok", _("成功")), ("error", _("エラー"))]

    result = forms.ChoiceField(label=_("結果"), choices=RESULT_CHOICES, required=False)
    method = forms.ChoiceField(label=_("メソッド"), required=False,
                               choices=[("", _("すべて"))] + [(m, m) for m in ("GET", "POST", "PUT", "DELETE")])
    path = forms.CharField(label=_("パス"), required=False)

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["result"] == "ok":
            queryset = queryset.filter(status_code__gte=200, status_code__lt=300)
        elif data["result"] == "error":
            queryset = queryset.exclude(status_code__gte=200, status_code__lt=300)
        if data["method"]:
            queryset = queryset.filter(method=data["method"])
        if data["path"]:
            queryset = queryset.filter(path__icontains=data["path"])
        return queryset


