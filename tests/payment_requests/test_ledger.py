"""Approval books an unsettled expense trade through the ledger sync (built-in ledger)."""

import pytest

from journals.models import AccountItem, TaxCode, Trade
from journals.sync.models import SyncRecord, SyncSettings
from journals.sync.services import sync_records_push
from payment_requests import services
from tests.payment_requests.factories import act, flow_for, line, request_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def flow(world_a):
    world_a.tenant.plan = "professional"  # 仕入・支払 documents sync on the professional and trial plans
    world_a.tenant.save()
    flow = flow_for(world_a)
    SyncSettings.objects.update_or_create(tenant=flow.tenant, defaults={"auto_sync": True})
    return flow


def _approve(flow, request):
    act(flow, request, "approver", "approve")
    act(flow, request, "final_approver", "approve")
    record = SyncRecord.objects.get(document_type="payment_request", document_id=request.pk, operation="add")
    sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    return record


def test_approval_books_an_unsettled_expense_trade_to_accrued(flow):
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow))
    record = _approve(flow, request)
    assert record.status == "done", record.error_message
    trade = Trade.objects.get(tenant=flow.tenant, source_key=f"payment_request:{request.pk}")
    assert (trade.kind, trade.amount, trade.settled_amount) == ("expense", 110000, 0)
    assert trade.counterpart == AccountItem.objects.get(tenant=flow.tenant, role="accrued")  # 未払金


def test_withholding_is_booked_to_azukarikin(flow):
    withholding = line(flow, 11231, line_type="withholding_tax")
    request = services.payment_request_create(
        tenant=flow.tenant, membership=flow.membership("applicant"),
        data=request_input(flow, lines=[line(flow, 110000), withholding]))
    record = _approve(flow, request)
    assert record.status == "done", record.error_message
    trade = Trade.objects.get(tenant=flow.tenant, source_key=f"payment_request:{request.pk}")
    details = {d.account_item.name: d.amount for d in trade.details.select_related("account_item")}
    assert details == {"外注費": 110000, "預り金": -11231}
    assert TaxCode.objects.get(tenant=flow.tenant, code=2).usable_for_income


def test_taking_an_approval_back_deletes_the_trade(flow):
    request = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                              data=request_input(flow))
    _approve(flow, request)
    act(flow, request, "admin", "force_feedback")
    record = SyncRecord.objects.get(document_type="payment_request", document_id=request.pk, operation="delete")
    sync_records_push(record_ids=[record.pk])
    assert not Trade.objects.filter(tenant=flow.tenant, source_key=f"payment_request:{request.pk}").exists()


def test_an_approved_request_booked_as_a_trade_cannot_be_a_parent(flow):
    parent = services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                             data=request_input(flow, title="親"))
    _approve(flow, parent)
    with pytest.raises(services.ApplicationError) as error:
        services.payment_request_create(tenant=flow.tenant, membership=flow.membership("applicant"),
                                        data=request_input(flow, parent=parent))
    assert error.value.message == "取引を作成済みの申請は親申請（parent_id）に指定できません。"
