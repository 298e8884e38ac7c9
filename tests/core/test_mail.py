"""Real e-mail: the devstack's SMTP server receives what the app sends, the sandbox mailbox shows it, and every
message is Japanese (English for users who chose it) with a text and an HTML part."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection
from django.test import Client
from django.urls import reverse

from accounts.models import UserProfile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _smtp():
    """The SMTP server `scripts/devstack.py test` started for this session (EMAIL_URL, SANDBOX_MAILDIR)."""
    if not settings.SANDBOX_MAILDIR:
        pytest.fail("run the tests with scripts/devstack.py test: it starts the SMTP server (aiosmtpd)")
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend", host=settings.EMAIL_HOST, port=settings.EMAIL_PORT, timeout=10
    )


def test_a_message_sent_over_smtp_appears_in_the_sandbox_mailbox_without_login():
    subject = f"テスト送信 {uuid.uuid4().hex[:8]}"
    message = EmailMultiAlternatives(
        subject,
        "本文です。\nhttps://example.jp/confirm/abc/",
        settings.DEFAULT_FROM_EMAIL,
        ["taro@example.jp"],
        connection=_smtp(),
    )
    message.attach_alternative("<p>本文です。</p>", "text/html")
    assert message.send() == 1

    listing = Client().get(reverse("sandbox:mailbox"), {"to": "taro@example.jp"})
    assert listing.status_code == 200
    page = listing.content.decode()
    assert subject in page
    key = listing.context["mails"][0].key
    shown = Client().get(reverse("sandbox:mailbox-message", args=[key])).content.decode()
    assert "本文です。" in shown and 'href="https://example.jp/confirm/abc/"' in shown
    assert "テキスト + HTML" in shown


def test_the_mailbox_filters_by_recipient_and_an_unknown_message_is_a_404():
    _smtp().send_messages(
        [EmailMultiAlternatives("別の人宛て", "x", settings.DEFAULT_FROM_EMAIL, ["hanako@example.jp"])]
    )
    listing = Client().get(reverse("sandbox:mailbox"), {"to": "nobody@example.jp"})
    assert listing.context["mails"] == []
    assert Client().get(reverse("sandbox:mailbox-message", args=["no-such-message"])).status_code == 404


def _reset_mail(email: str):
    mail.outbox.clear()
    response = Client().post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_account_mail_is_japanese_with_a_text_and_an_html_part():
    UserFactory(username="taro", email="taro@example.jp")
    message = _reset_mail("taro@example.jp")
    assert message.subject == "[CRM-会計連携ハブ] パスワードの再設定"
    assert "新しいパスワードを設定してください" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "新しいパスワードを設定してください" in html and "<a href=" in html


def test_a_user_who_chose_english_gets_english_mail():
    user = UserFactory(username="john", email="john@example.jp")
    UserProfile.objects.create(user=user, language="en")
    message = _reset_mail("john@example.jp")
    assert message.subject == "[CRM-Accounting Hub] Password reset"
    assert "set a new password" in message.body
    assert "パスワード" not in message.body + message.alternatives[0][0]
