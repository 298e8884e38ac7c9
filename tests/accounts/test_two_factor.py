"""Two-factor sign-in (TOTP + recovery codes) and 「全メンバーに2段階認証を必須にする」: the second factor cannot be
skipped by going straight to a URL, by the API's token endpoint or by the tenant switcher."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from tenancy.middleware import SESSION_TENANT_KEY
from tests.accounts.twofactor import code_for, enable_totp, password_step
from tests.factories import PASSWORD, MembershipFactory, api_token_key

pytestmark = pytest.mark.django_db


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db(transaction=True)  # allauth announces the new authenticator on commit, in the request
def test_a_member_sets_up_totp_and_the_next_login_asks_for_the_code(world_a):
    client = Client()
    password_step(client, "member_A")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200 and "QRコード" in page.content.decode()
    secret = page.context["form"].secret
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 400 and "コードが正しくありません" in wrong.content.decode()
    done = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    stored = Authenticator.objects.get(user=world_a.member, type=Authenticator.Type.TOTP)
    assert secret not in str(stored.data)  # encrypted at rest (FIELD_ENCRYPTION_KEYS)
    assert AuditEntry.objects.for_tenant(world_a.tenant).filter(action="account.mfa_update").exists()

    again = Client()
    step = password_step(again, "member_A")
    assert step["Location"] == reverse("mfa_authenticate") and not _logged_in(again)
    assert again.get(reverse("deals:list"))["Location"].startswith("/login/")  # no skipping by URL
    assert again.post(reverse("tenancy:switch"), {"tenant": str(world_a.tenant.public_id)}).status_code == 404
    bad = again.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert bad.status_code == 400 and "コードが正しくありません" in bad.content.decode()
    assert again.post(reverse("mfa_authenticate"), {"code": code_for(secret, -1)}).status_code == 302
    assert _logged_in(again) and again.get(reverse("deals:list")).status_code == 200


def test_a_code_works_once_and_a_recovery_code_once(world_a):
    secret, recovery = enable_totp(world_a.member)
    code = code_for(secret)
    first = Client()
    password_step(first, "member_A")
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert _logged_in(first)
    replay = Client()
    password_step(replay, "member_A")
    assert replay.post(reverse("mfa_authenticate"), {"code": code}).status_code == 400
    assert not _logged_in(replay)
    replay.post(reverse("mfa_authenticate"), {"code": recovery[0]})
    assert _logged_in(replay)
    reused = Client()
    password_step(reused, "member_A")
    assert reused.post(reverse("mfa_authenticate"), {"code": recovery[0]}).status_code == 400


def test_wrong_codes_are_limited(world_a):
    enable_totp(world_a.member)
    client = Client()
    password_step(client, "member_A")
    for _ in range(10):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    answer = client.post(reverse("mfa_authenticate"), {"code": "000000"}).content.decode()
    assert "一時的に制限しています" in answer


def _require_2fa(world) -> None:
    response = world.client("admin").post(
        reverse("tenancy:settings"), {"name": world.tenant.name, "requires_mfa": "on"}
    )
    assert response.status_code == 302
    world.tenant.refresh_from_db()
    assert world.tenant.requires_mfa


def test_the_admin_switch_is_audited(world_a):
    _require_2fa(world_a)
    entry = AuditEntry.objects.for_tenant(world_a.tenant).get(action="tenant.mfa_requirement_update")
    assert entry.changes == {"requires_mfa": [False, True]}


def test_with_2fa_required_a_member_without_it_reaches_only_the_set_up(world_a, world_b):
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)  # B does not require 2FA
    _require_2fa(world_a)
    client = Client()
    password_step(client, "member_A")
    for url in (reverse("deals:list"), reverse("invoices:list"), reverse("accounts:profile"), "/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), url
    switched = client.post(reverse("tenancy:switch"), {"tenant": str(world_b.tenant.public_id)})
    assert switched["Location"] == reverse("mfa_activate_totp")
    assert client.session.get(SESSION_TENANT_KEY) != str(world_b.tenant.public_id)
    assert client.get(reverse("deals:list"), HTTP_HX_REQUEST="true")["HX-Redirect"] == reverse("mfa_activate_totp")
    api = client.get("/api/v1/deals/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_required"
    page = client.get(reverse("mfa_activate_totp"))
    assert "全メンバーに2段階認証が必須です" in page.content.decode()

    client.post(reverse("mfa_activate_totp"), {"code": code_for(page.context["form"].secret)})
    assert client.get(reverse("deals:list")).status_code == 200
    assert client.get("/api/v1/deals/").status_code == 200


def test_with_2fa_required_an_old_token_and_the_token_endpoint_refuse_until_it_is_set_up(world_a):
    key = api_token_key(world_a.member)
    _require_2fa(world_a)
    old = Client().get("/api/v1/deals/", HTTP_AUTHORIZATION=f"Token {key}")
    assert old.status_code == 403 and old.json()["error"]["code"] == "mfa_required"
    issued = Client().post(
        "/api/v1/auth/token/", {"username": "member_A", "password": PASSWORD}, content_type="application/json"
    )
    assert issued.status_code == 403 and issued.json()["error"]["code"] == "mfa_required"


def test_the_token_endpoint_asks_a_user_with_2fa_for_a_valid_code(world_a):
    secret, recovery = enable_totp(world_a.member)

    def ask(**extra):
        return Client().post(
            "/api/v1/auth/token/",
            {"username": "member_A", "password": PASSWORD, **extra},
            content_type="application/json",
        )

    missing = ask()
    assert missing.status_code == 400 and "code" in missing.json()["error"]["details"]
    assert ask(code="000000").status_code == 400
    good = ask(code=code_for(secret))
    assert good.status_code == 200 and good.json()["token"]
    assert ask(code=code_for(secret)).status_code == 400  # the same code twice
    assert ask(code=recovery[1]).status_code == 200
    assert ask(code=recovery[1]).status_code == 400


def test_a_member_of_a_tenant_requiring_2fa_cannot_remove_it(world_a):
    secret, _codes = enable_totp(world_a.member)
    _require_2fa(world_a)
    client = Client()
    password_step(client, "member_A")
    client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 400 and "解除できません" in response.content.decode()
    assert Authenticator.objects.filter(user=world_a.member, type=Authenticator.Type.TOTP).exists()
