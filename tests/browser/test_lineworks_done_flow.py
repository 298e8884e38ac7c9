"""issue 7's closing sentence in a real browser: in the demo tenant (seed_demo: freee AND LINE WORKS through the
sandbox), an employee links LINE WORKS through the sandbox, issues an invoice, and reads the notification in the
sandbox inbox; an approver approves a payment request from the button in its message.

Everything asynchronous (the bot callback, invoice issuing, the notification fan-out and sends) runs on a real
Celery worker started in this process (solo pool) on the interactive, bulk and default queues.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from config.celery import app as celery_app
from deals.models import Deal
from demo.management.commands.seed_demo import DEMO_TENANT
from integrations.sandbox.models import SandboxLineWorksDomain, SandboxLineWorksUser
from invoices.models import Invoice
from journals.defaults import ledger_defaults_ensure
from journals.models import AccountItem, TaxCode
from notifications.models import Delivery, LineWorksUserLink
from payment_requests import services as pr_services
from payment_requests.models import PaymentRequest
from tenancy.models import Membership, Tenant
from tests.browser.conftest import ACTION_TIMEOUT_MS, _is_ours
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

EMPLOYEE = "demo-sales"  # a member, the owner of every demo deal
APPROVER = "demo-admin"
PARTNER_LABEL = "青葉商事（株式会社青葉商事）"  # the first partner the freee sandbox seeds into every company
ISSUE_TIMEOUT_MS = 20_000
INBOX_TIMEOUT_S = 20.0  # worker pick-up + token grant + send, with a wide margin
REQUEST_TITLE = "LINE WORKS承認テストの外注費"


@dataclass
class Demo:
    tenant: Tenant
    domain: SandboxLineWorksDomain
    employee_lw: SandboxLineWorksUser  # 山田 太郎
    approver_lw: SandboxLineWorksUser  # 佐藤 花子
    deal: Deal


@pytest.fixture
def demo(live_server, settings, tmp_path) -> Demo:
    """The demo tenant as `seed_demo` makes it, with every vendor URL pointing at the live server's sandbox."""
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    settings.LINEWORKS_AUTH_URL = live_server.url + "/sandbox/lineworks/auth"
    settings.LINEWORKS_API_URL = live_server.url + "/sandbox/lineworks/v1.0"
    settings.DEMO_CREDENTIALS_FILE = tmp_path / "demo-logins.txt"
    settings.SANDBOX_ENABLED = True
    call_command("seed_demo", stdout=io.StringIO())
    tenant = Tenant.objects.get(name=DEMO_TENANT, settings__demo=True)
    for username in (EMPLOYEE, APPROVER):  # seed_demo's passwords are random: use the tests' one
        user = get_user_model().objects.get(username=username)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    domain = SandboxLineWorksDomain.objects.get(owner_tenant=tenant)
    people = list(domain.users.order_by("id"))
    assert not LineWorksUserLink.objects.for_tenant(tenant).exists(), "the demo must not pre-link employees"
    deal = (Deal.objects.for_tenant(tenant).filter(deal_type__linked_to_freee=True, owner__username=EMPLOYEE)
            .order_by("id").first())
    return Demo(tenant, domain, people[0], people[1], deal)


@pytest.fixture
def worker() -> Iterator[None]:
    celery_app.connection_for_write().default_channel.client.flushdb()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      queues=["interactive", "bulk", "default"]):
        yield


@pytest.fixture
def open_page(browser: Browser, live_server) -> Iterator:
    """Another person's browser: `open_page()` gives a fresh profile's page with the same guards as `page`."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    def open_page() -> Page:
        context = browser.new_context(locale="ja-JP", base_url=live_server.url)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("request", lambda request: None if _is_ours(request.url, live_server.url)
                else problems.append(f"request left the app: {request.url}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


def _log_in_when_asked(page: Page, username: str) -> None:
    expect(page, "an anonymous visitor must be asked to log in").to_have_url(re.compile(r"/login/\?next="))
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()


def _open_inbox(page: Page, demo: Demo, lw_user: SandboxLineWorksUser) -> None:
    """Sandbox console → the demo domain → that LINE WORKS user's 受信箱, by clicking as a person would."""
    page.goto("/sandbox/lineworks/console/")
    page.get_by_role("link", name=demo.domain.name, exact=True).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=lw_user.name, exact=True))
    row.get_by_role("link", name="受信箱").click()
    expect(page.get_by_role("heading", name=f"{lw_user.name} の受信箱", level=1)).to_be_visible()


def _wait_for_message(page: Page, text: str, *, what: str) -> Locator:
    """Reload the inbox (as the user would) until a message containing `text` arrived; bounded."""
    deadline = time.monotonic() + INBOX_TIMEOUT_S
    message = page.locator("article").filter(has_text=text)
    while message.count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(400)
        page.reload()
    failed = list(Delivery.objects.exclude(status=Delivery.Status.SENT).values_list("status", "last_error"))
    assert message.count() == 1, (f"{what}: expected exactly one message containing {text!r} in the sandbox inbox "
                                  f"within {INBOX_TIMEOUT_S}s (unsent deliveries: {failed})")
    return message


def _link_and_confirm(page: Page, message: Locator | None, demo: Demo, lw_user: SandboxLineWorksUser) -> None:
    """The ID連携する button of a bot message (None: already opened in `page`) → 「連携を開始しますか?」 →
    [許可する] → 「連携に成功しました」."""
    if message is not None:
        message.get_by_role("link", name="ID連携する", exact=True).click()
    expect(page).to_have_url(re.compile(r"/lineworks/link/\?token="))
    expect(page.get_by_role("heading", name="連携を開始しますか?", level=1)).to_be_visible()
    expect(page.locator("dl.details")).to_contain_text(demo.tenant.name)
    page.get_by_role("button", name="許可する", exact=True).click()
    expect(page.get_by_role("heading", name="連携に成功しました", level=1)).to_be_visible()
    page.get_by_role("link", name="プロフィールを開く").click()
    expect(page.get_by_text("ID連携済み", exact=True)).to_be_visible()
    expect(page.locator("dl.details")).to_contain_text(lw_user.user_id)


def test_demo_employee_links_issues_and_reads_then_approver_approves_from_the_message(page, open_page, demo, worker):
    employee_user = get_user_model().objects.get(username=EMPLOYEE)
    approver_user = get_user_model().objects.get(username=APPROVER)

    # 1. The employee starts ID連携 from the bot, as seed 003 describes. The sandbox console stands in for
    #    山田 太郎's LINE WORKS app; it is an admin screen, so the demo admin drives it in a browser of their own:
    #    山田 太郎 sends the ID連携 action (a signed callback to our endpoint).
    phone = open_page()
    phone.goto("/sandbox/lineworks/console/")
    _log_in_when_asked(phone, APPROVER)
    expect(phone.get_by_role("heading", name="LINE WORKS サンドボックス", level=1)).to_be_visible()
    phone.get_by_role("link", name=demo.domain.name, exact=True).click()
    phone.get_by_label("送信するユーザー").select_option(label=str(demo.employee_lw))
    phone.get_by_label("操作").select_option(label="ID連携")
    phone.get_by_role("button", name="送信", exact=True).click()
    expect(phone.get_by_role("status")).to_contain_text("署名付きのコールバックを送信しました（HTTP 200）")

    # The bot's answer (handled on the worker) arrives in 山田 太郎's inbox: its button opens our app, in the
    # employee's own browser, which is not logged in yet, so asked to log in.
    _open_inbox(phone, demo, demo.employee_lw)
    reply = _wait_for_message(phone, "ID連携を開始します", what="the bot's ID連携 reply")
    page.goto(reply.get_by_role("link", name="ID連携する", exact=True).get_attribute("href"))
    _log_in_when_asked(page, EMPLOYEE)
    _link_and_confirm(page, None, demo, demo.employee_lw)
    link = LineWorksUserLink.objects.for_tenant(demo.tenant).get(user=employee_user)
    assert link.lineworks_user_id == demo.employee_lw.user_id

    # 2. The employee issues an invoice from the deal's 請求書 tab, the partner chosen from freee.
    page.goto(f"/deals/{demo.deal.public_id}/")
    expect(page.get_by_role("heading", name=demo.deal.name, level=1)).to_be_visible()
    page.locator("nav.tabs").get_by_role("link", name="請求書", exact=True).click()
    tab = page.locator("#invoices #invoice-tab")
    expect(tab.locator("table.invoice-list")).to_be_visible()
    search = tab.get_by_label("取引先（freeeから検索）")
    search.clear()
    search.press_sequentially("青葉")
    tab.locator("#partner-results").get_by_role("button", name=PARTNER_LABEL, exact=True).click()
    tab.get_by_role("button", name="請求書作成（発行）").click()
    row = page.locator("#invoice-tab tbody tr[id^='invoice-']")
    expect(row).to_have_count(1)
    number_link = row.locator("td").first.get_by_role("link")
    expect(number_link, "the invoice must reach 発行済み (its No link) on the worker").to_be_visible(
        timeout=ISSUE_TIMEOUT_MS)
    invoice = Invoice.objects.get(deal=demo.deal)
    assert invoice.state == Invoice.State.ISSUED and invoice.get_state_display() == "発行済み"
    expect(number_link).to_have_text(invoice.invoice_number)

    # 3. The employee reads the 請求書発行 notification in 山田 太郎's sandbox inbox; its link opens the deal's 請求書 tab.
    _open_inbox(phone, demo, demo.employee_lw)
    issued = _wait_for_message(phone, "【請求書を発行しました】", what="the invoice-issued notification")
    expect(issued).to_contain_text(demo.deal.name)
    expect(issued).to_contain_text(invoice.invoice_number)
    page.goto(issued.get_by_role("link", name="詳細を開く").get_attribute("href"))
    expect(page).to_have_url(re.compile(rf"/deals/{demo.deal.public_id}/\?tab=invoices$"))
    expect(page.get_by_role("heading", name=demo.deal.name, level=1)).to_be_visible()
    expect(page.locator("#invoice-tab").get_by_role("link", name=invoice.invoice_number)).to_be_visible()

    # 4a. The approver (the demo admin) links 佐藤 花子 from their own profile page.
    approver_page = open_page()
    approver_page.goto("/profile/")
    _log_in_when_asked(approver_page, APPROVER)
    expect(approver_page.get_by_role("heading", name="プロフィール", level=1)).to_be_visible()
    # The login ID (email form), as employees know it; the app resolves it to the user id that the bot's
    # callbacks carry (source.userId), and that is what the link stores.
    approver_page.get_by_label("LINE WORKS ID").fill(demo.approver_lw.login_id)
    approver_page.get_by_role("button", name="ID連携を開始", exact=True).click()
    expect(approver_page.get_by_role("status")).to_contain_text("LINE WORKSのトークにID連携のリンクを送信しました。")
    _open_inbox(approver_page, demo, demo.approver_lw)
    invitation = _wait_for_message(approver_page, "ID連携を開始しました", what="the profile's ID連携 link")
    _link_and_confirm(approver_page, invitation, demo, demo.approver_lw)
    assert LineWorksUserLink.objects.for_tenant(demo.tenant).get(user=approver_user).lineworks_user_id == \
        demo.approver_lw.user_id

    # 4b. The employee submits a payment request on a route whose only step is the approver.
    request = _submit_payment_request(demo.tenant, applicant=employee_user, approver=approver_user)

    # 4c. The approver, in a fresh browser, opens their inbox (logs in), and clicks the message's button.
    approver_page = open_page()
    approver_page.goto(f"/sandbox/lineworks/console/users/{demo.approver_lw.public_id}/inbox/")
    _log_in_when_asked(approver_page, APPROVER)
    expect(approver_page.get_by_role("heading", name=f"{demo.approver_lw.name} の受信箱", level=1)).to_be_visible()
    asked = _wait_for_message(approver_page, "【支払依頼の承認依頼】", what="the approval request")
    expect(asked).to_contain_text(REQUEST_TITLE)
    asked.get_by_role("link", name="承認画面を開く", exact=True).click()
    expect(approver_page).to_have_url(re.compile(rf"/payment-requests/{request.public_id}/\?step_id="))
    heading = approver_page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(REQUEST_TITLE)
    expect(heading.locator(".badge")).to_have_text("申請中")
    dialogs: list[str] = []

    def accept(dialog) -> None:  # a confirmation, if the product asks for one, is accepted like a user would
        dialogs.append(dialog.message)
        dialog.accept()

    approver_page.on("dialog", accept)
    approver_page.locator("#actions").get_by_role("button", name="承認", exact=True).click()
    expect(approver_page.get_by_role("status")).to_contain_text("承認しました。")
    expect(approver_page.get_by_role("heading", level=1).locator(".badge")).to_have_text("承認済み")
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.APPROVED

    # 5. The applicant's inbox shows the approval notification (the console is admin-only: read on the admin's
    #    "phone" browser, as in steps 1 and 3).
    _open_inbox(phone, demo, demo.employee_lw)
    approved = _wait_for_message(phone, "【支払依頼の承認】", what="the approval notification to the applicant")
    expect(approved).to_contain_text(f"「{REQUEST_TITLE}」が承認されました。")
    # Each notification reached each recipient once.
    assert demo.employee_lw.messages.count() == 3, list(demo.employee_lw.messages.values_list("content", flat=True))
    assert demo.approver_lw.messages.count() == 2, list(demo.approver_lw.messages.values_list("content", flat=True))


def _submit_payment_request(tenant: Tenant, *, applicant, approver) -> PaymentRequest:
    """申請経路「LINE WORKS承認」 (one step: the approver) set up by the admin, then the employee applies."""
    ledger_defaults_ensure(tenant=tenant)
    admin = Membership.objects.get(tenant=tenant, user=approver)
    route = pr_services.route_save(
        tenant=tenant, membership=admin, name="LINE WORKS承認", description="", usages=["PaymentRequest"],
        steps=[pr_services.StepInput(pr_services.ResourceType.PREDEFINED_USER, [approver])])
    pr_services.form_setting_save(tenant=tenant, membership=admin, required_fields=[], usable_routes=[route],
                                  default_route=route)
    line = pr_services.LineInput(amount=110000, account_item=AccountItem.objects.get(tenant=tenant, name="外注費"),
                                 tax_code=TaxCode.objects.get(tenant=tenant, code=136))
    request = pr_services.payment_request_create(
        tenant=tenant, membership=Membership.objects.get(tenant=tenant, user=applicant),
        data=pr_services.RequestInput(title=REQUEST_TITLE, issue_date=timezone.localdate(), lines=[line],
                                      draft=False, route=route, payment_method="domestic_bank_transfer",
                                      partner_name="青葉商事"))
    assert request.status == PaymentRequest.Status.IN_PROGRESS
    return request
