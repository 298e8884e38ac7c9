"""Jobcan-style sync (seed 001) to the built-in ledger: automatic on/off, history, edits, deletes, errors."""

from datetime import date

import pytest

from core.models import Event
from invoices import ledger as invoice_ledger
from journals.models import Trade, TradePayment
from journals.sync import documents, services
from journals.sync.documents import DocumentType, Group, SyncDocument, register_document_type
from journals.sync.models import SyncedDocument, SyncRecord, SyncSettings
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db
Status = SyncRecord.Status


def _issue(invoice, **changes):
    """The invoice becomes issued (as invoice_apply_remote does after freee answered)."""
    before = invoice_ledger.snapshot(invoice)
    for name, value in {"state": "issued", **changes}.items():
        setattr(invoice, name, value)
    invoice.save()
    invoice_ledger.invoices_changed(tenant=invoice.tenant, changes=[(before, invoice)])


def _pending_invoice(world, **kwargs):
    return InvoiceFactory(deal__tenant=world.tenant, state="issuing", **kwargs)


def _push_all(tenant):
    ids = list(SyncRecord.objects.for_tenant(tenant).filter(status=Status.WAITING).values_list("pk", flat=True))
    return services.sync_records_push(record_ids=ids)


def test_with_auto_sync_off_an_issued_invoice_is_not_synced(world_a, ledger, django_capture_on_commit_callbacks):
    SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=False)
    with django_capture_on_commit_callbacks():
        _issue(_pending_invoice(world_a))
    assert not SyncRecord.objects.exists() and not Trade.objects.exists()


def test_documents_changed_before_auto_sync_was_turned_on_stay_unsynced(world_a, ledger):
    invoice = _pending_invoice(world_a)
    _issue(invoice)
    services.sync_settings_update(tenant=world_a.tenant, actor=world_a.admin, auto_sync=True, target="builtin")
    assert not SyncRecord.objects.exists()
    _issue(_pending_invoice(world_a))  # changed after: synced
    assert SyncRecord.objects.count() == 1


def test_with_auto_sync_on_an_issued_invoice_becomes_one_unsettled_trade(world_a, auto_sync, ledger,
                                                                           django_capture_on_commit_callbacks):
    invoice = _pending_invoice(world_a, total_amount=110000)
    with django_capture_on_commit_callbacks() as callbacks:
        _issue(invoice)
    (record,) = SyncRecord.objects.all()
    assert (record.status, record.operation, record.document_type) == (Status.WAITING, "add", "invoice")
    assert len(callbacks) == 1  # the push task, enqueued after commit
    _push_all(world_a.tenant)
    record.refresh_from_db()
    trade = Trade.objects.get()
    assert record.status == Status.DONE and record.trade_id == trade.pk and record.attempts == 1
    assert (trade.kind, trade.amount, trade.settled_amount, trade.source_key) == ("income", 110000, 0,
                                                                                  f"invoice:{invoice.pk}")
    assert trade.counterpart.name == "売掛金"


def test_a_settled_invoice_books_the_receipt_against_the_receivable(world_a, auto_sync, ledger):
    invoice = _pending_invoice(world_a, total_amount=55000)
    _issue(invoice)
    _issue(invoice, payment_status="settled", settled_on=date(2026, 12, 20))
    assert list(SyncRecord.objects.order_by("pk").values_list("document_type", "operation")) == [
        ("invoice", "add"), ("receipt", "add")]
    _push_all(world_a.tenant)
    trade = Trade.objects.get()
    payment = TradePayment.objects.get()
    assert trade.settled_amount == 55000 and payment.date == date(2026, 12, 20)
    assert payment.source_key == f"receipt:{invoice.pk}"


def test_a_receipt_synced_before_its_invoice_books_the_invoice_first(world_a, auto_sync, ledger):
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, total_amount=22000, payment_status="settled")
    record = services.document_sync(tenant=world_a.tenant, document_type="receipt", document_id=invoice.pk,
                                    actor=world_a.member)
    services.sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == Status.DONE
    assert Trade.objects.get().settled_amount == 22000


def test_an_edit_after_sync_updates_the_same_trade_in_place(world_a, auto_sync, ledger):
    invoice = _pending_invoice(world_a, total_amount=110000)
    _issue(invoice)
    _push_all(world_a.tenant)
    trade_id = Trade.objects.get().pk
    _issue(invoice, total_amount=220000)
    assert SyncRecord.objects.filter(operation="edit").count() == 1
    _push_all(world_a.tenant)
    trade = Trade.objects.get()
    assert trade.pk == trade_id and trade.amount == 220000


def test_a_delete_removes_the_trade_and_is_recorded(world_a, auto_sync, ledger):
    invoice = _pending_invoice(world_a)
    _issue(invoice)
    _push_all(world_a.tenant)
    services.document_changed(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                              operation="delete", actor=world_a.member)
    _push_all(world_a.tenant)
    assert not Trade.objects.exists()
    record = SyncRecord.objects.get(operation="delete")
    assert record.status == Status.DONE and record.actor == world_a.member
    assert SyncedDocument.objects.get(document_id=invoice.pk).deleted


def test_a_document_deleted_before_the_sync_ran_is_not_sent(world_a, auto_sync, ledger):
    invoice = _pending_invoice(world_a)
    _issue(invoice)
    invoice.delete()
    _push_all(world_a.tenant)
    record = SyncRecord.objects.get()
    assert record.status == Status.DONE and "削除" in record.note
    assert not Trade.objects.exists()


def test_a_zero_yen_document_is_never_synced(world_a, auto_sync, ledger):
    invoice = _pending_invoice(world_a, total_amount=0)
    _issue(invoice)
    assert not SyncRecord.objects.exists()
    with pytest.raises(services.ApplicationError, match="0円"):
        services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                               actor=world_a.member)


def test_the_payment_status_of_the_document_does_not_matter(world_a, auto_sync, ledger):
    # (取消 does: a canceled document removes its trade, see test_zero_and_canceled.py)
    invoice = _pending_invoice(world_a, payment_status="failed")
    _issue(invoice)
    _push_all(world_a.tenant)
    assert Trade.objects.count() == 1


def test_the_sync_button_adds_then_edits(world_a, ledger):
    invoice = InvoiceFactory(deal__tenant=world_a.tenant)
    first = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                   actor=world_a.member)
    services.sync_records_push(record_ids=[first.pk])
    second = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                    actor=world_a.member)
    assert (first.operation, second.operation) == ("add", "edit")
    services.sync_records_push(record_ids=[second.pk])
    assert Trade.objects.count() == 1


def test_another_tenants_document_cannot_be_synced(world_a, world_b, ledger):
    foreign = InvoiceFactory(deal__tenant=world_b.tenant)
    with pytest.raises(services.ApplicationError):
        services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=foreign.pk,
                               actor=world_a.member)


# --------------------------------------------------------------------------- errors, 再連携, 削除


@pytest.fixture
def broken_type():
    """A purchases-group document whose ledger input always fails (as an unreachable target would)."""

    def load(tenant, ids):
        return {i: SyncDocument(id=i, public_id=None, label=f"仕入 {i}", date=date(2026, 4, 1), amount=1000)
                for i in ids}

    def to_ledger(tenant, documents):
        raise services.ApplicationError("会計のライセンス有効期限が切れています。")

    register_document_type(DocumentType(code="test_purchase", label="仕入", group=Group.PURCHASES, load=load,
                                        in_period=lambda *a: [1, 2], to_ledger=to_ledger))
    yield "test_purchase"
    documents._REGISTRY.pop("test_purchase", None)  # later tests (e.g. the CSV export) must not meet it


def _error_records(world, broken_type, count=2):
    records = [services.document_sync(tenant=world.tenant, document_type=broken_type, document_id=i,
                                      actor=world.member) for i in range(1, count + 1)]
    services.sync_records_push(record_ids=[r.pk for r in records])
    return SyncRecord.objects.filter(pk__in=[r.pk for r in records])


def test_an_error_is_recorded_in_japanese_and_admins_are_notified(world_a, broken_type):
    records = _error_records(world_a, broken_type)
    assert set(records.values_list("status", "error_message")) == {(Status.ERROR, "会計のライセンス有効期限が切れています。")}
    event = Event.objects.filter(kind="ledger.sync_failed").first()
    assert event is not None and event.recipient_ids == [world_a.admin.pk]
    assert Event.objects.filter(kind="ledger.sync_failed").count() == 2


def test_error_rows_can_be_resynced_many_at_once(world_a, broken_type, django_capture_on_commit_callbacks):
    records = _error_records(world_a, broken_type)
    with django_capture_on_commit_callbacks() as callbacks:
        count = services.sync_records_resync(tenant=world_a.tenant, records=records, actor=world_a.admin)
    assert count == 2 and len(callbacks) == 1
    assert set(records.values_list("status", flat=True)) == {Status.WAITING}


def test_only_error_rows_are_resynced_or_deleted(world_a, broken_type, ledger):
    errors = list(_error_records(world_a, broken_type, count=1))
    done = services.document_sync(tenant=world_a.tenant, document_type="invoice",
                                  document_id=InvoiceFactory(deal__tenant=world_a.tenant).pk, actor=world_a.member)
    services.sync_records_push(record_ids=[done.pk])
    assert services.sync_records_resync(tenant=world_a.tenant, records=[done], actor=world_a.admin) == 0
    assert services.sync_records_delete(tenant=world_a.tenant, records=[*errors, done]) == 1
    assert list(SyncRecord.objects.values_list("pk", flat=True)) == [done.pk]


def test_error_rows_of_another_tenant_are_untouched(world_a, world_b, broken_type):
    world_b.tenant.plan = "trial"
    foreign = list(_error_records(world_b, broken_type, count=1))
    assert services.sync_records_delete(tenant=world_a.tenant, records=foreign) == 0
    assert services.sync_records_resync(tenant=world_a.tenant, records=foreign, actor=world_a.admin) == 0


# --------------------------------------------------------------------------- plan gating


def test_purchases_are_not_synced_on_the_standard_plan(world_a, broken_type):
    world_a.tenant.plan = "standard"
    world_a.tenant.save()
    SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)
    services.document_changed(tenant=world_a.tenant, document_type=broken_type, document_id=1, operation="add")
    assert not SyncRecord.objects.exists()
    with pytest.raises(services.ApplicationError, match="プロフェッショナル"):
        services.document_sync(tenant=world_a.tenant, document_type=broken_type, document_id=1,
                               actor=world_a.member)


def test_purchases_are_synced_on_the_professional_plan(world_a, broken_type):
    world_a.tenant.plan = "professional"
    world_a.tenant.save()
    SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)
    services.document_changed(tenant=world_a.tenant, document_type=broken_type, document_id=1, operation="add")
    assert SyncRecord.objects.count() == 1


def test_the_deal_travels_as_the_project_only_on_plans_that_allow_it(world_a, ledger):
    for plan, expected in (("standard", False), ("professional", True)):
        world_a.tenant.plan = plan
        world_a.tenant.save()
        invoice = InvoiceFactory(deal__tenant=world_a.tenant)
        record = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                        actor=world_a.member)
        services.sync_records_push(record_ids=[record.pk])
        trade = Trade.objects.get(source_key=f"invoice:{invoice.pk}")
        assert (trade.deal_id == invoice.deal_id) is expected


def test_the_sweeper_sends_again_records_whose_push_was_lost_or_abandoned(world_a, ledger,
                                                                          django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    invoice = InvoiceFactory(deal__tenant=world_a.tenant)
    lost = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                  actor=world_a.member)
    abandoned = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                       actor=world_a.member)
    fresh = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                   actor=world_a.member)
    old = timezone.now() - timedelta(hours=1)
    SyncRecord.objects.filter(pk=lost.pk).update(updated_at=old)
    SyncRecord.objects.filter(pk=abandoned.pk).update(status=Status.IN_PROGRESS, updated_at=old)
    with django_capture_on_commit_callbacks() as callbacks:
        count = services.sync_records_requeue_stale(waiting_for=timedelta(minutes=10),
                                                    in_progress_for=timedelta(minutes=30))
    assert count == 2 and len(callbacks) == 1  # the lost and the abandoned one, in one push; not the fresh one
    assert SyncRecord.objects.get(pk=abandoned.pk).status == Status.WAITING
    assert SyncRecord.objects.get(pk=fresh.pk).status == Status.WAITING


def test_records_still_waiting_when_retries_run_out_become_errors(world_a):
    record = SyncRecord.objects.create(tenant=world_a.tenant, document_type="invoice", document_id=1,
                                       operation="add", document_label="請求書 X")
    services.sync_records_give_up(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == Status.ERROR and "再連携" in record.error_message
    assert Event.objects.filter(kind="ledger.sync_failed").count() == 1
