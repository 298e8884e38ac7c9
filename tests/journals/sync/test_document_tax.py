"""The tax an invoice books is the invoice's own (issue 15 items 1 and 2): one detail per tax rate with the
invoice's per-rate amounts and tax as freee請求書 computed them, for 内税 and 外税 and every rounding."""

from decimal import Decimal

import pytest

from invoices import services as invoice_services
from invoices.models import Invoice, InvoiceSettings
from journals.models import JournalLine, Trade
from journals.sync import services as sync
from journals.sync.models import SyncRecord, SyncSettings
from tests.factories import DealFactory, DealLineFactory
from tests.invoices.conftest import first_partner, sandbox  # noqa: F401 (the fixture)
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db(transaction=True)


def _book(world, company, lines, *, method="out", fraction="omit", accounting="exclusive") -> tuple[Invoice, Trade]:
    """Issue an invoice of `lines` (quantity, unit price, tax rate) in the sandbox and sync it to the ledger."""
    ledger_for(world.tenant).configure(accounting=accounting, rounding="floor")
    SyncSettings.objects.create(tenant=world.tenant, auto_sync=True)
    InvoiceSettings.objects.update_or_create(
        tenant=world.tenant, defaults={"tax_entry_method": method, "tax_fraction": fraction}
    )
    deal = DealFactory(tenant=world.tenant, name="税率混在の案件", amount=0)
    for position, (quantity, price, rate) in enumerate(lines):
        DealLineFactory(
            deal=deal, position=position, quantity=Decimal(quantity), unit_price=Decimal(price), tax_rate=rate
        )
    partner = first_partner(company)
    invoice = invoice_services.invoice_issue(
        deal=deal, membership=world.member_membership, partner_id=partner["id"], partner_name=partner["name"]
    )
    invoice_services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    sync.sync_records_push(record_ids=list(SyncRecord.objects.values_list("pk", flat=True)))
    return invoice, Trade.objects.get(source_key=f"invoice:{invoice.pk}")


def _details(trade: Trade) -> list[tuple[int, int, int]]:
    return list(trade.details.order_by("line_no").values_list("tax_code__code", "amount", "tax_amount"))


def _tax_lines(trade: Trade) -> int:
    return sum(
        JournalLine.objects.filter(entry__trade=trade, account_item__role="tax_received").values_list(
            "amount", flat=True
        )
    )


def test_an_inclusive_invoice_with_two_rates_books_one_detail_per_rate_with_its_own_tax(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    invoice, trade = _book(world_a, company, [(1, 11000, "10"), (10, 1080, "8_reduced")], method="in")
    assert (invoice.total_amount, invoice.amount_tax) == (21800, 1800)
    assert _details(trade) == [(129, 11000, 1000), (156, 10800, 800)]
    assert trade.amount == 21800 and _tax_lines(trade) == 1800


def test_an_exclusive_invoice_with_two_rates_books_the_invoices_per_rate_amounts(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    invoice, trade = _book(world_a, company, [(1, 10001, "10"), (3, 333, "8_reduced")], method="out")
    assert _details(trade) == [(129, 11001, 1000), (156, 1078, 79)]
    assert trade.amount == invoice.total_amount and _tax_lines(trade) == invoice.amount_tax == 1079


def test_the_booked_tax_is_the_invoices_rounding_not_the_ledgers(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    invoice, trade = _book(world_a, company, [(1, 999, "10")], method="out", fraction="round_up")
    assert (invoice.total_amount, invoice.amount_tax) == (1099, 100)
    assert _details(trade) == [(129, 1099, 100)]
    assert _tax_lines(trade) == 100  # the ledger's own 切り捨て would make it 99


def test_under_tax_inclusive_books_each_detail_shows_the_tax_it_includes(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    _invoice, trade = _book(
        world_a, company, [(1, 11000, "10"), (10, 1080, "8_reduced")], method="in", accounting="inclusive"
    )
    assert _details(trade) == [(129, 11000, 1000), (156, 10800, 800)]
    assert _tax_lines(trade) == 0  # 税込経理 posts no 仮受消費税
