"""Periodic housekeeping tasks (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.management import call_command

from core.jobs import jobs_recover_abandoned, jobs_requeue_stale


@shared_task(name="core.jobs_fail_abandoned")
def jobs_fail_abandoned_task() -> dict[str, int]:
    """Re-send (or fail) running jobs whose worker stopped reporting for JOB_ABANDONED_AFTER_SECONDS.

    (The task keeps its historical name so schedules of running deployments stay valid.)"""
    return jobs_recover_abandoned(older_than=timedelta(seconds=settings.JOB_ABANDONED_AFTER_SECONDS))


@shared_task(name="core.sessions_clear_expired")
def sessions_clear_expired() -> None:
    """Delete expired sessions (Django's clearsessions)."""
    call_command("clearsessions")


@shared_task(name="core.jobs_requeue_stale")
def jobs_requeue_stale_task() -> int:
    """Re-send queued jobs whose message never reached a worker (e.g. Redis was down when they were created)."""
    return jobs_requeue_stale(older_than=timedelta(minutes=2))


@shared_task(name="core.idempotency_keys_purge")
def idempotency_keys_purge_task() -> int:
    """Delete the API's Idempotency-Key answers older than 24 hours."""
    from core.idempotency import idempotency_keys_purge

    return idempotency_keys_purge()
