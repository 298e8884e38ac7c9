"""Thin task wrappers around journals.sync.services (ids in, retries only for busy documents and rate limits)."""

from datetime import timedelta

from celery import shared_task

from core import fair, jobs
from core.models import Job
from core.retry import retry_later
from journals.sync import services
from journals.sync.models import SyncRecord

MAX_RETRIES = 20


def _records_owner(record_ids: list[int]) -> tuple[int | None, None]:
    """The tenant of a push batch (batches never mix tenants: services._push_enqueue)."""
    return SyncRecord.objects.filter(pk__in=record_ids[:1]).values_list("tenant_id", flat=True).first(), None


@shared_task(name="journals.sync_records_push", bind=True, max_retries=MAX_RETRIES)
@fair.bulk_slot(_records_owner)
def sync_records_push_task(self, record_ids: list[int]) -> None:
    """Sync the documents of these records (records other workers hold are skipped)."""
    later = services.sync_records_push(record_ids=record_ids)
    if later is None:
        return
    if later.retry_after == 0:  # the run's time slice is spent: the rest continues at the back of the queue
        fair.continue_later(self)
        return
    # A busy document or a rate limit: back off from 5 s, doubling; out of retries, the records become エラー.
    retry_later(self, later, backoff_base=5,
                on_exhausted=lambda: services.sync_records_give_up(record_ids=record_ids))


@shared_task(name="journals.sync_export_run", bind=True)
@fair.bulk_slot(fair.job_owner)
def export_run_task(self, job_id: int) -> None:
    """取引明細の書出 → 会計連携: queue every document of the job's period."""
    job = Job.objects.filter(pk=job_id, kind=services.EXPORT_KIND).first()
    if job is not None:
        services.export_run(job=job, task_id=self.request.id or "")


@shared_task(name="journals.sync_records_requeue_stale")
def sync_records_requeue_stale_task() -> int:
    """Periodic: send again the records whose push was lost (broker down) or abandoned (worker died)."""
    return services.sync_records_requeue_stale(waiting_for=timedelta(minutes=10), in_progress_for=timedelta(minutes=30))


# An export queued while Redis was down is sent again by core's stale-job sweeper.
jobs.register_job_task(services.EXPORT_KIND, export_run_task)
