"""新規登録: a company signs up on its own, verifies its address by e-mail, and lands in its own new tenant with
everything a tenant needs; bad input is a Japanese message and never leaves anything half-created."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from deals.models import DealType
from invoices.models import InvoiceSettings
from journals.defaults import ACCOUNT_ITEMS, TAX_CODES
from journals.models import AccountItem, LedgerSettings, TaxCode
from tenancy.models import Membership, Tenant
from tenancy.signals import tenant_created
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STRONG = "kumo-no-ue-no-sora-42"
FORM = {
    "company_name": "株式会社はじまり",
    "name": "山田 花子",
    "email": "hanako@hajimari.example.jp",
    "password1": STRONG,
}


def sign_up(client: Client | None = None, **changes):
    client = client or Client()
    return client, client.post(reverse("account_signup"), {**FORM, **changes}, REMOTE_ADDR="10.1.1.1")


def activation_link(message) -> str:
    return re.search(r"http://testserver(/account/confirm-email/[^/\s]+/)", message.body).group(1)


def test_sign_up_creates_the_tenant_with_its_defaults_and_its_admin():
    _client, response = sign_up()

    assert response.status_code == 302 and response["Location"] == reverse("account_email_verification_sent")
    tenant = Tenant.objects.get(name="株式会社はじまり")
    membership = Membership.objects.get(tenant=tenant)
    assert membership.role == Membership.Role.ADMIN and membership.user.email == FORM["email"]
    assert membership.user.first_name == "山田 花子"
    # what the demo tenant has, without demo data
    assert DealType.objects.for_tenant(tenant).get().name == "標準"
    assert DealType.objects.for_tenant(tenant).get().linked_to_freee
    assert InvoiceSettings.objects.filter(tenant=tenant).exists()
    assert LedgerSettings.objects.filter(tenant=tenant).exists()
    assert TaxCode.objects.for_tenant(tenant).count() == len(TAX_CODES)
    assert AccountItem.objects.for_tenant(tenant).count() == len(ACCOUNT_ITEMS)
    assert AuditEntry.objects.for_tenant(tenant).filter(action="tenant.sign_up").exists()


def test_the_address_must_be_verified_before_the_account_can_be_used():
    client, _response = sign_up()
    assert not EmailAddress.objects.get(email=FORM["email"]).verified
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("deals:list"))["Location"].startswith("/login/")
    stranger = Client()
    login = stranger.post(reverse("login"), {"username": FORM["email"], "password": STRONG})
    assert login["Location"] == reverse("account_email_verification_sent")  # a new mail, no session
    assert "_auth_user_id" not in stranger.session

    message = mail.outbox[0]
    assert message.to == [FORM["email"]] and "メールアドレスの確認" in message.subject
    assert "ご登録ありがとうございます" in message.body and message.alternatives[0][1] == "text/html"
    link = activation_link(message)
    assert "確認する" in client.get(link).content.decode()
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    page = client.get(reverse("deals:list"))
    assert page.status_code == 200 and "株式会社はじまり" in page.content.decode()


def test_a_forged_or_reused_verification_link_says_what_to_do():
    client, _response = sign_up()
    link = activation_link(mail.outbox[0])
    forged = Client().get(link[:-3] + "xx/")
    assert forged.status_code == 200 and "この確認リンクは無効か、有効期限が切れています" in forged.content.decode()
    assert Client().post(link[:-3] + "xx/").status_code == 404
    client.post(link)
    assert EmailAddress.objects.get(email=FORM["email"]).verified


def test_a_taken_address_creates_nothing_and_tells_its_owner_by_mail():
    UserFactory(username="owner", email=FORM["email"])
    _client, response = sign_up()
    assert response.status_code == 302  # the page does not say whether the address has an account
    assert not Tenant.objects.filter(name="株式会社はじまり").exists()
    assert get_user_model().objects.filter(email__iexact=FORM["email"]).count() == 1
    assert "すでに登録されています" in mail.outbox[0].subject


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"password1": "password"}, "パスワード"),
        ({"password1": "12345678901"}, "パスワード"),
        ({"email": "not-an-address"}, "メールアドレス"),
        ({"company_name": "   "}, "事業所名"),
    ],
)
def test_bad_input_is_a_japanese_form_error_and_creates_nothing(changes, message):
    _client, response = sign_up(**changes)
    assert response.status_code == 400
    errors = " ".join(e for field in response.context["form"].errors.values() for e in field)
    assert errors and message in response.content.decode()
    assert not Tenant.objects.exists() and not get_user_model().objects.exists()


def test_a_failing_set_up_leaves_no_tenant_and_no_user():
    def broken(sender, tenant, **kwargs):
        raise RuntimeError("a default could not be seeded")

    tenant_created.connect(broken, dispatch_uid="test.broken")
    try:
        response = Client(raise_request_exception=False).post(reverse("account_signup"), FORM)
    finally:
        tenant_created.disconnect(dispatch_uid="test.broken")
    assert response.status_code == 500
    assert not Tenant.objects.exists() and not get_user_model().objects.exists()
    assert not EmailAddress.objects.exists() and not mail.outbox


def test_sign_up_is_limited_per_address():
    for attempt in range(3):
        _client, response = sign_up(password1="short")  # refused, but each try counts for the address
        assert "このメールアドレスでの登録の試行が多すぎます" not in response.content.decode(), attempt
    _client, response = sign_up()
    assert response.status_code == 400
    assert "このメールアドレスでの登録の試行が多すぎます" in response.content.decode()
    assert not Tenant.objects.exists()


def test_sign_up_is_limited_per_client_ip(settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/h/ip"}
    for n in range(2):
        sign_up(email=f"user{n}@example.jp", company_name=f"会社{n}")
    _client, response = sign_up(email="third@example.jp")
    assert response.status_code == 429 and "リクエストが多すぎます" in response.content.decode()
    assert Tenant.objects.count() == 2


def test_sign_up_can_be_switched_off(settings):
    settings.SIGNUP_ENABLED = False
    assert "新規登録" not in Client().get(reverse("login")).content.decode()
    page = Client().get(reverse("account_signup"))
    assert "新規登録は受け付けていません" in page.content.decode()
    sign_up()
    assert not Tenant.objects.exists() and not get_user_model().objects.exists()


def test_the_login_page_links_to_sign_up_and_a_forged_form_is_refused_in_japanese():
    assert reverse("account_signup") in Client().get(reverse("login")).content.decode()
    response = Client(enforce_csrf_checks=True).post(reverse("account_signup"), FORM)
    assert response.status_code == 403 and "ページを再読み込み" in response.content.decode()
    assert not Tenant.objects.exists()
