"""Job services: create and enqueue after commit, claim, report progress, finish.

A task receives the job id, claims it (`job_claim` flips queued→running in one conditional UPDATE, so a
redelivered message cannot run it twice at the same time), reports progress, and finishes or fails it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.models import Job


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send a Celery task only once the current transaction commits (immediately outside one)."""
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))


def job_create(*, tenant, actor, kind: str, total: int = 0) -> Job:
    """Save a queued job; the caller enqueues its task with enqueue_on_commit(task, job.pk)."""
    return Job.objects.create(tenant=tenant, actor=actor, kind=kind, total=total)


def job_claim(*, job_id: int) -> Job | None:
    """Mark a queued job running. Returns the job, or None when another worker already has or finished it."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
    )
    return Job.objects.get(pk=job_id) if claimed == 1 else None


def job_set_total(*, job: Job, total: int) -> None:
    job.total = total
    Job.objects.filter(pk=job.pk).update(total=total, updated_at=timezone.now())


def job_advance(*, job: Job, by: int = 1) -> None:
    """Add `by` to the done counter (atomic in the database; also the job's heartbeat)."""
    Job.objects.filter(pk=job.pk).update(done=F("done") + by, updated_at=timezone.now())
    job.done += by


def job_succeed(*, job: Job, result: dict | None = None) -> None:
    _finish(job, Job.Status.SUCCEEDED, result=result or {})


def job_fail(*, job: Job, error: str) -> None:
    """Record a failure with a message the user can act on (shown under the progress bar)."""
    _finish(job, Job.Status.FAILED, error=error)


def _finish(job: Job, status: str, **fields) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(status=status, finished_at=now, updated_at=now, **fields)
    job.refresh_from_db()


def jobs_fail_abandoned(*, older_than: timedelta) -> int:
    """Fail running jobs with no heartbeat for `older_than` (their worker died past every retry)."""
    cutoff = timezone.now() - older_than
    return Job.objects.filter(status=Job.Status.RUNNING, updated_at__lt=cutoff).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        error="処理が中断されました。もう一度実行してください。",
    )
