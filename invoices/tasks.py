"""Thin task wrappers: load by id, call the service, retry only what the service says is retryable."""

import random

from celery import shared_task

from invoices import services


@shared_task(name="invoices.invoice_push", bind=True, max_retries=10)
def invoice_push_task(self, invoice_id: int) -> None:
    """Create the freee invoice of one row (reconciling first after an unknown outcome)."""
    try:
        services.invoice_push(invoice_id=invoice_id)
    except services.RetryLater as later:
        backoff = min(600, 15 * 2 ** self.request.retries) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
        raise self.retry(countdown=max(later.retry_after, backoff)) from later
