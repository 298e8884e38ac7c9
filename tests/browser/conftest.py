"""Browser tests: Playwright's sync API driving the system's Chromium against pytest-django's live server.

Playwright never downloads a browser here: it runs Debian's Chromium (CHROMIUM_PATH, or `chromium` on PATH)
through `executable_path`, with background networking off (the machine may have no internet).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio event loop running in this thread, so Django would refuse the ORM
# calls the tests make (factories, updates) with SynchronousOnlyOperation. Documented workaround for tests.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright  # noqa: E402

from tests.factories import PASSWORD  # noqa: E402

HERE = Path(__file__).resolve().parent
CHROMIUM_MISSING = "Chromium is not installed; `make browsers` installs Debian's chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPECT_TIMEOUT_MS = 5_000
ACTION_TIMEOUT_MS = 10_000

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test (`-m "not browser"` leaves them out)."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if not executable:
        # CI must run them: a missing browser there is a broken CI image, not a reason to go green.
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM_MISSING} (CI=true: browser tests may not be skipped in CI)", pytrace=False)
        pytest.skip(CHROMIUM_MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies carried over), Japanese like our users."""
    context = browser.new_context(locale="ja-JP", base_url=live_server.url)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, live_server) -> Iterator[Page]:
    """A page that fails the test on a JavaScript error, on anything the Content-Security-Policy blocked, or on
    any request leaving our own server (no CDN)."""
    page = context.new_page()
    js_errors: list[str] = []
    foreign_requests: list[str] = []
    csp_violations: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    page.on("console", lambda message: csp_violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.csp_violations = csp_violations  # a test expecting a violation reads and clears it
    page.on("request", lambda request: None if _is_ours(request.url, live_server.url)
            else foreign_requests.append(request.url))
    in_flight = _track_requests(page)
    yield page
    _wait_until_answered(page, in_flight)
    assert not js_errors, f"JavaScript errors on the page: {js_errors}"
    assert not csp_violations, f"blocked by the Content-Security-Policy: {csp_violations}"
    assert not foreign_requests, f"requests left the app's own server: {foreign_requests}"


def _track_requests(page: Page) -> set:
    in_flight: set = set()
    page.on("request", lambda request: in_flight.add(request))
    page.on("requestfinished", lambda request: in_flight.discard(request))
    page.on("requestfailed", lambda request: in_flight.discard(request))
    return in_flight


def _wait_until_answered(page: Page, in_flight: set, timeout_ms: int = 15_000) -> None:
    """A request the test did not wait for (a click at its last line, htmx polling) must be answered before the
    test ends: the live server would otherwise go on serving it after the database was flushed and the
    test's settings restored, in the next test's time (a freee call to the default address, a row for a
    tenant that no longer exists)."""
    waited = 0
    while in_flight and waited < timeout_ms:
        page.wait_for_timeout(50)
        waited += 50
    page.close()


def _is_ours(url: str, origin: str) -> bool:
    return url.startswith(origin + "/") or url.startswith(("data:", "blob:", "about:"))


@pytest.fixture
def log_in(page: Page) -> Callable[[str], None]:
    """Sign in through the login form, as a user would: `log_in(username)`; lands on the deal list."""

    def log_in(username: str, password: str = PASSWORD) -> None:
        page.goto("/login/")
        page.get_by_label("ユーザー名").fill(username)
        page.get_by_label("パスワード").fill(password)
        page.get_by_role("button", name="ログイン", exact=True).click()
        expect(page).to_have_url(re.compile(r"/deals/$"))

    return log_in
