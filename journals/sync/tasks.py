"""Thin task wrappers around journals.sync.services (ids in, retries only for busy documents and rate limits)."""

import random
from datetime import timedelta

from celery import shared_task

from core import jobs
from core.models import Job
from journals.sync import services

MAX_RETRIES = 20


@shared_task(name="journals.sync_records_push", bind=True, max_retries=MAX_RETRIES)
def sync_records_push_task(self, record_ids: list[int]) -> None:
    """Sync the documents of these records (records other workers hold are skipped)."""
    retry_after = services.sync_records_push(record_ids=record_ids)
    if retry_after is None:
        return
    if retry_after == 0:  # the run's time slice is spent: the rest continues at once, in a fresh task
        jobs.send_task(sync_records_push_task, record_ids)
        return
    if self.request.retries >= self.max_retries:
        services.sync_records_give_up(record_ids=record_ids)
        return
    backoff = min(600, 5 * 2 ** self.request.retries) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
    raise self.retry(countdown=max(retry_after, backoff))


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
