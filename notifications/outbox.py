"""The delivery outbox: fan-out of events into one row per (event, recipient), sends, retries, the sweeper.

Fan-out locks the event row (skip_locked), inserts the rows with ignore_conflicts on the unique
(event, recipient) constraint and stamps dispatched_at in the same transaction, so running it twice never
duplicates. A send claims its row with a conditional UPDATE (pending/failed and due -> sending) and finishes
it with another (only while still claimed by it), so a redelivered task never sends twice.

A worker can die (SIGKILL, OOM) with a row in "sending". LINE WORKS has no idempotency key, so the send writes
its attempt row, marked in flight, and commits it before calling out. The sweeper then tells the two cases
apart: a row with no attempt in flight never reached LINE WORKS and goes back to pending (sent again); a row
whose attempt is in flight may have been delivered, so it becomes 送信未確認 (unknown) and is never re-sent
automatically; the delivery log shows it with its 再送 button. A send that LINE WORKS answered with a timeout
or 5xx is still retried: a rare duplicate beats a lost approval request.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from core.jobs import enqueue_on_commit
from core.models import Event
from core.retry import RetryLater, countdown
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import AuthExpired, LineWorksError, RateLimited, Transient
from notifications import messages
from notifications.bot import CALLBACK_GRACE, HANDLING_STALE
from notifications.models import CallbackEvent, Delivery, DeliveryAttempt, LineWorksUserLink, NotificationPreference
from tenancy.models import Membership

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FANOUT_GRACE = timedelta(seconds=30)  # the signal normally wins; the sweeper only picks up what it missed
SENDING_STALE = timedelta(minutes=2)  # well above the HTTP timeouts of one send (token + message)
LOST_AFTER = timedelta(minutes=2)  # a due row nobody picked up this long after its time lost its task
SWEEP_BATCH = 1000
UNLINKED_MESSAGE = "ID連携が解除されたため送信できません。"
UNKNOWN_MESSAGE = ("送信中に処理が中断されたため、LINE WORKSに届いたか確認できません。二重送信を避けるため自動では再送しません。"
                   "届いていなければ再送してください。")
INTERRUPTED_MESSAGE = "LINE WORKSの応答を受け取る前に処理が中断されました。"


def _send_task():
    from notifications.tasks import delivery_send_task

    return delivery_send_task


# ---------------------------------------------------------------- fan-out

def event_fan_out(*, event_id: int) -> list[int]:
    """Create the event's deliveries and enqueue their sends; returns the new pending delivery ids."""
    with transaction.atomic():
        event = (Event.objects.select_for_update(skip_locked=True)
                 .filter(pk=event_id, dispatched_at__isnull=True).first())
        if event is None:
            return []
        recipients = recipients_for(event)
        Delivery.objects.bulk_create(
            [Delivery(tenant_id=event.tenant_id, event=event, recipient_id=user_id) for user_id in recipients],
            ignore_conflicts=True, batch_size=500)
        Event.objects.filter(pk=event.pk).update(dispatched_at=timezone.now())
        ids = list(Delivery.objects.filter(event=event, status=Delivery.Status.PENDING).values_list("pk", flat=True))
        for delivery_id in ids:
            enqueue_on_commit(_send_task(), delivery_id)
    return ids


# A tenant link without a domain was stopped by the 0003 migration (its domain belongs to another tenant).
ACTIVE_LINK = {"link__domain_id__isnull": False}


def recipients_for(event: Event) -> list[int]:
    """The event's recipients who are still members, have an ID連携, and did not turn this kind off."""
    wanted = set(event.recipient_ids or [])
    members = set(Membership.objects.for_tenant(event.tenant).filter(user_id__in=wanted, is_active=True)
                  .values_list("user_id", flat=True))
    linked = set(LineWorksUserLink.objects.for_tenant(event.tenant).filter(user_id__in=members, **ACTIVE_LINK)
                 .values_list("user_id", flat=True))
    muted = set(NotificationPreference.objects.for_tenant(event.tenant)
                .filter(user_id__in=linked, disabled_kinds__contains=[event.kind]).values_list("user_id", flat=True))
    return sorted(linked - muted)


# ---------------------------------------------------------------- one send

def delivery_claim(*, delivery_id: int) -> Delivery | None:
    """pending/failed and due -> sending, in one conditional UPDATE; None when someone else has it."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED], next_attempt_at__lte=now,
    ).update(status=Delivery.Status.SENDING, claimed_at=now, updated_at=now)
    if claimed != 1:
        return None
    return Delivery.objects.select_related("event", "tenant").get(pk=delivery_id)


def delivery_send(*, delivery_id: int) -> RetryLater | None:
    """Send one claimed delivery through the LINE WORKS bot API and record the attempt.

    The attempt is committed, in flight, before the call and closed with the answer in the same transaction as
    the row's new status, so a worker dying at any point leaves a state the sweeper reads correctly.
    """
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return None
    user_link = (LineWorksUserLink.objects.for_tenant(delivery.tenant).select_related("link")
                 .filter(user_id=delivery.recipient_id, **ACTIVE_LINK).first())
    if user_link is None:
        _finish(delivery, Delivery.Status.DEAD, last_error=UNLINKED_MESSAGE)
        return None
    content = messages.content_for(delivery.event, delivery.recipient_id)
    attempt = _attempt_open(delivery)
    if attempt is None:
        return None  # the sweeper took the row back from us
    try:
        LineWorksClient(user_link.link).send_to_user(user_link.lineworks_user_id, content)
    except LineWorksError as error:
        return _failed(delivery, attempt, error)
    with transaction.atomic():
        _attempt_close(attempt, status_code=201, error="")
        # Also from 送信未確認: a worker slower than SENDING_STALE still knows its message went out.
        _finish(delivery, Delivery.Status.SENT, also_from=Delivery.Status.UNKNOWN, sent_at=timezone.now(),
                last_error="")
    return None


def _failed(delivery: Delivery, attempt: DeliveryAttempt, error: LineWorksError) -> RetryLater | None:
    with transaction.atomic():
        if isinstance(error, RateLimited) and error.code == "budget":
            # Nothing was sent: our own budget said wait. Not an attempt.
            _attempt_discard(delivery, attempt)
            _finish(delivery, Delivery.Status.PENDING, next_attempt_at=_at(error.retry_after))
            return RetryLater(error.retry_after)
        _attempt_close(attempt, status_code=error.status, error=error.detail)
        retryable = isinstance(error, RateLimited | Transient | AuthExpired)
        if not retryable or delivery.attempts >= MAX_ATTEMPTS:
            _finish(delivery, Delivery.Status.DEAD, last_error=error.detail)
            return None
        # The row's own schedule: LINE WORKS' wait, or about 10 s, 20 s, 40 s ... (capped) after each attempt.
        wait = countdown(retry_after=getattr(error, "retry_after", 0.0), retries=delivery.attempts - 1,
                         backoff_base=10.0)
        _finish(delivery, Delivery.Status.FAILED, last_error=error.detail, next_attempt_at=_at(wait))
    return RetryLater(wait)


def _at(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def _attempt_open(delivery: Delivery) -> DeliveryAttempt | None:
    """Count the attempt and write it in flight, committed before the call; None when the claim is no longer ours."""
    with transaction.atomic():
        ours = _claimed(delivery).update(attempts=F("attempts") + 1, updated_at=timezone.now())
        if ours != 1:
            return None
        delivery.attempts += 1
        return DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, in_flight=True)


def _attempt_close(attempt: DeliveryAttempt, *, status_code: int | None, error: str) -> None:
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(in_flight=False, status_code=status_code, error=error[:2000])


def _attempt_discard(delivery: Delivery, attempt: DeliveryAttempt) -> None:
    """The call never left (our own rate-limit budget): it was not an attempt."""
    attempt.delete()
    Delivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") - 1)
    delivery.attempts -= 1


def _claimed(delivery: Delivery):
    return Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING, claimed_at=delivery.claimed_at)


def _finish(delivery: Delivery, status: str, *, also_from: str | None = None, **fields) -> bool:
    """Close our claim; a no-op when the sweeper already took the row back from us."""
    statuses = [Delivery.Status.SENDING, *([also_from] if also_from else [])]
    done = Delivery.objects.filter(pk=delivery.pk, status__in=statuses, claimed_at=delivery.claimed_at).update(
        status=status, updated_at=timezone.now(), **fields)
    return done == 1


def delivery_retry(*, delivery: Delivery) -> bool:
    """再送 from the delivery log: a dead, failed or 送信未確認 row goes back to pending with a fresh try budget."""
    reset = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Delivery.Status.DEAD, Delivery.Status.FAILED, Delivery.Status.UNKNOWN],
    ).update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now())
    if reset:
        enqueue_on_commit(_send_task(), delivery.pk)
    return bool(reset)


# ---------------------------------------------------------------- the sweeper

def notifications_sweep(*, sending_stale: timedelta = SENDING_STALE) -> dict[str, int]:
    """Fan out events the signal missed, settle abandoned sends, re-enqueue lost ones and stored callbacks."""
    from notifications.tasks import callback_handle_task, event_fan_out_task

    now = timezone.now()
    event_ids = list(Event.objects.filter(dispatched_at__isnull=True, created_at__lt=now - FANOUT_GRACE)
                     .order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for event_id in event_ids:
        event_fan_out_task.delay(event_id)
    unknown = deliveries_mark_unknown(now=now, stale=sending_stale)
    reclaimed = deliveries_reclaim_abandoned(now=now, stale=sending_stale)
    lost = list(Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
                                        next_attempt_at__lt=now - LOST_AFTER)
                .values_list("pk", flat=True)[:SWEEP_BATCH])
    for delivery_id in [*reclaimed, *lost]:
        _send_task().delay(delivery_id)
    callbacks = callbacks_due(now=now)
    for callback_id in callbacks:
        callback_handle_task.delay(callback_id)
    return {"events": len(event_ids), "unknown": len(unknown), "reclaimed": len(reclaimed), "lost": len(lost),
            "callbacks": len(callbacks)}


def _abandoned(*, now, stale: timedelta, in_flight: bool) -> Q:
    """Rows "sending" for longer than `stale` (their worker died), with or without an attempt in flight."""
    flying = Exists(DeliveryAttempt.objects.filter(delivery=OuterRef("pk"), in_flight=True))
    return Q(status=Delivery.Status.SENDING, claimed_at__lt=now - stale) & (flying if in_flight else ~flying)


def deliveries_mark_unknown(*, now, stale: timedelta = SENDING_STALE) -> list[int]:
    """Abandoned rows whose message was in flight: LINE WORKS may have delivered it, so they become 送信未確認
    and are not sent again (no idempotency key); an admin sees them in the delivery log and can 再送."""
    ids = list(Delivery.objects.filter(_abandoned(now=now, stale=stale, in_flight=True))
               .values_list("pk", flat=True)[:SWEEP_BATCH])
    with transaction.atomic():  # attempt first, then delivery: the order a finishing send locks them in
        DeliveryAttempt.objects.filter(delivery_id__in=ids, in_flight=True).update(in_flight=False,
                                                                                   error=INTERRUPTED_MESSAGE)
        Delivery.objects.filter(pk__in=ids, status=Delivery.Status.SENDING).update(
            status=Delivery.Status.UNKNOWN, last_error=UNKNOWN_MESSAGE, updated_at=now)
    if ids:
        logger.warning("notifications: %d deliveries were in flight when their worker died; marked unknown, "
                       "not re-sent: %s", len(ids), ids)
    return ids


def deliveries_reclaim_abandoned(*, now, stale: timedelta = SENDING_STALE) -> list[int]:
    """Abandoned rows that never reached LINE WORKS (no attempt in flight): back to pending, to be sent."""
    abandoned = _abandoned(now=now, stale=stale, in_flight=False)
    ids = list(Delivery.objects.filter(abandoned).values_list("pk", flat=True)[:SWEEP_BATCH])
    Delivery.objects.filter(abandoned, pk__in=ids).update(status=Delivery.Status.PENDING, claimed_at=None,
                                                          next_attempt_at=now, updated_at=now)
    if ids:
        logger.warning("notifications: reclaimed %d abandoned deliveries", len(ids))
    return ids


def callbacks_due(*, now) -> list[int]:
    """Stored callbacks nobody handled: never enqueued, or their worker died while handling them."""
    due = (Q(status=CallbackEvent.Status.RECEIVED, created_at__lt=now - CALLBACK_GRACE)
           | Q(status=CallbackEvent.Status.HANDLING, claimed_at__lt=now - HANDLING_STALE))
    return list(CallbackEvent.objects.filter(due).values_list("pk", flat=True)[:SWEEP_BATCH])
