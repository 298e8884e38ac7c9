"""案件インポート in the browser (issue 17 item 9): a Shift_JIS CSV exported the Salesforce way, mapped with the preset,
previewed, imported, seen in the deal list, and imported again with 0 created."""

import re

import pytest
from playwright.sync_api import expect

from imports import services
from imports.models import ImportRun
from tests.factories import MembershipFactory, UserFactory
from tests.imports.files import csv_bytes, salesforce_rows

pytestmark = pytest.mark.browser


def _import(page, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(csv_bytes(salesforce_rows(3, owner="sales@example.com"), encoding="cp932"))
    page.goto("/deals/")
    page.get_by_role("link", name="案件インポート").click()
    page.get_by_label("CRMから書き出したファイル（.csv / .xlsx）").set_input_files(str(path))
    page.get_by_role("button", name="アップロードして列を対応づける").click()
    expect(page.locator("#file-info")).to_contain_text("Shift_JIS")
    page.locator("#preset").select_option("salesforce")
    page.get_by_role("button", name="プリセットを適用").click()
    expect(page.locator("#stage-values")).to_contain_text("Closed Won")
    page.get_by_role("button", name="プレビュー").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("株式会社サンプル1 導入")
    expect(preview).to_contain_text("160,000")
    page.get_by_role("button", name="インポートする").click()
    run = ImportRun.objects.get(file_name=name)
    services.deal_import_run(job_id=run.job_id)  # the bulk worker's part, run here
    return page.locator("#import-result")


def test_import_a_salesforce_shift_jis_export_twice(page, log_in, tmp_path):
    membership = MembershipFactory(user=UserFactory(username="sales", email="sales@example.com"))
    log_in("sales")

    result = _import(page, tmp_path, "opportunities.csv")
    expect(result.locator('[data-count="created"]')).to_have_text("3")
    expect(result.locator("progress")).to_have_attribute("value", "100")
    page.get_by_role("link", name="案件一覧を見る").click()
    expect(page).to_have_url(re.compile(r"/deals/$"))
    expect(page.get_by_role("row", name=re.compile("株式会社サンプル2 導入"))).to_contain_text("160,000")

    again = _import(page, tmp_path, "opportunities-again.csv")
    expect(again.locator('[data-count="created"]')).to_have_text("0")
    expect(again.locator('[data-count="unchanged"]')).to_have_text("3")
    assert membership.tenant.pk


@pytest.mark.parametrize("width", [375, 1280])
def test_the_mapping_page_fits_the_screen(page, log_in, tmp_path, width):
    MembershipFactory(user=UserFactory(username="narrow", email="narrow@example.com"))
    log_in("narrow")
    page.set_viewport_size({"width": width, "height": 900})
    path = tmp_path / "d.csv"
    path.write_bytes(csv_bytes(salesforce_rows(1), encoding="cp932"))
    page.goto("/deals/import/")
    page.get_by_label("CRMから書き出したファイル（.csv / .xlsx）").set_input_files(str(path))
    page.get_by_role("button", name="アップロードして列を対応づける").click()
    expect(page.locator("#mapping-form")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
