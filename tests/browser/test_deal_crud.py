"""Creating a deal with a product line, seeing it, and deleting it, all through the pages."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import DealFactory, DealTypeFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def test_create_view_and_delete_a_deal(page, log_in):
    membership = MembershipFactory(user=UserFactory(username="sales"))
    DealTypeFactory(tenant=membership.tenant, name="スポット案件")
    DealTypeFactory(tenant=membership.tenant, name="保守契約")
    DealFactory(tenant=membership.tenant, name="既存の案件")
    log_in("sales")

    page.get_by_role("link", name="案件を追加").click()
    expect(page).to_have_url(re.compile(r"/deals/new/$"))
    expect(page.get_by_role("heading", name="案件の追加")).to_be_visible()
    page.locator("#id_name").fill("年間保守サポート")
    page.locator("#id_deal_type").select_option(label="保守契約")
    page.locator("#id_amount").fill("363000")
    page.locator("#id_lines-0-description").fill("サーバー保守（月額）")
    page.locator("#id_lines-0-quantity").fill("12")
    page.locator("#id_lines-0-unit_price").fill("27500")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(re.compile(r"/deals/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text("案件「年間保守サポート」を保存しました。")
    expect(page.get_by_role("heading", name="年間保守サポート", level=1)).to_be_visible()
    details = page.locator("dl.details")
    expect(details).to_contain_text("保守契約")
    expect(details).to_contain_text("363,000円")
    expect(details).to_contain_text("sales")
    line = page.get_by_role("row", name=re.compile("サーバー保守（月額）"))
    expect(line).to_contain_text("12")
    expect(line).to_contain_text("27,500")
    expect(line).to_contain_text("330,000")

    page.get_by_role("link", name="削除", exact=True).click()

    expect(page).to_have_url(re.compile(r"/deals/[0-9a-f-]{36}/delete/$"))
    expect(page.get_by_role("heading", name="案件の削除")).to_be_visible()
    expect(page.get_by_text("案件「年間保守サポート」と商品内訳を削除しますか？")).to_be_visible()
    page.get_by_role("button", name="削除する").click()

    expect(page).to_have_url(re.compile(r"/deals/$"))
    expect(page.get_by_role("status")).to_contain_text("案件「年間保守サポート」を削除しました。")
    expect(page.get_by_role("link", name="既存の案件")).to_be_visible()
    expect(page.get_by_role("link", name="年間保守サポート")).to_have_count(0)


def test_invalid_deal_shows_errors_and_keeps_input(page, log_in):
    membership = MembershipFactory(user=UserFactory(username="hasty"))
    DealTypeFactory(tenant=membership.tenant, name="スポット案件")
    log_in("hasty")

    page.goto("/deals/new/")
    page.locator("#id_amount").fill("1000")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("入力内容に誤りがあります")
    expect(page.locator(".field.has-error").filter(has=page.locator("#id_name"))).to_be_visible()
    expect(page.locator("#id_amount")).to_have_value("1000")
    expect(page).to_have_url(re.compile(r"/deals/new/$"))
