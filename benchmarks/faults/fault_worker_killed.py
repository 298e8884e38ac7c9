"""Issue 8 item 4: a Celery worker SIGKILLed in the middle of a bulk status refresh.

A real worker process refreshes the invoices of a tenant against the sandbox (slowed down so the job takes a
while); we SIGKILL it mid-job. Its message is lost with it (acks_late keeps it unacked in Redis until the
one-hour visibility timeout), so the job would hang. core's abandoned-job sweeper notices the missing
heartbeat, re-sends the job, and a restarted worker resumes it: the job finishes, every invoice has freee's
state, and no status change is recorded twice.
"""

import time
from datetime import timedelta

import pytest

from benchmarks.data import connect_sandbox, mirror_in_sandbox, seed_deals
from benchmarks.faults import harness
from config.celery import app
from core import jobs
from core.models import Job
from integrations.models import ApiCallLog
from integrations.sandbox.services import sandbox_faults_set
from invoices import bulk
from invoices.models import Invoice

INVOICES = 1_000
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_bulk_refresh_survives_its_worker_being_killed(live_server, settings):
    tenant, user = seed_deals(deals=INVOICES, invoices=INVOICES)
    company = connect_sandbox(tenant, live_server, settings)
    mirror_in_sandbox(company, tenant)
    sandbox_faults_set(company, latency_ms=700)  # every freee call takes 0.7 s: time to kill mid-job
    env = {"FREEE_API_URL": settings.FREEE_API_URL, "FREEE_ACCOUNTS_URL": settings.FREEE_ACCOUNTS_URL,
           "FREEE_CLIENT_RATE_LIMIT": "false", "SITE_URL": live_server.url}
    broker = app.conf.broker_url
    app.connection_for_write().default_channel.client.flushdb()

    first = harness.start_worker(broker_url=broker, extra_env=env, log_name="bulk-refresh-1")
    job = bulk.bulk_refresh_start(tenant=tenant, actor=user)
    harness.wait_until(lambda: Job.objects.get(pk=job.pk).done > 0, timeout=60, what="the first progress")
    harness.kill(first)
    killed_at = Job.objects.get(pk=job.pk)
    calls_before = ApiCallLog.objects.filter(tenant=tenant).count()
    time.sleep(3)
    assert Job.objects.get(pk=job.pk).status == Job.Status.RUNNING  # stuck: nobody is working on it

    with harness.worker(broker_url=broker, extra_env=env, log_name="bulk-refresh-2"):
        swept = jobs.jobs_recover_abandoned(older_than=timedelta(seconds=2))  # the periodic sweeper's call
        harness.wait_until(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=180, what="the resumed job")
    job.refresh_from_db()
    settled = Invoice.objects.filter(tenant=tenant, payment_status="settled").count()
    harness.report("worker SIGKILLed during a bulk status refresh", [
        f"{INVOICES:,} invoices; worker killed at {killed_at.done}/{killed_at.total} done, "
        f"after {calls_before} freee calls",
        f"sweeper: {swept}; job resumed {job.recoveries} time(s) -> {job.status}, result {job.result}",
        f"invoices settled in freee: {INVOICES // 4}, settled here: {settled}",
        f"freee calls in all: {ApiCallLog.objects.filter(tenant=tenant).count()}",
    ])
    assert swept == {"recovered": 1, "failed": 0}
    assert job.status == Job.Status.SUCCEEDED and job.recoveries == 1
    assert settled == INVOICES // 4
