"""One retry vocabulary for every task: a service raises RetryLater, the task hands it to retry_later.

A service knows *why* it must wait (a rate limit's Retry-After, a document busy in another worker, an outcome
to reconcile) and says how long with RetryLater(retry_after). The task knows how often it may come back
(`max_retries`); retry_later turns the two into a jittered countdown, so that many tenants' tasks that waited
for the same window do not all come back in the same second.
"""

from __future__ import annotations

import random
from collections.abc import Callable

JITTER = (1.0, 1.1)  # never earlier than asked (a rate limit's wait is a floor), at most 10 % later
CAP_SECONDS = 600.0


class RetryLater(Exception):  # noqa: N818 - it is an instruction, not an error
    """The work should run again after `retry_after` seconds; `message` says why, for the user or the log."""

    def __init__(self, retry_after: float, message: str = ""):
        super().__init__(message or f"retry after {retry_after:.0f}s")
        self.retry_after = float(retry_after)
        self.message = message


class SliceSpent(RetryLater):
    """A bulk run used its time slice (settings.BULK_SLICE_SECONDS): the rest continues in the next slice, at
    the back of the bulk queue (core.fair.continue_later), without counting as a retry."""

    def __init__(self, message: str = "the run's time slice is spent"):
        super().__init__(0, message)


def countdown(*, retry_after: float, retries: int, backoff_base: float = 0.0) -> float:
    """Seconds until the next try: the larger of the asked wait and an exponential backoff, with jitter.

    `backoff_base` 0 means "the wait the vendor named is the whole story" (rate limits); a base grows the wait
    2× per retry up to CAP_SECONDS, for outcomes that may need a while (reconciliation, a busy document).
    """
    backoff = min(CAP_SECONDS, backoff_base * 2 ** retries) if backoff_base else 0.0
    return max(retry_after, backoff) * random.uniform(*JITTER) + 0.5  # noqa: S311 - jitter, not a secret


def retry_later(task, later: RetryLater, *, backoff_base: float = 0.0,
                on_exhausted: Callable[[], None] | None = None) -> None:
    """Re-schedule a bound Celery `task` after `later`, under its max_retries.

    Raises Celery's Retry while retries remain. Once they are spent, calls `on_exhausted` (record the failure
    for the user) and returns; without one, returns quietly: the caller's sweeper owns what is left.
    """
    retries = task.request.retries
    if task.max_retries is not None and retries >= task.max_retries:
        if on_exhausted is not None:
            on_exhausted()
        return
    raise task.retry(countdown=countdown(retry_after=later.retry_after, retries=retries,
                                         backoff_base=backoff_base)) from later
