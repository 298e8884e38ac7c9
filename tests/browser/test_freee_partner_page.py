"""issue 14 item 11 in a real browser: with the sandbox on, a partner that freee does not have is registered on
「freeeの取引先ページ」, which opens the sandbox's 取引先 page (not the real freee), and the search then finds it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_deal_form import SEARCH_TIMEOUT_MS, log_in
from tests.invoices.conftest import sandbox  # noqa: F401 - world_a connected to a fresh sandbox company

pytestmark = pytest.mark.browser

NEW_PARTNER = "株式会社みらい工房"


def test_a_partner_registered_on_the_sandboxs_partner_page_is_found_by_the_search(page, world_a, sandbox):  # noqa: F811
    company, _connection = sandbox
    log_in(page, "member_A")
    page.goto("/deals/new/")
    page.get_by_label("取引先").fill("みらい工房")
    results = page.locator("#partner-results")
    expect(results).to_contain_text("一致する取引先がfreeeにありません", timeout=SEARCH_TIMEOUT_MS)

    with page.context.expect_page() as opened:
        results.get_by_role("link", name="freeeの取引先ページ").click()
    partner_page = opened.value
    partner_page.wait_for_load_state()
    assert partner_page.url.startswith(page.url.split("/deals/")[0] + "/sandbox/freee/web/partners")
    expect(partner_page.get_by_role("heading", name="取引先")).to_be_visible()
    expect(partner_page.get_by_text(company.display_name)).to_be_visible()
    partner_page.get_by_label("新しい取引先の名前").fill(NEW_PARTNER)
    partner_page.get_by_role("button", name="取引先を登録").click()
    expect(partner_page.get_by_role("status")).to_contain_text(f"取引先「{NEW_PARTNER}」を登録しました。")
    partner_page.close()

    page.get_by_label("取引先").fill("みらい工房 ")  # the same search again: "none found" was not kept
    choice = results.get_by_role("button", name=NEW_PARTNER)
    expect(choice).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    choice.click()
    expect(page.locator("#partner-chosen")).to_have_text(f"選択中: {NEW_PARTNER}")
