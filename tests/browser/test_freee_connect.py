"""An admin connects a tenant to the freee sandbox in a real browser, with each of the two flows, sees the
company and the token state, and watches the API call log fill as the product calls freee.

The redirect flow runs on the demo tenant that `make run` seeds (the real seed_demo command, logins read from
the file it writes); the pasted-code flow runs on a fresh tenant, so entering the app's credentials is covered
too (the demo tenant has them already)."""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from integrations.models import FreeeConnection
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create
from tenancy.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser

DEMO_COMPANY = "デモ株式会社（freeeサンドボックス）"


@pytest.fixture
def sandbox_urls(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"


@pytest.fixture
def sandbox_app(sandbox_urls):
    membership = MembershipFactory(user=UserFactory(username="keiri"), role=Membership.Role.ADMIN)
    app = sandbox_app_create(tenant=membership.tenant, name="連携アプリ")
    sandbox_company_create(app=app, name="ブラウザ商事株式会社")
    return app


@pytest.fixture
def demo_admin(sandbox_urls, settings, tmp_path) -> tuple[str, str]:
    """Seed the demo tenant as `make run` does; return the demo admin's login from the file the seed writes."""
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-logins.txt"
    call_command("seed_demo", stdout=io.StringIO())
    for line in settings.DEMO_CREDENTIALS_FILE.read_text().splitlines():
        username, rest = line.split(" / ", 1)
        if username == "demo-admin":
            return username, rest.split()[0]
    raise AssertionError("seed_demo wrote no demo-admin login")


def _register_app(page, app):
    page.goto("/settings/integrations/freee/")
    page.get_by_label("Client ID").fill(app.client_id)
    page.get_by_label("Client Secret").fill(app.client_secret)
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("freee連携の設定を保存しました。")).to_be_visible()


def _expect_connected(page, company: str):
    status = page.locator("#freee-status")
    expect(status).to_contain_text("接続済み")
    expect(status).to_contain_text(company)
    expect(page.locator("#freee-status dd").nth(2)).to_have_text(re.compile(r"\d{4}/\d{2}/\d{2}"))


def _disconnect(page):
    page.get_by_role("link", name="接続を解除する").click()
    page.get_by_role("button", name="接続を解除する").click()
    expect(page.locator("#freee-status")).to_contain_text("未接続")


def _expect_logged(page, method: str, path: str, status: str):
    row = page.locator("tbody tr").filter(has=page.get_by_role("cell", name=path, exact=True)).first
    expect(row.get_by_role("cell").nth(1)).to_have_text(method)
    expect(row.get_by_role("cell").nth(3)).to_have_text(status)


def _check_connection_then_read_the_log(page, company_path: str):
    """接続を確認 calls freee会計 and freee請求書 like the product does; both calls appear in the call log."""
    page.get_by_role("button", name=re.compile("接続を確認")).click()
    expect(page.get_by_text("freee会計とfreee請求書の両方に接続できることを確認しました。")).to_be_visible()
    page.get_by_role("link", name="API呼び出しログをすべて見る").click()
    expect(page).to_have_url(re.compile(r"/settings/integrations/logs/$"))
    _expect_logged(page, "POST", "/public_api/token (authorization_code)", "200")
    _expect_logged(page, "GET", company_path, "200")
    _expect_logged(page, "GET", "/iv/invoices/templates", "200")


def test_admin_reconnects_the_demo_tenant_by_redirect_and_the_call_log_fills(page, log_in, demo_admin):
    log_in(*demo_admin)
    page.goto("/settings/integrations/freee/")
    _expect_connected(page, DEMO_COMPANY)  # connected to the sandbox out of the box
    company_id = FreeeConnection.objects.get(tenant__settings__demo=True).company_id
    expect(page.locator("#freee-status")).to_contain_text(f"ID: {company_id}")
    _disconnect(page)

    page.get_by_role("button", name="freeeと接続").click()
    expect(page).to_have_url(re.compile(r"/sandbox/freee/public_api/authorize\?.*prompt=select_company"))
    page.get_by_role("button", name="許可する").click()
    expect(page).to_have_url(re.compile(r"/settings/integrations/freee/$"))
    expect(page.get_by_text(re.compile("freeeと接続しました"))).to_be_visible()
    _expect_connected(page, DEMO_COMPANY)
    _check_connection_then_read_the_log(page, f"/api/1/companies/{company_id}")


def test_admin_connects_with_a_pasted_code_then_disconnects(page, context, log_in, sandbox_app):
    log_in("keiri")
    _register_app(page, sandbox_app)
    with context.expect_page() as consent_info:
        page.get_by_role("link", name="freeeで認可コードを取得").click()
    consent = consent_info.value
    consent.get_by_role("button", name="許可する").click()
    code = consent.get_by_test_id("auth-code").input_value()
    consent.close()
    page.get_by_label("認可コード").fill(code)
    page.get_by_role("button", name="認可コードで接続").click()
    expect(page.get_by_text(re.compile("freeeと接続しました"))).to_be_visible()
    _expect_connected(page, "ブラウザ商事株式会社")
    company_id = sandbox_app.companies.get().company_id
    _check_connection_then_read_the_log(page, f"/api/1/companies/{company_id}")
    page.goto("/settings/integrations/freee/")
    _disconnect(page)
