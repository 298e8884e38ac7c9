from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form with Japanese messages that say what to do."""

    error_messages = {
        "invalid_login": _("ユーザー名またはパスワードが正しくありません。大文字と小文字も区別されます。"),
        "inactive": _("このアカウントは無効になっています。管理者にお問い合わせください。"),
    }
    username = forms.CharField(label=_("ユーザー名"), widget=forms.TextInput(attrs={"autofocus": True}))
