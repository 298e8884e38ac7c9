"""A trade's direction and its payments (issue 15 item 7): a direction change with payments is refused, and
決済の取消 exists on the page and the API (audited), so the message that asks for it points at something real."""

from datetime import date

import pytest

from core.models import AuditEntry
from journals import services
from journals.models import JournalLine, Trade, TradePayment
from journals.services import LedgerError
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_sale(world_a):
    """A hand-made sale of 1,000 with a 入金 of 600 into 普通預金 registered later."""
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000)
    services.trade_payment_add(
        tenant=world_a.tenant, trade=trade, payment=ledger.payment(600, date(2026, 4, 10)), source_key="payment:a"
    )
    return trade


def _deposit_balance(tenant) -> int:
    lines = JournalLine.objects.for_tenant(tenant).filter(account_item__name="普通預金")
    return sum(line.amount if line.side == "debit" else -line.amount for line in lines)


def test_turning_an_income_with_a_receipt_into_an_expense_is_refused(world_a, paid_sale):
    ledger = ledger_for(world_a.tenant)
    expense = services.TradeInput(
        kind="expense", issue_date=date(2026, 4, 1), details=(ledger.detail("仕入高", 1000, tax=136),)
    )
    with pytest.raises(LedgerError, match="決済を取り消して"):
        services.trade_update(tenant=world_a.tenant, trade=paid_sale, data=expense)
    assert Trade.objects.get(pk=paid_sale.pk).kind == "income"
    assert _deposit_balance(world_a.tenant) == 600


def test_the_edit_page_refuses_the_direction_change_with_the_message(world_a, paid_sale):
    ledger = ledger_for(world_a.tenant)
    response = world_a.client("member").post(
        f"/journals/trades/{paid_sale.public_id}/edit/",
        {
            "kind": "expense", "issue_date": "2026-04-01", "partner_name": "青葉商事", "description": "",
            "details-TOTAL_FORMS": "1", "details-INITIAL_FORMS": "0",
            "details-0-account_item": ledger.account("仕入高").pk, "details-0-tax_code": ledger.tax(136).pk,
            "details-0-amount": "1000", "details-0-description": "",
            "payments-TOTAL_FORMS": "0", "payments-INITIAL_FORMS": "0",
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "決済を取り消して" in response.content.decode()
    assert _deposit_balance(world_a.tenant) == 600


def test_a_payment_is_canceled_through_the_page_and_audited(world_a, paid_sale):
    payment = TradePayment.objects.get()
    client = world_a.client("member")
    response = client.post(f"/journals/trade-payments/{payment.public_id}/cancel/")
    assert response.status_code == 302
    trade = Trade.objects.get(pk=paid_sale.pk)
    assert trade.settled_amount == 0 and not TradePayment.objects.exists()
    assert _deposit_balance(world_a.tenant) == 0
    entry = AuditEntry.objects.get(action="ledger.payment_cancel")
    assert entry.actor == world_a.member and entry.changes["amount"] == [600, None]
    assert "決済を取り消しました" in client.get(response.url).content.decode()


def test_a_payment_is_canceled_through_the_api(world_a, paid_sale):
    payment = TradePayment.objects.get()
    response = world_a.client("member").post(
        f"/api/v1/trades/{paid_sale.public_id}/payment-cancel/",
        {"payment": str(payment.public_id)},
        content_type="application/json",
    )
    assert response.status_code == 204, response.content
    assert Trade.objects.get(pk=paid_sale.pk).settled_amount == 0
    assert AuditEntry.objects.filter(action="ledger.payment_cancel").count() == 1


def test_the_api_answers_400_for_a_payment_of_another_trade(world_a, paid_sale):
    other = ledger_for(world_a.tenant).save_sale(500)
    payment = TradePayment.objects.get()
    response = world_a.client("member").post(
        f"/api/v1/trades/{other.public_id}/payment-cancel/",
        {"payment": str(payment.public_id)},
        content_type="application/json",
    )
    assert response.status_code == 400 and TradePayment.objects.exists()


def test_a_document_trades_payment_is_not_canceled_by_hand(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, key="invoice:7")
    services.trade_payment_add(
        tenant=world_a.tenant, trade=trade, payment=ledger.payment(1000, date(2026, 4, 10)),
        source_key="receipt:7", from_document=True,
    )  # fmt: skip
    payment = TradePayment.objects.get()
    with pytest.raises(LedgerError):
        services.trade_payment_cancel(tenant=world_a.tenant, actor=world_a.member, payment=payment)
    response = world_a.client("member").post(f"/journals/trade-payments/{payment.public_id}/cancel/")
    assert response.status_code == 404 and TradePayment.objects.exists()


def test_an_input_payment_is_canceled_and_the_trade_reposted(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, payments=[ledger.payment(1000, date(2026, 4, 1))])
    services.trade_payment_cancel(tenant=world_a.tenant, actor=world_a.member, payment=TradePayment.objects.get())
    trade = Trade.objects.get(pk=trade.pk)
    assert trade.settled_amount == 0 and _deposit_balance(world_a.tenant) == 0
    assert sum(JournalLine.objects.filter(account_item__name="売掛金").values_list("amount", flat=True)) == 1000
