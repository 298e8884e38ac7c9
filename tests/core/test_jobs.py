"""Jobs: saved first, claimed once, progress the UI polls, abandoned ones failed by the sweeper."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.models import Job
from core.tasks import jobs_fail_abandoned_task
from tests import netguard
from tests.factories import JobFactory
from tests.isolation import assert_cross_tenant_404


@pytest.fixture
def job(world_a):
    return jobs.job_create(tenant=world_a.tenant, actor=world_a.member, kind="deals.status_refresh", total=4)


def test_a_job_is_claimed_once(job):
    assert jobs.job_claim(job_id=job.pk).status == Job.Status.RUNNING
    assert jobs.job_claim(job_id=job.pk) is None


def test_progress_and_success(job):
    claimed = jobs.job_claim(job_id=job.pk)
    jobs.job_advance(job=claimed, by=3)
    assert Job.objects.get(pk=job.pk).percent == 75
    jobs.job_succeed(job=claimed, result={"updated": 3})
    job.refresh_from_db()
    assert (job.status, job.percent, job.result) == (Job.Status.SUCCEEDED, 100, {"updated": 3})
    assert job.finished_at is not None


def test_failure_keeps_the_message_for_the_user(job):
    jobs.job_fail(job=jobs.job_claim(job_id=job.pk), error="freeeに接続できません。")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error == "freeeに接続できません。"


def test_enqueue_waits_for_commit(db, django_capture_on_commit_callbacks):
    sent = []

    class FakeTask:  # records apply_async; the subject here is the on_commit timing, not Celery
        def apply_async(self, args, kwargs):
            sent.append(args)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.enqueue_on_commit(FakeTask(), 42)
        assert sent == []
    for callback in callbacks:
        callback()
    assert sent == [(42,)]


def test_the_sweeper_fails_running_jobs_without_heartbeat_of_kinds_it_cannot_resume(world_a):
    stale = JobFactory(tenant=world_a.tenant, status=Job.Status.RUNNING)
    fresh = JobFactory(tenant=world_a.tenant, status=Job.Status.RUNNING)
    Job.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    assert jobs_fail_abandoned_task() == {"recovered": 0, "failed": 1}
    stale.refresh_from_db(), fresh.refresh_from_db()
    assert stale.status == Job.Status.FAILED and "中断" in stale.error
    assert fresh.status == Job.Status.RUNNING


def test_the_sweeper_resends_abandoned_jobs_it_can_resume_a_few_times_then_fails_them(world_a):
    from config.celery import app

    @app.task(name="tests.resumable")
    def resumable(job_id):
        return job_id

    jobs.register_job_task("tests.resumable", resumable)
    redis = app.connection_for_write().default_channel.client
    redis.delete("default")
    try:
        job = JobFactory(tenant=world_a.tenant, status=Job.Status.RUNNING, kind="tests.resumable")
        for attempt in range(1, jobs.MAX_RECOVERIES + 1):
            Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
            assert jobs_fail_abandoned_task() == {"recovered": 1, "failed": 0}
            job.refresh_from_db()
            assert job.status == Job.Status.RUNNING and job.recoveries == attempt
        assert redis.llen("default") == jobs.MAX_RECOVERIES
        Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
        assert jobs_fail_abandoned_task() == {"recovered": 0, "failed": 1}
    finally:
        jobs.JOB_TASKS.pop("tests.resumable", None)


def test_the_progress_partial_polls_until_finished(job, world_a):
    url = reverse("core:job_progress", args=[job.public_id])
    running = world_a.client().get(url).content.decode()
    assert f'hx-get="{url}"' in running and 'hx-trigger="every 1s"' in running
    jobs.job_succeed(job=jobs.job_claim(job_id=job.pk))
    finished = world_a.client().get(url).content.decode()
    assert "hx-get" not in finished and "完了" in finished


def test_job_list_shows_empty_state(world_a):
    assert "まだジョブはありません" in world_a.client().get(reverse("core:job_list")).content.decode()


def test_other_tenants_job_progress_is_404(world_a, world_b):
    foreign = JobFactory(tenant=world_b.tenant, error="Bのエラー")
    assert_cross_tenant_404(world_a.client(), reverse("core:job_progress", args=[foreign.public_id]),
                            foreign_texts=("Bのエラー",), methods=("get",))


def _unreachable_broker_task():
    """A real Celery task bound to a broker nobody listens on (port 9 on loopback)."""
    from celery import Celery

    app = Celery("unreachable", broker="redis://127.0.0.1:9/0", set_as_current=False)
    app.conf.update(broker_transport_options={"socket_connect_timeout": 0.5},
                    task_publish_retry_policy={"max_retries": 0})

    @app.task(name="tests.unreachable")
    def unreachable(job_id):
        return job_id

    return unreachable


def test_a_broker_outage_does_not_fail_the_request_and_the_job_stays_queued(world_a, caplog):
    job = jobs.job_create(tenant=world_a.tenant, actor=world_a.member, kind="tests.unreachable")
    assert jobs.send_task(_unreachable_broker_task(), job.pk) is False
    assert "re-sent by a sweeper" in caplog.text
    # the refusal came from the test network guard (nothing on the machine can answer instead); taken here, as
    # the outage is what this test is about
    assert set(netguard.take_violations()) == {"127.0.0.1:9"}
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


def test_the_sweeper_resends_stale_queued_jobs_of_registered_kinds(world_a):
    from config.celery import app
    from core.tasks import jobs_requeue_stale_task

    @app.task(name="tests.requeue_target")
    def requeue_target(job_id):
        return job_id

    jobs.register_job_task("tests.requeue", requeue_target)
    try:
        stale = jobs.job_create(tenant=world_a.tenant, actor=None, kind="tests.requeue")
        fresh = jobs.job_create(tenant=world_a.tenant, actor=None, kind="tests.requeue")
        unknown = jobs.job_create(tenant=world_a.tenant, actor=None, kind="tests.unregistered")
        Job.objects.filter(pk__in=[stale.pk, unknown.pk]).update(updated_at=timezone.now() - timedelta(minutes=10))
        redis = app.connection_for_write().default_channel.client
        redis.delete("default")
        assert jobs_requeue_stale_task() == 1
        assert redis.llen("default") == 1
        headers = json.loads(redis.lindex("default", 0))["headers"]
        assert headers["task"] == "tests.requeue_target" and headers["argsrepr"] == f"({stale.pk},)"
        stale.refresh_from_db()
        assert stale.updated_at > timezone.now() - timedelta(minutes=1) and fresh.status == Job.Status.QUEUED
    finally:
        jobs.JOB_TASKS.pop("tests.requeue", None)
