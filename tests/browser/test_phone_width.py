"""Issue 14 item 28: every key page is usable on a 375 px phone (nothing scrolls sideways, buttons keep their words on
one line, the header folds into a menu) and the settings navigation is grouped (a sidebar of groups at 1280 px,
a folded menu on a phone).

A table wider than the phone scrolls inside its own box (`.table` is its own horizontal scroller there); the page
itself never does: document.documentElement.scrollWidth <= window.innerWidth.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from core.models import Job
from invoices.models import Invoice
from tests.factories import DealLineFactory, InvoiceFactory, JobFactory
from tests.invoices.conftest import linked_deal  # noqa: F401 - pytest fixture
from tests.journals.factories import ledger_for
from tests.payment_requests.conftest import invoices_sandbox, sandbox  # noqa: F401 - a plan with 支払依頼
from tests.payment_requests.factories import flow_for, make_request

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
LONG_NAME = "株式会社ロングネーム・ホールディングス・アンド・パートナーズ・ジャパン 東日本第二営業本部"

# Settings pages (the settings navigation is on each); the ones needing an object follow in `key_pages`.
SETTINGS_PAGES = [
    "tenancy:settings", "tenancy:membership_list", "tenancy:permission_profile_list", "deals:type_list",
    "integrations:freee_settings", "notifications:link_list", "notifications:delivery_list",
    "integrations:api_call_log", "invoices:settings", "payment_requests:settings", "journal_sync:settings",
    "journals:settings", "core:job_list", "core:audit_list",
    "tenancy:company", "accounts:invitation_list", "accounts:leave",  # issue 16: 会社情報, メンバー招待, 退会
]
OTHER_PAGES = [
    "deals:list", "deals:create", "invoices:list", "journals:index", "journals:trade_list", "journals:journal_book",
    "journals:trial_balance", "journals:account_item_list", "journals:tax_code_list", "journals:wallet_list",
    "journal_sync:record_list", "payment_requests:list", "payment_requests:create", "notifications:profile",
]
SETTINGS_GROUPS = ["基本", "請求・会計", "外部サービス連携", "履歴・ログ", "サンドボックス"]


@dataclass
class World:
    deal_url: str
    trade_url: str
    request_url: str


@pytest.fixture
def world(world_a, sandbox, linked_deal):  # noqa: F811 - pytest fixtures imported above
    """world_a's admin with a freee-connected deal carrying lines and invoices in every state, long names, a
    trade, a payment request and jobs, so the lists have rows as wide as real ones."""
    world_a.tenant.name = LONG_NAME
    world_a.tenant.save(update_fields=["name"])
    deal = linked_deal
    deal.partner_name = LONG_NAME
    deal.save(update_fields=["partner_name"])
    for _ in range(3):
        DealLineFactory(deal=deal, description="Webサイト保守・運用サポート（月額・2026年度上期分）")
    InvoiceFactory(deal=deal, partner_name=LONG_NAME)
    InvoiceFactory(deal=deal, state=Invoice.State.FAILED, freee_invoice_id=None, invoice_number="",
                   last_error="freeeに接続できませんでした。時間をおいて再度お試しください。")
    for kind in ("invoices.bulk_refresh", "journals.sync.export"):
        JobFactory(tenant=world_a.tenant, actor=world_a.admin, kind=kind, status=Job.Status.FAILED,
                   error="freeeの利用上限に達しました。しばらくしてから再度実行してください。")
    trade = ledger_for(world_a.tenant).save_sale(123456, partner_name=LONG_NAME, description=LONG_NAME)
    request = make_request(flow_for(world_a), "draft", title=LONG_NAME)
    return World(deal_url=reverse("deals:detail", args=[deal.public_id]),
                 trade_url=reverse("journals:trade_detail", args=[trade.public_id]),
                 request_url=reverse("payment_requests:detail", args=[request.public_id]))


def key_pages(world: World) -> list[str]:
    return ([reverse(name) for name in OTHER_PAGES + SETTINGS_PAGES]
            + [world.deal_url, world.deal_url + "?tab=invoices", world.deal_url + "edit/", world.trade_url,
               world.request_url, reverse("sandbox:console"), reverse("sandbox:console-lineworks")])


def log_in_as(page: Page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill("correct-horse-battery")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", name="案件一覧")).to_be_visible()


@pytest.fixture
def phone(browser: Browser, live_server, page) -> Page:
    """The `page` fixture (JS errors, CSP and foreign requests fail the test) at a phone's width."""
    page.set_viewport_size(PHONE)
    return page


def overflow(page: Page) -> dict:
    """How far the page scrolls sideways, and the widest elements sticking out (to say what to fix)."""
    return page.evaluate("""() => {
        const width = window.innerWidth;
        const culprits = [...document.querySelectorAll("body *")]
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .filter(el => !el.closest(".table") || el.matches(".table"))
            .slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className + " → "
                                   + Math.round(el.getBoundingClientRect().right));
        return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, culprits};
    }""")


def wrapped_buttons(page: Page) -> list[str]:
    """Visible buttons whose label breaks onto a second line (the 'one letter per line' columns)."""
    return page.evaluate("""() => [...document.querySelectorAll("button, .button, input[type=submit]")]
        .filter(el => el.offsetParent !== null && el.innerText.trim())
        .filter(el => {
            const style = getComputedStyle(el);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.6;
            const inner = el.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
            return inner > line * 1.5;
        }).map(el => el.innerText.trim())""")


def misfits(page: Page, url: str) -> list[str]:
    """What is wrong with `url` at the page's width (nothing: [])."""
    page.goto(url)
    page.wait_for_load_state("networkidle")  # htmx panels (invoice tab, bulk refresh) are in
    problems = []
    measured = overflow(page)
    if measured["scrollWidth"] > measured["innerWidth"]:
        problems.append(f"{url} scrolls sideways: {measured}")
    if wrapped := wrapped_buttons(page):
        problems.append(f"{url}: button labels broken over lines: {wrapped}")
    return problems


def test_the_login_page_fits_a_phone(phone):
    assert not misfits(phone, "/login/")


def test_every_key_page_fits_a_phone(phone, world):
    log_in_as(phone, "admin_A")
    problems = [problem for url in key_pages(world) for problem in misfits(phone, url)]
    assert not problems, "\n".join(problems)


def test_the_deal_pages_wide_tables_scroll_in_their_own_box(phone, world):
    log_in_as(phone, "admin_A")
    phone.goto("/deals/")
    table = phone.locator("table.deal-list")
    box = table.evaluate("t => ({client: t.clientWidth, scroll: t.scrollWidth, overflow: getComputedStyle(t).overflowX})")
    assert box["scroll"] > box["client"] and box["overflow"] == "auto"  # wider than the phone: it scrolls itself
    assert table.bounding_box()["width"] <= PHONE["width"]


def test_the_header_folds_into_a_menu_on_a_phone(phone, world):
    log_in_as(phone, "admin_A")
    header = phone.locator("header.site-header")
    nav = phone.get_by_role("navigation", name="メインメニュー")
    assert header.bounding_box()["height"] < 64, "the folded header is one line"
    expect(nav).to_be_hidden()

    phone.locator("summary", has_text="メニュー").click()

    expect(nav).to_be_visible()
    nav.get_by_role("link", name="請求書").click()
    expect(phone.get_by_role("heading", name="請求書一覧")).to_be_visible()
    expect(phone.get_by_role("navigation", name="メインメニュー")).to_be_hidden()  # folded again on the next page


def test_the_header_is_one_row_at_desktop_width(page, world):
    page.set_viewport_size(DESKTOP)
    log_in_as(page, "admin_A")
    expect(page.locator("summary", has_text="メニュー")).to_be_hidden()
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_visible()
    assert page.locator("header.site-header").bounding_box()["height"] < 64


def test_the_settings_navigation_is_a_sidebar_of_groups_at_desktop_width(page, world):
    page.set_viewport_size(DESKTOP)
    log_in_as(page, "admin_A")
    page.goto(reverse("tenancy:settings"))
    nav = page.get_by_role("navigation", name="管理者設定")
    expect(nav.locator(".settings-group-title")).to_have_text(SETTINGS_GROUPS)
    layout = nav.evaluate("""nav => {
        const links = [...nav.querySelectorAll("a")];
        const main = document.querySelector("main section.card").getBoundingClientRect();
        return {links: links.length, navRight: nav.getBoundingClientRect().right, mainLeft: main.left,
                multiLine: links.filter(a => a.getClientRects().length > 1
                                        || a.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(a).lineHeight))
                                .map(a => a.innerText),
                rows: new Set(links.map(a => Math.round(a.getBoundingClientRect().left))).size};
    }""")
    assert layout["links"] >= 15
    assert layout["navRight"] <= layout["mainLeft"], "the settings page sits beside the navigation"
    assert layout["rows"] == 1, "the links are one column (a sidebar), not a wrapped row"
    assert not layout["multiLine"], f"links broken over lines: {layout['multiLine']}"
    current = nav.locator("a[aria-current=page]")
    expect(current).to_have_text("事業所の設定")


def test_every_settings_page_fits_beside_the_sidebar_at_desktop_width(page, world):
    page.set_viewport_size(DESKTOP)
    log_in_as(page, "admin_A")
    problems = [problem for name in SETTINGS_PAGES for problem in misfits(page, reverse(name))]
    assert not problems, "\n".join(problems)


def test_the_settings_navigation_is_a_folded_menu_on_a_phone(phone, world):
    log_in_as(phone, "admin_A")
    phone.goto(reverse("tenancy:membership_list"))
    nav = phone.get_by_role("navigation", name="管理者設定")
    expect(nav.get_by_role("link", name="監査ログ")).to_be_hidden()
    expect(nav.locator("summary")).to_contain_text("メンバー")  # says where you are

    nav.locator("summary").click()

    expect(nav.locator(".settings-group-title")).to_have_text(SETTINGS_GROUPS)
    nav.get_by_role("link", name="監査ログ").click()
    expect(phone.get_by_role("heading", name="監査ログ")).to_be_visible()
    assert overflow(phone)["scrollWidth"] <= PHONE["width"]


def test_without_javascript_the_menus_stay_open_on_a_phone(browser: Browser, live_server, world):
    """The folding is JavaScript's (static/js/app.js); a phone without it sees the menus open, never lost."""
    context: BrowserContext = browser.new_context(locale="ja-JP", base_url=live_server.url, viewport=PHONE,
                                                  java_script_enabled=False)
    try:
        page = context.new_page()
        log_in_as(page, "admin_A")
        expect(page.get_by_role("navigation", name="メインメニュー")).to_be_visible()
        page.goto(reverse("tenancy:settings"))
        expect(page.get_by_role("navigation", name="管理者設定").get_by_role("link", name="監査ログ")).to_be_visible()
        assert overflow(page)["scrollWidth"] <= PHONE["width"]
    finally:
        context.close()
