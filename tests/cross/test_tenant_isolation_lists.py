"""Tenant isolation beyond object URLs: lists, filters, exports, the sandbox console and the X-Tenant header.

Tenant B gets one of every object the isolation walk knows (OBJECT_FACTORIES, each with a secret text); then
every list page and list endpoint of the project (every route without an object id, from the URL resolver) is
read by tenant A's admin and member, plain and with B's ids in the usual filter parameters: no answer may
contain any of B's secrets, and none may be a 5xx.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from tests.cross.test_tenant_isolation import OBJECT_FACTORIES, PLAIN_ROUTES, PUBLIC_ROUTES, ROUTES
from tests.factories import DealFactory, JobFactory
from tests.sandbox.factories import SECRET_APP_NAME, make_sandbox_app

# Query parameters list pages and endpoints filter by; each gets B's ids (and B's secret as free text).
FILTER_PARAMETERS = ("deal", "deal_type", "owner", "invoice", "partner", "tenant", "job", "account_item",
                     "wallet", "trade", "route", "applicant", "user", "member", "document", "target", "q")

LIST_ROUTES = [r for r in PLAIN_ROUTES if r.name not in PUBLIC_ROUTES | {"tenancy:switch", "api:api-root"}]


def _secret_text(secret: str, obj) -> str:
    return obj.name if secret == "案件タイプ" else secret  # deal types carry their own generated name


@pytest.fixture
def b_secrets(world_b) -> dict[str, str]:
    """One object of B per secret text of the isolation walk's factories: route name -> the secret text.

    Factories sharing a secret make the same kind of object (and may use fixed names), so one per secret."""
    by_secret: dict[str, list[str]] = {}
    for name, (_make, secret) in OBJECT_FACTORIES.items():
        by_secret.setdefault(secret, []).append(name)
    secrets = {}
    for secret, names in by_secret.items():
        errors = []
        for name in names:
            try:
                with transaction.atomic():
                    obj = OBJECT_FACTORIES[name][0](world_b)
            except Exception as error:  # noqa: BLE001 - try the next factory of the same kind
                errors.append(f"{name}: {error!r}")
                continue
            secrets[name] = _secret_text(secret, obj)
            break
        else:
            pytest.fail(f"no factory could make B's object with {secret!r}: {errors}")
    return secrets


def _b_ids(world_b) -> dict[str, str]:
    deal = DealFactory(tenant=world_b.tenant, name="他テナントの秘密案件")
    return {"deal": deal.public_id, "deal_type": deal.deal_type.public_id, "owner": world_b.member.pk,
            "tenant": world_b.tenant.public_id, "job": JobFactory(tenant=world_b.tenant).public_id,
            "user": world_b.member.pk, "member": world_b.member_membership.public_id}


def _assert_no_secret(response, secrets: dict[str, str], what: str) -> None:
    assert response.status_code < 500, f"{what} -> {response.status_code}"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode(errors="replace")
    leaked = {name: s for name, s in secrets.items() if s in text}
    assert not leaked, f"{what} leaked B's data: {leaked}"
    disposition = response.get("Content-Disposition", "")
    assert not any(s in disposition for s in secrets.values()), f"{what}: file name {disposition!r}"


@pytest.mark.parametrize("route", LIST_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("who", ["admin", "member"])
def test_lists_and_their_filters_never_show_another_tenants_data(route, who, world_a, world_b, b_secrets):
    ids = {**_b_ids(world_b)}
    client = world_a.client(who)
    _assert_no_secret(client.get(route.url()), b_secrets, f"GET {route.template}")
    for parameter in FILTER_PARAMETERS:
        value = ids.get(parameter, ids["deal"]) if parameter != "q" else "他テナントの秘密"
        url = f"{route.url()}?{parameter}={value}"
        _assert_no_secret(client.get(url), b_secrets, f"GET {url}")


@pytest.mark.parametrize("url", ["/deals/export.csv", "/api/v1/deals/export/"])
def test_the_deal_csv_never_contains_another_tenants_rows_or_names(url, world_a, world_b):
    DealFactory(tenant=world_a.tenant, name="自テナントの案件")
    foreign = DealFactory(tenant=world_b.tenant, name="他テナントの秘密案件", partner_name="他テナントの秘密取引先")
    client = world_a.client("member")
    for query in ("", f"?deal_type={foreign.deal_type.public_id}", "?q=他テナント", f"?owner={world_b.member.pk}"):
        response = client.get(url + query)
        assert response.status_code in {200, 400}, f"{url}{query} -> {response.status_code}"
        body = b"".join(response.streaming_content).decode("utf-8-sig") if response.streaming else \
            response.content.decode()
        assert "他テナントの秘密" not in body
        if response.status_code == 200 and not query:
            assert "自テナントの案件" in body  # the export works: A's own row is there
        disposition = response.get("Content-Disposition", "")
        for text in (world_b.tenant.name, str(world_b.tenant.public_id), world_a.tenant.name, foreign.name):
            assert text not in disposition, f"{url}: file name {disposition!r} carries tenant data"


def test_job_progress_and_job_lists_of_another_tenant_are_invisible(world_a, world_b):
    job = JobFactory(tenant=world_b.tenant, kind="secret.kind", error="他テナントの秘密エラー")
    client = world_a.client("member")
    assert client.get(f"/jobs/{job.public_id}/progress/").status_code == 404
    assert client.get(f"/api/v1/jobs/{job.public_id}/").status_code == 404
    for url in ("/jobs/", "/api/v1/jobs/", f"/api/v1/jobs/?kind={job.kind}"):
        response = client.get(url)
        assert response.status_code == 200
        assert "他テナントの秘密エラー" not in response.content.decode()
        assert str(job.public_id) not in response.content.decode()


def test_sandbox_console_shows_only_the_tenants_own_apps(world_a, world_b):
    foreign = make_sandbox_app(world_b)
    page = world_a.client("admin").get("/sandbox/console/")
    assert page.status_code == 200
    assert SECRET_APP_NAME not in page.content.decode()
    assert foreign.client_id not in page.content.decode()
    own = world_b.client("admin").get("/sandbox/console/")
    assert SECRET_APP_NAME in own.content.decode()  # the page does list apps: B sees its own


API_ROUTES = [r for r in ROUTES if r.is_api and r.name not in PUBLIC_ROUTES | {"api:api-root"}]


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_x_tenant_header_of_another_tenant_is_refused_with_the_error_body(route, world_a, world_b, b_secrets):
    """A user of A naming B's tenant in X-Tenant never acts in B: 403/404 with the error body, no B data."""
    client = Client(HTTP_X_TENANT=str(world_b.tenant.public_id))
    client.force_login(world_a.member)
    if route.is_object_route:
        make = OBJECT_FACTORIES[route.name][0]
        url = route.url(**{k: make(world_b).public_id for k in route.kwargs})
    else:
        url = route.url()
    for method in ("get", "post"):
        response = getattr(client, method)(url, content_type="application/json") if method == "post" \
            else client.get(url)
        assert response.status_code in {403, 404, 405}, f"{method.upper()} {url} -> {response.status_code}"
        if response.status_code != 405:
            body = response.json()
            assert set(body["error"]) >= {"code", "message", "details"}
        _assert_no_secret(response, b_secrets, f"{method.upper()} {url} with X-Tenant of B")


def test_switching_to_another_tenant_is_a_404_and_changes_nothing(world_a, world_b):
    DealFactory(tenant=world_b.tenant, name="他テナントの秘密案件")
    client = world_a.client("member")
    response = client.post("/tenant/switch/", {"tenant": str(world_b.tenant.public_id)})
    assert response.status_code == 404
    assert "他テナントの秘密案件" not in client.get("/deals/").content.decode()
