"""The header's auto-submitting selects (static/js/app.js): language and tenant."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.factories import DealFactory, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.browser


def test_language_switch_reloads_the_page_in_english(page, log_in):
    MembershipFactory(user=UserFactory(username="lang_user"))
    log_in("lang_user")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#language-switch")).to_have_value("ja")

    page.locator("#language-switch").select_option(value="en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#language-switch")).to_have_value("en")
    expect(page.locator("#language-switch option:checked")).to_have_text("English")
    expect(page).to_have_url(re.compile(r"/deals/$"))  # back on the same page
    if (Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo").exists():
        nav = page.locator("nav.main-nav")
        expect(nav.get_by_role("link", name="Deals", exact=True)).to_be_visible()

    # The choice sticks for the next page too.
    page.goto("/deals/")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_language_switch_names_each_language_in_its_own_language(page, log_in):
    MembershipFactory(user=UserFactory(username="polyglot"))
    log_in("polyglot")

    options = page.locator("#language-switch option")
    expect(options).to_have_text(["日本語", "English"])


def test_tenant_switch_shows_the_other_tenants_deals_only(page, log_in):
    user = UserFactory(username="two_hats")
    first = TenantFactory(name="一番商事株式会社")
    second = TenantFactory(name="二番工業株式会社")
    MembershipFactory(tenant=first, user=user)
    MembershipFactory(tenant=second, user=user)
    DealFactory(tenant=first, name="一番の案件")
    DealFactory(tenant=second, name="二番の案件")

    log_in("two_hats")
    switch = page.locator("#tenant-switch")
    expect(switch).to_have_value(str(first.public_id))
    expect(page.get_by_role("link", name="一番の案件")).to_be_visible()
    expect(page.get_by_text("二番の案件")).to_have_count(0)

    switch.select_option(label="二番工業株式会社")

    expect(page.get_by_role("status")).to_contain_text("事業所を「二番工業株式会社」に切り替えました。")
    expect(page.locator("#tenant-switch")).to_have_value(str(second.public_id))
    expect(page.get_by_role("heading", name="案件一覧")).to_be_visible()
    expect(page.get_by_role("link", name="二番の案件")).to_be_visible()
    expect(page.get_by_text("一番の案件")).to_have_count(0)

    # The choice is kept in the session.
    page.reload()
    expect(page.get_by_role("link", name="二番の案件")).to_be_visible()
    expect(page.get_by_text("一番の案件")).to_have_count(0)
