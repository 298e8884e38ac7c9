"""A trade booked from a document changes only through that document (issue 15 item 3): every page and API
refuses to edit it, delete it or settle it by hand, and the rule lives in the trade services."""

from datetime import date

import pytest

from journals import services
from journals.models import Trade, TradePayment
from journals.services import LedgerError
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(world_a):
    """A trade as the sync books an invoice: source_key "invoice:<id>"."""
    return ledger_for(world_a.tenant).save_sale(8554, key="invoice:41")


def test_a_member_cannot_delete_a_document_trade_through_the_page(world_a, synced):
    response = world_a.client("member").post(f"/journals/trades/{synced.public_id}/delete/")
    assert response.status_code == 404 and Trade.objects.filter(pk=synced.pk).exists()


def test_a_member_cannot_settle_a_document_trade_by_hand_through_the_page(world_a, synced):
    ledger = ledger_for(world_a.tenant)
    response = world_a.client("member").post(
        f"/journals/trades/{synced.public_id}/payments/",
        {"date": "2026-04-10", "wallet": ledger.wallet("普通預金").pk, "amount": "8554"},
    )
    assert response.status_code == 400
    assert "連携元の帳票" in response.content.decode()
    assert not TradePayment.objects.exists()


def test_the_api_refuses_a_hand_payment_on_a_document_trade(world_a, synced):
    ledger = ledger_for(world_a.tenant)
    response = world_a.client("member").post(
        f"/api/v1/trades/{synced.public_id}/payments/",
        {"date": "2026-04-10", "wallet": str(ledger.wallet("普通預金").public_id), "amount": 8554},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "trade_from_document"
    assert not TradePayment.objects.exists()


def test_the_api_cannot_claim_a_documents_payment_key_for_a_hand_trade(world_a):
    ledger = ledger_for(world_a.tenant)
    hand = ledger.save_sale(1000)
    response = world_a.client("member").post(
        f"/api/v1/trades/{hand.public_id}/payments/",
        {
            "date": "2026-04-10",
            "wallet": str(ledger.wallet("普通預金").public_id),
            "amount": 1000,
            "source_key": "receipt:41",
        },
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert not TradePayment.objects.exists()


def test_the_services_refuse_every_hand_change_of_a_document_trade(world_a, synced):
    ledger = ledger_for(world_a.tenant)
    with pytest.raises(LedgerError):
        services.trade_delete(tenant=world_a.tenant, trade=synced)
    with pytest.raises(LedgerError):
        services.trade_update(tenant=world_a.tenant, trade=synced, data=ledger.sale(1))
    with pytest.raises(LedgerError):
        services.trade_payment_add(
            tenant=world_a.tenant, trade=synced, source_key="payment:x", payment=ledger.payment(8554, date(2026, 4, 10))
        )
    assert Trade.objects.get(pk=synced.pk).amount == 8554 and not TradePayment.objects.exists()


def test_the_sync_still_settles_a_document_trade(world_a, synced):
    ledger = ledger_for(world_a.tenant)
    services.trade_payment_add(
        tenant=world_a.tenant,
        trade=synced,
        source_key="receipt:41",
        from_document=True,
        payment=ledger.payment(8554, date(2026, 4, 10)),
    )
    assert Trade.objects.get(pk=synced.pk).settled_amount == 8554
