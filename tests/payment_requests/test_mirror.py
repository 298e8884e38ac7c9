"""The freee mirror against the sandbox over real HTTP (and a rate limit with `responses`)."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from core.errors import ApplicationError
from integrations.models import FreeeConnection
from integrations.sandbox.api.payment_requests import sandbox_payment_requests_set_available
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import resource_save, sandbox_faults_set
from journals.sync.models import SyncRecord, SyncSettings
from payment_requests import mirror, selectors, services
from payment_requests.models import ApprovalFlowRoute, PaymentRequest
from tests.payment_requests.factories import act, flow_for, request_input

pytestmark = pytest.mark.django_db(transaction=True)


def _remote_requests(company) -> list[dict]:
    return [r.data for r in SandboxResource.objects.filter(company=company, kind="payment_request")]


@pytest.fixture
def mirrored(sandbox, world_a):
    """world_a with the mirror on, freee's payment route imported and its steps given local approvers."""
    company, _connection = sandbox
    flow = flow_for(world_a)
    admin = flow.membership("admin")
    mirror.mirror_enable(tenant=flow.tenant, membership=admin, enabled=True)
    messages = mirror.routes_import(tenant=flow.tenant, membership=admin)
    assert messages == ["「支払依頼（経理承認）」を取り込みました。"]
    route = ApprovalFlowRoute.objects.get(tenant=flow.tenant, freee_route_id__isnull=False)
    services.route_save(tenant=flow.tenant, membership=admin, route=route, name=route.name, description="",
                        usages=route.usages, steps=[services.StepInput("predefined_user", [flow.approver1]),
                                                    services.StepInput("unspecified")])
    services.form_setting_save(tenant=flow.tenant, membership=admin, required_fields=[],
                               usable_routes=[route, flow.route], default_route=route)
    account = SandboxResource.objects.get(company=company, kind="account_item", data__name="外注費").data
    flow.expense_account.freee_id = account["id"]
    flow.expense_account.save()
    return flow, route, company


def _create(flow, route, **overrides):
    return services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                           data=request_input(flow, route=route, **overrides))


def test_create_and_each_action_are_mirrored_with_freees_step_and_round(mirrored):
    flow, route, company = mirrored
    request = _create(flow, route)
    assert request.mirror_state == "pending" and request.mirror_pending == [{"op": "create"},
                                                                            {"op": "update", "draft": False}]
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    (remote,) = _remote_requests(company)
    assert (request.mirror_state, request.freee_id, remote["status"]) == ("done", remote["id"], "in_progress")
    assert request.mirror_reference in remote["description"]
    assert remote["payment_request_lines"][0]["account_item_id"] == flow.expense_account.freee_id
    assert request.lines.get().freee_line_id == remote["payment_request_lines"][0]["id"]

    act(flow, request, "approver", "approve")
    mirror.mirror_push(request_id=request.pk)
    (remote,) = _remote_requests(company)
    second_step = route.ordered_steps()[1].freee_step_id
    assert (remote["current_step_id"], remote["approval_flow_logs"][-1]["action"]) == (second_step, "approve")
    request.refresh_from_db()
    assert request.mirror_state == "done" and request.mirror_pending == []


def test_a_timeout_after_freee_created_the_request_still_leaves_exactly_one(mirrored, settings):
    flow, route, company = mirrored
    settings.FREEE_TIMEOUT_SECONDS = 1
    sandbox_faults_set(company, timeout_after_create=3)
    request = _create(flow, route, draft=True)
    with pytest.raises(mirror.RetryLater):
        mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    assert request.mirror_state == "needs_check" and len(_remote_requests(company)) == 1
    for _ in range(3):  # 再試行 pressed again and again, and the task retrying too
        mirror.mirror_retry(payment_request=request, membership=flow.membership("applicant"))
        mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    remote = _remote_requests(company)
    assert len(remote) == 1 and request.freee_id == remote[0]["id"]
    assert (request.mirror_state, request.mirror_attempts) == ("done", 1)


def test_a_refusal_is_shown_on_the_request_and_retry_sends_it_again(mirrored):
    flow, route, company = mirrored
    request = _create(flow, flow.route)  # a local route: freee cannot carry it
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    assert request.mirror_state == "error"
    assert "申請経路「経理承認（2段階）」はfreeeから取り込んだ経路ではない" in request.mirror_error
    assert _remote_requests(company) == []
    mirror.mirror_retry(payment_request=request, membership=flow.membership("applicant"))
    request.refresh_from_db()
    assert request.mirror_state == "needs_check"


def test_delete_is_mirrored(mirrored, django_capture_on_commit_callbacks):
    flow, route, company = mirrored
    request = _create(flow, route, draft=True)
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    mirror.mirror_delete(tenant_id=flow.tenant.pk, freee_id=request.freee_id)
    assert _remote_requests(company) == []
    mirror.mirror_delete(tenant_id=flow.tenant.pk, freee_id=request.freee_id)  # already gone: no error


def test_statuses_are_pulled_back_and_an_approval_in_freee_books_the_trade(mirrored):
    flow, route, company = mirrored
    SyncSettings.objects.update_or_create(tenant=flow.tenant, defaults={"auto_sync": True})
    request = _create(flow, route)
    mirror.mirror_push(request_id=request.pk)
    (remote,) = _remote_requests(company)
    remote.update(status="approved", deal_id=4242, deal_status="unsettled")
    resource_save(company=company, kind="payment_request", data=remote)
    assert mirror.mirror_pull(tenant=flow.tenant) == 1
    request.refresh_from_db()
    assert (request.status, request.freee_deal_id, request.booked_as) == ("approved", 4242, "trade")
    assert SyncRecord.objects.filter(document_type="payment_request", document_id=request.pk).exists()


def test_a_company_signed_up_from_july_2024_is_explained(sandbox, world_a):
    company, _connection = sandbox
    flow = flow_for(world_a)
    sandbox_payment_requests_set_available(company, False)
    with pytest.raises(ApplicationError) as error:
        mirror.mirror_enable(tenant=flow.tenant, membership=flow.membership("admin"), enabled=True)
    assert "2024年7月以降にfreee会計・freee経理・freee支出管理を契約した事業所" in error.value.message
    assert not selectors.form_setting_for(tenant=flow.tenant).mirror_to_freee


def test_routes_with_conditional_branches_are_refused(sandbox, world_a):
    company, _connection = sandbox
    flow = flow_for(world_a)
    step = {"id": 99901, "next_step_id": None, "resource_type": "switchable", "users_ids": [],
            "approver_determination_type": None, "group": None, "position_types": [], "switching_rules": []}
    resource_save(company=company, kind="approval_flow_route", data={
        "id": 99900, "name": "金額で分岐", "description": "", "user_id": None, "definition_system": False,
        "first_step_id": 99901, "usages": ["PaymentRequest"], "request_form_ids": [], "default_route": False,
        "steps": [step]})
    messages = mirror.routes_import(tenant=flow.tenant, membership=flow.membership("admin"))
    assert any(m.startswith("「金額で分岐」は取り込めません: 条件分岐を含む申請経路は支払依頼APIで利用できません。")
               for m in messages)
    assert not ApprovalFlowRoute.objects.filter(tenant=flow.tenant, freee_route_id=99900).exists()


def _connected(world_a, settings):
    """world_a connected to a freee at api.freee.co.jp, answered by `responses`."""
    settings.FREEE_API_URL = "https://api.freee.co.jp"
    FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id="cid", client_secret="secret", company_id=1,
        access_token="access", refresh_token="refresh", access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED, daily_cap=FreeeConnection.DailyCap.ENTERPRISE)


@pytest.mark.django_db
def test_a_rate_limited_create_waits_and_creates_nothing(world_a, settings):
    _connected(world_a, settings)
    flow = flow_for(world_a)
    ApprovalFlowRoute.objects.filter(pk=flow.route.pk).update(freee_route_id=71)
    flow.expense_account.freee_id = 501
    flow.expense_account.save()
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow, draft=True))
    PaymentRequest.objects.filter(pk=request.pk).update(mirror_state="pending", mirror_pending=[{"op": "create"}],
                                                        mirror_reference="hub-pr-test")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.post("https://api.freee.co.jp/api/1/payment_requests", status=429,
                    json={"status_code": 429, "meta": {"limit": 10, "period": 1, "remaining": 0}},
                    headers={"Retry-After": "40"})
        with pytest.raises(mirror.RetryLater) as later:
            mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    assert request.mirror_state == "pending" and later.value.retry_after >= 1
    assert request.mirror_pending == [{"op": "create"}] and request.freee_id is None


@pytest.mark.django_db
def test_a_rate_limited_delete_asks_to_be_retried_after_freees_wait(world_a, settings):
    _connected(world_a, settings)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.delete("https://api.freee.co.jp/api/1/payment_requests/321", status=429,
                      json={"status_code": 429, "meta": {"limit": 10, "period": 1, "remaining": 0}},
                      headers={"Retry-After": "40"})
        with pytest.raises(mirror.RetryLater) as later:
            mirror.mirror_delete(tenant_id=world_a.tenant.pk, freee_id=321)
    assert later.value.retry_after == 40


@pytest.mark.django_db
def test_a_delete_freee_could_not_answer_asks_to_be_retried_later(world_a, settings):
    _connected(world_a, settings)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.delete("https://api.freee.co.jp/api/1/payment_requests/321", status=503, json={"message": "down"})
        with pytest.raises(mirror.RetryLater) as later:
            mirror.mirror_delete(tenant_id=world_a.tenant.pk, freee_id=321)
    assert later.value.retry_after == mirror.TRANSIENT_WAIT
