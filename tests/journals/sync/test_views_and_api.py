"""会計連携 pages and API: settings (admins), API連携一覧 with 再連携/削除, 取引明細の書出, the invoice history."""

from datetime import date

import pytest

from journals.sync.models import SyncRecord, SyncSettings
from tests.factories import InvoiceFactory
from tests.isolation import assert_cross_tenant_404
from tests.journals.sync.factories import SyncRecordFactory

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/settings/ledger-sync/"
LIST_URL = "/journals/sync/records/"
EXPORT_URL = "/journals/sync/export/"


def test_only_admins_see_and_change_the_sync_settings(world_a):
    assert world_a.client("member").get(SETTINGS_URL).status_code == 403
    page = world_a.client("admin").get(SETTINGS_URL)
    assert page.status_code == 200 and "二重に計上" in page.content.decode()
    response = world_a.client("admin").post(SETTINGS_URL, {"auto_sync": "on", "target": "freee"})
    assert response.status_code == 302
    settings = SyncSettings.objects.get(tenant=world_a.tenant)
    assert settings.auto_sync and settings.target == "freee" and settings.auto_sync_since is not None


def test_the_list_filters_sorts_and_shows_only_our_records(world_a, world_b):
    SyncRecordFactory(tenant=world_a.tenant, document_label="請求書 INV-A1", status="error")
    SyncRecordFactory(tenant=world_a.tenant, document_label="請求書 INV-A2", status="done")
    SyncRecordFactory(tenant=world_b.tenant, document_label="請求書 他テナント", status="error")
    body = world_a.client("member").get(LIST_URL + "?status=error&sort=-document").content.decode()
    assert "INV-A1" in body and "INV-A2" not in body and "他テナント" not in body
    empty = world_a.client("member").get(LIST_URL + "?status=waiting").content.decode()
    assert "条件に一致する連携履歴はありません" in empty


def test_error_rows_are_resynced_and_deleted_from_the_list(world_a, django_capture_on_commit_callbacks):
    errors = [SyncRecordFactory(tenant=world_a.tenant, status="error") for _ in range(2)]
    done = SyncRecordFactory(tenant=world_a.tenant, status="done")
    client = world_a.client("member")
    with django_capture_on_commit_callbacks():
        response = client.post(LIST_URL, {"records": [str(errors[0].public_id), str(done.public_id)],
                                          "action": "resync"})
    assert response.status_code == 302
    assert SyncRecord.objects.get(pk=errors[0].pk).status == "waiting"
    assert SyncRecord.objects.get(pk=done.pk).status == "done"
    client.post(LIST_URL, {"records": [str(errors[1].public_id)], "action": "delete"})
    assert not SyncRecord.objects.filter(pk=errors[1].pk).exists()
    assert client.post(LIST_URL, {"action": "delete"}).status_code == 400


def test_the_export_page_hides_purchases_on_the_standard_plan_and_starts_a_job(world_a, ledger,
                                                                               django_capture_on_commit_callbacks):
    world_a.tenant.plan = "standard"
    world_a.tenant.save()
    page = world_a.client("member").get(EXPORT_URL).content.decode()
    assert "仕入・支払はプロフェッショナルプラン・トライアルプランのみ表示されます" in page and 'value="purchases"' not in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = world_a.client("member").post(EXPORT_URL, {"start": "2026-11-01", "end": "2026-11-30",
                                                              "groups": ["sales"]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "job-progress" in response.content.decode() and len(callbacks) == 1
    too_long = world_a.client("member").post(EXPORT_URL, {"start": "2025-11-01", "end": "2026-11-30",
                                                          "groups": ["sales"]}, HTTP_HX_REQUEST="true")
    assert too_long.status_code == 400 and "1年以内の期間を選択してください" in too_long.content.decode()


def test_the_invoice_row_loads_its_history_and_the_sync_button_syncs(world_a, ledger,
                                                                     django_capture_on_commit_callbacks):
    invoice = InvoiceFactory(deal__tenant=world_a.tenant)
    client = world_a.client("member")
    body = client.get(f"/invoices/{invoice.public_id}/ledger/").content.decode()
    assert "API連携履歴" in body and "まだ会計と連携していません" in body and "連携する" in body
    with django_capture_on_commit_callbacks():
        response = client.post(f"/invoices/{invoice.public_id}/ledger/sync/")
    assert "連携処理を実行しました" in response.content.decode() and "連携待ち" in response.content.decode()
    assert SyncRecord.objects.get().actor == world_a.member


def test_another_tenants_invoice_history_is_404(world_a, world_b):
    foreign = InvoiceFactory(deal__tenant=world_b.tenant, partner_name="他テナントの秘密取引先")
    for url in (f"/invoices/{foreign.public_id}/ledger/", f"/invoices/{foreign.public_id}/ledger/sync/"):
        assert_cross_tenant_404(world_a.client("member"), url, foreign_texts=("他テナントの秘密取引先",))


# --------------------------------------------------------------------------- API


def test_the_api_lists_filters_and_resyncs_error_records(world_a, world_b, django_capture_on_commit_callbacks):
    error = SyncRecordFactory(tenant=world_a.tenant, status="error")
    SyncRecordFactory(tenant=world_a.tenant, status="done")
    SyncRecordFactory(tenant=world_b.tenant, status="error")
    client = world_a.client("member")
    listed = client.get("/api/v1/sync-records/?status=error").json()
    assert [r["id"] for r in listed["results"]] == [str(error.public_id)]
    with django_capture_on_commit_callbacks():
        response = client.post(f"/api/v1/sync-records/{error.public_id}/resync/")
    assert response.status_code == 200 and response.json()["status"] == "waiting"
    again = client.post(f"/api/v1/sync-records/{error.public_id}/resync/")
    assert again.status_code == 400 and again.json()["error"]["code"] == "not_error"


def test_the_api_bulk_deletes_only_our_error_rows(world_a, world_b):
    ours = [SyncRecordFactory(tenant=world_a.tenant, status="error") for _ in range(2)]
    foreign = SyncRecordFactory(tenant=world_b.tenant, status="error")
    response = world_a.client("member").post("/api/v1/sync-records/bulk-delete/",
                                              {"ids": [str(r.public_id) for r in [*ours, foreign]]},
                                              content_type="application/json")
    assert response.json() == {"count": 2} and SyncRecord.objects.filter(pk=foreign.pk).exists()


def test_another_tenants_sync_record_is_404_in_the_api(world_a, world_b):
    foreign = SyncRecordFactory(tenant=world_b.tenant, status="error", document_label="他テナントの秘密の帳票")
    for url in (f"/api/v1/sync-records/{foreign.public_id}/", f"/api/v1/sync-records/{foreign.public_id}/resync/"):
        assert_cross_tenant_404(world_a.client("member"), url, foreign_texts=("他テナントの秘密の帳票",))


def test_sync_settings_api_is_for_admins(world_a):
    assert world_a.client("member").get("/api/v1/sync-settings/").status_code == 403
    response = world_a.client("admin").put("/api/v1/sync-settings/", {"auto_sync": True, "target": "freee"},
                                            content_type="application/json")
    assert response.status_code == 200 and response.json()["auto_sync"] and "二重" in response.json()["warning"]


def test_the_export_api_creates_a_job_and_checks_the_period(world_a, django_capture_on_commit_callbacks):
    client = world_a.client("member")
    with django_capture_on_commit_callbacks():
        response = client.post("/api/v1/sync-exports/", {"start": "2026-04-01", "end": "2027-03-31"},
                               content_type="application/json")
    assert response.status_code == 202 and response.json()["progress_url"].startswith("/api/v1/jobs/")
    refused = client.post("/api/v1/sync-exports/", {"start": "2026-04-01", "end": "2027-04-01"},
                          content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "period_too_long"


def test_the_trade_lines_csv_api(world_a, ledger):
    InvoiceFactory(deal__tenant=world_a.tenant, billing_date=date(2026, 11, 3))
    response = world_a.client("member").get("/api/v1/trade-lines/?start=2026-11-01&end=2026-11-30")
    assert response.status_code == 200 and b"".join(response.streaming_content).count(b"\r\n") == 2


def test_the_schema_documents_the_sync_endpoints(world_a):
    schema = world_a.client("member").get("/api/schema/?format=json").json()
    assert {"/api/v1/sync-records/", "/api/v1/sync-records/bulk-resync/", "/api/v1/sync-settings/",
            "/api/v1/sync-exports/", "/api/v1/trade-lines/"} <= set(schema["paths"])
