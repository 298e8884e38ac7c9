"""issue 14 item 7: the deal list's bulk-refresh panel says what the last refresh did — in particular why the
automatic 30-minute refresh made no freee call (every invoice was refreshed within SCHEDULE_FRESH_FOR), instead
of 「変更あり0件・変更なし0件（freee API 0回）」, which reads as broken."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from core import jobs
from core.models import Job
from integrations.models import FreeeConnection
from integrations.sandbox.services import sandbox_invoice_status_set
from invoices import bulk, services
from invoices.models import Invoice
from tests.factories import DealFactory, InvoiceFactory, JobFactory
from tests.invoices.conftest import first_partner

PANEL_URL = "/invoices/bulk-refresh/panel/"
LOOKS_BROKEN = "変更あり 0件・変更なし 0件（freee API 0回）"
FRESH_SKIP = "直近2時間以内に更新済みのため確認不要でした"


@pytest.fixture
def connected_a(world_a):
    return FreeeConnection.objects.create(
        tenant=world_a.tenant,
        status=FreeeConnection.Status.CONNECTED,
        access_token="token",
        company_id=1,
        client_id="c",
    )


def _scheduled_run(world) -> Job:
    """What the beat's bulk_refresh_schedule does for one tenant: a Job with the scheduled call budget, run."""
    connection = FreeeConnection.objects.get(tenant=world.tenant)
    budget = bulk.scheduled_call_budget(connection)
    job = jobs.job_create(tenant=world.tenant, actor=None, kind=bulk.BULK_KIND)
    bulk.bulk_refresh(job=job, max_calls=budget)
    job.refresh_from_db()
    return job


def _panel(world) -> str:
    return world.client().get(PANEL_URL).content.decode()


def test_the_threshold_in_words_comes_from_the_code():
    assert bulk.duration_in_words(bulk.SCHEDULE_FRESH_FOR) == "2時間"  # FRESH_SKIP's wording follows the constant
    assert bulk.duration_in_words(timedelta(minutes=90)) == "90分"


def test_an_automatic_refresh_that_skipped_every_fresh_invoice_says_why(world_a, connected_a):
    for minutes in (10, 45, 100):
        InvoiceFactory(
            deal=DealFactory(tenant=world_a.tenant), last_synced_at=timezone.now() - timedelta(minutes=minutes)
        )

    job = _scheduled_run(world_a)

    assert job.status == Job.Status.SUCCEEDED and job.result["calls"] == 0
    assert job.result["scheduled"] is True and job.result["skipped_fresh"] == 3
    assert job.result["fresh_minutes"] == 120
    panel = _panel(world_a)
    assert LOOKS_BROKEN not in panel
    assert "前回の自動更新（" in panel
    assert f"freeeに連携した請求書 3件は、すべて{FRESH_SKIP}（freee APIの呼び出しなし）。" in panel


def test_the_words_follow_the_threshold_the_run_used(world_a, connected_a):
    JobFactory(
        tenant=world_a.tenant,
        kind=bulk.BULK_KIND,
        status=Job.Status.SUCCEEDED,
        finished_at=timezone.now(),
        result={
            "updated": 0,
            "unchanged": 0,
            "missing": 0,
            "calls": 0,
            "scheduled": True,
            "skipped_fresh": 4,
            "fresh_minutes": 90,
        },
    )

    panel = _panel(world_a)

    assert "freeeに連携した請求書 4件は、すべて直近90分以内に更新済みのため確認不要でした" in panel


def test_a_manual_refresh_with_no_invoice_linked_to_freee_says_there_was_nothing_to_refresh(world_a, connected_a):
    job = jobs.job_create(tenant=world_a.tenant, actor=world_a.member, kind=bulk.BULK_KIND)

    bulk.bulk_refresh(job=job)

    panel = _panel(world_a)
    assert LOOKS_BROKEN not in panel and "前回の更新（" in panel
    assert "freeeに連携した請求書がないため、更新する請求書はありませんでした。" in panel


@pytest.mark.django_db(transaction=True)
def test_an_automatic_refresh_that_read_some_counts_the_fresh_ones_it_skipped(sandbox, world_a):
    company, _connection = sandbox
    partner = first_partner(company)
    invoices = []
    for name in ("古い同期の案件", "最近同期した案件"):
        deal = DealFactory(tenant=world_a.tenant, name=name, amount=110000, expected_billing_date=date(2026, 11, 30))
        invoice = services.invoice_issue(
            deal=deal, membership=world_a.member_membership, partner_id=partner["id"], partner_name=partner["name"]
        )
        services.invoice_push(invoice_id=invoice.pk)
        invoices.append(invoice)
    Invoice.objects.filter(pk=invoices[0].pk).update(last_synced_at=timezone.now() - timedelta(hours=3))
    sandbox_invoice_status_set(
        company=company,
        invoice_id=Invoice.objects.get(pk=invoices[0].pk).freee_invoice_id,
        field="payment_status",
        value="settled",
    )

    job = _scheduled_run(world_a)

    assert (job.result["updated"], job.result["calls"], job.result["skipped_fresh"]) == (1, 1, 1)
    panel = _panel(world_a)
    assert "変更あり 1件・変更なし 0件（freee API 1回）" in panel
    assert f"・{FRESH_SKIP.removesuffix('でした')} 1件" in panel


@pytest.mark.django_db(transaction=True)
def test_an_automatic_refresh_out_of_budget_says_the_rest_waits_for_the_next_run(sandbox, world_a):
    company, _connection = sandbox
    partner = first_partner(company)
    for months, name in ((0, "今月の案件"), (3, "三か月後の案件")):
        deal = DealFactory(
            tenant=world_a.tenant,
            name=name,
            amount=110000,
            expected_billing_date=date(2026, 11, 30) + timedelta(days=31 * months),
        )
        invoice = services.invoice_issue(
            deal=deal, membership=world_a.member_membership, partner_id=partner["id"], partner_name=partner["name"]
        )
        services.invoice_push(invoice_id=invoice.pk)
    Invoice.objects.filter(tenant=world_a.tenant).update(last_synced_at=timezone.now() - timedelta(hours=3))
    job = jobs.job_create(tenant=world_a.tenant, actor=None, kind=bulk.BULK_KIND)

    bulk.bulk_refresh(job=job, max_calls=1)  # two windows far apart: one GET each, budget for one

    job.refresh_from_db()
    assert job.result["calls"] == 1 and job.result["deferred"] == 1
    assert "・freee APIの呼び出し上限のため次回の自動更新に回した請求書 1件" in _panel(world_a)


def test_the_api_gives_the_same_words_with_the_latest_job(world_a, connected_a):
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant), last_synced_at=timezone.now() - timedelta(minutes=5))
    job = _scheduled_run(world_a)

    body = world_a.client().get("/api/v1/invoices/bulk-refresh/").json()

    assert body["job"]["id"] == str(job.public_id) and body["job"]["result"]["skipped_fresh"] == 1
    assert body["summary"] == f"freeeに連携した請求書 1件は、すべて{FRESH_SKIP}（freee APIの呼び出しなし）。"
