"""Fair shares of the bulk workers: one tenant runs at most BULK_SLOTS_PER_TENANT bulk tasks at a time.

The slots are a Redis sorted set per tenant (`fair:slots:<tenant id>`): one member per running task, scored
with the moment its hold expires. A hold is a short lease (BULK_SLOT_LEASE_SECONDS) that a thread of the
running task renews while the task lives; taking a slot first drops expired members, so a worker that was
SIGKILLed (or lost its machine) frees its slots by itself within one lease, and its tenant's next slice, or
the message a sweeper re-sent, is not held up behind a dead task.

A bulk task that finds its tenant's slots taken does not wait inside the worker: it is published again at
the back of the bulk queue (with a short countdown) and its slot in the worker goes to another tenant. A
bulk job also works in short slices (BULK_SLICE_SECONDS) and publishes its next slice at the back of the
queue, so the next slice goes to whichever tenant has waited longest, and ten tenants' month-end refreshes
move forward side by side instead of one after the other.

Re-publishing keeps the task's retry count: waiting for a slot, or for the next slice, is not a failure.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from functools import cache

import redis
from django.conf import settings
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

logger = logging.getLogger(__name__)

KEY = "fair:slots:{tenant_id}"
BUSY_COUNTDOWN = (2.0, 4.0)  # a task whose tenant is at its limit comes back after this long (jittered)

_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""


@cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


_RENEW = """
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
"""


def hold_seconds() -> int:
    """How long a slot is held without renewal: a live task renews it every third of this."""
    return int(settings.BULK_SLOT_LEASE_SECONDS)


def slot_take(*, tenant_id: int, holder: str, now: float | None = None, client: redis.Redis | None = None) -> bool:
    """Take one of the tenant's bulk slots for `holder`; False when all of them are held (and not expired)."""
    client = client or _redis(settings.REDIS_URL)
    now = time.time() if now is None else now
    hold = hold_seconds()
    return bool(client.eval(_TAKE, 1, KEY.format(tenant_id=tenant_id), now, settings.BULK_SLOTS_PER_TENANT,
                            now + hold, holder, hold + 60))


def slot_renew(*, tenant_id: int, holder: str, now: float | None = None, client: redis.Redis | None = None) -> bool:
    """Extend `holder`'s lease by one lease from now; False when it no longer holds the slot (a sweeper gave
    it back, or it expired), in which case nothing is taken."""
    client = client or _redis(settings.REDIS_URL)
    now = time.time() if now is None else now
    hold = hold_seconds()
    return bool(client.eval(_RENEW, 1, KEY.format(tenant_id=tenant_id), now + hold, holder, hold + 60))


class _Lease(threading.Thread):
    """Renews one slot's lease every third of a lease until stopped (the task ended); dies with its worker."""

    def __init__(self, *, tenant_id: int, holder: str):
        super().__init__(name=f"fair-lease-{holder}", daemon=True)
        self.tenant_id, self.holder, self.stopped = tenant_id, holder, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(hold_seconds() / 3):
            try:
                if not slot_renew(tenant_id=self.tenant_id, holder=self.holder):
                    return
            except redis.RedisError as error:  # Redis away for a moment: the next renewal tries again
                logger.warning("could not renew the bulk slot of %s: %s", self.holder, error)


def slot_release(*, tenant_id: int, holder: str, client: redis.Redis | None = None) -> None:
    client = client or _redis(settings.REDIS_URL)
    client.zrem(KEY.format(tenant_id=tenant_id), holder)


def slots_running(*, now: float | None = None, client: redis.Redis | None = None) -> dict[int, int]:
    """Tenant id -> bulk slots held right now (for /metrics)."""
    client = client or _redis(settings.REDIS_URL)
    now = time.time() if now is None else now
    held = {}
    for key in client.scan_iter(match=KEY.format(tenant_id="*"), count=500):
        count = client.zcount(key, f"({now}", "+inf")
        if count:
            held[int(key.decode().rsplit(":", 1)[1])] = count
    return held


def requeue(task, *, countdown: float = 0.0) -> None:
    """Publish the running task again with the same arguments, queue and retry count, at the queue's back."""
    task.signature_from_request(countdown=countdown or None, retries=task.request.retries).apply_async()


def continue_later(task, *, job_id: int | None = None) -> None:
    """The slice is spent: the rest goes to the back of the queue, so the next slice is whoever waited longest."""
    _mark_waiting(job_id)
    requeue(task)


def bulk_slot(owner_of: Callable[..., tuple[int | None, int | None]]):
    """Decorate a bound bulk task: run it only inside one of its tenant's slots, else publish it again later.

    `owner_of(*args, **kwargs)` returns (tenant id, job id or None) from the task's own arguments; a tenant id
    of None (the row is gone) runs the task as is, which then finds nothing to do. While a job waits for a
    slot its `waiting_since` is set, so the page says 順番待ち; it is cleared when the job gets its slot.
    """

    def decorate(run):
        @functools.wraps(run)
        def wrapper(task, *args, **kwargs):
            tenant_id, job_id = owner_of(*args, **kwargs)
            if tenant_id is None or _on_interactive_queue(task):
                return run(task, *args, **kwargs)
            holder = f"{task.request.id or uuid.uuid4()}"
            if not slot_take(tenant_id=tenant_id, holder=holder):
                _mark_waiting(job_id)
                requeue(task, countdown=random.uniform(*BUSY_COUNTDOWN))  # noqa: S311 - jitter, not a secret
                return None
            _mark_running(job_id)
            lease = _Lease(tenant_id=tenant_id, holder=holder)
            lease.start()
            try:
                return run(task, *args, **kwargs)
            finally:
                lease.stopped.set()
                slot_release(tenant_id=tenant_id, holder=holder)

        return wrapper

    return decorate


def job_owner(job_id: int, *args, **kwargs) -> tuple[int | None, int]:
    """owner_of for tasks whose first argument is a Job id."""
    from core.models import Job

    return Job.objects.filter(pk=job_id).values_list("tenant_id", flat=True).first(), job_id


def row_owner(model) -> Callable[..., tuple[int | None, None]]:
    """owner_of for tasks whose first argument is the id of a tenant-owned `model` row."""

    def owner(pk: int, *args, **kwargs) -> tuple[int | None, None]:
        return model.objects.filter(pk=pk).values_list("tenant_id", flat=True).first(), None

    return owner


def _on_interactive_queue(task) -> bool:
    """A bulk task sent to the interactive queue for a person waiting (a 連携する) takes no bulk slot."""
    from core.queues import INTERACTIVE

    return (task.request.delivery_info or {}).get("routing_key") == INTERACTIVE


def _mark_waiting(job_id: int | None) -> None:
    if job_id is not None:
        from core.models import Job

        now = timezone.now()
        Job.objects.filter(pk=job_id).exclude(status__in=Job.FINISHED).update(
            waiting_since=Coalesce(F("waiting_since"), now), updated_at=now)


def _mark_running(job_id: int | None) -> None:
    if job_id is not None:
        from core.models import Job

        Job.objects.filter(pk=job_id, waiting_since__isnull=False).update(waiting_since=None)
