"""issue 14 item 8 in a real browser: on the deal form a sales member picks the 取引先 with freee's partner search
(the sandbox company's), adds two 商品内訳 lines and a third, removes that one again, watches 小計・消費税・合計
follow without a reload, and saves; the deal page shows the partner, the two lines and their total. The same
form at a phone's width scrolls nowhere sideways.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from deals.models import Deal
from tests.browser.test_phone_width import PHONE, overflow
from tests.factories import DealTypeFactory
from tests.invoices.conftest import sandbox  # noqa: F401 - world_a connected to a fresh sandbox company

pytestmark = pytest.mark.browser

PARTNER = "青葉商事"  # the first partner the sandbox seeds into every company
PARTNER_LABEL = "青葉商事（株式会社青葉商事）"
SEARCH_TIMEOUT_MS = 15_000  # the 400 ms debounce plus a live call to the sandbox on a busy machine


def choose_partner(page: Page, typed: str) -> None:
    """Type in the 取引先 box and click the first sandbox partner among the results."""
    page.get_by_label("取引先").fill(typed)
    result = page.locator("#partner-results").get_by_role("button", name=PARTNER_LABEL)
    expect(result).to_be_visible(timeout=SEARCH_TIMEOUT_MS)
    result.click()


@pytest.fixture
def form_world(world_a, sandbox):  # noqa: F811 - the fixture imported above
    DealTypeFactory(tenant=world_a.tenant, name="Web制作", linked_to_freee=True)
    return world_a


def log_in(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill("correct-horse-battery")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", name="案件一覧")).to_be_visible()


def fill_line(page: Page, index: int, description: str, quantity: str, unit_price: str) -> None:
    page.locator(f"#id_lines-{index}-description").fill(description)
    page.locator(f"#id_lines-{index}-quantity").fill(quantity)
    page.locator(f"#id_lines-{index}-unit_price").fill(unit_price)


def test_add_two_lines_remove_one_and_save_with_a_partner(page, form_world):
    log_in(page, "member_A")
    page.get_by_role("link", name="案件を追加").click()
    expect(page.get_by_role("heading", name="案件の追加")).to_be_visible()
    page.get_by_label("案件名").fill("コーポレートサイト刷新")
    page.get_by_label("案件タイプ").select_option(label="Web制作")

    box = page.get_by_label("取引先")
    choose_partner(page, PARTNER[:2])
    expect(box).to_have_value(PARTNER)
    expect(page.locator("#partner-chosen")).to_have_text(f"選択中: {PARTNER}")

    rows = page.locator("tr.line-row")
    expect(rows).to_have_count(1)
    fill_line(page, 0, "デザイン制作", "2", "50000")
    page.get_by_role("button", name="＋ 行を追加").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#id_lines-1-description")).to_be_focused()  # typing goes on in the new row
    expect(page.locator("#id_lines-0-description")).to_have_value("デザイン制作")  # the typed row is kept
    fill_line(page, 1, "保守サポート", "3", "1000")
    page.get_by_role("button", name="＋ 行を追加").click()
    expect(rows).to_have_count(3)
    fill_line(page, 2, "不要になった行", "1", "99999")

    expect(page.locator("#form-subtotal")).to_have_text("202,999円")  # live, nothing saved yet
    assert not Deal.objects.exists()

    page.get_by_role("button", name="3行目を削除").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#form-subtotal")).to_have_text("103,000円")
    expect(page.locator("#form-tax")).to_have_text("10,300円")
    expect(page.locator("#form-total")).to_have_text("113,300円")
    page.locator("#id_lines-1-quantity").fill("4")  # totals follow typing too
    expect(page.locator("#form-subtotal")).to_have_text("104,000円")

    page.get_by_role("button", name="保存", exact=True).click()

    expect(page).to_have_url(re.compile(r"/deals/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("status")).to_contain_text("案件「コーポレートサイト刷新」を保存しました。")
    expect(page.locator("#deal-partner")).to_have_text(PARTNER)
    expect(page.locator("#deal-amount")).to_contain_text("104,000円")
    expect(page.get_by_role("row", name=re.compile("デザイン制作"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("保守サポート"))).to_contain_text("4")
    expect(page.get_by_role("row", name=re.compile("不要になった行"))).to_have_count(0)
    deal = Deal.objects.get()
    assert deal.partner_name == PARTNER and deal.partner_freee_id is not None
    assert list(deal.lines.values_list("description", flat=True)) == ["デザイン制作", "保守サポート"]


def test_removing_a_saved_line_deletes_it_on_save(page, form_world):
    log_in(page, "member_A")
    page.goto("/deals/new/")
    page.get_by_label("案件名").fill("二行の案件")
    page.get_by_label("案件タイプ").select_option(label="Web制作")
    fill_line(page, 0, "残す行", "1", "1000")
    page.get_by_role("button", name="＋ 行を追加").click()
    fill_line(page, 1, "あとで消す行", "1", "2000")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("保存しました")

    page.get_by_role("link", name="編集").click()
    page.get_by_role("button", name="2行目を削除").click()
    expect(page.locator("tr.line-row")).to_have_count(1)
    expect(page.locator("#form-subtotal")).to_have_text("1,000円")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("保存しました")
    expect(page.get_by_role("row", name=re.compile("あとで消す行"))).to_have_count(0)
    assert list(Deal.objects.get().lines.values_list("description", flat=True)) == ["残す行"]


def test_text_typed_in_the_partner_box_but_not_chosen_is_not_saved(page, form_world):
    log_in(page, "member_A")
    page.goto("/deals/new/")
    page.get_by_label("案件名").fill("取引先の打ち間違い")
    box = page.get_by_label("取引先")
    choose_partner(page, PARTNER[:2])
    box.fill("青葉商事の別会社")  # typed on after choosing: no partner is chosen any more
    expect(page.locator("#partner-chosen")).to_have_text("取引先: 未選択（検索結果から選んでください）")

    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.get_by_text("取引先「青葉商事の別会社」はまだ選択されていません。")).to_be_visible()
    assert not Deal.objects.exists()


def test_the_deal_form_fits_a_phone(page, form_world):
    page.set_viewport_size(PHONE)
    log_in(page, "member_A")
    page.goto("/deals/new/")
    with page.expect_response(lambda response: response.request.method == "POST"):  # the row's htmx swap
        page.get_by_role("button", name="＋ 行を追加").click()
    expect(page.locator("tr.line-row")).to_have_count(2)
    page.wait_for_load_state("networkidle")  # the swapped form settled: typing goes into the box that stays
    page.get_by_label("取引先").fill(PARTNER[:2])
    expect(page.locator("#partner-results").get_by_role("button", name=PARTNER_LABEL)).to_be_visible(
        timeout=SEARCH_TIMEOUT_MS
    )

    measured = overflow(page)
    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    row = page.locator("tr.line-row").first
    assert row.bounding_box()["width"] <= PHONE["width"]
    expect(row.get_by_label("単価")).to_be_visible()  # each field of a row keeps its label on a phone
