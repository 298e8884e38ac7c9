"""Tenant isolation for every URL of the project, found from the URL resolver.

A new object-bearing route fails `test_every_object_route_has_an_isolation_fixture` until it is added to
OBJECT_FACTORIES below, so isolation is proven for every URL as the project grows.
"""

import importlib

import pytest

from tests.factories import (
    DealFactory,
    DealLineFactory,
    InvoiceFactory,
    JobFactory,
    PermissionProfileFactory,
    api_token_key,
)
from tests.isolation import assert_cross_tenant_404, project_routes
from tests.sandbox.factories import SECRET_APP_NAME, SECRET_COMPANY_NAME, make_sandbox_app, make_sandbox_company

# The OpenAPI schema and its Swagger UI are documentation without tenant data: public by design.
PUBLIC_ROUTES = {"login", "logout", "healthz", "metrics", "api:token", "api-schema", "api-docs",
                 # the account pages a visitor uses before (or instead of) logging in (django-allauth)
                 "account_login", "account_logout", "account_signup", "account_inactive", "account_email_verification_sent",
                 "account_confirm_email", "account_reset_password", "account_reset_password_done",
                 "account_reset_password_from_key", "account_reset_password_from_key_done",
                 "mfa_authenticate",  # the login's second step: without a pending login it goes back to the login
                 # the sandbox mailbox: a new user reads their verification mail before they have an account
                 "sandbox:mailbox", "sandbox:mailbox-message",
                 # an invitation link works without a login (a stale or forged one says so); after 退会
                 "accounts:invitation_accept", "accounts:leave_done"}

# A user's own account (e-mail, password, 2FA, sessions, API tokens): any logged-in user, with or without a
# tenant (a user of no tenant must still be able to secure their account or change their address).
ANY_USER_ROUTES = {"account_reauthenticate", "account_email", "account_change_password", "account_set_password",
                   "mfa_index", "mfa_reauthenticate", "mfa_activate_totp", "mfa_deactivate_totp",
                   "mfa_view_recovery_codes", "mfa_generate_recovery_codes", "mfa_download_recovery_codes",
                   "usersessions_list", "accounts:profile"}


def _deal(world):
    return DealFactory(tenant=world.tenant, name="他テナントの秘密案件")


def _profile(world):
    return PermissionProfileFactory(tenant=world.tenant, name="他テナントの秘密プロファイル")


def _invoice(world):
    return InvoiceFactory(deal=_deal(world), partner_name="他テナントの秘密取引先")


def _api_token(world):
    from core.models import ApiToken

    return ApiToken.objects.get(prefix=api_token_key(world.member, name="他テナントの秘密トークン")[:8])


def _job(world):
    return JobFactory(tenant=world.tenant, kind="secret.kind", error="他テナントの秘密エラー")


# route name -> (make B's object, the text of it that must never appear in A's answers)
OBJECT_FACTORIES = {
    "deals:detail": (_deal, "他テナントの秘密案件"),
    "deals:update": (_deal, "他テナントの秘密案件"),
    "deals:delete": (_deal, "他テナントの秘密案件"),
    "api:deal-detail": (_deal, "他テナントの秘密案件"),
    "tenancy:membership_update": (lambda w: w.member_membership, "member_B"),
    "tenancy:permission_profile_update": (_profile, "他テナントの秘密プロファイル"),
    "tenancy:permission_profile_delete": (_profile, "他テナントの秘密プロファイル"),
    "core:job_progress": (_job, "他テナントの秘密エラー"),
    "api:job-detail": (_job, "他テナントの秘密エラー"),
    "api:deal-type-detail": (lambda w: DealFactory(tenant=w.tenant).deal_type, "案件タイプ"),
    "invoices:deal_tab": (_deal, "他テナントの秘密案件"),
    "invoices:partner_search": (_deal, "他テナントの秘密案件"),
    "invoices:issue": (_deal, "他テナントの秘密案件"),
    "invoices:row": (lambda w: InvoiceFactory(deal=_deal(w), partner_name="他テナントの秘密取引先"), "他テナントの秘密取引先"),
    "invoices:refresh": (lambda w: InvoiceFactory(deal=_deal(w), partner_name="他テナントの秘密取引先"),
                         "他テナントの秘密取引先"),
    "invoices:resync": (lambda w: InvoiceFactory(deal=_deal(w), partner_name="他テナントの秘密取引先"),
                        "他テナントの秘密取引先"),
    "invoices:retry": (lambda w: InvoiceFactory(deal=_deal(w), partner_name="他テナントの秘密取引先"),
                       "他テナントの秘密取引先"),
    "invoices:cancel": (lambda w: InvoiceFactory(deal=_deal(w), partner_name="他テナントの秘密取引先"),
                        "他テナントの秘密取引先"),
    "invoices:uncancel": (lambda w: InvoiceFactory(deal=_deal(w), partner_name="他テナントの秘密取引先"),
                          "他テナントの秘密取引先"),
    "api:deal-invoices": (_deal, "他テナントの秘密案件"),
    "api:deal-lines": (lambda w: DealLineFactory(deal=_deal(w), description="他テナントの秘密品目").deal, "他テナントの秘密品目"),
    "api:invoice-detail": (_invoice, "他テナントの秘密取引先"),
    "api:invoice-refresh": (_invoice, "他テナントの秘密取引先"),
    "api:invoice-resync": (_invoice, "他テナントの秘密取引先"),
    "api:invoice-retry": (_invoice, "他テナントの秘密取引先"),
    "api:invoice-cancel": (_invoice, "他テナントの秘密取引先"),
    "api:invoice-uncancel": (_invoice, "他テナントの秘密取引先"),
    "api:token-detail": (_api_token, "他テナントの秘密トークン"),  # a user's own; any other user's is a 404
    "accounts:token_revoke": (_api_token, "他テナントの秘密トークン"),  # the same, from アカウント設定
    "sandbox:console-app": (make_sandbox_app, SECRET_APP_NAME),
    "sandbox:console-company": (make_sandbox_company, SECRET_COMPANY_NAME),
}

# Admin screens answer 403 to members before any lookup; admins of A get the 404.
ADMIN_ONLY = {"tenancy:membership_update", "tenancy:permission_profile_update", "tenancy:permission_profile_delete",
              # the sandbox consoles are admin screens too (secrets, private keys, fault switches)
              "sandbox:console-app", "sandbox:console-company", "sandbox:console-lineworks-domain",
              "sandbox:console-lineworks-inbox"}

# Later apps keep their entries next to their tests: tests/<app>/isolation.py with OBJECT_FACTORIES and
# ADMIN_ONLY of the same shapes.
for _app in ("journals", "payment_requests", "notifications", "accounts", "imports"):
    try:
        _module = importlib.import_module(f"tests.{_app}.isolation")
    except ModuleNotFoundError as error:
        if error.name != f"tests.{_app}.isolation":
            raise
        continue
    OBJECT_FACTORIES.update(_module.OBJECT_FACTORIES)
    ADMIN_ONLY |= set(getattr(_module, "ADMIN_ONLY", ()))

# The fake vendor APIs (sandbox:freee-*, sandbox:lineworks-*) authenticate with the vendors' own credentials and
# answer the vendors' bodies, not our login page; their auth and per-company isolation are tested in tests/sandbox.
ROUTES = [r for r in project_routes() if not r.name.startswith(("sandbox:freee-", "sandbox:lineworks-"))]
OBJECT_ROUTES = [r for r in ROUTES if r.is_object_route]
PLAIN_ROUTES = [r for r in ROUTES if not r.is_object_route]


def test_every_object_route_has_an_isolation_fixture():
    missing = sorted(r.name for r in OBJECT_ROUTES if r.name not in OBJECT_FACTORIES)
    assert not missing, f"add these routes to OBJECT_FACTORIES: {missing}"


def test_the_route_walk_sees_pages_and_api():
    names = {r.name for r in ROUTES}
    assert {"deals:list", "deals:detail", "api:deal-list", "api:deal-detail", "tenancy:settings"} <= names


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("who", ["admin", "member"])
def test_other_tenants_object_is_404_for_every_method(route, who, world_a, world_b):
    make, secret = OBJECT_FACTORIES[route.name]
    foreign = make(world_b)
    url = route.url(**{key: foreign.public_id for key in route.kwargs})
    foreign_texts = (secret,) if secret != "案件タイプ" else (foreign.name,)
    if who == "member" and route.name in ADMIN_ONLY:
        response = world_a.client(who).get(url)
        assert response.status_code == 403
        assert secret not in response.content.decode()
        return
    assert_cross_tenant_404(world_a.client(who), url, foreign_texts=foreign_texts)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in PUBLIC_ROUTES], ids=lambda r: r.name)
def test_anonymous_users_are_sent_to_login_or_refused(route, client, world_b):
    make = OBJECT_FACTORIES.get(route.name, (lambda w: None, ""))[0]
    obj = make(world_b) if route.is_object_route else None
    url = route.url(**{key: obj.public_id for key in route.kwargs}) if obj else route.url()
    response = client.get(url)
    if route.is_api or url.startswith("/api/"):
        assert response.status_code in {401, 403}
        assert "error" in response.json()
    else:
        assert response.status_code in {302, 405}, f"{url} -> {response.status_code}"
        if response.status_code == 302:  # allauth's decorators send to account_login, which redirects to /login/
            assert response["Location"].startswith(("/login/", "/account/login/"))


@pytest.mark.parametrize("route", [r for r in PLAIN_ROUTES if r.name not in PUBLIC_ROUTES | ANY_USER_ROUTES],
                         ids=lambda r: r.name)
def test_users_of_no_tenant_are_refused(route, world_a):
    response = world_a.client("outsider").get(route.url())
    assert response.status_code in {403, 405}, f"{route.template} -> {response.status_code}"
