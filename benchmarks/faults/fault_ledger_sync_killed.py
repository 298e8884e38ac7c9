"""Issue 8 item 4: a Celery worker SIGKILLed in the middle of a ledger bulk sync (会計連携).

freee 会計: the tenant books to freee (連携先 freee会計) and starts 取引明細の書出 → 会計連携する, the Job the UI
starts, for DOCUMENTS issued invoices. A real worker pushes them through the freee sandbox (each call slowed to
LATENCY_MS). We SIGKILL it while a deal POST is on its way to freee: freee stores the deal, the worker never
hears back. freee has no idempotency key, so a blind second POST would make a second deal. The job is stuck
(running, no heartbeat); the abandoned-job sweeper (core.jobs.jobs_recover_abandoned, as the beat runs it)
re-sends it, a new worker resumes it: the records the dead worker held go back to 連携待ち, the document whose
POST was in flight is reconciled by its ref_number (found, not created again), and documents the dead worker
had already sent are updated in place (PUT) instead of created. Every document ends with exactly one freee deal.

The drill shortens three timeouts, nothing else: the sweeper's "no heartbeat for" (600 s → 2 s, and
JOB_ABANDONED_AFTER_SECONDS likewise for the records a resumed export takes back) and the lease a worker holds
on a document while calling freee (300 s → LEASE_SECONDS), which a dead worker's in-flight document waits out.

Built-in ledger: the same kill during 自動連携 of DOCUMENTS invoices booked in batches of 1,000, one transaction
each; journals' stale-record sweeper (journals.sync_records_requeue_stale) re-sends the records, and every
document has exactly one trade.
"""

import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.signals import request_started
from django.db.models import Count, F
from django.utils import timezone

from benchmarks.data import connect_sandbox, seed_deals
from benchmarks.faults import harness
from config.celery import app
from core import jobs
from core.models import Job
from integrations.models import ApiCallLog
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import sandbox_faults_set
from invoices.models import Invoice
from journals.defaults import ledger_defaults_ensure
from journals.models import AccountItem, JournalEntry, Trade, Wallet
from journals.sync import services
from journals.sync.models import SyncedDocument, SyncRecord, SyncSettings
from tenancy.models import Tenant

DOCUMENTS, LATENCY_MS, LEASE_SECONDS = 1_000, 60, 15
BUILTIN_DOCUMENTS = 5_000
PERIOD = (date(2026, 9, 1), date(2026, 11, 29))  # seed_deals bills over 90 days from 1 September
pytestmark = pytest.mark.django_db(transaction=True)


# --------------------------------------------------------------------------- freee 会計


def _freee_tenant(live_server, settings):
    """DOCUMENTS issued invoices of a standard-plan tenant (no 案件 tags) booking to a sandbox freee company."""
    tenant, user = seed_deals(deals=DOCUMENTS, invoices=DOCUMENTS)
    Tenant.objects.filter(pk=tenant.pk).update(plan=Tenant.Plan.STANDARD)
    tenant.refresh_from_db()
    company = connect_sandbox(tenant, live_server, settings)
    ledger_defaults_ensure(tenant=tenant)
    remote = {r.data["name"]: r.data["id"] for r in SandboxResource.objects.filter(company=company,
                                                                                   kind="account_item")}
    for item in AccountItem.objects.for_tenant(tenant).filter(name__in=remote):
        AccountItem.objects.filter(pk=item.pk).update(freee_id=remote[item.name])
    bank = SandboxResource.objects.filter(company=company, kind="walletable", data__type="bank_account").first()
    Wallet.objects.for_tenant(tenant).filter(kind="bank_account").update(freee_id=bank.resource_id)
    partners = list(SandboxResource.objects.filter(company=company, kind="partner").values_list("resource_id",
                                                                                                flat=True))
    invoices = Invoice.objects.filter(tenant=tenant).annotate(slot=F("pk") % len(partners))
    for slot, partner_id in enumerate(partners):
        invoices.filter(slot=slot).update(partner_id=partner_id)
    SyncSettings.objects.create(tenant=tenant, target="freee")
    return tenant, user, company


class DealPostsSeen:
    """When the sandbox (the live server, in this process) last received a deal POST: watching freee's side."""

    def __init__(self):
        self.last = 0.0

    def __call__(self, sender, environ, **kwargs):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("/api/1/deals"):
            self.last = time.monotonic()

    def just_now(self) -> bool:
        """Received < 20 ms ago: the sandbox is still in its LATENCY_MS before storing the deal."""
        return time.monotonic() - self.last < 0.02


def _deals_by_reference(company) -> Counter:
    return Counter(SandboxResource.objects.filter(company=company, kind="deal")
                   .values_list("data__ref_number", flat=True))


def _records(job) -> dict[str, int]:
    return dict(SyncRecord.objects.filter(job=job).values_list("status").annotate(n=Count("id")).order_by())


def _calls(tenant, since) -> Counter:
    logged = ApiCallLog.objects.filter(tenant=tenant, created_at__gte=since, path__startswith="/api/1/deals")
    return Counter(f"{method} {'/deals/{id}' if path.count('/') > 3 else '/deals'}"
                   for method, path in logged.values_list("method", "path"))


def test_a_freee_ledger_sync_survives_its_worker_being_killed_with_a_post_in_flight(live_server, settings):
    tenant, user, company = _freee_tenant(live_server, settings)
    sandbox_faults_set(company, latency_ms=LATENCY_MS)
    env = {"FREEE_API_URL": settings.FREEE_API_URL, "FREEE_ACCOUNTS_URL": settings.FREEE_ACCOUNTS_URL,
           "FREEE_CLIENT_RATE_LIMIT": "false", "SITE_URL": live_server.url, "FREEE_TIMEOUT_SECONDS": "5",
           "LEDGER_SYNC_LEASE_SECONDS": str(LEASE_SECONDS), "JOB_ABANDONED_AFTER_SECONDS": "2"}
    broker = app.conf.broker_url
    app.connection_for_write().default_channel.client.flushdb()

    posts = DealPostsSeen()
    request_started.connect(posts)
    first = harness.start_worker(broker_url=broker, extra_env=env, log_name="ledger-freee-1")
    started, since = time.monotonic(), timezone.now()
    job = services.export_start(tenant=tenant, actor=user, start=PERIOD[0], end=PERIOD[1], groups=["sales"],
                                closed_only=False, unsynced_only=False)
    harness.wait_until(lambda: posts.just_now() and sum(_deals_by_reference(company).values()) >= DOCUMENTS // 3,
                       timeout=180, interval=0.005, what="a deal POST in flight after a third of the documents")
    harness.kill(first)
    request_started.disconnect(posts)
    in_flight = SyncedDocument.objects.filter(tenant=tenant, create_attempts=1, freee_deal_id__isnull=True).get()
    at_kill = _records(job)
    linked_at_kill = SyncedDocument.objects.filter(tenant=tenant, freee_deal_id__isnull=False).count()
    # The sandbox finishes the POST the dead worker sent: freee did store that deal.
    harness.wait_until(lambda: _deals_by_reference(company)[in_flight.reference] == 1, timeout=10,
                       what="the in-flight deal to be stored")
    deals_at_kill = sum(_deals_by_reference(company).values())
    time.sleep(3)
    assert _records(job) == at_kill and Job.objects.get(pk=job.pk).status == Job.Status.RUNNING  # stuck

    swept = jobs.jobs_recover_abandoned(older_than=timedelta(seconds=2))  # the beat's sweeper (600 s there)
    with harness.worker(broker_url=broker, extra_env=env, log_name="ledger-freee-2"):
        harness.wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=180, what="the resumed job")
    elapsed = time.monotonic() - started
    job.refresh_from_db()
    deals = _deals_by_reference(company)
    links = dict(SyncedDocument.objects.filter(tenant=tenant).values_list("reference", "freee_deal_id"))
    records = SyncRecord.objects.filter(job=job)
    attempts = dict(records.values_list("attempts").annotate(n=Count("id")).order_by())
    calls = _calls(tenant, since)
    in_flight_record = records.get(document_id=in_flight.document_id)
    harness.report("worker SIGKILLed during a 会計連携 (freee会計) of issued invoices", [
        f"{DOCUMENTS:,} documents, {LATENCY_MS} ms per freee call; killed with {deals_at_kill} deals in freee, "
        f"{linked_at_kill} linked here, records {at_kill}; one POST in flight (freee stored it)",
        f"sweeper: {swept}; job resumed {job.recoveries} time(s) -> {job.status}, {job.done}/{job.total}, "
        f"result errors={job.result.get('errors')}",
        f"records: {_records(job)}, attempts per record {attempts}, one record per document: "
        f"{records.values('document_id').distinct().count() == records.count()}",
        f"freee deals: {sum(deals.values()):,} for {len(links):,} documents, "
        f"{sum(1 for n in deals.values() if n > 1)} references with two or more deals",
        f"the in-flight document: its record waited out the dead worker's {LEASE_SECONDS} s lease "
        f"({in_flight_record.attempts} attempts), then its deal was found by ref_number: "
        f"deal {in_flight_record.freee_deal_id} ({in_flight_record.get_status_display()})",
        f"after the kill: {calls['GET /deals']} reconciliation(s) by ref_number (GET /deals), "
        f"{calls['PUT /deals/{id}']} update(s) in place of documents the dead worker had sent, "
        f"{calls['POST /deals']} POSTs answered in all; {elapsed:.0f} s from the click to the end",
    ])
    assert swept == {"recovered": 1, "failed": 0}
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (DOCUMENTS, DOCUMENTS)
    assert _records(job) == {"done": DOCUMENTS} and records.count() == DOCUMENTS
    assert set(deals.values()) == {1} and set(deals) == set(links) and len(links) == DOCUMENTS
    assert None not in links.values() and in_flight_record.freee_deal_id == links[in_flight.reference]
    assert calls["GET /deals"] >= 1  # the in-flight document was looked up, not created twice
    assert calls["POST /deals"] + 1 == DOCUMENTS  # the in-flight POST's answer never arrived


# --------------------------------------------------------------------------- built-in ledger


def _records_of(tenant) -> dict[str, int]:
    return dict(SyncRecord.objects.filter(tenant=tenant).values_list("status").annotate(n=Count("id")).order_by())


def test_a_builtin_ledger_sync_survives_its_worker_being_killed_mid_batch(settings):
    tenant, user = seed_deals(deals=BUILTIN_DOCUMENTS, invoices=BUILTIN_DOCUMENTS)
    ledger_defaults_ensure(tenant=tenant)
    SyncSettings.objects.create(tenant=tenant, auto_sync=True)
    ids = list(Invoice.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True))
    broker = app.conf.broker_url
    app.connection_for_write().default_channel.client.flushdb()

    first = harness.start_worker(broker_url=broker, extra_env={}, log_name="ledger-builtin-1")
    started = time.monotonic()
    for offset in range(0, len(ids), services.BATCH):  # 自動連携 as a bulk change announces it
        services.documents_changed(tenant=tenant, document_type="invoice", document_ids=ids[offset:offset + 1000],
                                   operation="add", actor=user)
    harness.wait_until(lambda: _records_of(tenant).get("done", 0) >= services.BATCH
                       and _records_of(tenant).get("in_progress", 0) > 0, timeout=120, interval=0.01,
                       what="a second batch in progress")
    harness.kill(first)
    at_kill = _records_of(tenant)
    trades_at_kill = Trade.objects.filter(tenant=tenant).count()
    time.sleep(3)
    assert _records_of(tenant) == at_kill  # stuck

    # The beat's sweeper (every 5 minutes, for records 連携中 for 30 minutes), thresholds shortened.
    swept = services.sync_records_requeue_stale(waiting_for=timedelta(seconds=2), in_progress_for=timedelta(seconds=2))
    with harness.worker(broker_url=broker, extra_env={}, log_name="ledger-builtin-2"):
        harness.wait_until(lambda: _records_of(tenant) == {"done": BUILTIN_DOCUMENTS}, timeout=180,
                           what="every record done")
    elapsed = time.monotonic() - started
    per_document = Counter(Trade.objects.filter(tenant=tenant).values_list("source_key", flat=True))
    harness.report("worker SIGKILLed during 自動連携 to the built-in ledger", [
        f"{BUILTIN_DOCUMENTS:,} documents in batches of {services.BATCH:,}; killed with records {at_kill}, "
        f"{trades_at_kill:,} trades booked (nothing of the batch in progress: its ledger transaction never "
        f"committed)",
        f"sweeper: {swept} records sent again; records at the end: {_records_of(tenant)}",
        f"trades: {sum(per_document.values()):,} for {len(per_document):,} documents, "
        f"{sum(1 for n in per_document.values() if n > 1)} documents with two or more; journal entries: "
        f"{JournalEntry.objects.filter(tenant=tenant).count():,}; {elapsed:.0f} s in all",
    ])
    assert trades_at_kill % services.BATCH == 0  # whole batches or nothing
    assert len(per_document) == BUILTIN_DOCUMENTS and set(per_document.values()) == {1}
    assert JournalEntry.objects.filter(tenant=tenant).count() == BUILTIN_DOCUMENTS
