"""Thin task wrapper of the deal import: a bulk task in fair slots, one slice at a time, resumed by the sweepers."""

from celery import shared_task

from core import fair, jobs
from core.retry import SliceSpent
from imports import services


@shared_task(name="imports.deal_import", bind=True, max_retries=20)
@fair.bulk_slot(fair.job_owner)
def deal_import_task(self, job_id: int) -> None:
    """Import (or dry-run) the job's file from where it stopped; the next slice goes to the back of the queue."""
    try:
        services.deal_import_run(job_id=job_id, task_id=self.request.id or "")
    except SliceSpent:
        fair.continue_later(self, job_id=job_id)


# An import whose worker died is resumed by core's abandoned-job sweeper; one queued while Redis was down is sent
# again by the stale-job sweeper.
jobs.register_job_task(services.IMPORT_KIND, deal_import_task)
jobs.register_job_task(services.DRY_RUN_KIND, deal_import_task)
