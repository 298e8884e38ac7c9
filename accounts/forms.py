"""allauth's forms with the hub's labels and rules."""

from __future__ import annotations

import re

from allauth.account import forms as allauth_forms
from allauth.core import ratelimit
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import services
from tenancy.models import Membership, PermissionProfile

SIGNUP_EMAIL_RATE_LIMITED = _(
    "このメールアドレスでの登録の試行が多すぎます。1時間ほど待ってからもう一度お試しください。"
)


def _plain(field: forms.Field, label, **attrs) -> None:
    """Our label, no placeholder (the label says it), no help text under the field."""
    field.label = label
    field.help_text = ""
    field.widget.attrs.pop("placeholder", None)
    field.widget.attrs.update(attrs)


class LoginForm(allauth_forms.LoginForm):
    """allauth's login by username or e-mail. The field keeps the HTML name `username` of the login form it
    replaced (Django's AuthenticationForm), so bookmarks, scripts and password managers keep working; django-axes
    reads the same name from the credentials."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain(self.fields["login"], _("ユーザー名またはメールアドレス"), autofocus=True, autocomplete="username")
        _plain(self.fields["password"], _("パスワード"))

    def add_prefix(self, field_name: str) -> str:
        return super().add_prefix("username" if field_name == "login" else field_name)


class SignupForm(allauth_forms.SignupForm):
    """新規登録: 事業所名, 氏名, e-mail and password. The tenant is created with the user (accounts.services)."""

    company_name = forms.CharField(
        label=_("事業所名"), max_length=200, help_text=_("会社名や屋号。あとから「設定 > 会社情報」で変更できます。")
    )
    name = forms.CharField(label=_("氏名"), max_length=150)

    field_order = ["company_name", "name", "email", "password1"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _plain(self.fields["email"], _("メールアドレス"), autocomplete="email")
        _plain(self.fields["password1"], _("パスワード"), autocomplete="new-password")
        self.fields["password1"].help_text = _(
            "10文字以上。ほかのサービスと同じもの、数字だけ、よく使われるものは使えません。"
        )
        self.order_fields(self.field_order)

    def clean_email(self) -> str:
        """Besides allauth's per-IP limit, sign-up is limited per address (ACCOUNT_RATE_LIMITS signup_email)."""
        email = super().clean_email()
        request = getattr(self, "request", None) or _current_request()
        if email and not ratelimit.consume(request, action="signup_email", key=email.lower()):
            raise forms.ValidationError(SIGNUP_EMAIL_RATE_LIMITED, code="rate_limited")
        return email

    def save(self, request):
        """The user (allauth), their tenant and admin membership (accounts.services) in one transaction."""
        with transaction.atomic():
            user = super().save(request)
            services.account_sign_up(user=user, company_name=self.cleaned_data["company_name"])
        return user

    def clean_company_name(self) -> str:
        name = self.cleaned_data["company_name"].strip()
        if not name:
            raise forms.ValidationError(_("事業所名を入力してください。"))
        return name


def _current_request():
    from allauth.core import context

    return context.request


class ProfileForm(forms.Form):
    """アカウント設定: the user's name and language (the UI and the e-mail they receive)."""

    name = forms.CharField(label=_("氏名"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("言語"), choices=settings.LANGUAGES, help_text=_("画面と、あなた宛てに送られるメールの言語です。")
    )


class InvitationForm(forms.Form):
    """メンバー招待: one or more addresses (one per line, or separated by commas), the role and a profile."""

    emails = forms.CharField(
        label=_("メールアドレス"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        help_text=_("複数の場合は1行に1件、またはカンマ区切りで入力してください。"),
    )
    role = forms.ChoiceField(label=_("ロール"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)
    permission_profile = forms.ModelChoiceField(
        label=_("権限プロファイル"),
        queryset=PermissionProfile.objects.none(),
        required=False,
        empty_label=_("（なし）"),
    )

    def __init__(self, *args, tenant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permission_profile"].queryset = PermissionProfile.objects.for_tenant(tenant)

    def clean_emails(self) -> list[str]:
        emails = [e.strip() for e in re.split(r"[\s,、;]+", self.cleaned_data["emails"]) if e.strip()]
        bad = [e for e in emails if not _is_email(e)]
        if bad:
            raise forms.ValidationError(
                _("メールアドレスの形式が正しくありません: %(emails)s") % {"emails": ", ".join(bad)}
            )
        if not emails:
            raise forms.ValidationError(_("招待するメールアドレスを入力してください。"))
        return emails


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except forms.ValidationError:
        return False
    return True


class NewMemberForm(forms.Form):
    """招待の承諾 without an account: the invitee's name and password (the address is the invitation's)."""

    name = forms.CharField(label=_("氏名"), max_length=150)
    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("10文字以上。ほかのサービスと同じもの、数字だけ、よく使われるものは使えません。"),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        probe = get_user_model()(
            username=self.email.split("@")[0], email=self.email, first_name=self.data.get("name", "")
        )
        password_validation.validate_password(password, probe)
        return password


class LeaveForm(forms.Form):
    confirm_name = forms.CharField(
        label=_("削除する事業所の名前"), max_length=200, help_text=_("確認のため、事業所名を正確に入力してください。")
    )
