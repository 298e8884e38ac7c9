"""issue 4 item 9 in a real browser: the sales user (a tenant member) searches a freee partner on the deal page,
issues an invoice and sees its No link appear without a reload; the payment is marked in the sandbox console; the
user clicks ステータス更新 and sees 決済済み; the deal list's filter and CSV show it. With permission profiles on,
the same user without "freee請求書の作成" sees the invoice list but no 請求書作成 button.

Issuing runs in a Celery task after commit, so the flow runs a real worker in this process (solo pool).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from config.celery import app as celery_app
from deals.models import Deal
from integrations.models import FreeeConnection
from integrations.sandbox.models import SandboxCompany, SandboxResource
from integrations.sandbox.services import (
    sandbox_app_create,
    sandbox_company_create,
    sandbox_faults_set,
    sandbox_tokens_issue,
)
from invoices.models import Invoice
from tenancy.models import Membership, Tenant
from tenancy.permissions import CSV_EXPORT, FREEE_INVOICE_CREATE
from tests.factories import (
    PASSWORD,
    DealFactory,
    DealTypeFactory,
    InvoiceFactory,
    MembershipFactory,
    PermissionProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.browser

SALES = "eigyo"
CONSOLE_ADMIN = "kanri"
APP_NAME = "請求書連携アプリ"
COMPANY_NAME = "ブラウザ請求株式会社"
DEAL_NAME = "コーポレートサイト改修"
PARTNER_NAME = "青葉商事"  # the first partner the sandbox seeds into every company
PARTNER_LABEL = "青葉商事（株式会社青葉商事）"
ISSUE_BUTTON = "請求書作成（発行）"
ISSUE_TIMEOUT_MS = 20_000  # the 1.5 s sandbox latency switched on below and 1 s polling, with a wide margin


@dataclass
class SalesWorld:
    tenant: Tenant
    membership: Membership
    company: SandboxCompany
    deal: Deal


@pytest.fixture
def sales_world(live_server, settings) -> SalesWorld:
    """A tenant connected to a fresh sandbox company, its sales member, and a deal of a freee-linked type."""
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    membership = MembershipFactory(user=UserFactory(username=SALES), role=Membership.Role.MEMBER)
    tenant = membership.tenant
    sandbox_app = sandbox_app_create(tenant=tenant, name=APP_NAME)
    company = sandbox_company_create(app=sandbox_app, name=COMPANY_NAME)
    access, refresh = sandbox_tokens_issue(app=sandbox_app, company=company)
    FreeeConnection.objects.create(
        tenant=tenant, client_id=sandbox_app.client_id, client_secret=sandbox_app.client_secret,
        company_id=company.company_id, company_name=company.display_name, access_token=access.token,
        refresh_token=refresh.token, access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED,
    )
    deal = DealFactory(tenant=tenant, name=DEAL_NAME, amount=330000, partner_name="",
                       deal_type=DealTypeFactory(tenant=tenant, name="Web制作", linked_to_freee=True))
    return SalesWorld(tenant, membership, company, deal)


@pytest.fixture
def invoice_worker() -> Iterator[None]:
    """A real worker in this process for the test's duration, on this xdist worker's own (emptied) broker."""
    celery_app.connection_for_write().default_channel.client.flushdb()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      queues=["interactive", "bulk", "default"]):
        yield


def _open_invoice_tab(page: Page, deal: Deal) -> Locator:
    """Open the deal page and wait for htmx to load its 請求書 tab."""
    page.goto(f"/deals/{deal.public_id}/")
    expect(page.get_by_role("heading", name=deal.name, level=1)).to_be_visible()
    page.locator("nav.tabs").get_by_role("link", name="請求書", exact=True).click()
    tab = page.locator("#invoices #invoice-tab")
    expect(tab.locator("table.invoice-list")).to_be_visible()
    return tab


def _mark_paid_in_the_console_as_admin(page: Page, world: SalesWorld, invoice: Invoice) -> None:
    """The sandbox console is an admin screen: the tenant's admin, in a browser of their own, marks it paid."""
    MembershipFactory(tenant=world.tenant, user=UserFactory(username=CONSOLE_ADMIN), role=Membership.Role.ADMIN)
    admin_context = page.context.browser.new_context(locale="ja-JP", base_url=re.match(r"https?://[^/]+", page.url).group(0))
    admin = admin_context.new_page()
    try:
        admin.goto("/login/")
        admin.get_by_label("ユーザー名").fill(CONSOLE_ADMIN)
        admin.get_by_label("パスワード").fill(PASSWORD)
        admin.get_by_role("button", name="ログイン", exact=True).click()
        expect(admin).to_have_url(re.compile(r"/deals/$"))
        admin.goto("/sandbox/console/")
        admin.get_by_role("link", name=APP_NAME, exact=True).click()
        admin.get_by_role("link", name=COMPANY_NAME, exact=True).click()
        expect(admin.get_by_role("heading", name=re.compile(COMPANY_NAME), level=1)).to_be_visible()
        console_row = admin.get_by_role("row").filter(
            has=admin.get_by_role("cell", name=invoice.invoice_number, exact=True))
        expect(console_row.locator(".badge").first).to_have_text("unsettled")
        console_row.get_by_role("button", name="入金済みにする").click()
        expect(admin.get_by_role("status")).to_contain_text(
            f"請求書（ID {invoice.freee_invoice_id}）のステータスを変更しました。")
        expect(console_row.locator(".badge").first).to_have_text("settled")
    finally:
        admin_context.close()


def _cell(tab: Locator, row: Locator, header: str) -> Locator:
    """The cell of `row` under the column headed `header` (by position, as the table lays it out)."""
    headers = [text.strip() for text in tab.locator("thead th").all_inner_texts()]
    return row.locator("td").nth(headers.index(header))


def _sandbox_invoices(company: SandboxCompany) -> list[dict]:
    return [r.data for r in SandboxResource.objects.filter(company=company, kind="invoice")]


def test_sales_user_issues_an_invoice_and_sees_it_settled(page, log_in, sales_world, invoice_worker):
    world = sales_world
    deal = world.deal
    other = DealFactory(tenant=world.tenant, name="未請求の保守案件", deal_type=deal.deal_type)
    log_in(SALES)

    # 1. Search a partner live, choose it, issue: progress first, then the No link, without a reload.
    tab = _open_invoice_tab(page, deal)
    expect(tab.get_by_text("この案件の請求書はまだありません。")).to_be_visible()
    search = tab.get_by_label("取引先（freeeから検索）")
    results = tab.locator("#partner-results")
    search.press_sequentially("かもめ")
    expect(tab.get_by_role("button", name="かもめ印刷（株式会社かもめ印刷）", exact=True),
           "typing in the partner search lists freee's partners under the field").to_be_visible()
    search.clear()  # the user corrects the keyword: the results follow what is typed now
    search.press_sequentially("青葉")
    choice = results.get_by_role("button", name=PARTNER_LABEL, exact=True)
    expect(choice, "a second search must replace the results (#partner-results must survive the first)").to_be_visible()
    expect(results.get_by_role("button")).to_have_count(1)
    choice.click()
    expect(search).to_have_value(PARTNER_NAME)
    expect(results, "choosing a partner empties the results list").to_be_empty()

    # The sandbox answers slowly for a moment, so the row's progress is seen before the result.
    sandbox_faults_set(world.company, latency_ms=1500)
    page.evaluate("window.__noReload = true")
    tab.get_by_role("button", name=ISSUE_BUTTON).click()

    tab = page.locator("#invoice-tab")
    row = tab.locator("tbody tr[id^='invoice-']")
    expect(row).to_have_count(1)
    expect(row.locator(".job-progress")).to_be_visible()
    expect(row.locator("td").first).to_have_text(re.compile("発行待ち|発行中"))
    expect(_cell(tab, row, "取引先")).to_have_text(PARTNER_NAME)

    number_link = row.locator("td").first.get_by_role("link")
    expect(number_link).to_be_visible(timeout=ISSUE_TIMEOUT_MS)
    sandbox_faults_set(world.company, latency_ms=None)
    invoice = Invoice.objects.get(deal=deal)
    assert invoice.state == Invoice.State.ISSUED
    assert invoice.invoice_number
    remote = _sandbox_invoices(world.company)
    assert [r["id"] for r in remote] == [invoice.freee_invoice_id], "one click must make exactly one freee invoice"
    assert remote[0]["partner_name"] == PARTNER_NAME and invoice.reference in remote[0]["memo"]
    expect(row).to_have_id(f"invoice-{invoice.public_id}")
    expect(number_link).to_have_text(invoice.invoice_number)
    expect(number_link).to_have_attribute("href", invoice.report_url)
    expect(number_link).to_have_attribute("target", "_blank")
    expect(row.locator(".job-progress")).to_have_count(0)
    expect(row).not_to_have_attribute("hx-get", re.compile(".*"))  # issued: polling stops
    expect(_cell(tab, row, "金額（税込）")).to_have_text("363,000円")
    expect(_cell(tab, row, "消費税")).to_have_text("33,000円")
    expect(_cell(tab, row, "決済")).to_have_text("決済待ち")
    assert page.evaluate("window.__noReload") is True, "the row was reloaded instead of swapped by htmx"

    # 2. In the sandbox console (admins only), as a person would: the tenant's admin marks the invoice as paid.
    _mark_paid_in_the_console_as_admin(page, world, invoice)

    # 3. Back on the deal page: still 決済待ち here until the user asks freee, then 決済済み.
    tab = _open_invoice_tab(page, deal)
    row = tab.locator(f"#invoice-{invoice.public_id}")
    expect(_cell(tab, row, "決済")).to_have_text("決済待ち")
    page.evaluate("window.__noReload = true")
    row.get_by_role("button", name="ステータス更新").click()
    expect(_cell(tab, row, "決済")).to_have_text("決済済み")
    number_link = row.get_by_role("link", name=invoice.invoice_number, exact=True)
    expect(number_link).to_have_attribute("href", invoice.report_url)
    assert page.evaluate("window.__noReload") is True, "ステータス更新 reloaded the page instead of swapping the row"
    deal.refresh_from_db()
    assert deal.freee_latest_status == "settled"

    # 4. The deal list shows 決済済み, its filter keeps the deal, and the CSV carries it.
    _deal_list_filter_and_csv_show_settled(page, deal, other)


def _deal_list_filter_and_csv_show_settled(page: Page, deal: Deal, other: Deal) -> None:
    column = "freee最新請求ステータス"
    page.goto("/deals/")
    table = page.locator("table.deal-list")
    headers = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    status_index = next(i for i, text in enumerate(headers) if text.startswith(column))
    deal_row = table.locator("tbody tr").filter(has=page.get_by_role("link", name=deal.name, exact=True))
    expect(deal_row.locator("td").nth(status_index)).to_have_text("決済済み")
    expect(table.get_by_role("link", name=other.name, exact=True)).to_be_visible()

    page.get_by_label(column).select_option(label="決済済み")
    page.get_by_role("button", name="絞り込む").click()
    expect(deal_row.locator("td").nth(status_index)).to_have_text("決済済み")
    expect(table.get_by_role("link", name=other.name, exact=True)).to_have_count(0)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSVダウンロード", exact=True).click()
    content = Path(download_info.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert column in rows[0], rows[0]
    status_at = rows[0].index(column)
    deal_rows = [r for r in rows[1:] if deal.name in r]
    assert len(deal_rows) == 1 and deal_rows[0][status_at] == "決済済み", content
    assert other.name not in content, "the CSV must follow the list's current filter"


def test_member_without_the_invoice_permission_sees_the_list_but_no_issue_button(page, log_in, sales_world):
    world = sales_world
    world.tenant.uses_permission_profiles = True
    world.tenant.save(update_fields=["uses_permission_profiles"])
    profile = PermissionProfileFactory(tenant=world.tenant, name="営業", permissions=[FREEE_INVOICE_CREATE])
    world.membership.permission_profile = profile
    world.membership.save(update_fields=["permission_profile"])
    invoice = InvoiceFactory(deal=world.deal, partner_name=PARTNER_NAME, payment_status="settled")
    log_in(SALES)

    # With the permission, the button is there (so its absence below is the permission, not a broken tab).
    tab = _open_invoice_tab(page, world.deal)
    expect(tab.get_by_role("button", name=ISSUE_BUTTON)).to_be_visible()

    profile.permissions = [CSV_EXPORT]
    profile.save(update_fields=["permissions"])
    tab = _open_invoice_tab(page, world.deal)
    row = tab.locator(f"#invoice-{invoice.public_id}")
    expect(row.get_by_role("link", name=invoice.invoice_number, exact=True)).to_be_visible()
    expect(_cell(tab, row, "決済")).to_have_text("決済済み")
    expect(row.get_by_role("button", name="ステータス更新")).to_be_visible()
    expect(tab.get_by_role("button", name=ISSUE_BUTTON)).to_have_count(0)
    expect(tab.get_by_label("取引先（freeeから検索）")).to_have_count(0)
    expect(row.get_by_role("button", name="再連携")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("請求書作成"))).to_have_count(0)


def test_an_admin_without_the_invoice_grant_sees_a_hint_where_the_button_would_be(page, log_in, sales_world):
    """seed 000: with profiles on, *only* holders of 「freee請求書の作成」 get the button — admins included."""
    world = sales_world
    world.tenant.uses_permission_profiles = True
    world.tenant.save(update_fields=["uses_permission_profiles"])
    MembershipFactory(tenant=world.tenant, user=UserFactory(username="kanri"), role=Membership.Role.ADMIN)
    log_in("kanri")

    tab = _open_invoice_tab(page, world.deal)

    expect(tab.get_by_text("権限設定機能がONのため、「freee請求書の作成」権限を持つプロファイルの割り当てが必要です。")).to_be_visible()
    expect(tab.get_by_role("button", name=ISSUE_BUTTON)).to_have_count(0)


def test_text_typed_after_choosing_a_partner_unchooses_it_and_blocks_issue(page, log_in, sales_world):
    """issue 14 item 1: choose A, clear the box, type B without choosing: the hint says nothing is chosen and
    発行 is refused with a message instead of issuing to A."""
    log_in(SALES)
    tab = _open_invoice_tab(page, sales_world.deal)
    search = tab.get_by_label("取引先（freeeから検索）")
    search.press_sequentially("青葉")
    tab.locator("#partner-results").get_by_role("button", name=PARTNER_LABEL, exact=True).click()
    hint = tab.locator("#partner-chosen")
    expect(hint).to_have_text(f"選択中: {PARTNER_NAME}")

    search.clear()
    search.press_sequentially("かもめ")
    expect(hint).to_have_text("取引先: 未選択（検索結果から選んでください）")
    expect(tab.locator("#partner-id")).to_have_value("")
    tab.get_by_role("button", name=ISSUE_BUTTON).click()

    tab = page.locator("#invoice-tab")
    expect(tab.get_by_role("alert")).to_contain_text("取引先「かもめ」はまだ選択されていません")
    expect(tab.get_by_label("取引先（freeeから検索）")).to_have_value("かもめ")
    expect(tab.locator("#partner-chosen")).to_have_text("取引先: 未選択（検索結果から選んでください）")
    assert not Invoice.objects.filter(deal=sales_world.deal).exists()


def test_status_refresh_clicked_again_and_again_keeps_one_row_and_says_what_changed(page, log_in, sales_world):
    """issue 14 item 6: each ステータス更新 used to add an empty table row and say nothing."""
    from invoices import services

    world = sales_world
    partner = SandboxResource.objects.filter(company=world.company, kind="partner").order_by("resource_id").first()
    invoice = services.invoice_issue(deal=world.deal, membership=world.membership, partner_id=partner.data["id"],
                                     partner_name=partner.data["name"])
    services.invoice_push(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    log_in(SALES)
    tab = _open_invoice_tab(page, world.deal)
    rows = tab.locator("tr")
    expect(tab.locator(f"#invoice-{invoice.public_id}")).to_be_visible()
    count = rows.count()
    page.evaluate("window.__noReload = true")

    for _click in range(3):
        with page.expect_response(lambda response: response.url.endswith("/refresh/")):  # not the last click's text
            tab.locator(f"#invoice-{invoice.public_id}").get_by_role("button", name="ステータス更新").click()
        expect(tab.get_by_role("status")).to_contain_text("freeeの請求書に変更はありません")
        expect(rows).to_have_count(count + 1)  # the row, its history slot and one line saying what happened

    from integrations.sandbox.services import sandbox_invoice_status_set

    sandbox_invoice_status_set(company=world.company, invoice_id=invoice.freee_invoice_id, field="payment_status",
                               value="settled")
    tab.locator(f"#invoice-{invoice.public_id}").get_by_role("button", name="ステータス更新").click()
    expect(tab.get_by_role("status")).to_have_text("freeeから更新しました: 決済: 決済待ち → 決済済み")
    expect(rows).to_have_count(count + 1)
    assert page.evaluate("window.__noReload") is True
