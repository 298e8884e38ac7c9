"""An admin connects the tenant to the freee sandbox in a real browser, with each of the two flows, and
sees the company, the token state and the API call log."""

import re

import pytest
from playwright.sync_api import expect

from integrations.sandbox.services import sandbox_app_create, sandbox_company_create
from tenancy.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def sandbox_app(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    membership = MembershipFactory(user=UserFactory(username="keiri"), role=Membership.Role.ADMIN)
    app = sandbox_app_create(tenant=membership.tenant, name="連携アプリ")
    sandbox_company_create(app=app, name="ブラウザ商事株式会社")
    return app


def _register_app(page, app):
    page.goto("/settings/integrations/freee/")
    page.get_by_label("Client ID").fill(app.client_id)
    page.get_by_label("Client Secret").fill(app.client_secret)
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("freee連携の設定を保存しました。")).to_be_visible()


def _expect_connected(page):
    expect(page.get_by_text(re.compile("freeeと接続しました"))).to_be_visible()
    status = page.locator("#freee-status")
    expect(status).to_contain_text("接続済み")
    expect(status).to_contain_text("ブラウザ商事株式会社")
    expect(page.locator("#freee-status dd").nth(2)).to_have_text(re.compile(r"\d{4}/\d{2}/\d{2}"))


def test_admin_connects_by_redirect(page, log_in, sandbox_app):
    log_in("keiri")
    _register_app(page, sandbox_app)
    page.get_by_role("button", name="freeeと接続").click()
    expect(page).to_have_url(re.compile(r"/sandbox/freee/public_api/authorize\?.*prompt=select_company"))
    page.get_by_role("button", name="許可する").click()
    expect(page).to_have_url(re.compile(r"/settings/integrations/freee/$"))
    _expect_connected(page)
    page.get_by_role("link", name="API呼び出しログをすべて見る").click()
    expect(page.locator("table")).to_contain_text("/api/1/companies/")


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
    _expect_connected(page)
    page.get_by_role("link", name="接続を解除する").click()
    page.get_by_role("button", name="接続を解除する").click()
    expect(page.locator("#freee-status")).to_contain_text("未接続")
