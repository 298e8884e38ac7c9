"""Issue 7 item 8: one event fanned out to 1,000 linked recipients against the LINE WORKS sandbox limited to
240 calls/min. Reports messages delivered (must be 1,000, no duplicates) and the total time next to the
rate-limit bound of 1,000/240 minutes. Runs a real Celery worker (threads) and the live sandbox."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db.models import Count

from benchmarks.data import lineworks_recipients_seed
from config.celery import app
from core import events
from integrations.sandbox.models import SandboxLineWorksMessage
from notifications.models import Delivery

RECIPIENTS, PER_MINUTE = 1000, 240

pytestmark = pytest.mark.django_db(transaction=True)


def test_fan_out_1000_recipients_under_240_per_minute(live_server, settings):
    tenant, _domain, users = lineworks_recipients_seed(live_server.url, settings, tenant_name="ベンチマーク株式会社",
                                                      prefix="bench", recipients=RECIPIENTS, per_minute=PER_MINUTE)
    app.connection_for_write().default_channel.client.flushdb()
    with start_worker(app, pool="threads", concurrency=8, perform_ping_check=False, shutdown_timeout=30,
                      queues=["interactive", "bulk", "default"]):
        started = time.monotonic()
        events.emit(tenant=tenant, kind=events.INVOICE_ISSUED, recipients=users, key="bench:1",
                    payload={"title": "請求書を発行しました", "text": "ベンチマーク", "url": "/invoices/"})
        deadline = started + 15 * 60
        while Delivery.objects.filter(status="sent").count() < RECIPIENTS and time.monotonic() < deadline:
            time.sleep(1)
        elapsed = time.monotonic() - started
    delivered = SandboxLineWorksMessage.objects.count()
    duplicates = (SandboxLineWorksMessage.objects.values("user_id").annotate(n=Count("id")).filter(n__gt=1).count())
    bound = RECIPIENTS / PER_MINUTE * 60
    print(f"\ndelivered {delivered:,} messages to {RECIPIENTS:,} recipients, {duplicates} recipients with duplicates;"
          f" {elapsed:.0f} s total vs rate-limit bound {bound:.0f} s ({RECIPIENTS}/{PER_MINUTE} min)")
    assert delivered == RECIPIENTS and duplicates == 0
