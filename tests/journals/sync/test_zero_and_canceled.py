"""A document that becomes 0円 or is canceled removes what it booked, with a history row saying why (issue 15
item 6; the cancel is what invoices' 取消 relies on). A document never synced stays unsynced, as seed 001 says."""

from datetime import date

import pytest

from invoices import ledger as invoice_ledger
from journals.models import JournalEntry, Trade, TradePayment
from journals.sync import services
from journals.sync.models import SyncedDocument, SyncRecord
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
Status = SyncRecord.Status


def _change(invoice, **changes):
    before = invoice_ledger.snapshot(invoice)
    for name, value in changes.items():
        setattr(invoice, name, value)
    invoice.save()
    invoice_ledger.invoices_changed(tenant=invoice.tenant, changes=[(before, invoice)])


def _push_all(tenant):
    ids = list(SyncRecord.objects.for_tenant(tenant).filter(status=Status.WAITING).values_list("pk", flat=True))
    services.sync_records_push(record_ids=ids)


def _synced_invoice(world, **kwargs):
    invoice = InvoiceFactory(deal__tenant=world.tenant, state="issuing", total_amount=8554, **kwargs)
    _change(invoice, state="issued")
    _push_all(world.tenant)
    assert Trade.objects.get().amount == 8554
    return invoice


def _last_record(invoice) -> SyncRecord:
    return SyncRecord.objects.filter(document_id=invoice.pk).order_by("-pk").first()


def test_an_invoice_edited_down_to_zero_removes_its_trade_with_a_history_row(world_a, auto_sync, ledger):
    invoice = _synced_invoice(world_a)
    _change(invoice, total_amount=0)
    _push_all(world_a.tenant)
    assert not Trade.objects.exists() and not JournalEntry.objects.exists()
    record = _last_record(invoice)
    assert (record.status, record.operation) == (Status.DONE, "delete")
    assert "0円" in record.note and "削除" in record.note
    link = SyncedDocument.objects.get(document_id=invoice.pk)
    assert link.deleted and link.trade_id is None


def test_a_canceled_invoice_removes_its_trade_and_its_receipt(world_a, auto_sync, ledger):
    invoice = _synced_invoice(world_a)
    _change(invoice, payment_status="settled", settled_on=date(2026, 12, 3))
    _push_all(world_a.tenant)
    assert TradePayment.objects.count() == 1
    _change(invoice, cancel_status="canceled")
    _push_all(world_a.tenant)
    assert not Trade.objects.exists() and not TradePayment.objects.exists()
    record = SyncRecord.objects.filter(document_type="invoice", document_id=invoice.pk).order_by("-pk").first()
    assert (record.status, record.operation) == (Status.DONE, "delete")
    assert record.note.startswith("取消のため")
    # Nothing claims a trade that is gone: the receipt's link too.
    assert not SyncedDocument.objects.filter(deleted=False).exists()
    assert not SyncedDocument.objects.exclude(trade_id=None).exists()


def test_the_sync_button_on_a_synced_invoice_that_became_zero_removes_its_trade(world_a, ledger):
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, total_amount=8554)
    record = services.document_sync(
        tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk, actor=world_a.member
    )
    services.sync_records_push(record_ids=[record.pk])
    invoice.total_amount = 0
    invoice.save()
    record = services.document_sync(
        tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk, actor=world_a.member
    )
    services.sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == Status.DONE and "0円" in record.note
    assert not Trade.objects.exists()


def test_a_canceled_invoice_that_was_never_synced_is_not_booked(world_a, auto_sync, ledger):
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, state="issuing", cancel_status="canceled")
    _change(invoice, state="issued")
    _push_all(world_a.tenant)
    assert not Trade.objects.exists()
    record = _last_record(invoice)
    assert record.status == Status.DONE and "取消" in record.note


def test_the_trade_lines_csv_leaves_out_canceled_and_zero_yen_invoices(world_a, ledger):
    from journals.sync.csv_export import trade_line_rows

    kept = InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, 1))
    InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, 2), cancel_status="canceled")
    InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, 3), total_amount=0)
    rows = list(
        trade_line_rows(
            tenant=world_a.tenant, start=date(2026, 11, 1), end=date(2026, 11, 30), groups=["sales"], closed_only=False
        )
    )
    assert [row[3] for row in rows] == [f"invoice:{kept.pk}"]
