"""Thin task wrappers of accounts (ids in)."""

from celery import shared_task

from accounts import leaving
from core import fair, jobs
from core.models import Job


@shared_task(name="accounts.tenant_export", bind=True)
@fair.bulk_slot(fair.job_owner)
def tenant_export_task(self, job_id: int) -> None:
    """全データのダウンロード: write the tenant's zip."""
    job = Job.objects.filter(pk=job_id, kind=leaving.EXPORT_KIND).first()
    if job is not None:
        leaving.tenant_export_run(job=job, task_id=self.request.id or "")


# An export queued while Redis was down is sent again by core's stale-job sweeper.
jobs.register_job_task(leaving.EXPORT_KIND, tenant_export_task)
