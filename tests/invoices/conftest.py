from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import FreeeConnection
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create, sandbox_tokens_issue
from tests.factories import DealFactory, DealTypeFactory


@pytest.fixture
def sandbox(live_server, settings, world_a):
    """world_a connected to a fresh sandbox company, freee URLs pointing at the live sandbox."""
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    app = sandbox_app_create(tenant=world_a.tenant, name="請求書テスト")
    company = sandbox_company_create(app=app, name="請求書テスト株式会社")
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    connection = FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id=app.client_id, client_secret=app.client_secret,
        company_id=company.company_id, company_name=company.display_name, access_token=access.token,
        refresh_token=refresh.token, access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED,
    )
    return company, connection


def sandbox_invoices(company) -> list[dict]:
    return [r.data for r in SandboxResource.objects.filter(company=company, kind="invoice")]


def first_partner(company) -> dict:
    return SandboxResource.objects.filter(company=company, kind="partner").order_by("resource_id").first().data


@pytest.fixture
def linked_deal(world_a):
    return DealFactory(tenant=world_a.tenant, name="ホームページ制作", amount=330000,
                       deal_type=DealTypeFactory(tenant=world_a.tenant, linked_to_freee=True))
