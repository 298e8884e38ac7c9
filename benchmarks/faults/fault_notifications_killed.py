"""Issue 8 item 4: a Celery worker SIGKILLed in the middle of a LINE WORKS notification fan-out.

One event is fanned out to RECIPIENTS linked members by a real worker against the LINE WORKS sandbox (each send
slowed to LATENCY_MS). We SIGKILL the worker while one of its messages is on its way to LINE WORKS: the
sandbox still delivers it (the request outlives the worker), but the worker never hears back. LINE WORKS has no
idempotency key, so re-sending that row would message the recipient twice. The beat's sweeper
(`notifications.sweep`, its staleness shortened from two minutes to one second) marks that row 送信未確認
instead of re-sending it, puts rows that were claimed but never sent back to pending, and a restarted worker
sends the rest: every recipient has exactly one message, none lost, none twice.
"""

import time
from datetime import timedelta

import pytest
from django.core.signals import request_started
from django.db.models import Count

from benchmarks.data import lineworks_recipients_seed
from benchmarks.faults import harness
from config.celery import app
from core import events
from integrations.sandbox.lineworks import sandbox_lineworks_faults_set
from integrations.sandbox.models import SandboxLineWorksMessage
from notifications import outbox
from notifications.models import Delivery, DeliveryAttempt

RECIPIENTS, LATENCY_MS, PER_MINUTE = 200, 300, 240
pytestmark = pytest.mark.django_db(transaction=True)


def _statuses() -> dict[str, int]:
    return dict(Delivery.objects.values_list("status").annotate(n=Count("id")).order_by())


class MessagePostsSeen:
    """When the sandbox (the live server, in this process) last received a message POST: watching LINE WORKS."""

    def __init__(self):
        self.last = 0.0

    def __call__(self, sender, environ, **kwargs):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").endswith("/messages"):
            self.last = time.monotonic()

    def just_now(self) -> bool:
        """Received < 30 ms ago: the sandbox is still in its LATENCY_MS before storing the message."""
        return time.monotonic() - self.last < 0.03


def _messages_per_recipient() -> dict[str, int]:
    return dict(SandboxLineWorksMessage.objects.values_list("user__user_id").annotate(n=Count("id")).order_by())


def test_a_fan_out_survives_its_worker_being_killed_with_a_message_in_flight(live_server, settings):
    tenant, domain, users = lineworks_recipients_seed(live_server.url, settings, tenant_name="フォールト株式会社",
                                                      prefix="fault", recipients=RECIPIENTS, per_minute=PER_MINUTE)
    sandbox_lineworks_faults_set(domain, latency_ms=LATENCY_MS)
    env = {"SITE_URL": live_server.url, "LINEWORKS_AUTH_URL": settings.LINEWORKS_AUTH_URL,
           "LINEWORKS_API_URL": settings.LINEWORKS_API_URL}
    broker = app.conf.broker_url
    app.connection_for_write().default_channel.client.flushdb()

    posts = MessagePostsSeen()
    request_started.connect(posts)
    first = harness.start_worker(broker_url=broker, extra_env=env, queues="interactive,bulk,default",
                                 log_name="fanout-1")
    started = time.monotonic()
    events.emit(tenant=tenant, kind=events.INVOICE_ISSUED, recipients=users, key="fault:fanout",
                payload={"title": "請求書を発行しました", "text": "フォールトドリル", "url": "/invoices/"})
    harness.wait_until(lambda: posts.just_now() and _statuses().get("sent", 0) >= RECIPIENTS // 3,
                       timeout=180, interval=0.005, what="a message POST in flight after a third of the fan-out")
    harness.kill(first)
    request_started.disconnect(posts)
    at_kill = _statuses()
    in_flight = list(DeliveryAttempt.objects.filter(in_flight=True).values_list("delivery_id", flat=True))
    flying_to = set(Delivery.objects.filter(pk__in=in_flight).values_list("recipient__lineworks_links__lineworks_user_id",
                                                                          flat=True))
    # The sandbox finishes the request the dead worker sent: LINE WORKS did deliver that message.
    harness.wait_until(lambda: all(_messages_per_recipient().get(u) == 1 for u in flying_to), timeout=10,
                       what="the in-flight message to arrive")
    time.sleep(2)
    assert _statuses() == at_kill and at_kill.get("sending") == 1  # stuck: nobody is working on it

    swept = outbox.notifications_sweep(sending_stale=timedelta(seconds=1))  # the beat's sweeper, every minute
    with harness.worker(broker_url=broker, extra_env=env, queues="interactive,bulk,default", log_name="fanout-2"):
        harness.wait_until(lambda: not Delivery.objects.filter(status__in=["pending", "failed", "sending"]).exists(),
                           timeout=180, what="the rest of the fan-out")
    elapsed = time.monotonic() - started
    final = _statuses()
    per_recipient = _messages_per_recipient()
    twice = sum(1 for n in per_recipient.values() if n > 1)
    missing = RECIPIENTS - len(per_recipient)
    harness.report("worker SIGKILLed during a LINE WORKS fan-out", [
        f"{RECIPIENTS} recipients, {LATENCY_MS} ms per send; worker killed with {at_kill.get('sent', 0)} sent, "
        f"{at_kill.get('sending', 0)} sending ({len(in_flight)} in flight to LINE WORKS), "
        f"{at_kill.get('pending', 0)} pending",
        f"sweeper: {swept}",
        f"outbox at the end: {final}",
        f"sandbox inbox: {sum(per_recipient.values())} messages, {len(per_recipient)} recipients reached, "
        f"{twice} with duplicates, {missing} without a message",
        f"attempts in all: {DeliveryAttempt.objects.count()}; {elapsed:.0f} s from the event to the last send",
    ])
    assert len(in_flight) == 1 and swept["unknown"] == 1 and swept["reclaimed"] == 0
    assert final == {"sent": RECIPIENTS - 1, "unknown": 1}
    assert Delivery.objects.get(status="unknown").pk == in_flight[0]
    assert twice == 0 and missing == 0 and sum(per_recipient.values()) == RECIPIENTS
