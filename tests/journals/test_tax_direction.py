"""Tax codes follow the trade's direction (issue 15 item 5): income details take sales-side codes, expense details
purchase-side codes, in the services and so on every page and API."""

from datetime import date

import pytest

from journals.models import Trade
from journals.services import LedgerError, TradeInput, trade_save
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db


def test_a_sale_with_a_purchase_tax_code_is_refused(world_a):
    ledger = ledger_for(world_a.tenant)
    with pytest.raises(LedgerError, match="課対仕入10%"):
        trade_save(
            tenant=world_a.tenant,
            trade=TradeInput(
                kind="income", issue_date=date(2026, 4, 1), details=(ledger.detail("売上高", 1100, tax=136),)
            ),
        )
    assert not Trade.objects.exists()


def test_an_expense_with_a_sales_tax_code_is_refused(world_a):
    ledger = ledger_for(world_a.tenant)
    with pytest.raises(LedgerError, match="課税売上10%"):
        trade_save(
            tenant=world_a.tenant,
            trade=TradeInput(
                kind="expense", issue_date=date(2026, 4, 1), details=(ledger.detail("仕入高", 1100, tax=129),)
            ),
        )


def test_a_code_usable_both_ways_is_accepted_on_either_side(world_a):
    ledger = ledger_for(world_a.tenant)
    for kind, account in (("income", "売上高"), ("expense", "仕入高")):
        trade_save(
            tenant=world_a.tenant,
            trade=TradeInput(kind=kind, issue_date=date(2026, 4, 1), details=(ledger.detail(account, 500, tax=2),)),
        )
    assert Trade.objects.count() == 2


def test_the_api_answers_400_for_a_sale_with_a_purchase_code(world_a):
    ledger = ledger_for(world_a.tenant)
    body = {
        "kind": "income",
        "issue_date": "2026-04-01",
        "details": [{"account_item": str(ledger.account("売上高").public_id), "tax_code": 136, "amount": 1100}],
    }
    response = world_a.client("member").post("/api/v1/trades/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "tax_code_direction"
    assert not Trade.objects.exists()


def test_the_form_shows_the_error_for_a_sale_with_a_purchase_code(world_a):
    ledger = ledger_for(world_a.tenant)
    response = world_a.client("member").post(
        "/journals/trades/new/",
        {
            "kind": "income",
            "issue_date": "2026-04-01",
            "partner_name": "",
            "description": "",
            "details-TOTAL_FORMS": "1",
            "details-INITIAL_FORMS": "0",
            "details-0-account_item": ledger.account("売上高").pk,
            "details-0-tax_code": ledger.tax(136).pk,
            "details-0-amount": "1100",
            "details-0-description": "",
            "payments-TOTAL_FORMS": "0",
            "payments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400 and "支出用の税区分" in response.content.decode()
    assert not Trade.objects.exists()
