"""The permissions matrix: every role × every page and API action of the project (from the URL resolver).

Roles: an admin; a member of a tenant that does not use permission profiles; in a tenant that uses them
(uses_permission_profiles on), a member without a profile and a member with a profile granting exactly one
of tenancy.permissions.MEMBER_PERMISSIONS; an outsider (logged in, no membership); anonymous.

Each route gets an access rule: a default per namespace (NAMESPACE_RULES), overridden per route or per method
(ROUTE_RULES). Methods come from the views themselves (class-based handlers, DRF actions, require_http_methods);
a route of a new namespace without a rule fails test_every_route_has_a_rule ("add this route to the matrix").
Outcome classes: allowed (the view ran: 2xx, 3xx other than to login, or a 400/409 business answer),
403, login (302 to /login/ for pages, 401 for the API), 405. A 5xx is never acceptable.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import pytest
import responses
from django.test import Client
from django.urls import resolve

from core import events
from notifications.models import Delivery
from tenancy.models import Membership
from tenancy.permissions import (
    CSV_EXPORT,
    DEAL_IMPORT,
    FREEE_INVOICE_CREATE,
    LEDGER_SYNC,
    MEMBER_PERMISSIONS,
    PAYMENT_REQUEST_CREATE,
)
from tests.conftest import TenantWorld
from tests.cross.test_tenant_isolation import OBJECT_FACTORIES, ROUTES
from tests.factories import MembershipFactory, PermissionProfileFactory, TenantFactory, UserFactory, api_token_key
from tests.isolation import Route
from tests.notifications.factories import make_link
from tests.payment_requests import isolation as payment_request_isolation

ALLOWED, FORBIDDEN, LOGIN, NOT_ALLOWED = "allowed", "403", "login", "405"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Access:
    """Who may use an action: everyone, members, admins, or members holding one permission."""

    kind: str  # "public" | "user" | "member" | "admin" | "perm" | "fixed"
    perm: str = ""  # the permission code of "perm", the outcome of "fixed"
    before_method: bool = False  # "perm" checked before the method (DRF permission_classes, a dispatch check)

    def expected(self, role: str) -> str:
        if self.kind == "fixed":
            return self.perm
        if self.kind == "public":
            return ALLOWED
        if role == "anonymous":
            return LOGIN
        if self.kind == "user":  # the user's own account: anyone logged in, with or without a tenant
            return self.perm or ALLOWED
        if role == "outsider":
            return FORBIDDEN
        if role == "admin" or self.kind == "member":
            return ALLOWED
        if self.kind == "admin":
            return FORBIDDEN
        # "perm": with profiles off every member may; with profiles on only the profile holding it
        return ALLOWED if role in {"member", f"member+{self.perm}"} else FORBIDDEN


PUBLIC, USER, MEMBER, ADMIN = Access("public"), Access("user"), Access("member"), Access("admin")


def everyone(outcome: str) -> Access:
    """The same answer for every role (decided before any access check)."""
    return Access("fixed", outcome)


def own_account(outcome: str) -> Access:
    """Anonymous users go to the login; every logged-in user gets `outcome` (decided before any tenant check)."""
    return Access("user", outcome)


def perm(code: str, *, before_method: bool = False) -> Access:
    assert code in MEMBER_PERMISSIONS
    return Access("perm", code, before_method)


ROLES = ["anonymous", "outsider", "member", "member+none", *(f"member+{code}" for code in MEMBER_PERMISSIONS),
         "admin"]

# Default rule of each namespace ("" = the project's root urls). A route whose namespace is not here fails.
NAMESPACE_RULES = {
    "api": MEMBER,
    "deals": MEMBER,
    "imports": MEMBER,  # 案件インポート: every route is gated by 「案件のインポート」 (ROUTE_RULES)
    "invoices": MEMBER,
    "core": MEMBER,
    "journals": MEMBER,
    "journal_sync": MEMBER,
    "payment_requests": MEMBER,
    "notifications": MEMBER,
    "sandbox": ADMIN,  # the sandbox consoles (client secrets, LINE WORKS private keys, fault switches)
    "tenancy": ADMIN,
    "integrations": ADMIN,
}

# Overrides: a rule for every method of the route, or {method: rule}.
ROUTE_RULES: dict[str, Access | dict[str, Access]] = {
    # the project's root
    "home": MEMBER,
    "healthz": PUBLIC,
    # operators' Prometheus endpoint: a bearer token, not a session; without METRICS_TOKEN (as here) a 404
    # (tests/core/test_queues.py covers the token)
    "metrics": {"GET": everyone("404"), "POST": everyone(NOT_ALLOWED)},
    "login": PUBLIC,
    "logout": {"POST": everyone(LOGIN), "GET": everyone(NOT_ALLOWED)},  # POST logs out, to the login page
    "api-schema": PUBLIC,
    "api-docs": PUBLIC,
    "api:token": {"POST": PUBLIC, "DELETE": MEMBER},  # DELETE revokes the token used (a session: 400)
    # accounts (django-allauth): the pages before login are public; the user's own account is any logged-in user's.
    # allauth's views take GET and POST; most answer other methods only after their own decorators (redirects).
    "account_login": everyone(LOGIN),  # redirects to /login/ (whatever the method)
    "account_logout": {"POST": everyone(LOGIN), "GET": everyone(NOT_ALLOWED)},
    "account_inactive": PUBLIC,
    "account_signup": PUBLIC,  # 新規登録 (logged-in users are sent on to the home page)
    "account_email_verification_sent": {"GET": PUBLIC, "POST": everyone(NOT_ALLOWED)},
    "account_confirm_email": {"GET": PUBLIC, "POST": everyone("404")},  # a stale or forged key: the page says so
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": everyone(ALLOWED),  # a stale or forged key: the page says so
    "account_reset_password_from_key_done": PUBLIC,
    **{name: USER for name in ("account_reauthenticate", "account_email", "account_change_password",
                               "mfa_index", "usersessions_list", "accounts:profile", "accounts:token_revoke")},
    # a redirect decided before the method: the 2nd login step without a pending login (to the login page), a
    # recent-password check (to 再確認), a user who has a password (to 変更)
    **{name: {"GET": USER, "POST": USER, "DELETE": own_account(ALLOWED)}
       for name in ("mfa_authenticate", "mfa_reauthenticate", "mfa_activate_totp", "mfa_generate_recovery_codes",
                    "account_set_password")},
    # the matrix's users have no authenticator app: allauth answers 404 (nothing to deactivate, no codes)
    **{name: own_account("404") for name in ("mfa_deactivate_totp", "mfa_download_recovery_codes")},
    "mfa_view_recovery_codes": {"GET": own_account("404"), "POST": USER},
    # accounts: invitations, member actions and 退会 are admin screens; the invitation link is anyone's (a stale
    # or forged one answers 400 with its explanation); the page after 退会 needs no login
    "accounts:invitation_accept": PUBLIC,
    "accounts:leave_done": PUBLIC,
    **{name: ADMIN for name in ("accounts:invitation_list", "accounts:invitation_resend", "accounts:invitation_revoke",
                                "accounts:membership_deactivate", "accounts:membership_reactivate",
                                "accounts:membership_remove", "accounts:leave", "accounts:export",
                                "accounts:export_download")},
    # the sandbox mailbox: no login (a new user reads their verification mail there); an unknown message is a 404
    "sandbox:mailbox": PUBLIC,
    "sandbox:mailbox-message": {"GET": everyone("404"), "POST": everyone(NOT_ALLOWED)},
    # tenancy: switching tenants is for anyone logged in with a membership
    # tenancy: switching takes POST only (405 first); without a tenant of the user's it is a 404 for everyone
    "tenancy:switch": {"POST": everyone("404"), "GET": everyone(NOT_ALLOWED)},
    # core
    "core:audit_list": ADMIN,
    # deals
    "deals:type_list": ADMIN,
    # invoices: issuing needs 「freee請求書の作成」 (seed 000); with profiles on, admins need it too (see
    # test_with_profiles_on_admins_need_the_invoice_grant_too: the matrix's admin is in a tenant without profiles)
    "invoices:settings": ADMIN,
    "invoices:issue": perm(FREEE_INVOICE_CREATE),
    "invoices:resync": perm(FREEE_INVOICE_CREATE),
    "invoices:retry": perm(FREEE_INVOICE_CREATE),
    "invoices:cancel": perm(FREEE_INVOICE_CREATE),
    "invoices:uncancel": perm(FREEE_INVOICE_CREATE),
    "api:deal-invoices": {"GET": MEMBER, "POST": perm(FREEE_INVOICE_CREATE)},
    "api:invoice-resync": perm(FREEE_INVOICE_CREATE),
    "api:invoice-retry": perm(FREEE_INVOICE_CREATE),
    "api:invoice-cancel": perm(FREEE_INVOICE_CREATE),
    "api:invoice-uncancel": perm(FREEE_INVOICE_CREATE),
    # integrations: the OAuth callback comes back to the admin who connected
    "integrations:freee_callback": ADMIN,
    # settings screens of the later apps (observed 2026-11-21: admins only)
    "payment_requests:settings": ADMIN,
    "payment_requests:settings_mirror": ADMIN,
    "payment_requests:settings_import_routes": ADMIN,
    "payment_requests:settings_freee_users": ADMIN,
    "payment_requests:route_create": ADMIN,
    "notifications:link_list": ADMIN,
    "notifications:link_create": ADMIN,
    "notifications:delivery_list": ADMIN,
    "journals:masters_import": ADMIN,
    "journals:settings": ADMIN,
    "journal_sync:settings": ADMIN,
    # the LINE WORKS bot callback: no login, but a request without a valid signature is a 403 for everyone
    "notifications:lineworks_callback": {"POST": everyone(FORBIDDEN), "GET": everyone(NOT_ALLOWED)},
    # payment_requests: member pages; who may act on a request is decided inside (a message on the page)
    "payment_requests:route_edit": ADMIN,
    "payment_requests:route_delete": ADMIN,
    # the API answers those rules with a 403: 支払登録 is for admins; a request is deleted by its applicant
    # (the matrix's requests are filed by the admin), so every other member gets 403
    "api:payment-request-pay": {"GET": MEMBER, "POST": ADMIN, "DELETE": ADMIN},
    "api:payment-request-detail": {"GET": MEMBER, "PUT": MEMBER, "PATCH": MEMBER, "DELETE": ADMIN},
    # notifications: LINE WORKS links and failed deliveries are admin settings screens
    "notifications:link_update": ADMIN,
    "notifications:link_test": ADMIN,
    "notifications:link_delete": ADMIN,
    "notifications:delivery_retry": ADMIN,
    # journals API: masters are read by members, written by admins
    **{name: {"GET": MEMBER, "POST": ADMIN} for name in ("api:account-item-list", "api:tax-code-list",
                                                         "api:wallet-list")},
    **{name: {"GET": MEMBER, "PUT": ADMIN, "PATCH": ADMIN} for name in ("api:account-item-detail",
                                                                        "api:tax-code-detail",
                                                                        "api:wallet-detail")},
    # ledger sync (「会計連携」) and CSV export (「CSV出力」)
    "invoices:ledger_sync": perm(LEDGER_SYNC),
    "journal_sync:record_list": {"GET": MEMBER, "POST": perm(LEDGER_SYNC)},  # POST: bulk 再連携 / 削除
    "journal_sync:export": perm(LEDGER_SYNC, before_method=True),  # checked in dispatch
    "api:sync-settings": ADMIN,
    "api:sync-record-detail": {"GET": MEMBER, "DELETE": perm(LEDGER_SYNC)},
    "api:sync-record-resync": perm(LEDGER_SYNC),
    "api:sync-record-bulk-resync": perm(LEDGER_SYNC),
    "api:sync-record-bulk-delete": perm(LEDGER_SYNC),
    "api:sync-export": perm(LEDGER_SYNC, before_method=True),  # DRF permission_classes run before the method
    "api:trade-lines-csv": perm(CSV_EXPORT, before_method=True),
    "deals:csv": perm(CSV_EXPORT),
    "api:deal-export": perm(CSV_EXPORT, before_method=True),
    **{name: perm(DEAL_IMPORT, before_method=True)  # checked in dispatch, before the method
       for name in ("imports:upload", "imports:mapping_list", "imports:mapping_delete", "imports:mapping",
                    "imports:status", "imports:report")},
    "api:deal-external": perm(DEAL_IMPORT, before_method=True),
    "api:deal-external-bulk": perm(DEAL_IMPORT, before_method=True),
}

# Permissions declared in tenancy.permissions and where the code enforces them now (checked below, so this
# list cannot drift from the code silently).
ENFORCED_PERMISSIONS = {
    FREEE_INVOICE_CREATE: {"invoices:issue", "invoices:resync", "invoices:retry", "invoices:cancel",
                           "invoices:uncancel", "api:deal-invoices", "api:invoice-resync", "api:invoice-retry",
                           "api:invoice-cancel", "api:invoice-uncancel"},
    # creating a payment request (payment_requests.services) is a business answer inside member pages: the
    # matrix's empty requests never reach it (tests/payment_requests cover it)
    PAYMENT_REQUEST_CREATE: set(),
    LEDGER_SYNC: {"invoices:ledger_sync", "journal_sync:record_list", "journal_sync:export", "api:sync-record-detail",
                  "api:sync-record-resync", "api:sync-record-bulk-resync", "api:sync-record-bulk-delete",
                  "api:sync-export"},
    # also the page's CSV download (journal_sync:export with ?format=csv), which the matrix does not request
    CSV_EXPORT: {"api:trade-lines-csv", "deals:csv", "api:deal-export"},
    DEAL_IMPORT: {"imports:upload", "imports:mapping_list", "imports:mapping_delete", "imports:mapping", "imports:status",
                  "imports:report", "api:deal-external", "api:deal-external-bulk"},
}

DJANGO_AUTH_VIEWS = {"login", "account_login", "account_signup"}  # logged-in users are redirected first
MATRIX_ROUTES = [r for r in ROUTES if r.name not in {"api:api-root"}]


# The isolation factories make one object of tenant B per test; the matrix makes one per role in the acting
# tenant, so the factories whose objects must be unique (names, domain ids, event keys) or that act as the
# world's member (who has no profile in the profiled tenant) get a repeatable variant here.
_serial = itertools.count(1)


def _profile(world: TenantWorld):
    return PermissionProfileFactory(tenant=world.tenant)


def _link(world: TenantWorld):
    return make_link(world.tenant, domain_id=str(48000000 + next(_serial)))


def _delivery(world: TenantWorld):
    event = events.emit(tenant=world.tenant, kind=events.INVOICE_ISSUED, recipients=[world.admin],
                        key=f"matrix:{next(_serial)}", payload={"title": "通知", "text": "", "url": "/"})
    return Delivery.objects.create(tenant=world.tenant, event=event, recipient=world.admin,
                                   status=Delivery.Status.DEAD, last_error="失敗")


def _payment_request(world: TenantWorld):
    # the applicant is the tenant's admin: every member role meets a request it did not file
    return payment_request_isolation._request(replace(world, member=world.admin))


def _own_api_token(user):
    """A token of the acting user: the only kind they may read or revoke (another user's is a 404)."""
    from core.models import ApiToken

    return ApiToken.objects.get(prefix=api_token_key(user)[:8])


# Objects that belong to a user rather than to a tenant: made for the acting role's user.
MATRIX_USER_FACTORIES = {"api:token-detail": _own_api_token, "accounts:token_revoke": _own_api_token}

MATRIX_FACTORIES = {
    "tenancy:permission_profile_update": _profile,
    "tenancy:permission_profile_delete": _profile,
    **{name: _link for name in ("notifications:link_update", "notifications:link_test", "notifications:link_delete")},
    "notifications:delivery_retry": _delivery,
    **{name: _payment_request for name in payment_request_isolation.REQUEST_ROUTES},
}


def make_object(route: Route, world: TenantWorld, user=None):
    if route.name in MATRIX_USER_FACTORIES:
        return MATRIX_USER_FACTORIES[route.name](user or world.member)
    factory = MATRIX_FACTORIES.get(route.name) or OBJECT_FACTORIES[route.name][0]
    return factory(world)


def _namespace(route: Route) -> str:
    return route.name.rsplit(":", 1)[0] if ":" in route.name else ""


def rule_for(route: Route, method: str) -> Access | None:
    rule = ROUTE_RULES.get(route.name, NAMESPACE_RULES.get(_namespace(route)))
    if isinstance(rule, dict):
        return rule.get(method) or rule.get("GET") or rule.get("POST")
    return rule


def _declared_methods(view) -> set[str] | None:
    """The methods a view takes: DRF actions, class-based handlers, or require_http_methods' list."""
    cls = getattr(view, "cls", None)
    if cls is not None:
        actions = getattr(view, "actions", None)
        if actions:  # the router's map, less what the viewset refuses (http_method_names answers 405 first)
            return {m.upper() for m in actions if m in cls.http_method_names}
        return {m.upper() for m in cls.http_method_names if hasattr(cls, m) and m not in {"options", "head"}}
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)
                and m not in {"options", "head"}}
    func = view
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (list, tuple, set)) and value and all(
                    isinstance(m, str) and m.upper() in HTTP_METHODS for m in value):
                return {m.upper() for m in value}
        func = getattr(func, "__wrapped__", None)
    return None


def methods_to_test(route: Route) -> list[tuple[str, bool]]:
    """(method, taken by the view): every method the view takes, plus one it refuses (405)."""
    view = resolve(route.url(**{k: "00000000-0000-0000-0000-000000000000" for k in route.kwargs})).func
    taken = _declared_methods(view)
    if taken is None:  # a plain function view answers every method
        return [("GET", True), ("POST", True)]
    candidates = ["GET", "POST"] if not route.is_api else list(HTTP_METHODS)
    refused = next((m for m in (*candidates, "DELETE") if m not in taken), None)
    if route.name in DJANGO_AUTH_VIEWS:
        refused = None  # Django's own views: redirect_authenticated_user answers before the method check
    return [(m, True) for m in HTTP_METHODS if m in taken] + ([(refused, False)] if refused else [])


ACTIONS = [(route, method, taken) for route in MATRIX_ROUTES for method, taken in methods_to_test(route)]


def test_every_route_has_a_rule():
    missing = sorted({r.name for r, method, taken in ACTIONS if taken and rule_for(r, method) is None})
    assert not missing, f"add these routes to the permissions matrix (ROUTE_RULES or NAMESPACE_RULES): {missing}"


def test_every_member_permission_is_listed_with_where_it_is_enforced():
    assert set(ENFORCED_PERMISSIONS) == set(MEMBER_PERMISSIONS)
    for code, routes in ENFORCED_PERMISSIONS.items():
        for name in routes:
            rules = ROUTE_RULES[name]
            rules = rules.values() if isinstance(rules, dict) else [rules]
            assert any(r.kind == "perm" and r.perm == code for r in rules), f"{name} must be gated by {code}"
    gated = {name for name, rules in ROUTE_RULES.items()
             for rule in (rules.values() if isinstance(rules, dict) else [rules]) if rule.kind == "perm"}
    assert gated == set().union(*ENFORCED_PERMISSIONS.values())


# --------------------------------------------------------------------------- the people


@dataclass
class MatrixPeople:
    plain: TenantWorld  # a tenant without permission profiles: admin, member, outsider
    profiled: TenantWorld  # a tenant using profiles; its `member` has no profile
    with_perm: dict[str, object]  # code -> a member of `profiled` whose profile grants only that code

    def user(self, role: str):
        if role == "admin":
            return self.plain.admin
        if role == "member":
            return self.plain.member
        if role == "outsider":
            return self.plain.outsider
        if role == "member+none":
            return self.profiled.member
        return self.with_perm[role.removeprefix("member+")]

    def world(self, role: str) -> TenantWorld:
        return self.profiled if role.startswith("member+") else self.plain


def _tenant_world(label: str, *, profiles: bool) -> TenantWorld:
    tenant = TenantFactory(name=f"権限{label}株式会社", uses_permission_profiles=profiles)
    admin = MembershipFactory(tenant=tenant, user=UserFactory(username=f"perm_admin_{label}"),
                              role=Membership.Role.ADMIN)
    member = MembershipFactory(tenant=tenant, user=UserFactory(username=f"perm_member_{label}"))
    return TenantWorld(tenant, admin.user, member.user, UserFactory(username=f"perm_outsider_{label}"), admin, member)


@pytest.fixture
def people(db) -> MatrixPeople:
    plain = _tenant_world("O", profiles=False)
    profiled = _tenant_world("P", profiles=True)
    with_perm = {}
    for code in MEMBER_PERMISSIONS:
        profile = PermissionProfileFactory(tenant=profiled.tenant, name=f"only {code}", permissions=[code])
        with_perm[code] = MembershipFactory(tenant=profiled.tenant, permission_profile=profile,
                                            user=UserFactory(username=f"perm_{code}")).user
    return MatrixPeople(plain, profiled, with_perm)


def outcome_of(response, route: Route) -> str:
    status = response.status_code
    assert status < 500, f"{response.request['REQUEST_METHOD']} {response.request['PATH_INFO']} -> {status}"
    if status == 401 or (status == 302 and response["Location"].startswith(("/login/", "/account/login/"))):
        return LOGIN
    if status in {403, 405}:
        return str(status)
    if status < 400 or status in {400, 409}:
        return ALLOWED
    return str(status)


def _request(client: Client, method: str, url: str):
    """An empty request: enough to pass or fail the access checks, which run before any input is read."""
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        return client.generic(method, url, data="{}", content_type="application/json")
    return client.generic(method, url, data="", content_type="application/x-www-form-urlencoded")


@pytest.fixture
def no_vendor():
    """Actions that call a vendor (接続テスト of a LINE WORKS link, say) get a refused connection from `responses`:
    the matrix is about who may act, and no test may reach a server it did not start (tests/netguard.py)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False):
        yield


@pytest.mark.parametrize(("route", "method", "taken"), ACTIONS,
                         ids=[f"{r.name}-{m}" for r, m, _ in ACTIONS])
def test_permissions_matrix(route, method, taken, people, no_vendor):
    rule = rule_for(route, method)
    if rule is None:
        pytest.fail(f"add {route.name} to the permissions matrix")
    if route.is_object_route and route.name not in OBJECT_FACTORIES:
        pytest.fail(f"add {route.name} to OBJECT_FACTORIES (tests/<app>/isolation.py)")
    expected, actual = {}, {}
    for role in ROLES:
        want = rule.expected(role)
        if not taken and rule.kind == "perm" and not rule.before_method and role not in {"anonymous", "outsider"}:
            want = NOT_ALLOWED  # the method is refused before the permission is looked at
        elif not taken and want == ALLOWED and rule.kind != "fixed" and not (rule.kind == "user" and rule.perm):
            want = NOT_ALLOWED
        expected[role] = want
        client = Client()
        if role != "anonymous":
            client.force_login(people.user(role))
        if route.is_object_route:
            obj = make_object(route, people.world(role), None if role == "anonymous" else people.user(role))
            url = route.url(**{k: obj.public_id for k in route.kwargs})
        else:
            url = route.url()
        actual[role] = outcome_of(_request(client, method, url), route)
    assert actual == expected, f"{method} {route.template}: {actual} != expected {expected}"


# --------------------------------------------------------------------------- the invoice grant and admins

# seed 000: with profiles on, *only* users whose profile grants 「freee請求書の作成」 may issue — admins included
# (invoices.services.can_issue), unlike the other member permissions, which admins always hold.
INVOICE_ACTIONS = [(route, method) for route, method, taken in ACTIONS
                   if taken and rule_for(route, method) == perm(FREEE_INVOICE_CREATE)]


def test_the_invoice_grant_rows_cover_every_route_that_enforces_it():
    assert {route.name for route, _method in INVOICE_ACTIONS} == ENFORCED_PERMISSIONS[FREEE_INVOICE_CREATE]


@pytest.mark.parametrize(("route", "method"), INVOICE_ACTIONS, ids=[f"{r.name}-{m}" for r, m in INVOICE_ACTIONS])
def test_with_profiles_on_admins_need_the_invoice_grant_too(route, method, people):
    admin = people.profiled.admin_membership
    outcomes = []
    for profile in (None, PermissionProfileFactory(tenant=people.profiled.tenant, name="請求書作成",
                                                   permissions=[FREEE_INVOICE_CREATE])):
        admin.permission_profile = profile
        admin.save()
        client = Client()
        client.force_login(admin.user)
        obj = make_object(route, people.profiled) if route.is_object_route else None
        url = route.url(**{k: obj.public_id for k in route.kwargs}) if obj else route.url()
        outcomes.append(outcome_of(_request(client, method, url), route))
    assert outcomes == [FORBIDDEN, ALLOWED], f"{method} {route.template}: without, with the grant"
