"""Every row of tests/payment_requests/rules.py, against the service layer and against the REST API."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from core.errors import ApplicationError
from journals.models import TaxCode
from journals.sync.models import SyncRecord, SyncSettings
from payment_requests import selectors, services
from payment_requests.models import PaymentRequest
from tenancy.models import Membership
from tests.payment_requests import rules
from tests.payment_requests.factories import act, flow_for, request_input

pytestmark = pytest.mark.django_db

TAXES = {"expense": 136, "income": 129, "nontax": 2}


@pytest.fixture
def flow(world_a):
    return flow_for(world_a)


# --------------------------------------------------------------------------- set-up of one row


def _route(flow, name):
    return {"open": flow.open_route, "selected": flow.selected_route, None: flow.route, "route": flow.route}[name]


def _make(flow, status: str, *, route=None, masters=True, applicant="applicant", title=rules.ORIGINAL_TITLE):
    at_step_2 = status == "in_progress@2"
    status = "in_progress" if at_step_2 else status
    route = route or flow.route
    membership = flow.membership(applicant)
    request = services.payment_request_create(
        tenant=flow.tenant, membership=membership,
        data=request_input(flow, draft=status == "draft", route=route, title=title,
                           lines=[_line(flow, "deal_line", 110000, "expense" if masters else None)]))
    single = route == flow.open_route
    first, last = ("other", "other") if single else ("approver", "final_approver")
    if at_step_2:
        act(flow, request, first, "approve")
    elif status == "feedback":
        act(flow, request, first, "feedback")
    elif status == "rejected":
        act(flow, request, first, "reject")
    elif status == "approved":
        act(flow, request, first, "approve")
        if not single:
            act(flow, request, last, "approve")
    request.refresh_from_db()
    assert request.status == status
    return request


def _line(flow, line_type, amount, tax):
    account = flow.expense_account if tax is not None and line_type != "withholding_tax" else None
    return services.LineInput(amount=amount, line_type=line_type, account_item=account,
                              tax_code=TaxCode.objects.get(tenant=flow.tenant, code=TAXES[tax]) if tax else None)


def _parent(flow, kind):
    if kind is None:
        return None
    base = kind if kind in ("approved", "in_progress", "feedback") else "approved"
    parent = _make(flow, base, title="親申請")
    if kind == "trade":
        PaymentRequest.objects.filter(pk=parent.pk).update(booked_as="trade")
    elif kind == "manual_journal":
        PaymentRequest.objects.filter(pk=parent.pk).update(booked_as="manual_journal")
    elif kind.startswith("children_"):
        for _ in range(int(kind.removeprefix("children_"))):
            services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                            data=request_input(flow, draft=True, parent=parent))
    return parent


def prepare(flow, row: rules.Row):
    fields = row.fields
    if fields.get("setup_approver_is_admin"):
        Membership.objects.filter(tenant=flow.tenant, user=flow.approver1).update(role=Membership.Role.ADMIN)
    request = None
    if row.status is not None:
        request = _make(flow, row.status, route=_route(flow, fields.get("setup_route")),
                        masters=fields.get("setup_masters", True), applicant=fields.get("setup_applicant", "applicant"))
    if "setup_required" in fields:
        setting = selectors.form_setting_for(tenant=flow.tenant)
        setting.required_fields = fields["setup_required"]
        setting.save()
    SyncSettings.objects.update_or_create(tenant=flow.tenant, defaults={"auto_sync": True})
    return request, _parent(flow, fields.get("parent"))


def _lines_spec(fields):
    return fields.get("lines") or [("deal_line", fields.get("amount", 110000), "expense")]


def body_values(flow, row, request, parent) -> dict:
    """The create/update body as plain values (shared by both runners)."""
    fields = row.fields
    return {
        "title": fields.get("title", rules.ORIGINAL_TITLE), "issue_date": date(2026, 4, 1),
        "draft": fields.get("draft", False), "route": _route(flow, fields.get("route")) if "route" in fields else (
            request.route if request else flow.route),
        "payment_method": fields.get("payment_method", "domestic_bank_transfer"),
        "document_code": fields.get("document_code", ""), "parent": parent,
        "application_date": date.fromisoformat(fields["application_date"]) if "application_date" in fields else None,
        "lines": _lines_spec(fields),
    }


# --------------------------------------------------------------------------- runners


def run_service(flow, row, request, parent) -> tuple[str, PaymentRequest | None]:
    membership = flow.membership(row.actor)
    try:
        if row.op in ("create", "update"):
            values = body_values(flow, row, request, parent)
            lines = [_line(flow, *spec) for spec in values.pop("lines")]
            data = services.RequestInput(lines=lines, partner_name="青葉商事", **values)
            if row.op == "create":
                request = services.payment_request_create(tenant=flow.tenant, membership=membership, data=data)
            else:
                services.payment_request_update(payment_request=request, membership=membership, data=data)
        elif row.op == "delete":
            services.payment_request_delete(payment_request=request, membership=membership)
            return rules.OK, None
        else:
            step_id, round_ = _target(request, row)
            services.payment_request_act(payment_request=request, membership=membership,
                                         data=services.ActionInput(row.op, step_id, round_))
    except ApplicationError as error:
        return error.message, request
    return rules.OK, request


def _target(request, row):
    stale = row.fields.get("stale")
    step = request.current_step
    step_id = step.public_id if step else None
    if stale == "step":
        step_id = request.route.first_step.public_id
    return step_id, request.current_round + (1 if stale == "round" else 0)


def run_api(flow, row, request, parent) -> tuple[str, PaymentRequest | None]:
    client = Client()
    client.force_login(flow.user(row.actor))
    base = "/api/v1/payment_requests/"
    if row.op in ("create", "update"):
        values = body_values(flow, row, request, parent)
        body = {
            "title": values["title"], "issue_date": values["issue_date"].isoformat(), "draft": values["draft"],
            "approval_flow_route_id": str(values["route"].public_id), "payment_method": values["payment_method"],
            "document_code": values["document_code"], "partner_name": "青葉商事",
            "parent_id": str(parent.public_id) if parent else None,
            "payment_request_lines": [
                {"line_type": t, "amount": a, "tax_code": TAXES[tax] if tax else None,
                 "account_item_id": str(flow.expense_account.public_id) if tax and t != "withholding_tax" else None}
                for t, a, tax in values["lines"]],
        }
        if values["application_date"]:
            body["application_date"] = values["application_date"].isoformat()
        if row.op == "create":
            response = client.post(base, body, content_type="application/json")
        else:
            response = client.put(f"{base}{request.public_id}/", body, content_type="application/json")
    elif row.op == "delete":
        response = client.delete(f"{base}{request.public_id}/")
    else:
        step_id, round_ = _target(request, row)
        response = client.post(f"{base}{request.public_id}/actions/",
                               {"approval_action": row.op, "target_step_id": str(step_id) if step_id else None,
                                "target_round": round_},
                               content_type="application/json")
    if response.status_code >= 400:
        assert response.status_code in (400, 403, 409), response.content
        return response.json()["error"]["message"], request
    if row.op == "delete":
        assert response.status_code == 204
        return rules.OK, None
    assert response.status_code in (200, 201)
    created = PaymentRequest.objects.get(public_id=response.json()["payment_request"]["id"])
    return rules.OK, created


# --------------------------------------------------------------------------- checks


def check(flow, row, before: PaymentRequest | None, after: PaymentRequest | None) -> None:
    if row.checks.get("deleted"):
        assert not PaymentRequest.objects.filter(pk=before.pk).exists()
        return
    after.refresh_from_db()
    checks = row.checks
    if "status" in checks:
        assert after.status == checks["status"]
    if "round" in checks:
        assert after.current_round == checks["round"]
    if "step" in checks:
        assert (after.current_step.position if after.current_step else None) == checks["step"]
    if "title" in checks:
        assert after.title == checks["title"]
    if "route" in checks:
        assert after.route == _route(flow, checks["route"])
    if "total" in checks:
        assert after.total_amount == checks["total"]
    if checks.get("application_date_unchanged"):
        assert after.application_date == before.application_date
    if "log" in checks:
        action, actor = checks["log"]
        log = after.logs.order_by("-id").first()
        assert (log.action, log.user) == (action, flow.user(actor))
    if "logs" in checks:
        assert [(log.action, log.user) for log in after.logs.order_by("id")] == [
            (action, flow.user(actor)) for action, actor in checks["logs"]]
    if "approver_statuses" in checks:
        assert list(after.approvers.order_by("step__position", "id").values_list("status", flat=True)) == checks[
            "approver_statuses"]
    if "approver_statuses_include" in checks:
        assert checks["approver_statuses_include"] in after.approvers.values_list("status", flat=True)
    if "admin_in_approvers" in checks:
        assert after.approvers.filter(user=flow.world.admin).exists() == checks["admin_in_approvers"]
    if checks.get("force_slot"):
        assert after.approvers.filter(is_force_action=True, status="approved").count() == 1
    if checks.get("ledger_queued"):
        assert SyncRecord.objects.filter(tenant=flow.tenant, document_type="payment_request", document_id=after.pk,
                                         operation="add").exists()


@pytest.mark.parametrize("row", rules.ROWS, ids=[r.id for r in rules.ROWS])
@pytest.mark.parametrize("runner", [run_service, run_api], ids=["service", "api"])
def test_rule(flow, row, runner):
    request, parent = prepare(flow, row)
    snapshot = PaymentRequest.objects.get(pk=request.pk) if request else None
    outcome, after = runner(flow, row, request, parent)
    assert outcome == row.expect
    if row.expect == rules.OK:
        check(flow, row, snapshot, after)
    elif request is not None:
        unchanged = PaymentRequest.objects.get(pk=request.pk)
        assert (unchanged.status, unchanged.current_round, unchanged.title) == (
            snapshot.status, snapshot.current_round, snapshot.title)


def test_every_seed_point_is_covered():
    covered = {row.seed for row in rules.ROWS}
    assert covered == set(rules.SEED_POINTS)
    for seed in rules.SEED_POINTS:
        outcomes = {row.expect == rules.OK for row in rules.ROWS if row.seed == seed}
        assert outcomes, seed
