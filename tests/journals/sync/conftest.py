from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.models import FreeeConnection
from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import sandbox_app_create, sandbox_company_create, sandbox_tokens_issue
from journals.models import AccountItem, Wallet
from journals.sync.models import SyncSettings
from tests.journals.factories import ledger_for


@pytest.fixture
def ledger(world_a):
    return ledger_for(world_a.tenant)


@pytest.fixture
def auto_sync(world_a, ledger):
    """world_a with 自動連携 on, booking to the built-in ledger."""
    return SyncSettings.objects.create(tenant=world_a.tenant, auto_sync=True)


@pytest.fixture
def freee_target(live_server, settings, world_a):
    """world_a connected to a sandbox company, ledger masters mapped to the company's freee ids."""
    settings.SITE_URL = live_server.url
    settings.FREEE_ACCOUNTS_URL = settings.FREEE_API_URL = live_server.url + "/sandbox/freee"
    app = sandbox_app_create(tenant=world_a.tenant, name="会計連携テスト")
    company = sandbox_company_create(app=app, name="会計連携テスト株式会社")
    access, refresh = sandbox_tokens_issue(app=app, company=company)
    FreeeConnection.objects.create(
        tenant=world_a.tenant, client_id=app.client_id, client_secret=app.client_secret,
        company_id=company.company_id, company_name=company.display_name, access_token=access.token,
        refresh_token=refresh.token, access_expires_at=timezone.now() + timedelta(hours=5),
        status=FreeeConnection.Status.CONNECTED)
    ledger_for(world_a.tenant)
    remote_items = {r.data["name"]: r.data["id"] for r in SandboxResource.objects.filter(company=company,
                                                                                          kind="account_item")}
    for item in AccountItem.objects.for_tenant(world_a.tenant).filter(name__in=remote_items):
        AccountItem.objects.filter(pk=item.pk).update(freee_id=remote_items[item.name])
    bank = SandboxResource.objects.filter(company=company, kind="walletable", data__type="bank_account").first()
    Wallet.objects.for_tenant(world_a.tenant).filter(kind="bank_account").update(freee_id=bank.resource_id)
    SyncSettings.objects.create(tenant=world_a.tenant, target="freee")
    partner = SandboxResource.objects.filter(company=company, kind="partner").order_by("resource_id").first()
    return company, partner.resource_id
