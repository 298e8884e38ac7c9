"""Issue 7 item 8: one event fanned out to 1,000 linked recipients against the LINE WORKS sandbox limited to
240 calls/min. Reports messages delivered (must be 1,000, no duplicates) and the total time next to the
rate-limit bound of 1,000/240 minutes. Runs a real Celery worker (threads) and the live sandbox."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.db.models import Count

from config.celery import app
from core import events
from integrations.sandbox.lineworks import sandbox_lineworks_domain_create
from integrations.sandbox.models import SandboxLineWorksMessage, SandboxLineWorksUser
from notifications.models import Delivery, LineWorksLink, LineWorksUserLink
from tenancy.models import Membership, Tenant

RECIPIENTS, PER_MINUTE = 1000, 240

pytestmark = pytest.mark.django_db(transaction=True)


def _seed(live_url: str, settings):
    settings.SITE_URL = live_url
    settings.LINEWORKS_AUTH_URL = live_url + "/sandbox/lineworks/auth"
    settings.LINEWORKS_API_URL = live_url + "/sandbox/lineworks/v1.0"
    tenant = Tenant.objects.create(name="ベンチマーク株式会社")
    domain = sandbox_lineworks_domain_create(tenant=tenant, name="bench", users=0, rate_limit_per_minute=PER_MINUTE)
    link = LineWorksLink.objects.create(
        tenant=tenant, domain_id=str(domain.domain_id), client_id=domain.client_id, client_secret=domain.client_secret,
        service_account=domain.service_account, private_key=domain.private_key, bot_id=domain.bot_id,
        bot_secret=domain.bot_secret, rate_limit_per_minute=PER_MINUTE)
    users = get_user_model().objects.bulk_create(get_user_model()(username=f"bench{i}") for i in range(RECIPIENTS))
    Membership.objects.bulk_create(Membership(tenant=tenant, user=u) for u in users)
    lw_users = SandboxLineWorksUser.objects.bulk_create(
        SandboxLineWorksUser(domain=domain, user_id=f"lw-{i}", login_id=f"u{i}@bench", name=f"u{i}")
        for i in range(RECIPIENTS))
    LineWorksUserLink.objects.bulk_create(
        LineWorksUserLink(tenant=tenant, link=link, user=u, lineworks_user_id=lw.user_id)
        for u, lw in zip(users, lw_users, strict=True))
    return tenant, users


def test_fan_out_1000_recipients_under_240_per_minute(live_server, settings):
    tenant, users = _seed(live_server.url, settings)
    app.connection_for_write().default_channel.client.flushdb()
    with start_worker(app, pool="threads", concurrency=8, perform_ping_check=False, shutdown_timeout=30,
                      queues=["default", "notifications"]):
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
