"""Thin Celery wrappers: load by id, call the service, retry only what it says is retryable."""

from celery import shared_task

from core import fair
from core.models import Event
from core.retry import retry_later
from notifications import bot, outbox, richmenus
from notifications.models import Delivery

SEND_MAX_RETRIES = 200  # a large fan-out waits out many per-minute windows of the tenant's budget


@shared_task(name="notifications.event_fan_out", bind=True)
@fair.bulk_slot(fair.row_owner(Event))
def event_fan_out_task(self, event_id: int) -> int:
    """One outbox row per (event, recipient); idempotent (the unique constraint and dispatched_at)."""
    return len(outbox.event_fan_out(event_id=event_id))


@shared_task(name="notifications.delivery_send", bind=True, max_retries=SEND_MAX_RETRIES)
@fair.bulk_slot(fair.row_owner(Delivery))
def delivery_send_task(self, delivery_id: int) -> None:
    """Send one delivery; a rate limit or transient failure comes back after its wait."""
    later = outbox.delivery_send(delivery_id=delivery_id)
    if later is not None:
        # The sweeper re-enqueues the row if retries run out; jitter spreads a fan-out's restarts.
        retry_later(self, later)


@shared_task(name="notifications.callback_handle", bind=True, max_retries=10)
def callback_handle_task(self, callback_id: int) -> None:
    """Handle one stored bot callback (acks_late: a worker killed mid-way leaves it for redelivery)."""
    later = bot.callback_handle(callback_id=callback_id)
    if later is not None:
        retry_later(self, later)  # out of retries, the sweeper hands the stored callback out again


@shared_task(name="notifications.richmenu_sync", bind=True, max_retries=10)
def richmenu_sync_task(self, link_id: int, lineworks_user_id: str) -> None:
    """After an ID連携 or 解除: the user's rich menu shows [ID連携解除] when linked, [ID連携] otherwise."""
    later = richmenus.richmenu_sync(link_id=link_id, lineworks_user_id=lineworks_user_id)
    if later is not None:
        retry_later(self, later)  # out of retries, the next bot command of that user puts the menu right


@shared_task(name="notifications.richmenus_setup", bind=True, max_retries=10)
def richmenus_setup_task(self, link_id: int) -> None:
    """After a link is saved or tested: the bot's two rich menus, and the menu of every user linked so far."""
    later = richmenus.richmenus_setup(link_id=link_id)
    if later is not None:
        retry_later(self, later)


@shared_task(name="notifications.sweep")
def notifications_sweep_task() -> dict:
    """Periodic: fan out missed events, reclaim abandoned sends, re-enqueue lost sends and callbacks."""
    return outbox.notifications_sweep()
