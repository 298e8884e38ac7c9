"""django-allauth adapters: Japanese messages that say what to do, mail in the recipient's language (text and
HTML), sign-up switched by SIGNUP_ENABLED, and the 氏名 of the sign-up form saved on the user."""

from __future__ import annotations

import re
import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records  # allauth's record of this session
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.selectors import mail_language
from core import crypto

PRODUCT_NAME = _("CRM-会計連携ハブ")
_URL = re.compile(r"(https?://[^\s<>\"']+)")

MESSAGES = {
    "account_inactive": _("このアカウントは無効になっています。管理者にお問い合わせください。"),
    "username_password_mismatch": _("ユーザー名またはパスワードが正しくありません。大文字と小文字も区別されます。"),
    "email_password_mismatch": _("メールアドレスまたはパスワードが正しくありません。大文字と小文字も区別されます。"),
    "invalid_login": _("ユーザー名またはパスワードが正しくありません。大文字と小文字も区別されます。"),
    "too_many_login_attempts": _(
        "ログインまたはコードの入力に続けて失敗したため、一時的に制限しています。"
        "しばらく待ってからもう一度お試しください。"
    ),
    "incorrect_code": _(
        "コードが正しくありません。認証アプリに表示されている最新の6桁のコード、"
        "またはリカバリーコードを入力してください。"
    ),
    "invalid_or_expired_key": _("このリンクは無効か、有効期限が切れています。もう一度手続きをやり直してください。"),
    "invalid_password_reset": _(
        "パスワード再設定のリンクが無効です（使用済み、または有効期限切れ）。"
        "「パスワードをお忘れの方」から再設定メールをもう一度送ってください。"
    ),
    "email_taken": _("このメールアドレスはすでに使われています。別のアドレスを入力してください。"),
    "duplicate_email": _("このメールアドレスはすでにこのアカウントに登録されています。"),
    "enter_current_password": _("現在のパスワードを入力してください。"),
    "incorrect_password": _("パスワードが正しくありません。"),
    "same_as_current": _("現在と異なる値を入力してください。"),
    "rate_limited": _("リクエストが多すぎます。しばらく待ってからもう一度お試しください。"),
    "unverified_primary_email": _("メールアドレスの確認が済んでいません。届いた確認メールのリンクを開いてください。"),
}


class AccountAdapter(DefaultAccountAdapter):
    """allauth's account adapter, fitted to the hub."""

    error_messages = {**DefaultAccountAdapter.error_messages, **MESSAGES}

    def is_open_for_signup(self, request) -> bool:
        return settings.SIGNUP_ENABLED

    def save_user(self, request, user, form, commit: bool = True):
        """The 氏名 of the sign-up form goes to first_name (one field: Japanese names are written 姓 名)."""
        name = form.cleaned_data.get("name")
        if name:
            user.first_name = name
        return super().save_user(request, user, form, commit=commit)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A sign-in of this session in the last ACCOUNT_REAUTHENTICATION_TIMEOUT counts as the password check
        before a sensitive step (allauth asks again otherwise): a member who must set up 2FA right after signing
        in is not asked for the password twice."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = self.request or context.request
        records = get_authentication_records(request, getattr(request, "user", None))
        signed_in = [r["at"] for r in records if r.get("method") in ("password", "mfa")]
        return not (signed_in and time.time() - signed_in[-1] < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT)

    def format_email_subject(self, subject: str) -> str:
        return f"[{gettext(PRODUCT_NAME)}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render and send in the recipient's language (their choice on the account page, else the page's)."""
        language = mail_language(user=context.get("user"), email=email)
        with translation.override(language):
            super().send_mail(template_prefix, email, {**context, "product_name": gettext(PRODUCT_NAME)})

    def render_mail(self, template_prefix: str, email, context: dict[str, Any], headers=None) -> EmailMessage:
        """Every message has a text and an HTML part: the HTML part is the text in the layout of
        templates/account/email/layout.html (links clickable), unless the message has an HTML template."""
        message = super().render_mail(template_prefix, email, context, headers=headers)
        if isinstance(message, EmailMultiAlternatives) and not message.alternatives:
            message.attach_alternative(html_from_text(message.body, subject=message.subject), "text/html")
        return message


def html_from_text(text: str, *, subject: str) -> str:
    """The HTML part of a text message: paragraphs, line breaks and clickable links, nothing else."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [_URL.sub(r'<a href="\1">\1</a>', escape(line)) for line in block.splitlines()]
        paragraphs.append(mark_safe("<br>\n".join(lines)))  # noqa: S308 - every line escaped above
    return render_to_string(
        "account/email/layout.html",
        {"subject": subject, "paragraphs": paragraphs, "product_name": gettext(PRODUCT_NAME)},
    )


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator apps show 「CRM-会計連携ハブ」 and the user's login name."""

    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": MESSAGES["incorrect_code"],
        "cannot_delete_authenticator": _(
            "2段階認証が必須の事業所に所属しているため、認証アプリの登録は解除できません。"
        ),
        "unverified_email": _("メールアドレスの確認が済んでから2段階認証を設定してください。"),
    }

    def can_delete_authenticator(self, authenticator) -> bool:
        """A member of a tenant that requires 2FA keeps their authenticator app (recovery codes go with it)."""
        from tenancy.models import Membership

        return not Membership.objects.filter(user_id=authenticator.user_id, tenant__requires_mfa=True).exists()

    def get_totp_issuer(self) -> str:
        return settings.MFA_TOTP_ISSUER

    def encrypt(self, text: str) -> str:
        """TOTP and recovery-code seeds are secrets at rest like the vendor tokens (FIELD_ENCRYPTION_KEYS)."""
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
