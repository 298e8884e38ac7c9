"""issue 14 item 11: with the sandbox on, 「freeeの取引先ページ」 opens the sandbox's own 取引先 page (one setting,
FREEE_WEB_URL, for every link to freee's web pages), which lists the partners of the tenant's sandbox company and
registers new ones, so the API's partner search finds them, as registering in freee does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from integrations.freee.web import freee_web_url
from integrations.models import FreeeConnection
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import (
    sandbox_app_create,
    sandbox_company_create,
    sandbox_partner_create,
    sandbox_tokens_issue,
)
from tests.core.test_settings import PRODUCTION_ENV, _manage
from tests.factories import DealFactory, DealTypeFactory, InvoiceFactory
from tests.sandbox.conftest import FreeeApi

pytestmark = pytest.mark.django_db

PAGE = "/sandbox/freee/web/partners"


def connect(world, name: str = "取引先ページ株式会社"):
    """`world`'s tenant connected to a new sandbox company of its own app."""
    app = sandbox_app_create(tenant=world.tenant, name=f"{name}のアプリ")
    company = sandbox_company_create(app=app, name=name)
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    FreeeConnection.objects.create(
        tenant=world.tenant,
        client_id=app.client_id,
        client_secret=app.client_secret,
        company_id=company.company_id,
        company_name=company.display_name,
        access_token=access.token,
        refresh_token=refresh.token,
        access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED,
    )
    return company, access.token


def partner_names(company) -> list[str]:
    return [r.data["name"] for r in SandboxResource.objects.filter(company=company, kind="partner")]


# --------------------------------------------------------------------------- one setting for freee's web pages


def test_the_partner_page_link_points_at_the_sandbox_when_it_is_on(settings):
    settings.FREEE_WEB_URL = "http://hub.test/sandbox/freee/web"

    link = render_to_string("invoices/_freee_partner_link.html")

    assert 'href="http://hub.test/sandbox/freee/web/partners"' in link
    assert "secure.freee.co.jp" not in link


def test_the_partner_page_link_points_at_freee_in_production(settings):
    settings.FREEE_WEB_URL = "https://secure.freee.co.jp"

    assert freee_web_url("partners") == "https://secure.freee.co.jp/partners"
    assert 'href="https://secure.freee.co.jp/partners"' in render_to_string("invoices/_freee_partner_link.html")


def test_the_invoice_tabs_partner_error_links_to_the_sandbox_page(world_a, settings):
    settings.FREEE_WEB_URL = "http://hub.test/sandbox/freee/web"
    deal = DealFactory(tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=True))
    InvoiceFactory(
        deal=deal,
        state="failed",
        freee_invoice_id=None,
        invoice_number="",
        last_error="取引先が見つかりません。freeeで取引先を登録してください。",
    )

    page = world_a.client().get(reverse("invoices:deal_tab", args=[deal.public_id])).content.decode()

    assert 'href="http://hub.test/sandbox/freee/web/partners"' in page and "secure.freee.co.jp" not in page


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "http://hub.test/sandbox/freee/web"),
        (PRODUCTION_ENV, "https://secure.freee.co.jp"),
    ],
)
def test_the_setting_follows_the_sandbox_switch(env, expected):
    probe = "from django.conf import settings; print(settings.FREEE_WEB_URL)"
    result = _manage(
        "shell", "-c", probe, env={"SITE_URL": "http://hub.test", "ENV_FILE": "/nonexistent/.env", **env}
    )
    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr


# --------------------------------------------------------------------------- the sandbox's 取引先 page


def test_the_page_lists_the_partners_of_the_tenants_connected_company(world_a):
    company, _token = connect(world_a)

    page = world_a.client("member").get(PAGE).content.decode()

    assert "取引先ページ株式会社" in page and "青葉商事" in page and "はなみずき出版" in page


def test_another_tenants_companies_and_partners_never_show(world_a, world_b):
    connect(world_a)
    foreign, _token = connect(world_b, name="他テナントの秘密事業所")
    sandbox_partner_create(company=foreign, name="他テナントの秘密取引先")
    client = world_a.client("member")

    page = client.get(PAGE).content.decode()
    assert "他テナントの秘密" not in page
    assert client.get(PAGE, {"company_id": foreign.company_id}).status_code == 404
    assert client.get(PAGE, {"company_id": "abc"}).status_code == 404


def test_a_tenant_without_a_sandbox_company_is_told_so(world_a):
    page = world_a.client("member").get(PAGE).content.decode()

    assert "freeeサンドボックスの事業所がありません" in page


def test_anonymous_users_log_in_first_and_outsiders_are_refused(client, world_a):
    assert client.get(PAGE).status_code == 302 and "/login/" in client.get(PAGE)["Location"]
    assert world_a.client("outsider").get(PAGE).status_code == 403


def test_a_member_registers_a_partner_that_the_api_search_then_finds(world_a, client):
    company, token = connect(world_a)

    response = world_a.client("member").post(PAGE, {"company_id": company.company_id, "name": "株式会社新規取引先"})

    assert response.status_code == 302
    api = FreeeApi(client, token, company.company_id)
    found = api.get("/api/1/partners", keyword="新規取引先").json()["partners"]
    assert [p["name"] for p in found] == ["株式会社新規取引先"]
    assert "株式会社新規取引先" in world_a.client("member").get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "取引先名を入力してください。"),
        ("青葉商事", "同じ名前の取引先がすでにあります。"),
        ("あ" * 256, "取引先名は255文字以内で入力してください。"),
    ],
)
def test_a_blank_duplicate_or_too_long_name_is_refused(world_a, name, message):
    company, _token = connect(world_a)
    before = partner_names(company)

    response = world_a.client("member").post(PAGE, {"company_id": company.company_id, "name": name})

    assert response.status_code == 400 and message in response.content.decode()
    assert partner_names(company) == before
