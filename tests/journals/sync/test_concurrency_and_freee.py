"""Races and unknown outcomes: two workers on one document, and a freee create that timed out after freee
stored the deal. Real PostgreSQL transactions (transaction=True) and the sandbox over real HTTP."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import sandbox_faults_set
from journals.models import Trade
from journals.sync import services
from journals.sync.models import SyncRecord
from tests.factories import InvoiceFactory
from tests.journals.factories import ledger_for

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(function, barrier):
    errors = []

    def run():
        try:
            barrier.wait(timeout=10)
            function()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_the_same_document_synced_by_two_workers_at_once_yields_one_trade(world_a):
    ledger_for(world_a.tenant)
    invoice = InvoiceFactory(deal__tenant=world_a.tenant)
    records = [services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                      actor=world_a.member) for _ in range(2)]
    barrier = threading.Barrier(2)
    runs = [_in_thread(lambda r=r: services.sync_records_push(record_ids=[r.pk]), barrier) for r in records]
    for thread, errors in runs:
        thread.join(timeout=30)
        assert not errors
    assert Trade.objects.filter(source_key=f"invoice:{invoice.pk}").count() == 1
    assert set(SyncRecord.objects.values_list("status", flat=True)) == {SyncRecord.Status.DONE}


def test_a_record_is_claimed_by_one_worker_only(world_a):
    ledger_for(world_a.tenant)
    invoice = InvoiceFactory(deal__tenant=world_a.tenant)
    record = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                    actor=world_a.member)
    barrier = threading.Barrier(3)
    runs = [_in_thread(lambda: services.sync_records_push(record_ids=[record.pk]), barrier) for _ in range(3)]
    for thread, errors in runs:
        thread.join(timeout=30)
        assert not errors
    record.refresh_from_db()
    assert record.attempts == 1 and record.status == SyncRecord.Status.DONE


# --------------------------------------------------------------------------- freee会計 as the target


def _wait_for_deals(company, seconds: float = 10) -> int:
    """The sandbox finishes the timed-out request in its own thread; wait until its deal is there."""
    deadline = time.monotonic() + seconds
    while not _freee_deals(company) and time.monotonic() < deadline:
        time.sleep(0.1)
    return len(_freee_deals(company))


def _freee_deals(company):
    return [r.data for r in SandboxResource.objects.filter(company=company, kind="deal")]


def test_a_freee_create_that_times_out_after_freee_stored_it_yields_one_deal(freee_target, world_a, settings):
    company, partner_id = freee_target
    settings.FREEE_TIMEOUT_SECONDS = 1
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, partner_id=partner_id, total_amount=110000)
    sandbox_faults_set(company, timeout_after_create=3)
    record = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                    actor=world_a.member)
    assert services.sync_records_push(record_ids=[record.pk]) is not None  # unknown outcome: try again later
    record.refresh_from_db()
    assert record.status == SyncRecord.Status.WAITING and "要確認" in record.error_message
    assert _wait_for_deals(company) == 1  # freee stored it although we never saw the answer

    for _ in range(2):  # the retry, and a second 連携する click
        services.sync_records_push(record_ids=[record.pk])
        again = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                       actor=world_a.member)
        services.sync_records_push(record_ids=[again.pk])
    deals = _freee_deals(company)
    record.refresh_from_db()
    assert len(deals) == 1 and record.status == SyncRecord.Status.DONE
    assert record.freee_deal_id == deals[0]["id"] and deals[0]["ref_number"].startswith("HUB-")
    assert deals[0]["amount"] == 110000 and deals[0]["type"] == "income"


def test_a_settled_invoice_registers_the_payment_on_the_freee_deal(freee_target, world_a):
    company, partner_id = freee_target
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, partner_id=partner_id, total_amount=33000,
                             payment_status="settled")
    for document_type in ("invoice", "receipt"):
        record = services.document_sync(tenant=world_a.tenant, document_type=document_type, document_id=invoice.pk,
                                        actor=world_a.member)
        services.sync_records_push(record_ids=[record.pk])
        record.refresh_from_db()
        assert record.status == SyncRecord.Status.DONE, record.error_message
    (deal,) = _freee_deals(company)
    assert deal["status"] == "settled" and deal["payments"][0]["amount"] == 33000


def test_a_freee_rejection_is_an_error_with_freees_message(freee_target, world_a):
    company, _partner_id = freee_target
    invoice = InvoiceFactory(deal__tenant=world_a.tenant, partner_id=999, total_amount=1000)
    record = services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=invoice.pk,
                                    actor=world_a.member)
    services.sync_records_push(record_ids=[record.pk])
    record.refresh_from_db()
    assert record.status == SyncRecord.Status.ERROR and "取引先" in record.error_message
    assert _freee_deals(company) == []


def test_a_push_past_its_time_slice_hands_the_rest_back_and_continues_at_the_back_of_the_queue(
        freee_target, world_a, monkeypatch, settings):
    from core import fair
    from journals.sync import targets
    from journals.sync.tasks import sync_records_push_task

    company, partner_id = freee_target
    invoices = [InvoiceFactory(deal__tenant=world_a.tenant, partner_id=partner_id, total_amount=1100 * (n + 1))
                for n in range(3)]
    ids = [services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=i.pk,
                                  actor=world_a.member).pk for i in invoices]
    settings.BULK_SLICE_SECONDS = 0  # the slice is spent as soon as one chunk is done
    monkeypatch.setattr(targets.FreeeTarget, "chunk", 1)
    continued = []
    monkeypatch.setattr(fair, "requeue", lambda task, countdown=0.0: continued.append(
        (task.name, task.request.args, task.request.retries, countdown)))
    sync_records_push_task.apply(args=[ids])
    # the same task again at once (no backoff), and not counted as a retry
    assert continued == [("journals.sync_records_push", [ids], 0, 0.0)]
    statuses = dict(SyncRecord.objects.values_list("pk", "status"))
    assert sorted(statuses.values()) == ["done", "waiting", "waiting"] and len(_freee_deals(company)) == 1
    for _ in range(2):
        sync_records_push_task.apply(args=[ids])
    assert set(SyncRecord.objects.values_list("status", flat=True)) == {"done"}
    assert sorted(d["amount"] for d in _freee_deals(company)) == [1100, 2200, 3300]


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the raise runs, like a process that is gone."""


def test_a_worker_killed_mid_push_leaves_at_most_its_chunk_to_redo_and_no_second_deal(freee_target, world_a,
                                                                                       monkeypatch):
    from integrations.models import ApiCallLog
    from journals.sync import targets

    company, partner_id = freee_target
    invoices = [InvoiceFactory(deal__tenant=world_a.tenant, partner_id=partner_id, total_amount=1100 * (n + 1))
                for n in range(4)]
    ids = [services.document_sync(tenant=world_a.tenant, document_type="invoice", document_id=i.pk,
                                  actor=world_a.member).pk for i in invoices]
    monkeypatch.setattr(targets.FreeeTarget, "chunk", 2)
    real_apply, applied = targets.FreeeTarget._apply, []

    def apply_then_die_on_the_fourth(self, tenant, client, item, link):
        real_apply(self, tenant, client, item, link)  # freee stores the deal
        applied.append(item.document_id)
        if len(applied) == 4:
            raise WorkerKilled

    monkeypatch.setattr(targets.FreeeTarget, "_apply", apply_then_die_on_the_fourth)
    with pytest.raises(WorkerKilled):
        services.sync_records_push(record_ids=ids)
    monkeypatch.undo()
    statuses = list(SyncRecord.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["done", "done", "in_progress", "in_progress"] and len(_freee_deals(company)) == 4

    assert services.sync_records_requeue_stale(waiting_for=timedelta(0), in_progress_for=timedelta(0)) == 2
    services.sync_records_push(record_ids=ids)
    assert set(SyncRecord.objects.values_list("status", flat=True)) == {"done"}
    assert sorted(d["amount"] for d in _freee_deals(company)) == [1100, 2200, 3300, 4400]
    updates = ApiCallLog.objects.filter(method="PUT", path__startswith="/api/1/deals/").count()
    assert updates == 2  # only the dead worker's last chunk is sent again, as updates of the same deals
