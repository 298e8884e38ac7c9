"""Signing in from the browser: redirect to the login page, the deal list of the user's own tenant."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, DealFactory, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.browser


def test_login_redirects_and_lands_on_own_tenants_deal_list(page, live_server):
    tenant = TenantFactory(name="ブラウザ商事株式会社")
    MembershipFactory(tenant=tenant, user=UserFactory(username="hanako"))
    DealFactory(tenant=tenant, name="ウェブサイト制作")
    DealFactory(tenant=tenant, name="保守契約2025")
    DealFactory(tenant=TenantFactory(name="他社株式会社"), name="他社の秘密案件")

    page.goto(live_server.url + "/")

    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    expect(page.locator("#id_username")).to_be_focused()
    page.get_by_label("ユーザー名").fill("hanako")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page).to_have_url(live_server.url + "/deals/")
    expect(page.get_by_role("heading", name="案件一覧")).to_be_visible()
    nav = page.get_by_role("navigation", name="メインメニュー")
    expect(nav.get_by_role("link", name="案件", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("link", name="ウェブサイト制作")).to_be_visible()
    expect(page.get_by_role("link", name="保守契約2025")).to_be_visible()
    expect(page.get_by_text("他社の秘密案件")).to_have_count(0)
    # One tenant only: its name in the header, no switcher.
    expect(page.locator(".tenant-name")).to_have_text("ブラウザ商事株式会社")
    expect(page.locator("#tenant-switch")).to_have_count(0)
    expect(page.locator(".user-name")).to_contain_text("hanako")


def test_wrong_password_shows_japanese_error_and_stays_on_login(page, live_server):
    MembershipFactory(user=UserFactory(username="taro"))

    page.goto("/login/")
    page.get_by_label("ユーザー名").fill("taro")
    page.get_by_label("パスワード").fill("wrong-password-123")
    page.get_by_role("button", name="ログイン", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text("ユーザー名またはパスワードが正しくありません")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", name="ログイン")).to_be_visible()
    expect(page.get_by_label("ユーザー名")).to_have_value("taro")
    expect(page.get_by_role("heading", name="案件一覧")).to_have_count(0)


def test_logout_returns_to_login(page, log_in):
    MembershipFactory(user=UserFactory(username="jiro"))
    log_in("jiro")

    page.get_by_role("button", name="ログアウト").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    page.goto("/deals/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/deals/$"))
