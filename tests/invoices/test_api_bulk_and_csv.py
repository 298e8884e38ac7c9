"""API: start a bulk status refresh and read its Job; export the filtered deal list as CSV."""

from django.urls import reverse

from core.models import Job
from invoices import bulk
from tests.factories import DealFactory, JobFactory

BULK_URL = "/api/v1/invoices/bulk-refresh/"
EXPORT_URL = "/api/v1/deals/export/"


def _connect(world):
    from integrations.models import FreeeConnection

    FreeeConnection.objects.create(tenant=world.tenant, client_id="c", client_secret="s", company_id=1,
                                   access_token="t", refresh_token="r", status="connected")


def test_post_starts_a_bulk_refresh_job_and_get_reads_it(world_a, django_capture_on_commit_callbacks):
    _connect(world_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = world_a.client().post(BULK_URL)
    assert response.status_code == 202 and response.json()["kind"] == bulk.BULK_KIND
    assert len(queued) == 1
    assert world_a.client().get(BULK_URL).json()["job"]["id"] == response.json()["id"]


def test_a_second_start_while_one_runs_is_refused_in_the_error_format(world_a):
    _connect(world_a)
    JobFactory(tenant=world_a.tenant, kind=bulk.BULK_KIND, status=Job.Status.RUNNING)
    response = world_a.client().post(BULK_URL)
    assert 400 <= response.status_code < 500 and set(response.json()["error"]) == {"code", "message", "details"}


def test_without_a_connection_the_error_says_so(world_a):
    body = world_a.client().post(BULK_URL).json()
    assert "freeeと接続されていません" in body["error"]["message"]


def test_another_tenants_job_is_never_shown(world_a, world_b):
    JobFactory(tenant=world_b.tenant, kind=bulk.BULK_KIND, error="Bの秘密")
    assert world_a.client().get(BULK_URL).json() == {"job": None, "summary": ""}


def test_csv_export_applies_filters_and_stays_in_the_tenant(world_a, world_b):
    DealFactory(tenant=world_a.tenant, name="決済済みの案件", freee_latest_status="settled")
    DealFactory(tenant=world_a.tenant, name="未発行の案件")
    DealFactory(tenant=world_b.tenant, name="他テナントの案件", freee_latest_status="settled")
    response = world_a.client().get(EXPORT_URL, {"freee_latest_status": "settled", "bom": "1"})
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv") and body.startswith("\ufeff")
    assert "決済済みの案件" in body and "未発行の案件" not in body and "他テナントの案件" not in body


def test_the_deal_list_pages_by_20_50_or_100(world_a):
    DealFactory.create_batch(25, tenant=world_a.tenant)
    page = world_a.client().get(reverse("deals:list"), {"per_page": "20"})
    assert len(page.context["deals"]) == 20
    assert len(world_a.client().get(reverse("deals:list"), {"per_page": "7"}).context["deals"]) == 25
