"""Properties of the posting rules: balance, receivable/payable = unsettled, tax once per rate, in-place update."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.db.utils import IntegrityError
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journals.models import JournalEntry, JournalLine, Trade
from journals.posting import consumption_tax
from journals.services import (
    LedgerError,
    TradeInput,
    accounting_date,
    trade_payment_add,
    trade_save,
    trades_save_bulk,
)
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db

ISSUE = date(2026, 4, 1)
INCOME_TAXES = [129, 156, 101, 2, 23]
EXPENSE_TAXES = [136, 163, 2, 37]
SERIAL = itertools.count()


def entry_difference(entry: JournalEntry) -> int:
    debit = entry.lines.filter(side="debit").aggregate(s=Sum("amount"))["s"] or 0
    credit = entry.lines.filter(side="credit").aggregate(s=Sum("amount"))["s"] or 0
    return debit - credit


def counterpart_balance(trade: Trade) -> int:
    """The trade's receivable (income) or payable (expense) balance, in its natural sign."""
    lines = JournalLine.objects.filter(entry__trade=trade, account_item=trade.counterpart)
    debit = lines.filter(side="debit").aggregate(s=Sum("amount"))["s"] or 0
    credit = lines.filter(side="credit").aggregate(s=Sum("amount"))["s"] or 0
    return debit - credit if trade.kind == "income" else credit - debit


trade_shapes = st.fixed_dictionaries({
    "kind": st.sampled_from(["income", "expense"]),
    "accounting": st.sampled_from(["inclusive", "exclusive"]),
    "rounding": st.sampled_from(["floor", "ceil", "round"]),
    "details": st.lists(st.tuples(st.integers(1, 5_000_000), st.integers(0, 4)), min_size=1, max_size=6),
    "payment_shares": st.lists(st.tuples(st.integers(1, 100), st.integers(0, 40), st.booleans()), max_size=4),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=trade_shapes)
def test_random_trades_balance_and_counterpart_equals_unsettled(world_a, shape):
    number = next(SERIAL)
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting=shape["accounting"], rounding=shape["rounding"])
    income = shape["kind"] == "income"
    taxes = INCOME_TAXES if income else EXPENSE_TAXES
    account = "売上高" if income else "仕入高"
    details = tuple(ledger.detail(account, amount, tax=taxes[pick % len(taxes)]) for amount, pick in shape["details"])
    total = sum(amount for amount, _pick in shape["details"])
    inline, later, remaining = [], [], total
    for percent, days, registered_later in shape["payment_shares"]:
        amount = min(remaining, max(1, total * percent // 400))
        if amount <= 0:
            break
        remaining -= amount
        (later if registered_later else inline).append(ledger.payment(amount, ISSUE + timedelta(days=days)))
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind=shape["kind"], issue_date=ISSUE, details=details, payments=tuple(inline), source_key=f"p:{number}"))
    for index, payment in enumerate(later):
        trade_payment_add(tenant=world_a.tenant, from_document=True, trade=trade, payment=payment, source_key=f"p:{number}:{index}")
    trade.refresh_from_db()

    assert all(entry_difference(entry) == 0 for entry in trade.entries.all())
    assert trade.unsettled_amount == remaining
    assert counterpart_balance(trade) == remaining
    detail_side = "credit" if income else "debit"
    posted = JournalLine.objects.filter(entry__trade=trade, entry__kind="trade", side=detail_side)
    assert posted.aggregate(s=Sum("amount"))["s"] == total


def test_tax_is_computed_once_per_rate_not_per_line(world_a):
    """Three ¥105 lines at 10%: per-line floor gives 9 × 3 = 27, the rule gives floor(315 × 10 / 110) = 28."""
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting="exclusive", rounding="floor")
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="income", issue_date=ISSUE, details=tuple(ledger.detail("売上高", 105) for _ in range(3)),
        source_key="once"))
    tax = JournalLine.objects.get(entry__trade=trade, account_item__name="仮受消費税")
    assert tax.amount == 28 == consumption_tax(inclusive_total=315, rate=10, rounding="floor")
    assert sum(trade.details.values_list("tax_amount", flat=True)) == 28


def test_tax_is_computed_per_rate_separately(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting="exclusive", rounding="round")
    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="income", issue_date=ISSUE, details=(ledger.detail("売上高", 1100), ledger.detail("売上高", 1080, tax=156)),
        source_key="rates"))
    taxes = sorted(JournalLine.objects.filter(entry__trade=trade, account_item__name="仮受消費税")
                   .values_list("amount", flat=True))
    assert taxes == [80, 100]


@pytest.mark.parametrize(("rounding", "expected"), [("floor", 9), ("ceil", 10), ("round", 10)])
def test_rounding_follows_the_tenant_setting(rounding, expected):
    assert consumption_tax(inclusive_total=105, rate=10, rounding=rounding) == expected


def test_tax_inclusive_books_do_not_split_tax(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1100, key="incl")
    assert not JournalLine.objects.filter(entry__trade=trade, account_item__name="仮受消費税").exists()


def test_update_keeps_the_same_trade_row_and_rewrites_entries(world_a):
    ledger = ledger_for(world_a.tenant)
    first = ledger.save_sale(1000, key="invoice:x")
    second = ledger.save_sale(2500, key="invoice:x", on=date(2026, 5, 1))
    assert (second.pk, second.public_id) == (first.pk, first.public_id)
    assert Trade.objects.for_tenant(world_a.tenant).count() == 1
    assert second.amount == 2500
    entry = second.entries.get()
    assert entry.date == date(2026, 5, 1)
    assert entry.lines.aggregate(s=Sum("amount"))["s"] == 5000


def test_update_keeps_payments_registered_later(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, key="invoice:y")
    trade_payment_add(tenant=world_a.tenant, from_document=True, trade=trade, payment=ledger.payment(400, date(2026, 4, 20)),
                      source_key="receipt:y")
    updated = ledger.save_sale(1200, key="invoice:y")
    assert updated.settled_amount == 400
    assert counterpart_balance(updated) == 800


def test_payment_add_is_idempotent_on_source_key(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, key="invoice:z")
    for _ in range(2):
        trade_payment_add(tenant=world_a.tenant, from_document=True, trade=trade, payment=ledger.payment(1000, date(2026, 4, 20)),
                          source_key="receipt:z")
    assert trade.payments.count() == 1
    assert counterpart_balance(trade) == 0


def test_payments_above_the_amount_are_refused(world_a):
    ledger = ledger_for(world_a.tenant)
    with pytest.raises(LedgerError, match="決済金額の合計が取引金額を超えています"):
        ledger.save_sale(1000, key="over", payments=[ledger.payment(1001, ISSUE)])
    trade = ledger.save_sale(1000, key="ok")
    with pytest.raises(LedgerError, match="未決済の金額"):
        trade_payment_add(tenant=world_a.tenant, from_document=True, trade=trade, payment=ledger.payment(1001, ISSUE), source_key="r")


def test_detail_count_and_amount_are_validated(world_a):
    ledger = ledger_for(world_a.tenant)
    too_many = TradeInput(kind="income", issue_date=ISSUE, details=tuple(ledger.detail("売上高", 1) for _ in range(101)),
                          source_key="many")
    with pytest.raises(LedgerError, match="100行以内"):
        trade_save(tenant=world_a.tenant, trade=too_many)
    with pytest.raises(LedgerError, match="0円以外の整数"):
        ledger.save_sale(0, key="zero")
    hundred = TradeInput(kind="income", issue_date=ISSUE, details=tuple(ledger.detail("売上高", 1) for _ in range(100)),
                         source_key="hundred")
    assert trade_save(tenant=world_a.tenant, trade=hundred).details.count() == 100


def test_another_tenants_account_is_refused(world_a, world_b):
    ledger_a, ledger_b = ledger_for(world_a.tenant), ledger_for(world_b.tenant)
    with pytest.raises(LedgerError, match="見つかりません"):
        trade_save(tenant=world_a.tenant, trade=TradeInput(
            kind="income", issue_date=ISSUE, details=(ledger_b.detail("売上高", 100),), source_key="x"))
    assert not Trade.objects.for_tenant(ledger_a.tenant).exists()


def test_bulk_save_posts_exactly_what_single_saves_post(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.configure(accounting="exclusive", rounding="ceil")

    def inputs(prefix):
        return [TradeInput(kind="income", issue_date=ISSUE + timedelta(days=i), partner_name=f"取引先{i}",
                           details=(ledger.detail("売上高", 1000 + i * 37), ledger.detail("売上高", 540 + i, tax=156)),
                           payments=(ledger.payment(100 + i, ISSUE + timedelta(days=i + i % 2)),),
                           source_key=f"{prefix}:{i}") for i in range(12)]

    bulk = trades_save_bulk(tenant=world_a.tenant, trades=inputs("bulk"))
    single = [trade_save(tenant=world_a.tenant, trade=trade) for trade in inputs("single")]

    def posted(trade):
        return sorted((e.kind, e.date, line.side, line.account_item_id, line.tax_code_id, line.amount)
                      for e in trade.entries.all() for line in e.lines.all())

    assert [posted(t) for t in bulk] == [posted(t) for t in single]
    assert [t.source_key for t in bulk] == [f"bulk:{i}" for i in range(12)]


def test_bulk_save_uses_a_constant_number_of_statements(world_a):
    ledger = ledger_for(world_a.tenant)

    def run(count, prefix):
        trades = [ledger.sale(1000 + i, key=f"{prefix}:{i}", payments=[ledger.payment(10, ISSUE + timedelta(days=1))])
                  for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            trades_save_bulk(tenant=world_a.tenant, trades=trades)
        return len(queries)

    run(1, "warm")
    assert run(5, "small") == run(200, "large")
    assert run(200, "large") == run(200, "large")  # rewriting in place costs the same


def test_accounting_dates_are_tokyo_dates():
    assert accounting_date(datetime(2026, 3, 31, 15, 30, tzinfo=UTC)) == date(2026, 4, 1)
    assert accounting_date(datetime(2026, 3, 31, 14, 59, tzinfo=UTC)) == date(2026, 3, 31)


def test_a_timestamp_is_refused_as_an_accounting_date(world_a):
    ledger = ledger_for(world_a.tenant)
    with pytest.raises(LedgerError, match="日本時間の日付"):
        ledger.save_sale(100, key="ts", on=datetime(2026, 3, 31, 15, 30, tzinfo=UTC))


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_an_unbalanced_entry_at_commit(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, key="db-check")
    line = JournalLine.objects.filter(entry__trade=trade).first()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO journals_journalline (tenant_id, public_id, created_at, updated_at, entry_id, date,"
            " side, account_item_id, amount, partner_name, description)"
            " VALUES (%s, gen_random_uuid(), now(), now(), %s, %s, 'debit', %s, 1, '', '')",
            [world_a.tenant.pk, line.entry_id, line.date, line.account_item_id])
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        JournalLine.objects.filter(pk=line.pk).update(amount=line.amount + 1)
    assert entry_difference(line.entry) == 0


@pytest.mark.django_db(transaction=True)
def test_the_database_accepts_a_balanced_rewrite(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.save_sale(1000, key="db-ok")
    trade = ledger.save_sale(3000, key="db-ok", payments=[ledger.payment(500, ISSUE)])
    assert trade.entries.get().lines.count() == 3
