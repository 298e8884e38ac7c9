"""The delivery outbox: fan-out of events into one row per (event, recipient), sends, retries, the sweeper.

Fan-out locks the event row (skip_locked), inserts the rows with ignore_conflicts on the unique
(event, recipient) constraint and stamps dispatched_at in the same transaction, so running it twice never
duplicates. A send claims its row with a conditional UPDATE (pending/failed and due -> sending) and finishes
it with another (only while still claimed by it), so a redelivered task never sends twice. A row left in
"sending" by a dead worker is reclaimed by the sweeper. A send whose outcome is unknown (timeout, 5xx) is
retried: LINE WORKS has no idempotency key, and a rare duplicate beats a lost approval request.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.jobs import enqueue_on_commit
from core.models import Event
from integrations.lineworks.client import LineWorksClient
from integrations.lineworks.errors import AuthExpired, LineWorksError, RateLimited, Transient
from notifications import messages
from notifications.models import CallbackEvent, Delivery, DeliveryAttempt, LineWorksUserLink, NotificationPreference
from tenancy.models import Membership

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FANOUT_GRACE = timedelta(seconds=30)  # the signal normally wins; the sweeper only picks up what it missed
SENDING_STALE = timedelta(minutes=2)  # well above the HTTP timeouts of one send (token + message)
LOST_AFTER = timedelta(minutes=2)  # a due row nobody picked up this long after its time lost its task
SWEEP_BATCH = 1000
UNLINKED_MESSAGE = "ID連携が解除されたため送信できません。"


@dataclass(frozen=True)
class RetryLater:
    """The send should run again in `seconds` (rate limit or transient failure)."""

    seconds: float


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


def recipients_for(event: Event) -> list[int]:
    """The event's recipients who are still members, have an ID連携, and did not turn this kind off."""
    wanted = set(event.recipient_ids or [])
    members = set(Membership.objects.for_tenant(event.tenant).filter(user_id__in=wanted)
                  .values_list("user_id", flat=True))
    linked = set(LineWorksUserLink.objects.for_tenant(event.tenant).filter(user_id__in=members)
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
    """Send one claimed delivery through the LINE WORKS bot API and record the attempt."""
    delivery = delivery_claim(delivery_id=delivery_id)
    if delivery is None:
        return None
    user_link = (LineWorksUserLink.objects.for_tenant(delivery.tenant).select_related("link")
                 .filter(user_id=delivery.recipient_id).first())
    if user_link is None:
        _finish(delivery, Delivery.Status.DEAD, error=UNLINKED_MESSAGE)
        return None
    content = messages.content_for(delivery.event, delivery.recipient_id)
    try:
        LineWorksClient(user_link.link).send_to_user(user_link.lineworks_user_id, content)
    except LineWorksError as error:
        return _failed(delivery, error)
    _record_attempt(delivery, status_code=201, error="")
    _finish(delivery, Delivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return None


def _failed(delivery: Delivery, error: LineWorksError) -> RetryLater | None:
    if isinstance(error, RateLimited) and error.code == "budget":
        # Nothing was sent: our own budget said wait. Not an attempt.
        _finish(delivery, Delivery.Status.PENDING, next_attempt_at=_at(error.retry_after))
        return RetryLater(error.retry_after)
    attempts = _record_attempt(delivery, status_code=error.status, error=error.detail)
    retryable = isinstance(error, RateLimited | Transient | AuthExpired)
    if not retryable or attempts >= MAX_ATTEMPTS:
        _finish(delivery, Delivery.Status.DEAD, last_error=error.detail)
        return None
    wait = max(getattr(error, "retry_after", 0.0), backoff(attempts))
    _finish(delivery, Delivery.Status.FAILED, last_error=error.detail, next_attempt_at=_at(wait))
    return RetryLater(wait)


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter: about 10 s, 20 s, 40 s ... capped at 10 minutes."""
    return min(600.0, 10.0 * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter


def _at(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


def _record_attempt(delivery: Delivery, *, status_code: int | None, error: str) -> int:
    Delivery.objects.filter(pk=delivery.pk).update(attempts=F("attempts") + 1)
    delivery.attempts += 1
    DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, status_code=status_code,
                                   error=error[:2000])
    return delivery.attempts


def _finish(delivery: Delivery, status: str, **fields) -> bool:
    """Close our claim; a no-op when the sweeper already took the row back from us."""
    done = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING,
                                   claimed_at=delivery.claimed_at).update(status=status, updated_at=timezone.now(),
                                                                          **fields)
    return done == 1


def delivery_retry(*, delivery: Delivery) -> bool:
    """再送 from the delivery log: a dead or failed row goes back to pending with a fresh try budget."""
    reset = Delivery.objects.filter(
        pk=delivery.pk, status__in=[Delivery.Status.DEAD, Delivery.Status.FAILED],
    ).update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now())
    if reset:
        enqueue_on_commit(_send_task(), delivery.pk)
    return bool(reset)


# ---------------------------------------------------------------- the sweeper

def notifications_sweep() -> dict[str, int]:
    """Fan out events the signal missed, reclaim abandoned sends, re-enqueue lost ones and stored callbacks."""
    from notifications.tasks import callback_handle_task, event_fan_out_task

    now = timezone.now()
    event_ids = list(Event.objects.filter(dispatched_at__isnull=True, created_at__lt=now - FANOUT_GRACE)
                     .order_by("created_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    for event_id in event_ids:
        event_fan_out_task.delay(event_id)
    reclaimed = deliveries_reclaim_abandoned(now=now)
    lost = list(Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
                                        next_attempt_at__lt=now - LOST_AFTER)
                .values_list("pk", flat=True)[:SWEEP_BATCH])
    for delivery_id in [*reclaimed, *lost]:
        _send_task().delay(delivery_id)
    callbacks = callbacks_due(now=now)
    for callback_id in callbacks:
        callback_handle_task.delay(callback_id)
    return {"events": len(event_ids), "reclaimed": len(reclaimed), "lost": len(lost), "callbacks": len(callbacks)}


def deliveries_reclaim_abandoned(*, now) -> list[int]:
    """Rows "sending" for too long belonged to a worker that died mid-send: back to pending."""
    stale = Q(status=Delivery.Status.SENDING, claimed_at__lt=now - SENDING_STALE)
    ids = list(Delivery.objects.filter(stale).values_list("pk", flat=True)[:SWEEP_BATCH])
    Delivery.objects.filter(stale, pk__in=ids).update(status=Delivery.Status.PENDING, claimed_at=None,
                                                      next_attempt_at=now, updated_at=now)
    if ids:
        logger.warning("notifications: reclaimed %d abandoned deliveries", len(ids))
    return ids


def callbacks_due(*, now) -> list[int]:
    """Stored callbacks nobody handled: never enqueued, or their worker died while handling them."""
    from notifications.bot import CALLBACK_GRACE, HANDLING_STALE

    due = (Q(status=CallbackEvent.Status.RECEIVED, created_at__lt=now - CALLBACK_GRACE)
           | Q(status=CallbackEvent.Status.HANDLING, claimed_at__lt=now - HANDLING_STALE))
    return list(CallbackEvent.objects.filter(due).values_list("pk", flat=True)[:SWEEP_BATCH])
