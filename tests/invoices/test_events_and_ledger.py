"""What an invoice's changes announce: notification events (core.events) and ledger documents (journals.sync),
from the single path (invoice_apply_remote) and the bulk status refresh, against the sandbox."""

import pytest

from core import jobs
from core.models import Event
from integrations.sandbox.services import sandbox_invoice_status_set
from invoices import bulk, ledger, services
from invoices.models import Invoice
from journals.models import Trade
from journals.sync import services as sync
from journals.sync.models import SyncRecord, SyncSettings
from tests.factories import DealFactory, InvoiceFactory, UserFactory
from tests.invoices.conftest import first_partner
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db(transaction=True)


def _issued(world, company, name="イベントの案件", owner=None) -> Invoice:
    deal = DealFactory(tenant=world.tenant, name=name, amount=110000, owner=owner or world.member)
    partner = first_partner(company)
    invoice = services.invoice_issue(deal=deal, membership=world.member_membership, partner_id=partner["id"],
                                     partner_name=partner["name"])
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    return invoice


def _events(kind):
    return list(Event.objects.filter(kind=kind).order_by("pk"))


def test_issuing_announces_invoice_issued_to_the_deals_owner(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    (event,) = _events("invoice.issued")
    assert event.recipient_ids == [world_a.member.pk] and event.tenant == world_a.tenant
    assert event.payload["invoice_id"] == str(invoice.public_id)
    assert event.payload["deal_id"] == str(invoice.deal.public_id)
    assert event.payload["url"] == f"/deals/{invoice.deal.public_id}/?tab=invoices" and event.payload["title"]
    services.invoice_refresh(invoice=invoice)  # nothing changed: nothing announced again
    assert len(_events("invoice.issued")) == 1


def test_a_deal_without_owner_announces_nothing(sandbox, world_a):
    company, _connection = sandbox
    deal = DealFactory(tenant=world_a.tenant, amount=1000, owner=None)
    partner = first_partner(company)
    invoice = services.invoice_issue(deal=deal, membership=world_a.member_membership, partner_id=partner["id"],
                                     partner_name=partner["name"])
    services.invoice_push(invoice_id=invoice.pk)
    assert not Event.objects.exists()


@pytest.mark.parametrize(("field", "value", "kind"), [("payment_status", "settled", "invoice.settled"),
                                                       ("payment_status", "failed", "invoice.payment_failed")])
def test_a_single_refresh_announces_payment_changes(sandbox, world_a, field, value, kind):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field=field, value=value)
    services.invoice_refresh(invoice=invoice)
    services.invoice_refresh(invoice=invoice)
    (event,) = _events(kind)
    assert event.recipient_ids == [world_a.member.pk] and event.payload["invoice_id"] == str(invoice.public_id)


def test_a_canceled_invoice_announces_invoice_canceled(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    before = ledger.snapshot(invoice)
    Invoice.objects.filter(pk=invoice.pk).update(cancel_status="canceled")
    invoice.refresh_from_db()
    ledger.invoices_changed(tenant=world_a.tenant, changes=[(before, invoice)])
    assert len(_events("invoice.canceled")) == 1


def test_the_bulk_refresh_announces_every_change_and_queues_the_receipts(sandbox, world_a):
    company, _connection = sandbox
    ledger_for(world_a.tenant)
    other_owner = UserFactory(username="owner_b")
    invoices = [_issued(world_a, company, name=f"一括{n}", owner=(other_owner if n == 1 else None)) for n in range(3)]
    SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)
    for invoice in invoices[:2]:
        sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                                   value="settled")
    bulk.bulk_refresh(job=jobs.job_create(tenant=world_a.tenant, actor=None, kind=bulk.BULK_KIND))
    settled = _events("invoice.settled")
    assert [e.recipient_ids for e in settled] == [[world_a.member.pk], [other_owner.pk]]
    receipts = SyncRecord.objects.filter(document_type="receipt", operation="add")
    assert sorted(receipts.values_list("document_id", flat=True)) == sorted(i.pk for i in invoices[:2])
    assert Invoice.objects.get(pk=invoices[0].pk).settled_on is not None


def test_with_auto_sync_issuing_books_the_trade_and_resync_is_an_edit(sandbox, world_a):
    company, _connection = sandbox
    ledger_for(world_a.tenant)
    SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)
    invoice = _issued(world_a, company)
    (record,) = SyncRecord.objects.all()
    sync.sync_records_push(record_ids=[record.pk])
    assert Trade.objects.get().amount == invoice.total_amount
    services.invoice_resync(invoice=invoice, membership=world_a.member_membership)
    assert SyncRecord.objects.filter(operation="edit", document_id=invoice.pk).count() == 1


def test_an_invoice_issued_elsewhere_of_another_tenant_is_not_announced_to_us(sandbox, world_a, world_b):
    company, _connection = sandbox
    _issued(world_a, company)
    assert not Event.objects.filter(tenant=world_b.tenant).exists()
    assert InvoiceFactory(deal__tenant=world_b.tenant) and not Event.objects.filter(tenant=world_b.tenant).exists()
