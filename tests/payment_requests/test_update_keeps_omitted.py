"""Issue 14 item 22: PUT keeps what it does not name.

A PUT on a draft without approval_flow_route_id keeps the request's route (it used to move it to the 基本経路,
or fail when there was none); any other field left out of the body keeps its stored value. The edit page
sends only the fields it shows, so the ones it does not show keep theirs too.
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from payment_requests import selectors, services
from payment_requests.models import PaymentRequest
from tests.payment_requests.factories import flow_for, request_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(flow, **overrides) -> PaymentRequest:
    values = {
        "draft": True,
        "route": flow.open_route,
        "description": "4月分の外注費",
        "document_code": "INV-7",
        "payment_date": date(2026, 4, 30),
        "partner_id": 201,
        "partner_code": "AOBA",
        "bank_code": "0001",
        "branch_code": "101",
        "bank_name_kana": "フリーギンコウ",
        "branch_kana": "ギンザ",
        "receipt_ids": [5, 6],
        "qualified_invoice_status": "qualified",
    }
    values.update(overrides)
    return services.payment_request_create(
        tenant=flow.tenant, membership=flow.membership("applicant"), data=request_input(flow, **values)
    )


def _minimal_put(flow, draft_request, **extra) -> dict:
    body = {
        "title": "外注費の支払い（修正）",
        "issue_date": "2026-04-02",
        "draft": True,
        "payment_request_lines": [
            {
                "line_type": "deal_line",
                "amount": 220000,
                "tax_code": 136,
                "account_item_id": str(flow.expense_account.public_id),
            }
        ],
    }
    body.update(extra)
    return body


def _put(flow, request, body):
    return _client(flow.world.member).put(
        f"/api/v1/payment_requests/{request.public_id}/", body, content_type="application/json"
    )


def test_put_on_a_draft_without_a_route_keeps_the_route(flow):
    request = _draft(flow)
    response = _put(flow, request, _minimal_put(flow, request))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.route == flow.open_route  # not the 基本経路 (flow.route)
    assert response.json()["payment_request"]["approval_flow_route_id"] == str(flow.open_route.public_id)


def test_put_on_a_draft_without_a_route_works_when_there_is_no_default_route(flow):
    request = _draft(flow)
    setting = selectors.form_setting_for(tenant=flow.tenant)
    setting.default_route = None
    setting.save()
    response = _put(flow, request, _minimal_put(flow, request))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.route == flow.open_route and request.title == "外注費の支払い（修正）"


def test_put_with_a_null_route_keeps_the_route_too(flow):
    request = _draft(flow)
    response = _put(flow, request, _minimal_put(flow, request, approval_flow_route_id=None))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.route == flow.open_route


def test_put_naming_a_route_still_changes_it(flow):
    request = _draft(flow)
    response = _put(flow, request, _minimal_put(flow, request, approval_flow_route_id=str(flow.route.public_id)))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.route == flow.route


def test_put_keeps_every_omitted_field(flow):
    request = _draft(flow)
    response = _put(flow, request, _minimal_put(flow, request))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert (
        request.description,
        request.document_code,
        request.payment_date,
        request.partner_id,
        request.partner_code,
        request.partner_name,
        request.bank_code,
        request.branch_code,
        request.bank_name_kana,
        request.branch_kana,
        request.receipt_ids,
        request.payment_method,
        request.qualified_invoice_status,
    ) == (
        "4月分の外注費",
        "INV-7",
        date(2026, 4, 30),
        201,
        "AOBA",
        "青葉商事",
        "0001",
        "101",
        "フリーギンコウ",
        "ギンザ",
        [5, 6],
        "domestic_bank_transfer",
        "qualified",
    )
    assert request.total_amount == 220000 and request.issue_date == date(2026, 4, 2)


def test_put_with_explicit_empty_values_clears_them(flow):
    request = _draft(flow)
    response = _put(
        flow,
        request,
        _minimal_put(
            flow, request, description="", payment_date=None, partner_id=None, receipt_ids=[], payment_method="none"
        ),
    )
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert (
        request.description,
        request.payment_date,
        request.partner_id,
        request.receipt_ids,
        request.payment_method,
    ) == ("", None, None, [], "none")


def test_put_keeps_the_parent_when_it_is_omitted(flow):
    parent = services.payment_request_create(
        tenant=flow.tenant,
        membership=flow.membership("applicant"),
        data=request_input(flow, route=flow.open_route, title="親申請"),
    )
    services.payment_request_act(
        payment_request=parent,
        membership=flow.membership("other"),
        data=services.ActionInput("approve", parent.current_step.public_id, 1),
    )
    request = _draft(flow, parent=parent)
    response = _put(flow, request, _minimal_put(flow, request))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.parent == parent


def test_applying_from_feedback_without_approver_id_keeps_the_chosen_approver(flow):
    request = services.payment_request_create(
        tenant=flow.tenant,
        membership=flow.membership("applicant"),
        data=request_input(flow, route=flow.selected_route, approver=flow.approver2),
    )
    services.payment_request_act(
        payment_request=request,
        membership=flow.membership("final_approver"),
        data=services.ActionInput("feedback", request.current_step.public_id, 1),
    )
    response = _put(flow, request, _minimal_put(flow, request, draft=False))
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.status == "in_progress" and request.current_round == 2
    assert list(request.approvers.values_list("user_id", flat=True)) == [flow.approver2.pk]


def test_editing_on_the_page_keeps_the_fields_the_page_does_not_show(flow):
    request = _draft(flow)
    data = {
        "title": "画面で修正",
        "issue_date": "2026-04-01",
        "route": flow.open_route.pk,
        "payment_method": "none",
        "qualified_invoice_status": "qualified",
        "account_type": "ordinary",
        "partner_name": "青葉商事",
        "partner_id": "201",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-line_type": "deal_line",
        "lines-0-amount": "1000",
        "lines-0-account_item": flow.expense_account.pk,
        "lines-0-tax_code": flow.expense_tax.pk,
        "receipt_ids": "5, 6",  # the page shows the attached receipt ids (item 23) and sends them back
        "submit": "draft",
    }
    edit_url = reverse("payment_requests:edit", kwargs={"public_id": request.public_id})
    assert 'value="5, 6"' in _client(flow.world.member).get(edit_url).content.decode()
    response = _client(flow.world.member).post(
        reverse("payment_requests:edit", kwargs={"public_id": request.public_id}), data
    )
    assert response.status_code == 302, response.content.decode()
    request.refresh_from_db()
    assert request.title == "画面で修正"
    assert (
        request.partner_code,
        request.bank_code,
        request.branch_code,
        request.bank_name_kana,
        request.branch_kana,
        request.receipt_ids,
    ) == ("AOBA", "0001", "101", "フリーギンコウ", "ギンザ", [5, 6])
