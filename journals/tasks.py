"""Thin Celery wrappers of the ledger (the sync tasks live in journals/sync/)."""

from celery import shared_task
from django.utils.translation import gettext as _

from core import fair, jobs
from core.models import Job
from core.retry import RetryLater, retry_later
from journals import freee_import


@shared_task(name="journals.masters_import", bind=True, max_retries=10)
@fair.bulk_slot(fair.job_owner)
def masters_import_task(self, job_id: int) -> None:
    """Import account items, tax codes and wallets from freee for the job's tenant (claimed once)."""
    try:
        freee_import.masters_import(job_id=job_id, task_id=self.request.id or "")
    except RetryLater as later:
        retry_later(self, later, on_exhausted=lambda: jobs.job_fail(
            job=Job.objects.get(pk=job_id),
            error=_("freeeの応答待ちが長引いたため中断しました。時間をおいて再度お試しください。")))
