"""Password reset by e-mail (single use, expiring, never saying whether an address has an account), password
change, and e-mail change with re-verification (audited in every tenant of the user)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "asa-no-kaze-ga-fuku-73"


def _request_reset(email: str):
    mail.outbox.clear()
    return Client().post(reverse("account_reset_password"), {"email": email})


def _reset_link() -> str:
    return re.search(r"http://testserver(/account/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)


def _set_new_password(link: str, password: str = NEW_PASSWORD):
    client = Client()
    form = client.get(link, follow=True)  # allauth moves the key into the session, then shows the form
    return (
        client,
        form,
        client.post(
            form.redirect_chain[-1][0] if form.redirect_chain else link, {"password1": password, "password2": password}
        ),
    )


def _logs_in(username: str, password: str) -> bool:
    client = Client()
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_a_reset_link_sets_a_new_password_once(world_a):
    _request_reset(world_a.member.email)
    link = _reset_link()
    _client, _form, done = _set_new_password(link)
    assert done.status_code == 302 and done["Location"] == reverse("account_reset_password_from_key_done")
    assert _logs_in("member_A", NEW_PASSWORD) and not _logs_in("member_A", PASSWORD)

    _client, again, _post = _set_new_password(link, "another-password-99")
    assert "このパスワード再設定のリンクは無効です" in again.content.decode()
    assert _logs_in("member_A", NEW_PASSWORD)
    assert any("パスワードを再設定しました" in m.subject for m in mail.outbox)  # notice to the owner


def test_an_expired_or_forged_reset_link_says_what_to_do(world_a, settings):
    _request_reset(world_a.member.email)
    link = _reset_link()
    forged = Client().get(link[:-4] + "zzz/", follow=True)
    assert "このパスワード再設定のリンクは無効です" in forged.content.decode()
    settings.PASSWORD_RESET_TIMEOUT = -1  # every issued link is now past its lifetime
    expired = Client().get(link, follow=True)
    assert "このパスワード再設定のリンクは無効です" in expired.content.decode()
    assert reverse("account_reset_password") in expired.content.decode()
    assert _logs_in("member_A", PASSWORD)


def test_the_answer_never_reveals_whether_an_address_has_an_account(world_a):
    known = _request_reset(world_a.member.email)
    unknown = _request_reset("nobody@example.jp")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    page = Client().get(known["Location"]).content.decode()
    assert "登録されていれば" in page
    assert "アカウントは見つかりませんでした" in mail.outbox[0].body  # only the address's owner learns it


def test_password_change_needs_the_current_password_and_a_strong_new_one(world_a):
    client = world_a.client()
    wrong = client.post(
        reverse("account_change_password"),
        {"oldpassword": "nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    weak = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "1234567890", "password2": "1234567890"},
    )
    assert weak.status_code == 400 and "パスワード" in weak.content.decode()
    mail.outbox.clear()
    done = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get(reverse("deals:list")).status_code == 200  # this session stays logged in
    assert _logs_in("member_A", NEW_PASSWORD)
    assert mail.outbox[0].subject.endswith("パスワードを変更しました")


def test_an_email_change_waits_for_the_new_address_to_be_verified_and_is_audited(world_a, world_b):
    from tests.factories import MembershipFactory

    MembershipFactory(tenant=world_b.tenant, user=world_a.member)  # one login, two companies
    client = world_a.client()
    mail.outbox.clear()
    response = client.post(reverse("account_email"), {"action_add": "", "email": "new-member@example.jp"})
    assert response.status_code == 302
    world_a.member.refresh_from_db()
    assert world_a.member.email.lower() == "member_a@example.com"  # unchanged until verified
    assert mail.outbox[0].to == ["new-member@example.jp"]
    link = re.search(r"http://testserver(/account/confirm-email/[^/\s]+/)", mail.outbox[0].body).group(1)

    client.post(link)

    world_a.member.refresh_from_db()
    assert world_a.member.email == "new-member@example.jp"
    assert list(EmailAddress.objects.filter(user=world_a.member).values_list("email", flat=True)) == [
        "new-member@example.jp"
    ]
    assert _logs_in("new-member@example.jp", PASSWORD)
    for tenant in (world_a.tenant, world_b.tenant):
        entry = AuditEntry.objects.for_tenant(tenant).get(action="account.email_change")
        assert entry.changes == {"email": ["member_a@example.com", "new-member@example.jp"]}
    assert any(m.to == ["member_a@example.com"] and "メールアドレスを変更しました" in m.subject for m in mail.outbox)


def test_changing_to_an_address_of_another_account_changes_nothing(world_a):
    client = world_a.client()
    response = client.post(reverse("account_email"), {"action_add": "", "email": world_a.admin.email})
    world_a.member.refresh_from_db()
    assert response.status_code in {302, 400} and world_a.member.email.lower() == "member_a@example.com"
    assert not EmailAddress.objects.filter(user=world_a.member, email=world_a.admin.email).exists()
