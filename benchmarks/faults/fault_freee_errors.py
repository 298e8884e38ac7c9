"""Issue 8 item 4: freee answering 5xx, timing out after it stored an invoice, answering 429, and locking us
out (403) — through the sandbox's switches, with a real worker.

An invoice is issued while freee answers 500 once and then times out after creating it: the invoice goes
要確認, reconciliation finds the one freee created, and freee holds exactly one invoice. A bulk status refresh
runs into the lock-out and then a 429: the job waits (its heartbeat going), and completes afterwards. The drill
shortens freee's ten-minute lock-out to a few seconds (FREEE_LOCKOUT_SECONDS) and nothing else.
"""

import threading
import time

import pytest
from django.utils import timezone

from benchmarks.data import connect_sandbox, mirror_in_sandbox, seed_deals
from benchmarks.faults import harness
from config.celery import app
from core.models import Job
from integrations.models import ApiCallLog
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import sandbox_faults_set
from invoices import bulk, services
from invoices.models import Invoice
from tenancy.models import Membership
from tests.factories import DealFactory, DealLineFactory, DealTypeFactory

INVOICES = 300
LOCKOUT_SECONDS = 5
pytestmark = pytest.mark.django_db(transaction=True)


def _watch(read, seen: list, stop: threading.Event) -> None:
    """Record every distinct state the user would see while polling the page."""
    while not stop.is_set():
        state = read()
        if not seen or seen[-1] != state:
            seen.append(state)
        time.sleep(0.2)


def test_jobs_back_off_through_freee_faults_and_complete(live_server, settings):
    tenant, user = seed_deals(deals=INVOICES, invoices=INVOICES)
    company = connect_sandbox(tenant, live_server, settings)
    mirror_in_sandbox(company, tenant)
    deal = DealFactory(tenant=tenant, owner=user, deal_type=DealTypeFactory(tenant=tenant, linked_to_freee=True))
    DealLineFactory(deal=deal)
    partner = SandboxResource.objects.filter(company=company, kind="partner").first().data
    membership = Membership.objects.get(tenant=tenant, user=user)
    env = {"FREEE_API_URL": settings.FREEE_API_URL, "FREEE_ACCOUNTS_URL": settings.FREEE_ACCOUNTS_URL,
           "FREEE_CLIENT_RATE_LIMIT": "false", "SITE_URL": live_server.url, "FREEE_TIMEOUT_SECONDS": "1.5",
           "FREEE_LOCKOUT_SECONDS": str(LOCKOUT_SECONDS)}
    app.connection_for_write().default_channel.client.flushdb()
    invoice_states, job_states, stop = [], [], threading.Event()

    with harness.worker(broker_url=app.conf.broker_url, extra_env=env, log_name="freee-errors"):
        # (a) an invoice through a 500 and a timeout after freee stored it
        sandbox_faults_set(company, server_error_5xx=1, timeout_after_create={"count": 1, "timeout_seconds": 4})
        invoice = services.invoice_issue(deal=deal, membership=membership, partner_id=partner["id"],
                                         partner_name=partner["name"])
        threading.Thread(target=_watch, args=(lambda: Invoice.objects.get(pk=invoice.pk).get_state_display(),
                                              invoice_states, stop), daemon=True).start()
        harness.wait_until(lambda: Invoice.objects.get(pk=invoice.pk).state == Invoice.State.ISSUED,
                           timeout=240, what="the invoice issued")
        # (b) a bulk refresh into the lock-out, then a 429
        # freee's own limits back on (the 429 switch fires only where limits apply), then the two faults
        sandbox_faults_set(company, rate_limits_off=None, rate_limit_429=1,
                           lockout_until=timezone.now() + timezone.timedelta(seconds=LOCKOUT_SECONDS))
        job = bulk.bulk_refresh_start(tenant=tenant, actor=user)
        threading.Thread(target=_watch, args=(lambda: Job.objects.get(pk=job.pk).get_status_display(),
                                              job_states, stop), daemon=True).start()
        harness.wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=240, what="the bulk refresh")
    stop.set()
    job.refresh_from_db()
    in_freee = [r for r in SandboxResource.objects.filter(company=company, kind="invoice")
                if r.data.get("memo", "").find(Invoice.objects.get(pk=invoice.pk).reference) >= 0]
    answers = list(ApiCallLog.objects.filter(tenant=tenant).exclude(status_code=200)
                   .values_list("method", "path", "status_code"))
    harness.report("freee 5xx, timeout after create, 403 lock-out and 429", [
        f"freee's non-200 answers and our timeouts: {answers}",
        f"the invoice as the user saw it: {' → '.join(invoice_states)}; freee invoices for it: {len(in_freee)}",
        f"the bulk refresh as the user saw it: {' → '.join(job_states)}; result {job.result}",
    ])
    assert len(in_freee) == 1
    assert {403, 429, 500, None} <= {status for _, _, status in answers}  # every fault was met
    # the seeded invoices and the one issued above
    assert job.status == Job.Status.SUCCEEDED and job.result["updated"] + job.result["unchanged"] == INVOICES + 1
