"""Members ↔ freee users: the admin page (fetched live from the sandbox), and the mirror naming approvers of
申請時に指定 steps (approver_id / next_approver_id) from that mapping."""

from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone
from responses import matchers

from core.errors import ApplicationError
from integrations.freee.client import FreeeClient
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import resource_save
from payment_requests import mirror, services
from payment_requests.models import ApprovalFlowRoute, FreeeUserLink
from tests.freee import bodies
from tests.payment_requests.factories import act, flow_for, request_input

pytestmark = pytest.mark.django_db(transaction=True)
URL = "payment_requests:settings_freee_users"
UNMAPPED = "freeeのユーザーと対応付けられていない承認者がいます。支払依頼の設定で対応付けてください。"
STEP = {"users_ids": [], "approver_determination_type": None, "group": None, "position_types": [],
        "switching_rules": []}


def _freee_users(company) -> dict[str, int]:
    return {r.data["display_name"]: r.data["id"] for r in SandboxResource.objects.filter(company=company, kind="user")}


def _link(flow, user, freee_id: int) -> None:
    FreeeUserLink.objects.create(tenant=flow.tenant, user=user, freee_user_id=freee_id)


# --------------------------------------------------------------------------- the client method


@pytest.mark.django_db
def test_company_users_list_asks_for_the_connected_company_and_parses_the_users(world_a, settings):
    from integrations.models import FreeeConnection
    from tests.integrations.test_client_matrix import API, COMPANY_ID

    settings.FREEE_API_URL = API
    connection = FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id="cid", client_secret="secret", company_id=COMPANY_ID, access_token="a",
        refresh_token="r", access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.get(API + "/api/1/users", json=bodies.company_users(), match=[
            matchers.query_param_matcher({"company_id": str(COMPANY_ID), "limit": "3000"})])
        users = FreeeClient(connection).company_users_list()
    assert [u.label for u in users] == ["経理 花子", "ichiro@example.co.jp"]
    with pytest.raises(ValueError):
        FreeeClient(connection).company_users_list(limit=3001)


# --------------------------------------------------------------------------- the settings section


def test_admin_sees_members_and_the_sandbox_companys_users_and_saves_the_mapping(sandbox, world_a):
    company, _connection = sandbox
    flow = flow_for(world_a)
    freee = _freee_users(company)
    client = world_a.client("admin")
    page = client.get(reverse(URL), headers={"HX-Request": "true"})
    text = page.content.decode()
    assert page.status_code == 200 and "approver1_a" in text and "経理 花子" in text and "部長 一郎" in text
    field = f"member_{flow.approver1.pk}"
    answer = client.post(reverse(URL), {field: str(freee["経理 花子"])}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "freeeユーザーとの対応付けを保存しました。" in answer.content.decode()
    link = FreeeUserLink.objects.get(tenant=world_a.tenant)
    assert (link.user, link.freee_user_id, link.freee_display_name) == (flow.approver1, freee["経理 花子"], "経理 花子")
    client.post(reverse(URL), {field: ""}, headers={"HX-Request": "true"})
    assert not FreeeUserLink.objects.filter(tenant=world_a.tenant).exists()


def test_one_freee_user_cannot_be_two_members(sandbox, world_a):
    company, _connection = sandbox
    flow = flow_for(world_a)
    freee_id = str(_freee_users(company)["経理 花子"])
    answer = world_a.client("admin").post(reverse(URL), {f"member_{flow.approver1.pk}": freee_id,
                                                         f"member_{flow.approver2.pk}": freee_id})
    assert answer.status_code == 400
    assert "同じfreeeのユーザーを複数のメンバーに対応付けることはできません。" in answer.content.decode()
    assert not FreeeUserLink.objects.exists()


def test_another_tenants_member_cannot_be_mapped(sandbox, world_a, world_b):
    company, _connection = sandbox
    users = mirror.freee_users_fetch(tenant=world_a.tenant)
    admin = world_a.admin_membership
    with pytest.raises(ApplicationError):
        mirror.freee_user_links_save(tenant=world_a.tenant, membership=admin, choices={world_b.member.pk: users[0].id},
                                     freee_users=users)
    world_a.client("admin").post(reverse(URL), {f"member_{world_b.member.pk}": str(users[0].id)})
    assert not FreeeUserLink.objects.exists()


def test_member_gets_403(sandbox, world_a):
    client = world_a.client("member")
    assert client.get(reverse(URL)).status_code == 403
    assert client.post(reverse(URL), {}).status_code == 403


def test_without_a_freee_connection_the_section_explains(world_a):
    answer = world_a.client("admin").get(reverse(URL))
    assert answer.status_code == 200 and "freeeと接続されていません。" in answer.content.decode()


# --------------------------------------------------------------------------- the mirror


@pytest.fixture
def selected_route(sandbox, world_a):
    """freee's route 申請時に指定 → 申請時に指定, imported; the mirror on."""
    company, _connection = sandbox
    flow = flow_for(world_a)
    admin = flow.membership("admin")
    resource_save(company=company, kind="approval_flow_route", data={
        "id": 99800, "name": "申請時に指定（2段階）", "description": "", "user_id": None, "definition_system": False,
        "first_step_id": 99801, "usages": ["PaymentRequest"], "request_form_ids": [], "default_route": False,
        "steps": [{"id": 99801, "next_step_id": 99802, "resource_type": "selected_user", **STEP},
                  {"id": 99802, "next_step_id": None, "resource_type": "selected_user", **STEP}]})
    mirror.mirror_enable(tenant=flow.tenant, membership=admin, enabled=True)
    mirror.routes_import(tenant=flow.tenant, membership=admin)
    route = ApprovalFlowRoute.objects.get(tenant=flow.tenant, freee_route_id=99800)
    services.form_setting_save(tenant=flow.tenant, membership=admin, required_fields=[], usable_routes=[route],
                               default_route=route)
    account = SandboxResource.objects.get(company=company, kind="account_item", data__name="外注費").data
    flow.expense_account.freee_id = account["id"]
    flow.expense_account.save()
    return flow, route, company


def _remote(company) -> dict:
    (remote,) = [r.data for r in SandboxResource.objects.filter(company=company, kind="payment_request")]
    return remote


def test_a_selected_user_route_sends_the_mapped_approver_ids(selected_route):
    flow, route, company = selected_route
    freee = _freee_users(company)
    _link(flow, flow.approver1, freee["経理 花子"])
    _link(flow, flow.approver2, freee["部長 一郎"])
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow, route=route, approver=flow.approver1))
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    remote = _remote(company)
    assert (request.mirror_state, remote["status"]) == ("done", "in_progress")
    assert remote["approvers"][0]["user_id"] == freee["経理 花子"]

    act(flow, request, "approver", "approve", next_approver=flow.approver2)
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    remote = _remote(company)
    assert request.mirror_state == "done", request.mirror_error
    assert (remote["current_step_id"], remote["approvers"][1]["user_id"]) == (99802, freee["部長 一郎"])


def test_an_unmapped_approver_fails_the_call_with_a_message_and_retry_works_once_mapped(selected_route):
    flow, route, company = selected_route
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow, route=route, approver=flow.approver1))
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    assert request.mirror_state == "error" and UNMAPPED in request.mirror_error
    assert _remote(company)["status"] == "draft"  # created as a draft; applying waits for the mapping
    page = flow.world.client("member").get(reverse("payment_requests:detail", args=[request.public_id]))
    assert UNMAPPED in page.content.decode()
    assert reverse("payment_requests:mirror_retry", args=[request.public_id]) in page.content.decode()

    _link(flow, flow.approver1, _freee_users(company)["経理 花子"])
    mirror.mirror_retry(payment_request=request, membership=flow.membership("applicant"))
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    assert request.mirror_state == "done" and _remote(company)["status"] == "in_progress"


def test_an_approval_towards_an_unmapped_chosen_approver_is_not_sent(selected_route):
    flow, route, company = selected_route
    _link(flow, flow.approver1, _freee_users(company)["経理 花子"])
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow, route=route, approver=flow.approver1))
    mirror.mirror_push(request_id=request.pk)
    act(flow, request, "approver", "approve", next_approver=flow.approver2)
    mirror.mirror_push(request_id=request.pk)
    request.refresh_from_db()
    assert request.mirror_state == "error" and UNMAPPED in request.mirror_error
    assert _remote(company)["current_step_id"] == 99801
