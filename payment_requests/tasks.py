"""Thin Celery wrappers of the freee mirror: load by id, call the service, retry only what it says to."""

from celery import shared_task

from core import fair
from core.retry import RetryLater, retry_later
from payment_requests import mirror
from tenancy.models import Tenant


@shared_task(name="payment_requests.mirror_push", bind=True, max_retries=10)
def mirror_push_task(self, request_id: int) -> None:
    """Send a request's queued operations to freee (reconciling a create whose outcome was unknown)."""
    try:
        mirror.mirror_push(request_id=request_id)
    except RetryLater as later:
        retry_later(self, later, backoff_base=15)


@shared_task(name="payment_requests.mirror_delete", bind=True, max_retries=5)
def mirror_delete_task(self, tenant_id: int, freee_id: int) -> None:
    """Delete in freee a request deleted here."""
    try:
        mirror.mirror_delete(tenant_id=tenant_id, freee_id=freee_id)
    except RetryLater as later:
        retry_later(self, later, backoff_base=mirror.TRANSIENT_WAIT)


def _tenant_owner(tenant_id: int) -> tuple[int, None]:
    return tenant_id, None


@shared_task(name="payment_requests.mirror_pull", bind=True)
@fair.bulk_slot(_tenant_owner)
def mirror_pull_task(self, tenant_id: int) -> int:
    """Pull freee's statuses for one tenant."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    return mirror.mirror_pull(tenant=tenant) if tenant else 0


@shared_task(name="payment_requests.mirror_pull_schedule")
def mirror_pull_schedule_task() -> int:
    """Periodic: one pull task per tenant with the mirror on."""
    return mirror.mirror_pull_schedule()
