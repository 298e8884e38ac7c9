"""Issue 8 item 4: Redis stopped while users issue invoices.

Redis (broker, cache and rate limiter) is shut down; sales staff click 発行 on five deals. Every click answers
at once with the queued invoice (the row and its Job are in PostgreSQL), nothing is lost and nothing fails.
Redis comes back empty — the messages never reached it — so core's stale-job sweeper re-sends the queued jobs,
a worker issues them, and freee ends up with exactly one invoice per deal.
"""

import atexit
import time
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.urls import reverse

from benchmarks.data import connect_sandbox
from benchmarks.faults import harness
from config.celery import app
from core import jobs
from core.models import Job
from integrations.sandbox.models import SandboxResource
from invoices.models import Invoice
from tenancy.models import Membership
from tests.factories import DealFactory, DealTypeFactory, MembershipFactory, TenantFactory, UserFactory

DEALS = 5
pytestmark = pytest.mark.django_db(transaction=True)


def test_invoices_issued_while_redis_is_down_are_sent_when_it_is_back(live_server, settings):
    tenant = TenantFactory(name="障害訓練株式会社")
    user = UserFactory(username="fault-sales")
    MembershipFactory(tenant=tenant, user=user, role=Membership.Role.MEMBER)
    company = connect_sandbox(tenant, live_server, settings)
    deal_type = DealTypeFactory(tenant=tenant, linked_to_freee=True)
    deals = [DealFactory(tenant=tenant, deal_type=deal_type, owner=user, amount=110_000) for _ in range(DEALS)]
    partner = SandboxResource.objects.filter(company=company, kind="partner").first().data
    browser = Client()
    browser.force_login(user)
    env = {"FREEE_API_URL": settings.FREEE_API_URL, "FREEE_ACCOUNTS_URL": settings.FREEE_ACCOUNTS_URL,
           "FREEE_CLIENT_RATE_LIMIT": "false", "SITE_URL": live_server.url}
    broker = app.conf.broker_url
    redis = app.connection_for_write().default_channel.client
    redis.flushdb()

    harness.redis_stop(redis)
    answers = []
    try:
        for deal in deals:
            started = time.perf_counter()
            response = browser.post(reverse("invoices:issue", args=[deal.public_id]),
                                    {"partner_id": partner["id"], "partner_name": partner["name"]})
            answers.append((response.status_code, time.perf_counter() - started, response.content.decode()))
        queued = Job.objects.filter(tenant=tenant, kind="invoices.issue", status=Job.Status.QUEUED).count()
        pending = Invoice.objects.filter(tenant=tenant, state=Invoice.State.PENDING).count()
    finally:
        # Redis back (empty). It stays up for the drills that run after this one in the same session (the
        # devstack's own server is gone) and is stopped when pytest exits.
        restarted = harness.redis_start(urlparse(broker).port)
        atexit.register(harness.stop, restarted)

    with harness.worker(broker_url=broker, extra_env=env, log_name="redis-down"):
        resent = jobs.jobs_requeue_stale(older_than=timedelta(0))  # the periodic sweeper's call
        harness.wait_until(
            lambda: Invoice.objects.filter(tenant=tenant, state=Invoice.State.ISSUED).count() == DEALS,
            timeout=120, what="every invoice issued")
    in_freee = SandboxResource.objects.filter(company=company, kind="invoice").count()
    harness.report("Redis stopped while users issue invoices", [
        f"{DEALS} clicks on 発行 with Redis down: answers {[code for code, _, _ in answers]}, "
        f"slowest {max(seconds for _, seconds, _ in answers):.2f} s",
        f"while down: {pending} invoices 発行待ち, {queued} jobs queued (the page says 順番待ち)",
        f"Redis back (empty): sweeper re-sent {resent}; issued {DEALS}/{DEALS}; invoices in freee: {in_freee}",
    ])
    assert all(code == 200 and "順番待ち" in page for code, _, page in answers)
    assert pending == queued == DEALS and resent == DEALS
    assert in_freee == DEALS
