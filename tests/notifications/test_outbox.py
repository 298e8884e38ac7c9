"""Fan-out and delivery against the sandbox: once per recipient, preferences, redelivery, dead workers,
429 with rateLimit-reset, the shared per-link budget, dead rows and the retry button."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import events
from core.models import Event
from integrations.sandbox.lineworks import sandbox_lineworks_faults_set
from notifications import outbox, services
from notifications.models import Delivery, DeliveryAttempt
from tests.factories import MembershipFactory, UserFactory
from tests.notifications.factories import emit_event, make_user_link

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def linked(lw_sandbox, world_a):
    """admin and member of world_a linked to sandbox users 0 and 1."""
    make_user_link(lw_sandbox.link, world_a.admin, lw_sandbox.user(0).user_id)
    make_user_link(lw_sandbox.link, world_a.member, lw_sandbox.user(1).user_id)
    return lw_sandbox


def send_all(event) -> None:
    for delivery_id in Delivery.objects.filter(event=event).values_list("pk", flat=True):
        outbox.delivery_send(delivery_id=delivery_id)


def test_fan_out_creates_one_row_per_linked_recipient_and_is_idempotent(linked, world_a):
    unlinked = MembershipFactory(tenant=world_a.tenant, user=UserFactory()).user
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member, unlinked])
    outbox.event_fan_out(event_id=event.pk)
    Event.objects.filter(pk=event.pk).update(dispatched_at=None)  # as if the first run died before its commit
    outbox.event_fan_out(event_id=event.pk)
    assert sorted(Delivery.objects.values_list("recipient_id", flat=True)) == sorted([world_a.admin.pk,
                                                                                     world_a.member.pk])
    assert Event.objects.get(pk=event.pk).dispatched_at is not None


def test_each_recipient_gets_the_message_once_even_when_the_task_is_redelivered(linked, world_a):
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member])
    outbox.event_fan_out(event_id=event.pk)
    send_all(event)
    send_all(event)  # redelivered tasks find the rows sent
    assert linked.user(0).messages.count() == 1 and linked.user(1).messages.count() == 1
    content = linked.user(0).messages.get().content
    assert content["type"] == "link" and content["link"].startswith("http") and "請求書を発行しました" in content["contentText"]


def test_a_member_who_turned_the_kind_off_gets_nothing(linked, world_a):
    enabled = [kind for kind in events.KINDS if kind != events.INVOICE_ISSUED]
    services.preferences_save(tenant=world_a.tenant, user=world_a.member, enabled_kinds=enabled)
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member])
    outbox.event_fan_out(event_id=event.pk)
    assert list(Delivery.objects.values_list("recipient_id", flat=True)) == [world_a.admin.pk]
    other = emit_event(world_a.tenant, [world_a.member], kind=events.INVOICE_SETTLED, key="settled:1")
    outbox.event_fan_out(event_id=other.pk)
    assert Delivery.objects.filter(recipient=world_a.member).count() == 1


def test_preferences_page_saves_with_htmx(world_a):
    response = world_a.client("member").post(reverse("notifications:preferences"),
                                              {"kinds": [events.INVOICE_ISSUED]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "保存しました" in response.content.decode()
    from notifications.selectors import enabled_kinds
    assert enabled_kinds(tenant=world_a.tenant, user=world_a.member) == {events.INVOICE_ISSUED}


def test_a_worker_killed_before_calling_out_is_reclaimed_and_the_recipient_gets_exactly_one(linked, world_a):
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member])
    outbox.event_fan_out(event_id=event.pk)
    abandoned = Delivery.objects.get(recipient=world_a.admin)
    assert outbox.delivery_claim(delivery_id=abandoned.pk) is not None  # claimed, then the worker died
    send_all(event)  # a redelivered task cannot take the claimed row
    assert linked.user(0).messages.count() == 0 and linked.user(1).messages.count() == 1
    assert outbox.deliveries_reclaim_abandoned(now=timezone.now()) == []  # not stale yet
    later = timezone.now() + outbox.SENDING_STALE + timedelta(seconds=1)
    assert outbox.deliveries_reclaim_abandoned(now=later) == [abandoned.pk]
    Delivery.objects.filter(pk=abandoned.pk).update(next_attempt_at=timezone.now())
    send_all(event)
    assert linked.user(0).messages.count() == 1 and linked.user(1).messages.count() == 1
    assert Delivery.objects.filter(status="sent").count() == 2


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the raise runs, like a process that is gone."""


def _die_after_the_call(monkeypatch, *, then=None):
    """LINE WORKS receives the real call; the worker dies (or, with `then`, runs it) before hearing back."""
    from integrations.lineworks.client import LineWorksClient

    real = LineWorksClient.send_to_user

    def send_then_die(self, user_id, content):
        real(self, user_id, content)
        if then is None:
            raise WorkerKilled
        then()

    monkeypatch.setattr(LineWorksClient, "send_to_user", send_then_die)


def test_a_worker_killed_with_the_message_in_flight_is_marked_unknown_never_resent(linked, world_a, monkeypatch):
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member])
    outbox.event_fan_out(event_id=event.pk)
    in_flight = Delivery.objects.get(recipient=world_a.admin)
    _die_after_the_call(monkeypatch)
    with pytest.raises(WorkerKilled):
        outbox.delivery_send(delivery_id=in_flight.pk)
    monkeypatch.undo()
    assert linked.user(0).messages.count() == 1  # LINE WORKS delivered it; we never heard back
    assert DeliveryAttempt.objects.get(delivery=in_flight).in_flight

    later = timezone.now() + outbox.SENDING_STALE + timedelta(seconds=1)
    assert outbox.deliveries_mark_unknown(now=later) == [in_flight.pk]
    assert outbox.deliveries_reclaim_abandoned(now=later) == []
    send_all(event)  # redelivered tasks and the member's own send
    in_flight.refresh_from_db()
    assert in_flight.status == "unknown" and in_flight.last_error == outbox.UNKNOWN_MESSAGE
    attempt = DeliveryAttempt.objects.get(delivery=in_flight)
    assert not attempt.in_flight and attempt.error == outbox.INTERRUPTED_MESSAGE
    assert linked.user(0).messages.count() == 1 and linked.user(1).messages.count() == 1


def test_an_unknown_delivery_is_shown_in_the_log_and_resent_only_by_an_admin(linked, world_a, monkeypatch):
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get()
    _die_after_the_call(monkeypatch)
    with pytest.raises(WorkerKilled):
        outbox.delivery_send(delivery_id=delivery.pk)
    monkeypatch.undo()
    outbox.deliveries_mark_unknown(now=timezone.now() + outbox.SENDING_STALE * 2)
    log = world_a.client("admin").get(reverse("notifications:delivery_list") + "?status=unknown").content.decode()
    assert "送信未確認" in log and "応答を受け取る前に処理が中断されました" in log and "再送" in log
    world_a.client("admin").post(reverse("notifications:delivery_retry", args=[delivery.public_id]),
                                 HTTP_HX_REQUEST="true")
    outbox.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "sent" and linked.user(0).messages.count() == 2  # the admin chose to send again


def test_the_sweeper_resends_never_attempted_rows_but_not_rows_in_flight(linked, world_a, monkeypatch):
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member])
    outbox.event_fan_out(event_id=event.pk)
    in_flight = Delivery.objects.get(recipient=world_a.admin)
    claimed_only = Delivery.objects.get(recipient=world_a.member)
    _die_after_the_call(monkeypatch)
    with pytest.raises(WorkerKilled):
        outbox.delivery_send(delivery_id=in_flight.pk)
    monkeypatch.undo()
    assert outbox.delivery_claim(delivery_id=claimed_only.pk) is not None  # another worker died right after this
    queued = []
    monkeypatch.setattr("notifications.tasks.delivery_send_task.delay", queued.append)
    swept = outbox.notifications_sweep(sending_stale=timedelta(0))
    assert swept["unknown"] == 1 and swept["reclaimed"] == 1 and queued == [claimed_only.pk]
    monkeypatch.undo()
    outbox.delivery_send(delivery_id=claimed_only.pk)
    assert linked.user(0).messages.count() == 1 and linked.user(1).messages.count() == 1
    assert dict(Delivery.objects.values_list("recipient_id", "status")) == {world_a.admin.pk: "unknown",
                                                                            world_a.member.pk: "sent"}


def test_a_slow_send_that_outlives_the_sweeper_still_ends_sent(linked, world_a, monkeypatch):
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get()
    marked = []
    _die_after_the_call(monkeypatch, then=lambda: marked.extend(
        outbox.deliveries_mark_unknown(now=timezone.now() + outbox.SENDING_STALE * 2)))
    outbox.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert marked == [delivery.pk]  # the sweeper judged it abandoned while the call hung
    assert delivery.status == "sent" and DeliveryAttempt.objects.get().status_code == 201
    assert linked.user(0).messages.count() == 1


def test_a_recipient_whose_id_link_was_removed_is_dead_with_the_reason(linked, world_a):
    from notifications.models import LineWorksUserLink
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    LineWorksUserLink.objects.filter(user=world_a.admin).delete()
    assert outbox.delivery_send(delivery_id=Delivery.objects.get().pk) is None
    delivery = Delivery.objects.get()
    assert delivery.status == "dead" and delivery.last_error == outbox.UNLINKED_MESSAGE
    assert not DeliveryAttempt.objects.exists() and linked.user(0).messages.count() == 0


def test_the_sweeper_fans_out_events_whose_signal_was_lost(linked, world_a, monkeypatch):
    queued = []
    monkeypatch.setattr("notifications.tasks.event_fan_out_task.delay", queued.append)
    event = Event.objects.create(tenant=world_a.tenant, kind=events.INVOICE_ISSUED, recipient_ids=[world_a.admin.pk],
                                 key="lost-signal", payload={"title": "t", "text": "x"})
    outbox.notifications_sweep()
    assert queued == []  # within the grace period the signal normally wins
    Event.objects.filter(pk=event.pk).update(created_at=timezone.now() - outbox.FANOUT_GRACE * 2)
    outbox.notifications_sweep()
    assert queued == [event.pk]


def test_429_waits_for_rate_limit_reset_and_is_logged(linked, world_a):
    sandbox_lineworks_faults_set(linked.domain, rate_limit_429={"count": 1, "reset": 42})
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get()
    later = outbox.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert later is not None and later.retry_after >= 42
    assert delivery.status == "failed" and delivery.next_attempt_at >= timezone.now() + timedelta(seconds=40)
    attempt = DeliveryAttempt.objects.get()
    assert attempt.status_code == 429 and "TOO_MANY_REQUESTS" in attempt.error
    # The link's shared budget is blocked until the reset: nobody calls LINE WORKS meanwhile.
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    again = outbox.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert again.retry_after > 30 and delivery.status == "pending" and DeliveryAttempt.objects.count() == 1
    assert linked.user(0).messages.count() == 0


def test_the_per_link_budget_is_shared_and_spent_calls_wait(linked, world_a):
    linked.link.rate_limit_per_minute = 60
    linked.link.save()
    from integrations.lineworks.ratelimit import LineWorksRateLimiter
    limiter = LineWorksRateLimiter(link_id=linked.link.pk, per_minute=60)
    while limiter.reserve() == 0:  # another worker spent this minute's budget
        pass
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    later = outbox.delivery_send(delivery_id=Delivery.objects.get().pk)
    assert 0 < later.retry_after <= 60 and Delivery.objects.get().status == "pending"
    assert linked.user(0).messages.count() == 0 and not DeliveryAttempt.objects.exists()
    assert Delivery.objects.get().attempts == 0  # waiting for our own budget is not an attempt


def test_5xx_retries_then_dead_after_the_bounded_tries_and_the_retry_button(linked, world_a):
    sandbox_lineworks_faults_set(linked.domain, server_error_5xx=outbox.MAX_ATTEMPTS)
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    delivery = Delivery.objects.get()
    for _ in range(outbox.MAX_ATTEMPTS):
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        outbox.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "dead" and delivery.attempts == outbox.MAX_ATTEMPTS
    log = world_a.client("admin").get(reverse("notifications:delivery_list") + "?status=dead").content.decode()
    assert "送信失敗" in log and "HTTP 500" in log
    response = world_a.client("admin").post(reverse("notifications:delivery_retry", args=[delivery.public_id]),
                                            HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status in ("pending", "sent")
    outbox.delivery_send(delivery_id=delivery.pk)
    assert linked.user(0).messages.count() == 1


def test_an_unknown_lineworks_user_is_dead_at_once(linked, world_a):
    from notifications.models import LineWorksUserLink
    LineWorksUserLink.objects.filter(user=world_a.admin).update(lineworks_user_id="gone@example")
    event = emit_event(world_a.tenant, [world_a.admin])
    outbox.event_fan_out(event_id=event.pk)
    assert outbox.delivery_send(delivery_id=Delivery.objects.get().pk) is None
    assert Delivery.objects.get().status == "dead" and DeliveryAttempt.objects.get().status_code == 404


def test_an_expired_access_token_is_reissued_once(linked, world_a):
    from integrations.sandbox.lineworks import sandbox_lineworks_tokens_expire
    event = emit_event(world_a.tenant, [world_a.admin, world_a.member])
    outbox.event_fan_out(event_id=event.pk)
    first, second = Delivery.objects.order_by("pk")
    outbox.delivery_send(delivery_id=first.pk)
    token = type(linked.link).objects.get(pk=linked.link.pk).access_token
    sandbox_lineworks_tokens_expire(domain=linked.domain)
    outbox.delivery_send(delivery_id=second.pk)
    assert Delivery.objects.filter(status="sent").count() == 2
    assert type(linked.link).objects.get(pk=linked.link.pk).access_token != token
