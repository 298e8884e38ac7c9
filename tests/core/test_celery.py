"""Celery: JSON only, late acks, prefetch 1, time limits, a schedule whose entries expire in time, and a
real worker on the test Redis that runs a task enqueued after commit."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from config.celery import app
from core.jobs import enqueue_on_commit
from core.models import Job
from core.tasks import jobs_fail_abandoned_task
from tests.conftest import worker_redis_url
from tests.factories import JobFactory


def test_tasks_travel_as_json_only():
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]


def test_tasks_are_acked_late_one_at_a_time_with_time_limits():
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_every_scheduled_task_expires_before_its_next_run():
    app.loader.import_default_modules()  # the autodiscovery a worker runs at start, whatever ran before here
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        interval = entry["schedule"].total_seconds() if hasattr(entry["schedule"], "total_seconds") else 86400
        assert entry["options"]["expires"] < interval, name


@pytest.fixture
def real_worker(transactional_db):
    """A real Celery worker (in-process thread) consuming from this xdist worker's own Redis database
    (tests/conftest.py points the broker there; resetting it to the shared database would let another
    process's worker take our tasks)."""
    assert app.conf.broker_url == worker_redis_url()
    app.connection_for_write().default_channel.client.flushdb()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=["interactive", "bulk", "default"]):
        yield


def test_a_task_enqueued_in_a_transaction_runs_on_a_real_worker_after_commit(real_worker, world_a):
    from datetime import timedelta

    from django.utils import timezone

    stale = JobFactory(tenant=world_a.tenant, status=Job.Status.RUNNING)
    Job.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    with transaction.atomic():
        enqueue_on_commit(jobs_fail_abandoned_task)
    _wait_for(lambda: Job.objects.get(pk=stale.pk).status == Job.Status.FAILED)


def _wait_for(condition, timeout: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not finish the task in time")
