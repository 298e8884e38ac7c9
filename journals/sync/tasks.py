"""Thin task wrappers around journals.sync.services (ids in, retries only for busy documents and rate limits)."""

from datetime import timedelta

from celery import shared_task

from core import jobs
from core.models import Job
from core.retry import retry_later
from journals.sync import services

MAX_RETRIES = 20


@shared_task(name="journals.sync_records_push", bind=True, max_retries=MAX_RETRIES)
def sync_records_push_task(self, record_ids: list[int]) -> None:
    """Sync the documents of these records (records other workers hold are skipped)."""
    later = services.sync_records_push(record_ids=record_ids)
    if later is None:
        return
    if later.retry_after == 0:  # the run's time slice is spent: the rest continues at once, in a fresh task
        jobs.send_task(sync_records_push_task, record_ids)
        return
    # A busy document or a rate limit: back off from 5 s, doubling; out of retries, the records become エラー.
    retry_later(self, later, backoff_base=5,
                on_exhausted=lambda: services.sync_records_give_up(record_ids=record_ids))


@shared_task(name="journals.sync_export_run")
def export_run_task(job_id: int) -> None:
    """取引明細の書出 → 会計連携: queue every document of the job's period."""
    job = Job.objects.filter(pk=job_id, kind=services.EXPORT_KIND).first()
    if job is not None:
        services.export_run(job=job)


@shared_task(name="journals.sync_records_requeue_stale")
def sync_records_requeue_stale_task() -> int:
    """Periodic: send again the records whose push was lost (broker down) or abandoned (worker died)."""
    return services.sync_records_requeue_stale(waiting_for=timedelta(minutes=10), in_progress_for=timedelta(minutes=30))


# An export queued while Redis was down is sent again by core's stale-job sweeper.
jobs.register_job_task(services.EXPORT_KIND, export_run_task)
