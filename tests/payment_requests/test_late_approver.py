"""Issue 14 item 24: when a colleague acted first, the late approver's click is stale (409), not "not an approver".

The step and round an action quotes are checked before who the actor is: the late approver of step 1 is no
approver of step 2, but what they need to hear is that the request moved on (reload), not that they may not
approve.
"""

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import ApplicationError
from payment_requests import selectors, services
from tests.payment_requests import rules
from tests.payment_requests.factories import act, flow_for, request_input

pytestmark = pytest.mark.django_db

ResourceType = services.ResourceType


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _route(flow, *, two_steps: bool):
    """Step 1 approved by approver1 OR other; a second step (approver2) when `two_steps`."""
    steps = [services.StepInput(ResourceType.PREDEFINED_USER, [flow.approver1, flow.other])]
    if two_steps:
        steps.append(services.StepInput(ResourceType.PREDEFINED_USER, [flow.approver2]))
    route = services.route_save(
        tenant=flow.tenant,
        membership=flow.membership("admin"),
        name=f"共同承認{two_steps}",
        description="",
        usages=["PaymentRequest"],
        steps=steps,
    )
    setting = selectors.form_setting_for(tenant=flow.tenant)
    setting.usable_routes.add(route)
    return route


def _applied(flow, route):
    return services.payment_request_create(
        tenant=flow.tenant, membership=flow.membership("applicant"), data=request_input(flow, route=route)
    )


def _seen(request) -> dict:
    """What the late approver's page (or API client) quoted: the step and round before the colleague acted."""
    return {"target_step_id": request.current_step.public_id, "target_round": request.current_round}


@pytest.mark.parametrize("action", ["approve", "reject", "feedback"])
def test_late_approver_of_a_step_a_colleague_approved_gets_the_stale_answer(flow, action):
    request = _applied(flow, _route(flow, two_steps=True))
    seen = _seen(request)
    act(flow, request, "other", "approve")  # the colleague on step 1 was quicker
    with pytest.raises(ApplicationError) as raised:
        services.payment_request_act(
            payment_request=request,
            membership=flow.membership("approver"),
            data=services.ActionInput(action=action, **seen),
        )
    assert (raised.value.http_status, raised.value.code, raised.value.message) == (409, "stale_action", rules.M_STALE)


def test_late_approver_of_a_request_a_colleague_finished_is_told_it_is_already_approved(flow):
    request = _applied(flow, _route(flow, two_steps=False))
    seen = _seen(request)
    act(flow, request, "other", "approve")
    with pytest.raises(ApplicationError) as raised:
        services.payment_request_act(
            payment_request=request,
            membership=flow.membership("approver"),
            data=services.ActionInput(action="approve", **seen),
        )
    assert (raised.value.http_status, raised.value.code) == (409, "stale_action")
    assert raised.value.message == (
        "この申請は他のユーザーの操作ですでに承認済みになっています。画面を再読み込みしてください。"
    )


def test_late_approver_through_the_api_gets_409_in_the_error_format(flow):
    request = _applied(flow, _route(flow, two_steps=True))
    seen = _seen(request)
    act(flow, request, "other", "approve")
    client = Client()
    client.force_login(flow.approver1)
    response = client.post(
        f"/api/v1/payment_requests/{request.public_id}/actions/",
        {
            "approval_action": "approve",
            "target_step_id": str(seen["target_step_id"]),
            "target_round": seen["target_round"],
        },
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["message"] == rules.M_STALE


def test_late_approver_on_the_page_reads_the_stale_message(flow):
    request = _applied(flow, _route(flow, two_steps=True))
    seen = _seen(request)
    act(flow, request, "other", "approve")
    client = Client()
    client.force_login(flow.approver1)
    response = client.post(
        reverse("payment_requests:action", kwargs={"public_id": request.public_id}),
        {"action": "approve", **seen},
        follow=True,
    )
    page = response.content.decode()
    assert rules.M_STALE in page and rules.M_APPROVE not in page


def test_a_non_approver_quoting_the_current_step_is_still_refused_as_not_an_approver(flow):
    request = _applied(flow, _route(flow, two_steps=True))
    with pytest.raises(ApplicationError) as raised:
        services.payment_request_act(
            payment_request=request,
            membership=flow.membership("final_approver"),
            data=services.ActionInput(action="approve", **_seen(request)),
        )
    assert (raised.value.http_status, raised.value.message) == (403, rules.M_APPROVE)


def test_an_action_on_a_draft_quoting_no_step_still_names_the_status_rule(flow):
    draft = services.payment_request_create(
        tenant=flow.tenant, membership=flow.membership("applicant"), data=request_input(flow, draft=True)
    )
    with pytest.raises(ApplicationError) as raised:
        services.payment_request_act(
            payment_request=draft,
            membership=flow.membership("applicant"),
            data=services.ActionInput(action="cancel", target_step_id=None, target_round=0),
        )
    assert (raised.value.http_status, raised.value.message) == (400, rules.M_ACTION_STATUS)
