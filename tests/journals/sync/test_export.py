"""取引明細の書出 (seed 001 ②③): the one-year period, plan-gated kinds, 会計連携 (未連携のみ), the Job, the CSV."""

import csv
import io
from datetime import date

import pytest

from core.models import Job
from journals.models import Trade
from journals.sync import services
from journals.sync.models import SyncRecord
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("start", "end", "ok"), [
    (date(2026, 4, 1), date(2027, 3, 31), True),
    (date(2026, 1, 1), date(2026, 12, 31), True),
    (date(2026, 4, 1), date(2027, 4, 1), False),
    (date(2026, 4, 2), date(2026, 4, 1), False),
])
def test_the_output_period_is_at_most_one_year(world_a, start, end, ok):
    if ok:
        assert services.export_validate(tenant=world_a.tenant, start=start, end=end, groups=["sales"]) == ["sales"]
        return
    with pytest.raises(services.ApplicationError) as error:
        services.export_validate(tenant=world_a.tenant, start=start, end=end, groups=["sales"])
    assert "1年以内" in error.value.message or "開始日" in error.value.message


@pytest.mark.parametrize(("plan", "allowed"), [("standard", False), ("professional", True), ("trial", True)])
def test_purchases_and_payments_only_on_the_professional_and_trial_plans(world_a, plan, allowed):
    world_a.tenant.plan = plan
    for groups in (["sales", "purchases"], ["sales", "payments"]):
        if allowed:
            assert services.export_validate(tenant=world_a.tenant, start=date(2026, 4, 1), end=date(2026, 4, 30),
                                            groups=groups) == groups
        else:
            with pytest.raises(services.ApplicationError, match="プロフェッショナルプラン"):
                services.export_validate(tenant=world_a.tenant, start=date(2026, 4, 1), end=date(2026, 4, 30),
                                         groups=groups)


def _export(world, **options):
    job = services.export_start(tenant=world.tenant, actor=world.member, start=date(2026, 11, 1),
                                end=date(2026, 11, 30), groups=["sales"], closed_only=False, **options)
    services.export_run(job=job)
    records = list(SyncRecord.objects.filter(job=job))
    services.sync_records_push(record_ids=[r.pk for r in records])
    job.refresh_from_db()
    return job, records


def test_the_export_syncs_every_document_of_the_period_as_a_job(world_a, ledger):
    inside = [InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, d)) for d in (1, 30)]
    InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 12, 1))  # outside the period
    InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, 5), total_amount=0)  # 0円
    job, records = _export(world_a, unsynced_only=False)
    assert sorted(r.document_id for r in records) == sorted(i.pk for i in inside)
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (2, 2)
    assert Trade.objects.count() == 2


def test_with_unsynced_only_the_synced_documents_are_left_alone(world_a, ledger):
    synced = InvoiceFactory(deal__tenant=world_a.tenant)
    _export(world_a, unsynced_only=False)
    fresh = InvoiceFactory(deal__tenant=world_a.tenant)
    _job, records = _export(world_a, unsynced_only=True)
    assert [r.document_id for r in records] == [fresh.pk] and records[0].operation == "add"
    _job, records = _export(world_a, unsynced_only=False)  # a second run overwrites (edit) the synced ones
    assert {(r.document_id, r.operation) for r in records} == {(synced.pk, "edit"), (fresh.pk, "edit")}
    assert Trade.objects.count() == 2


def test_documents_deleted_before_the_export_are_not_sent(world_a, ledger):
    kept, gone = (InvoiceFactory(deal__tenant=world_a.tenant) for _ in range(2))
    gone.delete()
    _job, records = _export(world_a, unsynced_only=False)
    assert [r.document_id for r in records] == [kept.pk]


def test_an_empty_period_finishes_with_no_new_trades(world_a, ledger):
    job, records = _export(world_a, unsynced_only=False)
    assert records == [] and job.status == Job.Status.SUCCEEDED and job.result["message"] == "新しい取引はありません。"


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after the raise runs, like a process that is gone."""


def test_an_export_whose_worker_died_mid_push_is_resumed_by_the_job_sweeper(world_a, ledger, settings, monkeypatch,
                                                                            django_capture_on_commit_callbacks):
    from datetime import timedelta

    from core import jobs
    from journals.sync.targets import BuiltinTarget

    invoices = [InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, d)) for d in (1, 2, 3)]
    job = services.export_start(tenant=world_a.tenant, actor=world_a.member, start=date(2026, 11, 1),
                                end=date(2026, 11, 30), groups=["sales"], closed_only=False, unsynced_only=False)
    services.export_run(job=job)
    ids = list(SyncRecord.objects.filter(job=job).order_by("pk").values_list("pk", flat=True))

    def die(self, *, tenant, items):
        raise WorkerKilled

    monkeypatch.setattr(BuiltinTarget, "sync", die)
    with pytest.raises(WorkerKilled):
        services.sync_records_push(record_ids=ids)
    monkeypatch.undo()
    assert set(SyncRecord.objects.filter(job=job).values_list("status", flat=True)) == {"in_progress"}

    settings.JOB_ABANDONED_AFTER_SECONDS = 0  # the sweeper's test of "no heartbeat for that long"
    resent, task_ids = [], []
    monkeypatch.setattr(jobs, "send_task", lambda task, *args, _options=None: resent.append((task.name, args))
                        or task_ids.append((_options or {}).get("task_id")) or True)
    assert jobs.jobs_recover_abandoned(older_than=timedelta(0)) == {"recovered": 1, "failed": 0}
    assert resent == [("journals.sync_export_run", (job.pk,))]
    with django_capture_on_commit_callbacks(execute=True):
        # the re-sent task (it owns the job now): resumes instead of listing the period again
        services.export_run(job=job, task_id=task_ids[0])
    assert resent[1:] == [("journals.sync_records_push", (ids,))]
    services.sync_records_push(record_ids=ids)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total, job.recoveries) == (3, 3, 1)
    assert SyncRecord.objects.filter(job=job).count() == 3 and Trade.objects.count() == len(invoices)
    assert set(SyncRecord.objects.filter(job=job).values_list("status", "attempts")) == {("done", 2)}


def test_a_resumed_export_whose_outcomes_were_all_written_just_finishes(world_a, ledger):
    InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, 2))
    job, _records = _export(world_a, unsynced_only=False)
    job.status = Job.Status.RUNNING  # the worker died between the outcomes and the job's own update
    job.save(update_fields=["status"])
    services.export_run(job=job)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result["errors"] == 0 and Trade.objects.count() == 1


def test_the_trade_lines_csv_is_utf8_with_bom_or_shift_jis(world_a, ledger):
    InvoiceFactory(deal__tenant=world_a.tenant, partner_name="株式会社髙橋", total_amount=110000, subject="=SUM(A1)")
    url = "/journals/sync/export/?format=csv&start=2026-11-01&end=2026-11-30&groups=sales&encoding="
    client = world_a.client("member")
    utf8 = b"".join(client.get(url + "utf-8-sig").streaming_content)
    assert utf8.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(utf8.decode("utf-8-sig"))))
    assert rows[0][:3] == ["取引日", "収支区分", "帳票"]
    assert rows[1][1] == "収入" and rows[1][4] == "株式会社髙橋" and rows[1][5] == "売上高" and rows[1][7] == "110000"
    assert rows[1][9] == "'=SUM(A1)"  # a formula is never handed to a spreadsheet
    sjis = b"".join(client.get(url + "cp932").streaming_content)
    assert "株式会社髙橋" in sjis.decode("cp932")


def test_a_csv_of_more_than_a_year_is_refused_with_the_seeds_message(world_a):
    response = world_a.client("member").get(
        "/journals/sync/export/?format=csv&start=2025-01-01&end=2026-11-30&groups=sales")
    assert response.status_code == 400 and "1年以内の期間を選択してください" in response.content.decode()
