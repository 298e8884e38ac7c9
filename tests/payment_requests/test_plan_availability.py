"""Issue 14 item 19: 支払依頼機能は会計freeeの法人・エンタープライズプラン、法人・プロフェッショナルプランのみ利用可
(seed 004). A tenant whose freee company is on another plan gets the feature refused with that explanation, on
the pages and through the API; the sandbox freee refuses its payment_requests API the way freee does."""

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError
from integrations.freee.errors import Permanent
from integrations.models import FreeeConnection
from integrations.sandbox.services import sandbox_company_update
from payment_requests import mirror, services
from tests.payment_requests.factories import flow_for, make_request, request_input
from tests.sandbox.conftest import api, company, sandbox_app  # noqa: F401 - the sandbox API fixtures
from tests.sandbox.freee_schema import ACCOUNTING, assert_conforms, require_reference

pytestmark = pytest.mark.django_db

SEED = "支払依頼機能は会計freeeの以下のプランのみ利用できます: 法人・エンタープライズプラン、法人・プロフェッショナルプラン"


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _connect(flow, daily_cap: int) -> FreeeConnection:
    return FreeeConnection.objects.create(
        tenant=flow.tenant,
        client_id="cid",
        client_secret="secret",
        company_id=42,
        company_name="青葉商事株式会社",
        status=FreeeConnection.Status.CONNECTED,
        daily_cap=daily_cap,
    )


def test_a_plan_without_payment_requests_refuses_every_page_with_the_seed_explanation(flow):
    request = make_request(flow, "in_progress")
    _connect(flow, FreeeConnection.DailyCap.STANDARD)
    member, admin = _client(flow.world.member), _client(flow.world.admin)
    for client, url in [
        (member, reverse("payment_requests:list")),
        (member, reverse("payment_requests:create")),
        (member, reverse("payment_requests:detail", kwargs={"public_id": request.public_id})),
        (admin, reverse("payment_requests:settings")),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        page = response.content.decode()
        assert SEED in page and "青葉商事株式会社" in page, url
    response = member.post(
        reverse("payment_requests:comment", kwargs={"public_id": request.public_id}), {"comment": "確認お願いします"}
    )
    assert response.status_code == 403 and not request.comments.exists()


def test_a_plan_without_payment_requests_refuses_the_api_in_the_error_format(flow):
    request = make_request(flow, "draft")
    _connect(flow, FreeeConnection.DailyCap.STANDARD)
    client = _client(flow.world.member)
    for response in (
        client.get("/api/v1/payment_requests/"),
        client.get(f"/api/v1/payment_requests/{request.public_id}/"),
        client.get("/api/v1/approval_flow_routes/"),
        client.post("/api/v1/payment_requests/", {}, content_type="application/json"),
    ):
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "plan_unavailable" and error["message"].startswith(SEED)


def test_the_services_refuse_too(flow):
    _connect(flow, FreeeConnection.DailyCap.STANDARD)
    with pytest.raises(ApplicationError) as raised:
        services.payment_request_create(
            tenant=flow.tenant, membership=flow.membership("applicant"), data=request_input(flow)
        )
    assert (raised.value.http_status, raised.value.code) == (403, "plan_unavailable")


@pytest.mark.parametrize("daily_cap", [FreeeConnection.DailyCap.ADVANCE, FreeeConnection.DailyCap.ENTERPRISE])
def test_the_professional_and_enterprise_plans_have_the_feature(flow, daily_cap):
    _connect(flow, daily_cap)
    assert _client(flow.world.member).get(reverse("payment_requests:list")).status_code == 200
    assert make_request(flow, "in_progress").status == "in_progress"


def test_a_tenant_without_freee_runs_payment_requests_on_the_built_in_ledger(flow):
    assert _client(flow.world.member).get(reverse("payment_requests:list")).status_code == 200


# --------------------------------------------------------------------------- the sandbox freee


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_refuses_payment_requests_on_other_plans_in_freees_403_shape(sandbox, world_a):
    require_reference()
    freee_company, _connection = sandbox
    sandbox_company_update(company=freee_company, plan="standard")
    client = mirror.connected_client(world_a.tenant)
    with pytest.raises(Permanent) as raised:
        client.payment_requests_list(limit=1)
    assert (raised.value.status, raised.value.code) == (403, "freee_plan_limit")
    flow = flow_for(world_a)
    with pytest.raises(ApplicationError) as explained:  # turning the mirror on says why
        mirror.mirror_enable(tenant=flow.tenant, membership=flow.membership("admin"), enabled=True)
    assert "法人エンタープライズ・プロフェッショナル（アドバンス）プラン" in explained.value.message


def test_the_sandbox_403_conforms_to_freees_schema(api, company):  # noqa: F811 - the imported fixtures
    require_reference()
    sandbox_company_update(company=company, plan="starter")
    response = api.get("/api/1/payment_requests")
    assert response.status_code == 403
    assert_conforms(ACCOUNTING, "/api/1/payment_requests", "get", response)
    assert response.json()["code"] == "freee_plan_limit"
    sandbox_company_update(company=company, plan="advance")
    assert api.get("/api/1/payment_requests").status_code == 200
