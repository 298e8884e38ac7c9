"""Thin task wrappers: load by id, call the service, retry only what the service says is retryable."""

from celery import shared_task
from django.utils.translation import gettext as _

from core import fair, jobs
from core.models import Job
from core.retry import RetryLater, SliceSpent, retry_later
from invoices import bulk, services
from invoices.models import Invoice


@shared_task(name="invoices.invoice_push", bind=True, max_retries=10)
def invoice_push_task(self, invoice_id: int) -> None:
    """Create the freee invoice of one row (reconciling first after an unknown outcome)."""
    try:
        services.invoice_push(invoice_id=invoice_id)
    except RetryLater as later:
        # An outcome to reconcile may take freee a while to show: back off from 15 s, doubling.
        retry_later(self, later, backoff_base=15)


BULK_MAX_RETRIES = 200  # a large tenant's refresh waits out many per-minute windows


@shared_task(name="invoices.bulk_refresh", bind=True, max_retries=BULK_MAX_RETRIES)
@fair.bulk_slot(fair.job_owner)
def bulk_refresh_task(self, job_id: int, max_calls: int | None = None) -> None:
    """Refresh every freee-linked invoice of the job's tenant, a slice at a time; resumes where it stopped."""
    job = Job.objects.filter(pk=job_id, kind=bulk.BULK_KIND).first()
    if job is None:
        return
    try:
        bulk.bulk_refresh(job=job, max_calls=max_calls, task_id=self.request.id or "")
    except SliceSpent:
        fair.continue_later(self, job_id=job_id)
    except RetryLater as later:
        # Rate limits name their own wait (no backoff); jitter only spreads the tenants' restarts a little.
        retry_later(self, later, on_exhausted=lambda: jobs.job_fail(
            job=job, error=_("freeeの応答待ちが長引いたため中断しました。時間をおいて再度お試しください。")))


@shared_task(name="invoices.bulk_refresh_schedule")
def bulk_refresh_schedule_task() -> int:
    """Periodic: start a budgeted bulk refresh for every connected tenant with freee-linked invoices."""
    return bulk.bulk_refresh_schedule()


# A bulk refresh whose worker died is resumed by core's abandoned-job sweeper.
jobs.register_job_task(bulk.BULK_KIND, bulk_refresh_task)


def _invoice_of(job: Job) -> tuple:
    return tuple(Invoice.objects.filter(job_id=job.pk).values_list("pk", flat=True)[:1])


# An issue queued while Redis was down is sent again by core's stale-job sweeper once Redis is back; one whose
# worker died mid-push by the abandoned-job sweeper (invoice_push takes the row back once its claim is stale).
jobs.register_job_task("invoices.issue", invoice_push_task, args=_invoice_of)
