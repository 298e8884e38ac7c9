"""No tenant waits for another (issue 20): the queues of every task, the bulk slots, waits given back to the
worker, the beat's spread over the interval, 順番待ち, and the operators' /metrics."""

from __future__ import annotations

import base64
import datetime as dt
import json
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from config.celery import app
from core import fair, jobs, queues, spread
from core.models import Job
from core.queues import BULK, INTERACTIVE, TASK_QUEUES
from integrations.sandbox.services import sandbox_faults_set
from invoices import tasks as invoice_tasks  # noqa: F401 - registers the job kinds the sweepers re-send
from journals import freee_import
from journals.sync.services import EXPORT_KIND
from journals.tasks import masters_import_task
from payment_requests.tasks import mirror_pull_task
from tenancy.models import Tenant
from tests.factories import JobFactory, TenantFactory
from tests.invoices.conftest import sandbox  # noqa: F401 - the live sandbox fixture


def _broker():
    return app.connection_for_write().default_channel.client


def _messages(queue: str) -> list[dict]:
    """The messages waiting in a queue of this test's own Redis database (oldest last, as kombu keeps them)."""
    return [json.loads(raw) for raw in _broker().lrange(queue, 0, -1)]


def _args(message: dict) -> list:
    return json.loads(base64.b64decode(message["body"]))[0]


# --------------------------------------------------------------------------- routing


def test_every_registered_task_has_a_declared_queue():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith(("celery.", "tests."))}  # tests' own tasks aside
    assert ours - set(TASK_QUEUES) == set(), "declare the new task's queue in core/queues.py (interactive or bulk)"
    assert set(TASK_QUEUES) - ours == set(), "core/queues.py names a task that no longer exists"


@pytest.mark.parametrize(("name", "queue"), sorted(TASK_QUEUES.items()))
def test_the_router_sends_each_task_to_its_queue(name, queue):
    assert app.amqp.router.route({}, name)["queue"].name == queue


def test_what_a_person_waits_for_is_interactive_and_bulk_work_is_not():
    for name in ("invoices.invoice_push", "notifications.callback_handle", "payment_requests.mirror_push"):
        assert queues.queue_of(name) == INTERACTIVE
    for name in ("invoices.bulk_refresh", "journals.masters_import", "journals.sync_export_run",
                 "notifications.event_fan_out", "payment_requests.mirror_pull"):
        assert queues.queue_of(name) == BULK


def test_an_issue_is_published_on_the_interactive_queue(world_a):
    from invoices.tasks import invoice_push_task

    _broker().flushdb()
    assert jobs.send_task(invoice_push_task, 123)
    assert [m["headers"]["task"] for m in _messages(INTERACTIVE)] == ["invoices.invoice_push"]
    assert _messages(BULK) == []
    assert _messages(INTERACTIVE)[0]["headers"]["published_at"] > 0  # stamped for the oldest-age metric


# --------------------------------------------------------------------------- the slots


def test_a_tenant_holds_at_most_its_configured_bulk_slots(settings):
    settings.BULK_SLOTS_PER_TENANT = 2
    assert fair.slot_take(tenant_id=7, holder="a", now=1000)
    assert fair.slot_take(tenant_id=7, holder="b", now=1000)
    assert not fair.slot_take(tenant_id=7, holder="c", now=1000)
    assert fair.slot_take(tenant_id=8, holder="c", now=1000)  # another tenant is not affected
    fair.slot_release(tenant_id=7, holder="a")
    assert fair.slot_take(tenant_id=7, holder="c", now=1001)
    assert fair.slots_running(now=1001) == {7: 2, 8: 1}


def test_a_crashed_holders_slot_is_freed_by_expiry():
    assert fair.slot_take(tenant_id=7, holder="killed-worker", now=1000)  # never released: SIGKILL
    assert not fair.slot_take(tenant_id=7, holder="next", now=1000 + fair.hold_seconds() - 1)
    assert fair.slot_take(tenant_id=7, holder="next", now=1000 + fair.hold_seconds() + 1)


def test_a_lease_is_renewed_only_by_its_holder_while_it_holds_the_slot():
    assert fair.slot_take(tenant_id=7, holder="running", now=1000)
    assert fair.slot_renew(tenant_id=7, holder="running", now=1000 + fair.hold_seconds() - 1)
    assert not fair.slot_take(tenant_id=7, holder="next", now=1000 + fair.hold_seconds() + 1)  # renewed
    fair.slot_release(tenant_id=7, holder="running")
    assert not fair.slot_renew(tenant_id=7, holder="running")  # given back: a late renewal takes nothing
    assert fair.slots_running() == {}


def test_a_running_bulk_task_keeps_its_slot_past_one_lease_and_a_killed_one_loses_it(world_a, settings):
    """A task longer than the lease keeps its slot (its thread renews it); the slot of a task whose worker
    died (nobody renews) is free again after one lease, not after the hard time limit."""
    import threading
    import time

    settings.BULK_SLOT_LEASE_SECONDS = 1
    tenant_id = world_a.tenant.pk
    seen = []

    @fair.bulk_slot(lambda *args: (tenant_id, None))
    def long_task(task):
        time.sleep(2.5)  # 2.5 leases

    class Request:
        id, delivery_info = "long", {"routing_key": BULK}

    class Task:
        request = Request()

    runner = threading.Thread(target=long_task, args=(Task(),))
    runner.start()
    time.sleep(2)
    seen.append(fair.slot_take(tenant_id=tenant_id, holder="while it runs"))
    runner.join()
    assert seen == [False] and fair.slots_running() == {}

    assert fair.slot_take(tenant_id=tenant_id, holder="killed")  # SIGKILL: taken, never renewed, never released
    time.sleep(1.2)
    assert fair.slot_take(tenant_id=tenant_id, holder="next")


def test_a_bulk_task_whose_tenant_is_at_its_limit_goes_back_to_the_queue_without_running(world_a):
    _broker().flushdb()
    fair.slot_take(tenant_id=world_a.tenant.pk, holder="a refresh of the same tenant")

    result = mirror_pull_task.apply(args=[world_a.tenant.pk], retries=3)

    assert result.result is None  # did not run
    (message,) = _messages(BULK)
    headers = message["headers"]
    assert headers["task"] == "payment_requests.mirror_pull" and _args(message) == [world_a.tenant.pk]
    assert headers["retries"] == 3  # waiting for a slot is not a failed try
    assert headers["eta"]  # comes back after a short countdown, not in a busy loop
    assert _messages(INTERACTIVE) == []


def test_a_bulk_task_runs_in_a_slot_and_gives_it_back(world_a):
    assert mirror_pull_task.apply(args=[world_a.tenant.pk]).result == 0  # ran (nothing mirrored)
    assert fair.slots_running() == {}


def test_a_job_waiting_for_its_slot_says_so_with_its_position(world_a):
    earlier = JobFactory(tenant=world_a.tenant, kind=EXPORT_KIND, status=Job.Status.RUNNING)
    job = JobFactory(tenant=world_a.tenant, kind=freee_import.IMPORT_KIND, total=freee_import.STEPS)
    JobFactory(tenant=TenantFactory(), kind=freee_import.IMPORT_KIND)  # another tenant's job does not count
    Job.objects.filter(pk=job.pk).update(created_at=earlier.created_at + timedelta(seconds=1))
    fair.slot_take(tenant_id=world_a.tenant.pk, holder="the export")

    masters_import_task.apply(args=[job.pk])

    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED and job.is_waiting and job.queue_position == 2
    body = world_a.client().get(f"/jobs/{job.public_id}/progress/").content.decode()
    assert "順番待ちです（この事業所のジョブで2番目）" in body


# --------------------------------------------------------------------------- one owner per job


def test_a_copy_of_a_jobs_message_does_not_run_it_twice(world_a):
    job = JobFactory(tenant=world_a.tenant, kind="invoices.bulk_refresh")
    assert jobs.job_take(job_id=job.pk, task_id="first").task_id == "first"
    assert jobs.job_take(job_id=job.pk, task_id="copy-from-the-stale-sweeper") is None
    assert jobs.job_take(job_id=job.pk, task_id="first") is not None  # its own next slice continues


def test_the_abandoned_sweeper_takes_a_job_over_and_the_old_message_then_does_nothing(world_a, monkeypatch):
    job = JobFactory(tenant=world_a.tenant, kind="invoices.bulk_refresh")
    jobs.job_take(job_id=job.pk, task_id="lost")
    assert fair.slot_take(tenant_id=world_a.tenant.pk, holder="lost")  # held when its worker was SIGKILLed
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    sent = []
    monkeypatch.setattr(jobs, "send_task", lambda task, *args, _options=None: sent.append(_options) or True)

    assert jobs.jobs_recover_abandoned(older_than=timedelta(minutes=10)) == {"recovered": 1, "failed": 0}

    new_id = sent[0]["task_id"]
    assert fair.slots_running() == {}  # the dead message's slot is given back with the job
    assert jobs.job_take(job_id=job.pk, task_id="lost") is None
    assert jobs.job_take(job_id=job.pk, task_id=new_id) is not None


def test_a_job_waiting_its_turn_is_not_taken_for_abandoned_until_it_waited_an_hour(world_a, monkeypatch):
    job = JobFactory(tenant=world_a.tenant, kind="invoices.bulk_refresh", status=Job.Status.RUNNING)
    long_ago = timezone.now() - timedelta(minutes=30)
    Job.objects.filter(pk=job.pk).update(updated_at=long_ago, waiting_since=long_ago)
    monkeypatch.setattr(jobs, "send_task", lambda task, *args, _options=None: True)
    assert jobs.jobs_recover_abandoned(older_than=timedelta(minutes=10)) == {"recovered": 0, "failed": 0}
    Job.objects.filter(pk=job.pk).update(waiting_since=timezone.now() - timedelta(hours=2))
    assert jobs.jobs_recover_abandoned(older_than=timedelta(minutes=10)) == {"recovered": 1, "failed": 0}


def test_a_queued_bulk_job_is_sent_again_only_after_the_bulk_grace(world_a, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "send_task", lambda task, *args, _options=None: sent.append(task.name) or True)
    bulk_job = JobFactory(tenant=world_a.tenant, kind="invoices.bulk_refresh")
    export_job = JobFactory(tenant=world_a.tenant, kind=EXPORT_KIND)
    Job.objects.filter(pk__in=[bulk_job.pk, export_job.pk]).update(updated_at=timezone.now() - timedelta(minutes=5))
    jobs.jobs_requeue_stale(older_than=timedelta(minutes=2))
    assert sent == []  # both are bulk: five minutes in a month-end queue is normal
    Job.objects.filter(pk=bulk_job.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    jobs.jobs_requeue_stale(older_than=timedelta(minutes=2))
    assert sent == ["invoices.bulk_refresh"]


# --------------------------------------------------------------------------- waits give the worker back


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_masters_import_is_rescheduled_instead_of_failing(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    sandbox_faults_set(company, lockout_until=(timezone.now() + timedelta(minutes=10)).isoformat())
    job = freee_import.masters_import_start(tenant=world_a.tenant, actor=world_a.admin)

    with pytest.raises(Retry) as retry:
        masters_import_task.apply(args=[job.pk], throw=True)

    assert retry.value.when >= 9 * 60  # freee's lock-out is waited out by a countdown, not in the worker
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and not job.error
    sandbox_faults_set(company, lockout_until=None)  # ten minutes later: the lock-out is over
    for key in _broker().scan_iter(match="freee:rl:*:blocked"):
        _broker().delete(key)
    masters_import_task.apply(args=[job.pk], task_id=job.task_id, retries=1, throw=True)  # the retry
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.done == job.total


# --------------------------------------------------------------------------- the beat's spread


def test_each_tenant_has_one_stable_minute_in_the_interval_and_the_minutes_are_even(db):
    tenants = TenantFactory.create_batch(300)
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    interval = timedelta(minutes=30)
    per_minute = [list(spread.due_now(Tenant.objects.filter(pk__in=[t.pk for t in tenants]), interval=interval,
                                      now=start + timedelta(minutes=m, seconds=30)).values_list("pk", flat=True))
                  for m in range(60)]
    counts = [len(due) for due in per_minute]
    assert sorted(pk for due in per_minute[:30] for pk in due) == sorted(t.pk for t in tenants)  # each once
    assert per_minute[:30] == per_minute[30:]  # the same minute every interval
    mean = len(tenants) / 30
    assert all(abs(count - mean) <= 0.2 * mean for count in counts)


def test_the_beat_ticks_per_minute_for_per_tenant_work(settings):
    for name in ("invoices.bulk_refresh_schedule", "payment_requests.mirror_pull_schedule"):
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["schedule"] == timedelta(minutes=1) and entry["options"]["expires"] < 60


def test_scheduled_refreshes_of_a_tenant_stay_within_its_share_of_the_daily_cap(world_a):
    from integrations.models import FreeeConnection
    from invoices import bulk

    connection = FreeeConnection(tenant=world_a.tenant, daily_cap=10_000)
    runs_per_day = timedelta(days=1) / bulk.SCHEDULE_INTERVAL
    assert bulk.scheduled_call_budget(connection) * runs_per_day <= bulk.SCHEDULE_DAILY_SHARE * 10_000


# --------------------------------------------------------------------------- /metrics


def test_metrics_are_hidden_without_a_token_and_refused_with_a_wrong_one(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_metrics_show_queue_depth_oldest_age_and_slots(client, settings, world_a):
    from invoices.tasks import bulk_refresh_task

    settings.METRICS_TOKEN = "s3cret-token"
    _broker().flushdb()
    jobs.send_task(bulk_refresh_task, 1)
    jobs.send_task(bulk_refresh_task, 2)
    raw = _broker().lindex(BULK, -1)
    message = json.loads(raw)
    message["headers"]["published_at"] -= 42  # the oldest message has waited 42 s
    _broker().lset(BULK, -1, json.dumps(message))
    fair.slot_take(tenant_id=world_a.tenant.pk, holder="running refresh")
    JobFactory(tenant=world_a.tenant, status=Job.Status.RUNNING, waiting_since=timezone.now())

    body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").content.decode()

    assert 'hub_queue_depth{queue="bulk"} 2.0' in body and 'hub_queue_depth{queue="interactive"} 0.0' in body
    age = float(next(line.split()[-1] for line in body.splitlines()
                     if line.startswith('hub_queue_oldest_message_age_seconds{queue="bulk"}')))
    assert 42 <= age < 60
    assert f'hub_bulk_slots_running{{tenant="{world_a.tenant.pk}"}} 1.0' in body
    assert 'hub_jobs{status="waiting"} 1.0' in body
