"""The 案件インポート flow through its pages (issue 17 items 1-4, 7): upload, mapping, preview, dry run, import, report."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Job
from deals.models import Deal
from imports import parsers, services
from imports.forms import value_field_name
from imports.models import ImportIssue, ImportMapping, ImportRun
from tests.factories import DealFactory, InvoiceFactory, PermissionProfileFactory
from tests.imports.files import csv_bytes, salesforce_rows, xlsx_bytes
from tests.isolation import assert_cross_tenant_404

pytestmark = pytest.mark.django_db


def _upload(client, data, name="opportunities.csv"):
    return client.post("/deals/import/", {"file": SimpleUploadedFile(name, data)})


def _run(world):
    return ImportRun.objects.for_tenant(world.tenant).latest("created_at")


def _post_mapping(client, run, action, config=None, **extra):
    config = config or services.import_initial_config(run=run, preset="salesforce")
    data = {f"col_{t}": c for t, c in config.columns.items()}
    data |= {"source": config.source, "line_mode": config.line_mode, "action": action, **extra}
    return client.post(f"/deals/import/{run.public_id}/", data)


def _work(job_id):
    services.deal_import_run(job_id=job_id, task_id="")
    return Job.objects.get(pk=job_id)


def test_a_shift_jis_salesforce_export_is_imported_and_a_second_import_creates_none(
        world_a, django_capture_on_commit_callbacks):
    client = world_a.client()
    response = _upload(client, csv_bytes(salesforce_rows(3), encoding="cp932"))
    assert response.status_code == 302
    run = _run(world_a)
    assert run.encoding == "cp932" and run.row_count == 6
    page = client.get(f"/deals/import/{run.public_id}/?preset=salesforce").content.decode()
    assert "Shift_JIS" in page and "Closed Won" in page  # the value mapping lists the file's phases
    preview = _post_mapping(client, run, "preview").content.decode()
    assert "株式会社サンプル1 導入" in preview and "作成" in preview
    with django_capture_on_commit_callbacks(execute=False):
        assert _post_mapping(client, run, "dry_run").status_code == 302
    run.refresh_from_db()
    dry = _work(run.dry_run_job_id)
    assert dry.status == "succeeded" and dry.result["created"] == 3 and not Deal.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        assert _post_mapping(client, run, "import").status_code == 302
    run.refresh_from_db()
    job = _work(run.job_id)
    assert job.status == "succeeded" and job.done == job.total == 6
    assert (job.result["created"], job.result["error"]) == (3, 0)
    deal = Deal.objects.get(external_source="salesforce", external_id="0065g0000000001")
    assert deal.stage == "won" and deal.amount == 160000 and deal.owner == world_a.member
    assert deal.lines.count() == 2
    status = client.get(f"/deals/import/{run.public_id}/status/").content.decode()
    assert 'data-count="created">3<' in status

    _upload(client, csv_bytes(salesforce_rows(3), encoding="cp932"))
    again = _run(world_a)
    with django_capture_on_commit_callbacks(execute=False):
        _post_mapping(client, again, "import")
    again.refresh_from_db()
    result = _work(again.job_id).result
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 3)
    assert Deal.objects.for_tenant(world_a.tenant).count() == 3


def test_xlsx_is_imported_like_csv(world_a, django_capture_on_commit_callbacks):
    client = world_a.client()
    assert _upload(client, xlsx_bytes(salesforce_rows(2)), name="opportunities.xlsx").status_code == 302
    run = _run(world_a)
    with django_capture_on_commit_callbacks(execute=False):
        _post_mapping(client, run, "import")
    run.refresh_from_db()
    assert _work(run.job_id).result["created"] == 2


@pytest.mark.parametrize(("name", "data", "message"), [
    ("a.csv", b"", "ファイルが空です"),
    ("a.csv", xlsx_bytes([["a"], ["1"]]), "CSVファイルではありません"),
    ("a.xlsx", b"PK\x03\x04broken", "Excelファイル（.xlsx）として読み込めません"),
    ("a.csv", "商談名,金額\r\n".encode("cp932"), "見出し行だけ"),
])
def test_bad_files_get_a_clear_message_and_no_500(world_a, name, data, message):
    response = _upload(world_a.client(), data, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(world_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    response = _upload(world_a.client(), b"a,b\r\n" + b"x" * (50 * 1024 * 1024))
    assert response.status_code == 400 and "大きすぎます" in response.content.decode()


def test_bad_cells_are_reported_by_row_and_column_and_the_good_rows_are_saved(world_a, django_capture_on_commit_callbacks):
    rows = [["商談 ID", "商談名", "金額", "完了予定日", "商談 所有者"],
            ["1", "良い案件", "¥1,000", "令和8年12月3日", ""],
            ["2", "=HYPERLINK(\"x\")", "1", "2026/12/03", ""],
            ["3", "負の金額", "-5", "2026-12-03", ""],
            ["4", "日付不正", "1", "2026/13/40", "nobody@example.com"],
            ["1", "重複", "1", "", ""]]
    client = world_a.client()
    _upload(client, csv_bytes(rows, encoding="utf-8-sig"))
    run = _run(world_a)
    preview = _post_mapping(client, run, "preview").content.decode()
    assert "cell-error" in preview and "数式" in preview
    with django_capture_on_commit_callbacks(execute=False):
        _post_mapping(client, run, "import")
    run.refresh_from_db()
    job = _work(run.job_id)
    assert (job.result["created"], job.result["error"]) == (1, 4)
    assert list(Deal.objects.values_list("name", "amount", "expected_order_date")) == [
        ("良い案件", 1000, __import__("datetime").date(2026, 12, 3))]
    report = client.get(f"/deals/import/{run.public_id}/report.csv")
    table = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert table[0] == ["作成", "1"] and table[4] == ["エラー", "4"]
    details = table[table.index(["行番号", "列", "外部ID", "結果", "理由"]) + 1:]
    assert [(r[0], r[1]) for r in details] == [("3", "商談名"), ("4", "金額"), ("5", "完了予定日"), ("5", "商談 所有者"),
                                               ("6", "商談 ID")]
    assert all(r[3] == "エラー" and r[4] for r in details)


def test_a_deal_with_an_issued_invoice_is_reported_not_changed(world_a, django_capture_on_commit_callbacks):
    deal = DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="0065g0000000001",
                       amount=99)
    InvoiceFactory(deal=deal)
    client = world_a.client()
    _upload(client, csv_bytes(salesforce_rows(1)))
    run = _run(world_a)
    with django_capture_on_commit_callbacks(execute=False):
        _post_mapping(client, run, "import")
    run.refresh_from_db()
    assert _work(run.job_id).result["skipped"] == 1
    deal.refresh_from_db()
    assert deal.amount == 99
    issue = ImportIssue.objects.get(run=run)
    assert issue.outcome == "skipped" and issue.reason == "請求書発行済みのため更新していません"


def test_the_import_resumes_after_its_worker_died_without_importing_a_row_twice(
        world_a, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 4)
    client = world_a.client()
    _upload(client, csv_bytes(salesforce_rows(6)))
    run = _run(world_a)
    with django_capture_on_commit_callbacks(execute=False):
        _post_mapping(client, run, "import")
    run.refresh_from_db()
    calls = {"n": 0}
    real = services._import_batch

    def dies_in_the_second_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_import_batch", dies_in_the_second_batch)
    with pytest.raises(SystemExit):
        services.deal_import_run(job_id=run.job_id, task_id="")
    job = Job.objects.get(pk=run.job_id)
    assert job.status == "running" and job.result["done_through"] == 5 and Deal.objects.count() == 2
    monkeypatch.setattr(services, "_import_batch", real)
    job = _work(run.job_id)
    assert job.status == "succeeded" and job.result["created"] == 6 and job.result["error"] == 0
    assert Deal.objects.count() == 6 and job.done == job.total == 12


def test_the_import_works_in_slices(world_a, django_capture_on_commit_callbacks, monkeypatch):
    from core.retry import SliceSpent

    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    client = world_a.client()
    _upload(client, csv_bytes(salesforce_rows(3)))
    run = _run(world_a)
    with django_capture_on_commit_callbacks(execute=False):
        _post_mapping(client, run, "import")
    run.refresh_from_db()
    with pytest.raises(SliceSpent):
        services.deal_import_run(job_id=run.job_id, task_id="", deadline=0)
    assert Deal.objects.count() == 1
    assert _work(run.job_id).result["created"] == 3


def test_a_mapping_is_saved_by_name_and_reused(world_a, django_capture_on_commit_callbacks):
    client = world_a.client()
    _upload(client, csv_bytes(salesforce_rows(1)))
    run = _run(world_a)
    _post_mapping(client, run, "preview", save_as="Salesforce 商談", **{value_field_name("stage", "Closed Won"): "negotiation"})
    saved = ImportMapping.objects.get(tenant=world_a.tenant, name="Salesforce 商談")
    assert saved.config["stage_values"] == {"Closed Won": "negotiation"}
    _upload(client, csv_bytes(salesforce_rows(1)))
    page = client.get(f"/deals/import/{_run(world_a).public_id}/?mapping={saved.public_id}").content.decode()
    assert 'value="negotiation" selected' in page
    assert client.get(f"/deals/import/{run.public_id}/?mapping=not-a-uuid").status_code == 404


def test_the_external_id_column_is_required(world_a):
    client = world_a.client()
    _upload(client, csv_bytes(salesforce_rows(1)))
    run = _run(world_a)
    config = services.import_initial_config(run=run, preset="salesforce")
    del config.columns["external_id"]
    response = _post_mapping(client, run, "import", config=config)
    assert response.status_code == 400 and "外部ID（CRMの案件ID）の列を選んでください" in response.content.decode()


def test_members_need_the_import_permission_when_profiles_are_on(world_a):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    assert world_a.client().get("/deals/import/").status_code == 403
    assert world_a.client("admin").get("/deals/import/").status_code == 200
    profile = PermissionProfileFactory(tenant=world_a.tenant, permissions=["deal_import"])
    world_a.member_membership.permission_profile = profile
    world_a.member_membership.save()
    assert world_a.client().get("/deals/import/").status_code == 200
    assert "案件インポート" in world_a.client().get("/deals/").content.decode()


def test_another_tenants_run_report_and_mapping_are_404(world_a, world_b):
    _upload(world_b.client(), csv_bytes(salesforce_rows(1)))
    run = _run(world_b)
    mapping = ImportMapping.objects.create(tenant=world_b.tenant, name="B社の秘密マッピング", config={})
    client = world_a.client()
    for url in (f"/deals/import/{run.public_id}/", f"/deals/import/{run.public_id}/status/",
                f"/deals/import/{run.public_id}/report.csv", f"/deals/import/mappings/{mapping.public_id}/delete/"):
        assert_cross_tenant_404(client, url, foreign_texts=("opportunities.csv", "B社の秘密マッピング"))
    assert client.get(f"/deals/import/{_run(world_b).public_id}/?mapping={mapping.public_id}").status_code == 404


def test_the_upload_limit_is_what_the_page_says():
    assert parsers.MAX_BYTES < 50 * 1024 * 1024 and parsers.MAX_ROWS == 100_000
