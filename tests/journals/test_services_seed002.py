"""Seed 002: how a freee 取引 (deal) becomes journal entries."""

from __future__ import annotations

from datetime import date

import pytest

from journals.models import JournalEntry, JournalLine
from journals.services import PaymentInput, TradeInput, trade_payment_add, trade_save
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db


def lines_of(entry: JournalEntry) -> set[tuple[str, str, int]]:
    return {(line.side, line.account_item.name, line.amount) for line in entry.lines.select_related("account_item")}


def test_worked_example_receivable_200_and_cash_100_against_sales_290_and_deposits_received_10(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="income", issue_date=date(2017, 1, 12), partner_name="青葉商事",
        details=(ledger.detail("売上高", 290, tax=101), ledger.detail("預り金", 10, tax=2)),
        payments=(PaymentInput(date=date(2017, 1, 12), wallet=ledger.wallet("現金"), amount=100),),
        source_key="seed002:example"))

    (entry,) = trade.entries.all()
    assert lines_of(entry) == {("debit", "売掛金", 200), ("debit", "現金", 100),
                               ("credit", "売上高", 290), ("credit", "預り金", 10)}
    assert (trade.amount, trade.settled_amount, trade.unsettled_amount) == (300, 100, 200)


def test_unsettled_income_posts_receivable_and_a_later_payment_clears_it(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1100, key="invoice:1")
    (entry,) = trade.entries.all()
    assert lines_of(entry) == {("debit", "売掛金", 1100), ("credit", "売上高", 1100)}

    trade_payment_add(tenant=world_a.tenant, from_document=True, trade=trade, payment=ledger.payment(1100, date(2026, 4, 30)),
                      source_key="receipt:1")

    clearing = trade.entries.get(kind=JournalEntry.Kind.PAYMENT)
    assert clearing.date == date(2026, 4, 30)
    assert lines_of(clearing) == {("debit", "普通預金", 1100), ("credit", "売掛金", 1100)}
    trade.refresh_from_db()
    assert trade.is_settled


def test_settled_expense_posts_account_against_wallet(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1), partner_name="かもめ印刷",
        details=(ledger.detail("消耗品費", 5500, tax=136),),
        payments=(ledger.payment(5500, date(2026, 5, 1), wallet="現金"),), source_key="expense:1"))
    (entry,) = trade.entries.all()
    assert lines_of(entry) == {("debit", "消耗品費", 5500), ("credit", "現金", 5500)}


def test_unsettled_purchase_posts_payable_and_expense_posts_accrued(world_a):
    ledger = ledger_for(world_a.tenant)
    purchase = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1), details=(ledger.detail("仕入高", 3300, tax=136),),
        source_key="purchase:1"))
    expense = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1), details=(ledger.detail("通信費", 2200, tax=136),),
        source_key="expense:2"))
    assert lines_of(purchase.entries.get()) == {("debit", "仕入高", 3300), ("credit", "買掛金", 3300)}
    assert lines_of(expense.entries.get()) == {("debit", "通信費", 2200), ("credit", "未払金", 2200)}


def test_later_expense_payment_posts_payable_against_wallet(world_a):
    ledger = ledger_for(world_a.tenant)
    purchase = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1), details=(ledger.detail("仕入高", 3300, tax=136),),
        source_key="purchase:1"))
    trade_payment_add(tenant=world_a.tenant, from_document=True, trade=purchase, payment=ledger.payment(1000, date(2026, 5, 31)),
                      source_key="disbursement:1")
    clearing = purchase.entries.get(kind=JournalEntry.Kind.PAYMENT)
    assert lines_of(clearing) == {("debit", "買掛金", 1000), ("credit", "普通預金", 1000)}
    assert purchase.unsettled_amount == 2300


def test_compound_trade_makes_one_compound_entry(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="income", issue_date=date(2026, 6, 1),
        details=(ledger.detail("売上高", 11000), ledger.detail("売上高", 1080, tax=156),
                 ledger.detail("雑収入", 550)), source_key="invoice:compound"))
    assert trade.entries.count() == 1
    assert JournalLine.objects.filter(entry__trade=trade).count() == 4


def test_tax_exclusive_books_split_tax_to_kariuke(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting="exclusive")
    trade = ledger.save_sale(11000, key="invoice:ex")
    assert lines_of(trade.entries.get()) == {("debit", "売掛金", 11000), ("credit", "売上高", 10000),
                                             ("credit", "仮受消費税", 1000)}


def test_tax_exclusive_expense_splits_to_karibarai(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting="exclusive")
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1), details=(ledger.detail("仕入高", 3300, tax=136),),
        source_key="purchase:ex"))
    assert lines_of(trade.entries.get()) == {("debit", "仕入高", 3000), ("debit", "仮払消費税", 300),
                                             ("credit", "買掛金", 3300)}


def test_withheld_income_tax_is_a_negative_detail_posted_to_deposits_received(world_a):
    """An outside contractor's fee 110,000 with 11,231 withheld: 外注費 against 預り金 and 未払金 (net)."""
    ledger = ledger_for(world_a.tenant)
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1), partner_name="山田デザイン",
        details=(ledger.detail("外注費", 110000, tax=136), ledger.detail("預り金", -11231, tax=2)),
        source_key="payment_request:withholding"))
    assert lines_of(trade.entries.get()) == {("debit", "外注費", 110000), ("credit", "預り金", 11231),
                                             ("credit", "未払金", 98769)}
    assert (trade.amount, trade.unsettled_amount) == (98769, 98769)


def test_a_taxable_deduction_has_its_tax_computed_once_and_posted_on_the_other_side(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting="exclusive")
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="expense", issue_date=date(2026, 5, 1),
        details=(ledger.detail("仕入高", 3300, tax=136), ledger.detail("仕入高", -1100, tax=136)),
        source_key="purchase:deduction"))
    posted = {(side, name): amount for side, name, amount in lines_of(trade.entries.get())}
    assert posted == {("debit", "仕入高"): 3000, ("debit", "仮払消費税"): 200, ("credit", "仕入高"): 1000,
                      ("credit", "買掛金"): 2200}


def test_zero_rows_and_trades_that_deduct_more_than_they_book_are_refused(world_a):
    from journals.services import LedgerError

    ledger = ledger_for(world_a.tenant)
    for details in [(ledger.detail("仕入高", 0, tax=136),),
                    (ledger.detail("仕入高", 1000, tax=136), ledger.detail("仕入高", -1000, tax=136))]:
        with pytest.raises(LedgerError):
            trade_save(tenant=world_a.tenant, trade=TradeInput(kind="expense", issue_date=date(2026, 5, 1),
                                                               details=details, source_key="bad"))
