from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django import forms
from django.utils.translation import gettext_lazy as _

from core.events import KINDS
from core.fields import SecretField, SecretsFormMixin
from integrations.lineworks.schemas import domain_id_parse
from integrations.models import LineWorksLink
from notifications.errors import DOMAIN_INVALID
from notifications.models import Delivery


class SecretTextarea(forms.Textarea):
    """A textarea for multi-line secrets (PEM keys) that never renders the stored value."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 4, "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, None, attrs)
        if value:
            context["widget"]["attrs"]["placeholder"] = str(_("設定済み（変更する場合のみ入力）"))
        return context

    def format_value(self, value):
        return None


class LineWorksLinkForm(SecretsFormMixin, forms.Form):
    name = forms.CharField(label=_("表示名"), max_length=100, required=False,
                           help_text=_("例: 本社LINE WORKS（一覧で区別するための名前です）"))
    domain_id = forms.CharField(label=_("ドメインID"), max_length=32,
                                help_text=_("LINE WORKSの管理者画面に表示される数字です。入力した認証情報のLINE WORKSに"
                                            "このドメインがあることを、保存の前にLINE WORKSに問い合わせて確認します。"))
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = SecretField(label=_("Client Secret"))
    service_account = forms.CharField(label=_("Service Account"), max_length=255,
                                      help_text=_("例: xxxxx.serviceaccount@example.com"))
    private_key = SecretField(label=_("Private Key"), widget=SecretTextarea,
                              help_text=_("Developer Consoleで発行した秘密鍵（-----BEGIN PRIVATE KEY----- から始まるPEM形式）"))
    bot_id = forms.CharField(label=_("Bot ID"), max_length=64)
    bot_secret = SecretField(label=_("Bot Secret"))
    rate_limit_per_minute = forms.TypedChoiceField(label=_("API利用上限（LINE WORKSのプラン）"), coerce=int,
                                                   choices=LineWorksLink.RateLimit.choices)

    def clean_domain_id(self) -> int:
        try:
            return domain_id_parse(self.cleaned_data["domain_id"])
        except ValueError as error:
            raise forms.ValidationError(DOMAIN_INVALID) from error

    def clean_private_key(self):
        key = self.cleaned_data.get("private_key")
        if key:
            try:
                load_pem_private_key(key.encode(), password=None)
            except (ValueError, TypeError) as error:
                raise forms.ValidationError(_("Private Key を読み込めませんでした。PEM形式の秘密鍵をそのまま貼り付けてください。")) from error
        return key


class ProfileLinkForm(forms.Form):
    link = forms.ModelChoiceField(label=_("LINE WORKS"), queryset=LineWorksLink.objects.none(), empty_label=None)
    lineworks_user_id = forms.CharField(label=_("LINE WORKS ID"), max_length=255,
                                        help_text=_("LINE WORKSのログインID（メールアドレス形式）またはユーザーID"))

    def __init__(self, *args, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link"].queryset = LineWorksLink.objects.for_tenant(tenant).filter(domain_id__isnull=False)
        self.fields["link"].label_from_instance = lambda link: link.label


class PreferencesForm(forms.Form):
    kinds = forms.MultipleChoiceField(label=_("LINE WORKSで受け取る通知"), required=False,
                                      choices=list(KINDS.items()), widget=forms.CheckboxSelectMultiple)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状態"), required=False, choices=[("", _("すべて")), *Delivery.Status.choices])
