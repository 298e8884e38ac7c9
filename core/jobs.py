"""Job services: create and enqueue after commit, claim, report progress, finish.

A task receives the job id, claims it (`job_claim` flips queued→running in one conditional UPDATE, so a
redelivered message cannot run it twice at the same time), reports progress, and finishes or fails it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import Job

logger = logging.getLogger(__name__)

# Job kind -> (the Celery task that runs it, job -> its arguments). Lets the sweepers re-send jobs whose
# message never reached the broker (Redis down) or died with its worker.
JOB_TASKS: dict[str, tuple[object, object]] = {}


def _job_id(job: Job) -> tuple:
    return (job.pk,)


def register_job_task(kind: str, task, *, args=_job_id) -> None:
    """Declare which task runs jobs of `kind` and with which arguments (default: the job id); call it at import
    time of the app's tasks module. `args(job)` may return () when there is nothing left to run."""
    JOB_TASKS[kind] = (task, args)


def _resend(job: Job, *, take_over: bool = False) -> bool:
    """Send the job's task again. `take_over`: the new message becomes the running job's owner (job_take), so
    the old one, should it only have been waiting in a long queue, does nothing when it arrives."""
    task, args = JOB_TASKS[job.kind]
    arguments = args(job)
    if not arguments:
        return False
    task_id = str(uuid.uuid4())
    if take_over:
        Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(task_id=task_id)
        if job.task_id:  # the dead message's bulk slot (core.fair) would otherwise block its own successor
            from core import fair

            fair.slot_release(tenant_id=job.tenant_id, holder=job.task_id)
    return send_task(task, *arguments, _options={"task_id": task_id})


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send a Celery task only once the current transaction commits (immediately outside one).

    The work is already stored in PostgreSQL when this runs; if the broker is unreachable the send is logged
    and skipped, and the periodic sweepers send it again when the broker is back. The user's request never fails
    because Redis is down."""
    transaction.on_commit(lambda: send_task(task, *args, **kwargs))


def send_task(task, *args, _options: dict | None = None, **kwargs) -> bool:
    """apply_async that reports a broker outage instead of raising it. `_options` are apply_async's own (a
    queue other than the task's route, a task id)."""
    try:
        task.apply_async(args=args, kwargs=kwargs, **(_options or {}))
    except Exception as error:  # noqa: BLE001 - kombu/redis raise several classes for "broker unreachable"
        logger.warning("could not enqueue %s (%s); it will be re-sent by a sweeper", task.name, error)
        return False
    return True


def job_create(*, tenant, actor, kind: str, total: int = 0) -> Job:
    """Save a queued job; the caller enqueues its task with enqueue_on_commit(task, job.pk)."""
    return Job.objects.create(tenant=tenant, actor=actor, kind=kind, total=total)


def job_claim(*, job_id: int) -> Job | None:
    """Mark a queued job running. Returns the job, or None when another worker already has or finished it."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
    )
    return Job.objects.get(pk=job_id) if claimed == 1 else None


def job_take(*, job_id: int, task_id: str = "") -> Job | None:
    """For the message `task_id`: claim the queued job, or continue the running job this message owns.

    Sweepers may send a job's task again while the first message still waits in a long bulk queue; whichever
    arrives first claims the job (and owns it), the other finds it owned and gets None, so a job never runs
    in two chains of messages. A slice's continuation and a retry keep their task id (core.fair.requeue)."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, updated_at=now, task_id=task_id)
    running = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING)
    if claimed:
        return running.first()
    return running.filter(Q(task_id=task_id) | Q(task_id="")).first()


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


def jobs_requeue_stale(*, older_than: timedelta, bulk_older_than: timedelta = timedelta(minutes=15)) -> int:
    """Send again the task of every job still queued after `older_than` (its message was never delivered).

    Jobs of bulk tasks get `bulk_older_than`: at month end their message may simply be waiting its turn in
    the bulk queue. Safe to repeat: the task takes the job with a conditional UPDATE (job_take), so a
    duplicate message does nothing."""
    from core.queues import BULK, queue_of

    now = timezone.now()
    sent = 0
    for job in Job.objects.filter(status=Job.Status.QUEUED, updated_at__lt=now - older_than,
                                  kind__in=list(JOB_TASKS)):
        if queue_of(JOB_TASKS[job.kind][0].name) == BULK and job.updated_at >= now - bulk_older_than:
            continue
        if _resend(job):
            Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(updated_at=timezone.now())
            sent += 1
    return sent


MAX_RECOVERIES = 3
WAITING_LOST_AFTER = timedelta(hours=1)
ABANDONED_MESSAGE = "処理が中断されました。もう一度実行してください。"


def jobs_recover_abandoned(*, older_than: timedelta, max_recoveries: int = MAX_RECOVERIES) -> dict[str, int]:
    """Running jobs with no heartbeat for `older_than` lost their worker (SIGKILL, OOM, a lost ETA message).

    Jobs of a registered kind are re-sent (the task resumes a running job where it stopped) up to
    `max_recoveries` times; others, and jobs that keep dying, are failed with a message the user can act on.
    """
    now = timezone.now()
    cutoff = now - older_than
    tally = {"recovered": 0, "failed": 0}
    # A bulk job waiting for its turn (core.fair) is alive while its message waits in the bulk queue, however
    # long that queue is at month end; only one that has "waited" for an hour is presumed lost.
    waiting = Q(waiting_since__gte=now - WAITING_LOST_AFTER)
    for job in Job.objects.filter(status=Job.Status.RUNNING, updated_at__lt=cutoff).exclude(waiting):
        if job.kind in JOB_TASKS and job.recoveries < max_recoveries:
            taken = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, updated_at__lt=cutoff).update(
                recoveries=F("recoveries") + 1, updated_at=timezone.now())
            if taken and _resend(job, take_over=True):
                tally["recovered"] += 1
            continue
        tally["failed"] += Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, updated_at__lt=cutoff).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), updated_at=timezone.now(), error=ABANDONED_MESSAGE)
    return tally
