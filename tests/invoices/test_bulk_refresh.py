"""freee請求ステータス更新 (bulk refresh): against the sandbox over real HTTP, plus the planning rules and the button."""

import datetime as dt
from datetime import date, timedelta
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.cache import cache
from django.utils import timezone

from core import jobs
from core.models import Job
from integrations.freee.client import FreeeClient
from integrations.models import ApiCallLog, FreeeConnection
from integrations.sandbox.services import sandbox_company_update, sandbox_faults_set, sandbox_invoice_status_set
from invoices import bulk, services, tasks
from invoices.models import Invoice
from tests.factories import DealFactory, InvoiceFactory, JobFactory
from tests.invoices.conftest import first_partner, sandbox_invoices

LIST_URL = "/deals/"
START_URL = "/invoices/bulk-refresh/"
PANEL_URL = "/invoices/bulk-refresh/panel/"
BILLING = date(2026, 11, 30)


def _issued(world, company, *, billing_date: date = BILLING, name: str = "一括更新の案件") -> Invoice:
    """An invoice issued the product's way: invoice_issue writes the row, invoice_push creates it in freee."""
    deal = DealFactory(tenant=world.tenant, name=name, amount=110000, expected_billing_date=billing_date)
    partner = first_partner(company)
    invoice = services.invoice_issue(deal=deal, membership=world.member_membership, partner_id=partner["id"],
                                     partner_name=partner["name"])
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.ISSUED
    return invoice


def _job(world) -> Job:
    return jobs.job_create(tenant=world.tenant, actor=world.member, kind=bulk.BULK_KIND)


def _calls_since(mark: int, tenant) -> list[ApiCallLog]:
    return list(ApiCallLog.objects.filter(tenant=tenant, pk__gt=mark).order_by("pk"))


def _mark() -> int:
    last = ApiCallLog.objects.order_by("-pk").first()
    return last.pk if last else 0


# --------------------------------------------------------------------------- against the sandbox


@pytest.mark.django_db(transaction=True)
def test_one_invoice_is_read_with_one_get_by_id(sandbox, world_a):
    company, _connection = sandbox
    invoice = _issued(world_a, company)
    sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                               value="settled")
    job, mark = _job(world_a), _mark()

    bulk.bulk_refresh(job=job)

    calls = _calls_since(mark, world_a.tenant)
    assert [(c.method, c.path) for c in calls] == [("GET", f"/iv/invoices/{invoice.freee_invoice_id}")]
    invoice.refresh_from_db()
    assert invoice.payment_status == "settled" and invoice.last_synced_at is not None
    invoice.deal.refresh_from_db()
    assert invoice.deal.freee_latest_status == "settled"
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (1, 1)
    assert job.result == {"updated": 1, "unchanged": 0, "missing": 0, "calls": 1}


@pytest.mark.django_db(transaction=True)
def test_invoices_sharing_a_billing_window_are_read_with_one_list_call(sandbox, world_a):
    company, _connection = sandbox
    invoices = [_issued(world_a, company, name=f"同じ請求日の案件{n}") for n in range(3)]
    sandbox_invoice_status_set(company=company, invoice_id=invoices[0].freee_invoice_id, field="sending_status",
                               value="sent")
    sandbox_invoice_status_set(company=company, invoice_id=invoices[1].freee_invoice_id, field="payment_status",
                               value="settled")
    job, mark = _job(world_a), _mark()

    bulk.bulk_refresh(job=job)

    calls = _calls_since(mark, world_a.tenant)
    assert [(c.method, c.path) for c in calls] == [("GET", "/iv/invoices")]  # 1 = ceil(3 / 100) < 3 GETs
    for invoice in invoices:
        invoice.refresh_from_db()
        invoice.deal.refresh_from_db()
    assert invoices[0].sending_status == "sent" and invoices[0].deal.freee_latest_status == "unsettled"
    assert invoices[1].payment_status == "settled" and invoices[1].deal.freee_latest_status == "settled"
    assert invoices[2].deal.freee_latest_status == "unsettled"
    job.refresh_from_db()
    assert job.result == {"updated": 2, "unchanged": 1, "missing": 0, "calls": 1} and job.done == 3


@pytest.mark.django_db(transaction=True)
def test_an_invoice_created_directly_in_freee_is_never_imported(sandbox, world_a):
    company, connection = sandbox
    ours = [_issued(world_a, company, name=f"連携済みの案件{n}") for n in range(2)]
    deal = DealFactory(tenant=world_a.tenant, name="freeeで直接作成")
    stranger = Invoice(tenant=world_a.tenant, deal=deal, reference="made-in-freee", partner_id=ours[0].partner_id,
                       partner_name="x", subject="freeeで直接作成", billing_date=BILLING, payment_date=BILLING)
    FreeeClient(connection).invoice_create(services.invoice_body(stranger, connection))
    assert len(sandbox_invoices(company)) == 3
    job, mark = _job(world_a), _mark()

    bulk.bulk_refresh(job=job)

    assert Invoice.objects.filter(tenant=world_a.tenant).count() == 2
    assert len(_calls_since(mark, world_a.tenant)) == 1
    job.refresh_from_db()
    assert job.result["unchanged"] == 2 and job.total == 2


@pytest.mark.django_db(transaction=True)
def test_a_rate_limit_midway_reschedules_the_task_and_the_rerun_continues(sandbox, world_a, monkeypatch):
    company, _connection = sandbox
    first = _issued(world_a, company, billing_date=BILLING, name="一件目")
    second = _issued(world_a, company, billing_date=BILLING + timedelta(days=90), name="三か月後の二件目")
    for invoice in (first, second):
        sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                                   value="settled")
    monkeypatch.setattr(bulk, "MAX_WAIT_SECONDS", 0)  # never sleep in the test: reschedule at once
    original_show = FreeeClient.invoice_show

    def show_then_limit(client, invoice_id):
        result = original_show(client, invoice_id)
        sandbox_faults_set(company, rate_limit_429=1)  # freee refuses the next call
        return result

    monkeypatch.setattr(FreeeClient, "invoice_show", show_then_limit)
    job, mark = _job(world_a), _mark()

    with pytest.raises(Retry):
        tasks.bulk_refresh_task(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and (job.done, job.total) == (1, 2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.payment_status == "settled" and second.payment_status == "unsettled"

    monkeypatch.setattr(FreeeClient, "invoice_show", original_show)
    cache.clear()  # the wait freee asked for is over
    tasks.bulk_refresh_task(job.pk)

    job.refresh_from_db()
    second.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (2, 2)
    assert second.payment_status == "settled"
    assert job.result == {"updated": 2, "unchanged": 0, "missing": 0, "calls": 2}
    statuses = [c.status_code for c in _calls_since(mark, world_a.tenant)]
    assert statuses == [200, 429, 200]  # the first invoice was not fetched again


@pytest.mark.django_db(transaction=True)
def test_a_run_cut_by_its_time_slice_continues_the_list_where_it_stopped(sandbox, world_a, monkeypatch):
    company, _connection = sandbox
    invoices = [_issued(world_a, company, name=f"七件の案件{n}") for n in range(7)]
    for invoice in invoices:
        sandbox_invoice_status_set(company=company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                                   value="settled")
    monkeypatch.setattr(bulk, "PAGE_SIZE", 2)  # 7 invoices = 4 pages, as 20,000 would be 200 (+1)
    original_call, made = bulk._Run.call, []

    def slice_ends_after_two_calls(run, fetch):
        if len(made) == 2:
            raise bulk._OutOfBudget  # what the run's deadline does when RUN_SECONDS have passed
        made.append(1)
        return original_call(run, fetch)

    monkeypatch.setattr(bulk._Run, "call", slice_ends_after_two_calls)
    job, mark = _job(world_a), _mark()

    with pytest.raises(services.RetryLater):
        bulk.bulk_refresh(job=job)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.done == 4 and job.result["cursor"]["offset"] == 4

    monkeypatch.setattr(bulk._Run, "call", original_call)
    bulk.bulk_refresh(job=job)

    calls = _calls_since(mark, world_a.tenant)
    # ceil(7 / 2) pages in all: the second run read pages 3 and 4 of the list, not pages 1 and 2 again.
    assert [c.path for c in calls] == ["/iv/invoices"] * 4
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.done == 7 and "cursor" not in job.result
    assert job.result["calls"] == 4 and job.result["updated"] == 7
    assert all(i.payment_status == "settled" for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices]))


@pytest.mark.django_db(transaction=True)
def test_the_task_reschedules_with_freees_retry_after(sandbox, world_a, monkeypatch):
    company, _connection = sandbox
    _issued(world_a, company)
    sandbox_faults_set(company, rate_limit_429=1)
    monkeypatch.setattr(bulk, "MAX_WAIT_SECONDS", 0)
    job = _job(world_a)

    with mock.patch.object(tasks.bulk_refresh_task, "retry", side_effect=Retry()) as retry, pytest.raises(Retry):
        tasks.bulk_refresh_task(job.pk)

    countdown = retry.call_args.kwargs["countdown"]
    assert 1 < countdown <= 61 * 1.1 + 1
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_permanent_error_fails_the_job_with_an_explanation(sandbox, world_a):
    company, _connection = sandbox
    _issued(world_a, company)
    sandbox_company_update(company=company, invoice_member_ok=False)
    job = _job(world_a)

    bulk.bulk_refresh(job=job)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "freee請求書のメンバー" in job.error


# --------------------------------------------------------------------------- planning


def _row(billing_date: date, n: int = 0) -> Invoice:
    return Invoice(billing_date=billing_date, freee_invoice_id=1000 + n)


@pytest.mark.parametrize(("count", "calls"), [(1, 1), (2, 1), (99, 1), (100, 2), (101, 2), (250, 3)])
def test_the_list_estimate_is_pages_plus_the_short_page_that_ends_them(count, calls):
    assert bulk.list_calls_estimate(count) == calls


def test_per_id_is_chosen_for_one_invoice_and_the_list_for_several():
    (single,) = bulk.windows_of([_row(BILLING)])
    (several,) = bulk.windows_of([_row(BILLING, n) for n in range(2)])
    assert not single.uses_list and single.calls == 1
    assert several.uses_list and several.calls == 1


def test_windows_break_where_billing_dates_are_far_apart():
    rows = [_row(BILLING + timedelta(days=d), d) for d in (0, 20, 45, 200)]
    windows = bulk.windows_of(reversed(rows))
    assert [(w.start, w.end) for w in windows] == [(BILLING, BILLING + timedelta(days=45)),
                                                   (BILLING + timedelta(days=200),) * 2]


def test_a_call_budget_takes_the_leading_part_of_a_big_window_cut_between_dates():
    rows = [_row(BILLING + timedelta(days=n // 50), n) for n in range(500)]  # 50 invoices a day for 10 days
    (window,) = bulk.plan(rows, max_calls=2)
    assert len(window.invoices) == 150 and window.end == BILLING + timedelta(days=2) and window.calls == 2


# --------------------------------------------------------------------------- the button and the schedule


@pytest.fixture
def connected_a(world_a):
    return FreeeConnection.objects.create(tenant=world_a.tenant, status=FreeeConnection.Status.CONNECTED,
                                          access_token="token", company_id=1, client_id="c")


def test_the_button_is_a_post_that_starts_one_job_after_commit(world_a, connected_a, django_capture_on_commit_callbacks):
    client = world_a.client()
    assert client.get(START_URL).status_code == 405
    with mock.patch.object(tasks.bulk_refresh_task, "apply_async") as send, \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post(START_URL)
    assert response.status_code == 302 and response["Location"] == LIST_URL
    job = Job.objects.get(tenant=world_a.tenant, kind=bulk.BULK_KIND)
    send.assert_called_once_with(args=(job.pk,), kwargs={})
    assert job.actor == world_a.member and job.status == Job.Status.QUEUED


def test_a_second_refresh_is_refused_while_one_is_running(world_a, connected_a):
    JobFactory(tenant=world_a.tenant, kind=bulk.BULK_KIND, status=Job.Status.RUNNING, total=0)
    client = world_a.client()

    response = client.post(START_URL, follow=True)

    assert "すでに実行中です" in response.content.decode()
    assert Job.objects.filter(tenant=world_a.tenant, kind=bulk.BULK_KIND).count() == 1
    htmx = client.post(START_URL, headers={"HX-Request": "true"})
    assert htmx.status_code == 409 and "すでに実行中です" in htmx.content.decode()


def test_the_list_loads_the_panel_which_shows_the_running_jobs_progress_bar(world_a, connected_a):
    job = JobFactory(tenant=world_a.tenant, kind=bulk.BULK_KIND, status=Job.Status.RUNNING, total=10, done=4)

    assert f'hx-get="{PANEL_URL}"' in world_a.client().get(LIST_URL).content.decode()
    panel = world_a.client().get(PANEL_URL).content.decode()

    assert f'id="job-{job.public_id}"' in panel and "4 / 10" in panel
    assert f'hx-get="{PANEL_URL}"' in panel and "freee請求ステータス更新" in panel


def test_the_panel_shows_the_last_result_and_never_another_tenants_job(world_a, world_b, connected_a):
    JobFactory(tenant=world_a.tenant, kind=bulk.BULK_KIND, status=Job.Status.SUCCEEDED, total=5, done=5,
               finished_at=timezone.now(), result={"updated": 3, "unchanged": 2, "calls": 1})
    JobFactory(tenant=world_b.tenant, kind=bulk.BULK_KIND, status=Job.Status.FAILED, error="他テナントの秘密エラー")

    body = world_a.client().get(PANEL_URL).content.decode()

    assert "変更あり 3件・変更なし 2件（freee API 1回）" in body
    assert "他テナントの秘密エラー" not in body and "hx-get" not in body


def test_without_a_freee_connection_starting_is_explained(world_a):
    response = world_a.client().post(START_URL, follow=True)
    assert "freeeと接続されていません" in response.content.decode()
    assert not Job.objects.filter(kind=bulk.BULK_KIND).exists()


def _minute_of(tenant, interval_minutes: int = 30) -> dt.datetime:
    """A moment in the tenant's own minute of the interval (core.spread: pk mod the interval's minutes)."""
    midnight = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)  # a multiple of every interval since the epoch
    return midnight + dt.timedelta(minutes=tenant.pk % interval_minutes, seconds=20)


def test_the_schedule_starts_a_budgeted_refresh_per_connected_tenant_once(world_a, world_b, connected_a,
                                                                         django_capture_on_commit_callbacks):
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant))
    InvoiceFactory(deal=DealFactory(tenant=world_b.tenant))  # world_b has no freee connection
    its_minute = _minute_of(world_a.tenant)
    with mock.patch.object(tasks.bulk_refresh_task, "apply_async") as send, \
            django_capture_on_commit_callbacks(execute=True):
        assert bulk.bulk_refresh_schedule(now=its_minute + dt.timedelta(minutes=1)) == 0  # not its minute
        assert bulk.bulk_refresh_schedule(now=its_minute) == 1
        assert bulk.bulk_refresh_schedule(now=its_minute + dt.timedelta(minutes=30)) == 0  # the first is queued
    job = Job.objects.get(kind=bulk.BULK_KIND)
    assert job.tenant == world_a.tenant and job.actor is None
    budget = bulk.scheduled_call_budget(connected_a)
    assert budget == 31  # half of 3,000 calls a day over 48 runs
    send.assert_called_once_with(args=(job.pk,), kwargs={"max_calls": budget})


def test_the_beat_entry_expires_before_its_next_run(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["invoices.bulk_refresh_schedule"]
    assert entry["schedule"] == dt.timedelta(minutes=1)  # each minute takes the tenants of that minute
    assert entry["options"]["expires"] < 60
