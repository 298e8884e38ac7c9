"""issue 16 item 9 in a real browser: a company starts on its own. The admin signs up, opens the verification
mail in the sandbox mailbox (the real message, sent over SMTP to the devstack's aiosmtpd), creates an app in the
freee sandbox and connects it, and invites a colleague; the colleague opens the invitation mail, creates their
login, sets up TOTP (the code computed with the functions allauth checks it with) and issues an invoice from a
deal. Nothing is made behind the browser's back except the worker that sends the invoice to freee.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import BrowserContext, Page, expect

from config.celery import app as celery_app
from invoices.models import Invoice
from tenancy.models import Membership, Tenant

pytestmark = pytest.mark.browser

COMPANY = "ひばり工務店株式会社"
ADMIN_EMAIL = "owner@hibari.example.jp"
COLLEAGUE_EMAIL = "eigyo@hibari.example.jp"
ADMIN_PASSWORD = "kumo-no-ue-no-hibari-58"
COLLEAGUE_PASSWORD = "sora-takaku-utau-hibari-73"
PARTNER_LABEL = "青葉商事（株式会社青葉商事）"  # the first partner the sandbox seeds into every company
ISSUE_TIMEOUT_MS = 20_000  # a task through a real worker, the tab polling every second: a wide margin


@pytest.fixture
def real_mail_and_sandbox(live_server, settings):
    """Mail over SMTP to the devstack's aiosmtpd (pytest-django's default is the in-memory outbox), links and
    freee pointing at this live server."""
    if not settings.SANDBOX_MAILDIR:
        pytest.fail("run the tests with scripts/devstack.py test: it starts the SMTP server (aiosmtpd)")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"


@pytest.fixture
def invoice_worker() -> Iterator[None]:
    """A real worker in this process for the test's duration, on this xdist worker's own (emptied) broker."""
    celery_app.connection_for_write().default_channel.client.flushdb()
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        shutdown_timeout=10,
        queues=["interactive", "bulk", "default"],
    ):
        yield


def _open_mail(page: Page, to: str, subject: re.Pattern) -> None:
    """The sandbox mailbox, as a new user without a login reads it: filter by address, open the message."""
    page.goto("/sandbox/mail/")
    page.get_by_label("宛先").fill(to)
    page.get_by_role("button", name="絞り込む").click()
    page.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)


def _totp_code(secret: str) -> str:
    """What an authenticator app shows now (allauth's own HOTP functions, the middle of its accepted window)."""
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def _sign_up_and_verify(page: Page) -> None:
    page.goto("/login/")
    page.get_by_role("link", name="新規登録").click()
    page.get_by_label("事業所名").fill(COMPANY)
    page.get_by_label("氏名").fill("雲雀 太郎")
    page.get_by_label("メールアドレス").fill(ADMIN_EMAIL)
    page.get_by_label("パスワード").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="登録して確認メールを受け取る").click()
    expect(page).to_have_url(re.compile(r"/account/confirm-email/$"))

    _open_mail(page, ADMIN_EMAIL, re.compile("メールアドレスの確認"))
    page.locator(".mail-body a[href*='/account/confirm-email/']").click()
    page.get_by_role("button", name="確認する").click()
    expect(page).to_have_url(re.compile(r"/deals/$"))  # verified and signed in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION)
    expect(page.locator("header")).to_contain_text(COMPANY)


def _connect_the_freee_sandbox(page: Page) -> None:
    page.goto("/sandbox/console/")
    page.get_by_label("アプリ名").fill("ひばりの連携アプリ")
    page.get_by_role("button", name="作成する").click()
    client_id = page.get_by_test_id("client-id").inner_text()
    client_secret = page.get_by_test_id("client-secret").inner_text()

    page.goto("/settings/integrations/freee/")
    page.get_by_label("Client ID").fill(client_id)
    page.get_by_label("Client Secret").fill(client_secret)
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_text("freee連携の設定を保存しました。")).to_be_visible()
    page.get_by_role("button", name="freeeと接続").click()
    expect(page).to_have_url(re.compile(r"/sandbox/freee/public_api/authorize\?"))
    page.get_by_role("button", name="許可する").click()
    expect(page.get_by_text(re.compile("freeeと接続しました"))).to_be_visible()
    expect(page.locator("#freee-status")).to_contain_text("接続済み")


def _invite(page: Page) -> None:
    page.goto("/settings/members/")
    page.get_by_role("link", name="メンバーを招待").click()
    page.get_by_label("メールアドレス").fill(COLLEAGUE_EMAIL)
    page.get_by_label("ロール").select_option(value=Membership.Role.MEMBER)
    page.get_by_role("button", name="招待メールを送信").click()
    expect(page.get_by_text("1件の招待メールを送信しました。")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=COLLEAGUE_EMAIL, exact=True))
    expect(row).to_contain_text("招待中")


def _accept_and_set_up_totp(colleague: Page) -> None:
    _open_mail(colleague, COLLEAGUE_EMAIL, re.compile(f"「{COMPANY}」へのメンバー招待"))
    colleague.locator(".mail-body a[href*='/invitations/']").click()
    expect(colleague.get_by_role("heading", level=1)).to_have_text(f"「{COMPANY}」への招待")
    colleague.get_by_label("氏名").fill("鶯 花子")
    colleague.get_by_label("パスワード").fill(COLLEAGUE_PASSWORD)
    colleague.get_by_role("button", name="アカウントを作成して参加").click()
    expect(colleague.get_by_text(f"「{COMPANY}」に参加しました。")).to_be_visible()

    colleague.goto("/account/2fa/totp/activate/")
    secret = colleague.locator("#totp-secret").inner_text().strip()
    colleague.get_by_label(re.compile("コード")).fill(_totp_code(secret))
    colleague.get_by_role("button", name="有効にする").click()
    expect(colleague).not_to_have_url(re.compile(r"/account/2fa/totp/activate/"))
    colleague.goto("/account/2fa/")
    expect(colleague.get_by_text("ログインの際、パスワードのあとに認証アプリのコードを入力します。")).to_be_visible()


def _issue_an_invoice(colleague: Page) -> None:
    colleague.goto("/deals/new/")
    colleague.locator("#id_name").fill("ひばり邸リフォーム")
    colleague.locator("#id_deal_type").select_option(label="標準")
    colleague.locator("#id_amount").fill("550000")
    colleague.get_by_role("button", name="保存", exact=True).click()
    expect(colleague.get_by_role("heading", name="ひばり邸リフォーム", level=1)).to_be_visible()
    colleague.locator("nav.tabs").get_by_role("link", name="請求書", exact=True).click()
    tab = colleague.locator("#invoices #invoice-tab")
    tab.get_by_label("取引先（freeeから検索）").press_sequentially("青葉")
    tab.locator("#partner-results").get_by_role("button", name=PARTNER_LABEL, exact=True).click()
    with colleague.expect_response(lambda response: response.request.method == "POST"):
        tab.get_by_role("button", name="請求書作成（発行）").click()
    row = colleague.locator("#invoice-tab tbody tr[id^='invoice-']")
    expect(row.locator("td").first.get_by_role("link")).to_be_visible(timeout=ISSUE_TIMEOUT_MS)


def test_a_new_company_signs_up_connects_freee_invites_a_colleague_who_issues_an_invoice(
    page: Page, context: BrowserContext, real_mail_and_sandbox, invoice_worker
):
    _sign_up_and_verify(page)
    _connect_the_freee_sandbox(page)
    _invite(page)

    colleague_context = context.browser.new_context(
        locale="ja-JP", base_url=re.match(r"https?://[^/]+", page.url).group(0)
    )
    colleague = colleague_context.new_page()
    try:
        _accept_and_set_up_totp(colleague)
        _issue_an_invoice(colleague)
    finally:
        colleague_context.close()

    tenant = Tenant.objects.get(name=COMPANY)
    invoice = Invoice.objects.get(tenant=tenant)
    assert invoice.state == Invoice.State.ISSUED and invoice.issued_by.email == COLLEAGUE_EMAIL
    roles = dict(Membership.objects.for_tenant(tenant).values_list("user__email", "role"))
    assert roles == {ADMIN_EMAIL: Membership.Role.ADMIN, COLLEAGUE_EMAIL: Membership.Role.MEMBER}
