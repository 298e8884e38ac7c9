"""Importing 勘定科目, 税区分 and 口座 from the connected freee company (our sandbox)."""

from __future__ import annotations

import pytest

from core.models import Job
from integrations.sandbox.models import SandboxResource
from journals import freee_import
from journals.models import AccountItem, TaxCode, Wallet
from journals.services import DetailInput, TradeInput, trade_save
from tests.invoices.conftest import sandbox  # noqa: F401 - the live sandbox fixture
from tests.journals.factories import ledger_for


@pytest.mark.django_db(transaction=True)
def test_import_merges_freee_masters_by_name_and_freee_id(sandbox, world_a):  # noqa: F811
    company, _connection = sandbox
    ledger = ledger_for(world_a.tenant)
    seeded_sales = ledger.account("売上高")
    job = freee_import.masters_import_start(tenant=world_a.tenant, actor=world_a.admin)

    freee_import.masters_import(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.done == job.total == freee_import.STEPS
    remote_sales = next(r.data for r in SandboxResource.objects.filter(company=company, kind="account_item")
                        if r.data["name"] == "売上高")
    sales = AccountItem.objects.for_tenant(world_a.tenant).get(name="売上高")
    assert sales.pk == seeded_sales.pk and sales.freee_id == remote_sales["id"]
    assert (sales.category, sales.role, sales.counterpart.name) == ("revenue", "sales", "売掛金")
    assert AccountItem.objects.for_tenant(world_a.tenant).get(name="仕入高").counterpart.name == "買掛金"
    assert AccountItem.objects.for_tenant(world_a.tenant).get(name="通信費").counterpart.name == "未払金"
    tax = TaxCode.objects.for_tenant(world_a.tenant).get(code=156)
    assert (tax.rate, tax.reduced, tax.usable_for_income, tax.usable_for_expense) == (8, True, True, False)
    assert not TaxCode.objects.for_tenant(world_a.tenant).get(code=21).freee_available
    bank = Wallet.objects.for_tenant(world_a.tenant).get(name="みずほ銀行 普通預金")
    assert bank.freee_id and bank.account_item.name == "普通預金"
    card = Wallet.objects.for_tenant(world_a.tenant).get(kind="credit_card")
    assert card.account_item.role == "accrued"

    freee_import.masters_import(job_id=freee_import.masters_import_start(tenant=world_a.tenant,
                                                                         actor=world_a.admin).pk)
    assert AccountItem.objects.for_tenant(world_a.tenant).filter(name="売上高").count() == 1  # merged again

    trade = trade_save(tenant=world_a.tenant, trade=TradeInput(
        kind="income", issue_date=ledger_for(world_a.tenant).wallet("現金").created_at.date(),
        details=(DetailInput(account_item=sales, tax_code=tax, amount=1080),), source_key="after-import"))
    assert trade.counterpart.name == "売掛金"


@pytest.mark.django_db
def test_import_without_a_freee_connection_is_refused_with_a_clear_message(world_a):
    with pytest.raises(Exception, match="freeeと接続されていません"):
        freee_import.masters_import_start(tenant=world_a.tenant, actor=world_a.admin)
    assert not Job.objects.exists()


@pytest.mark.parametrize(("category", "expected"), [
    ("tax_10", (10, False)), ("tax_r8", (8, True)), ("tax_8", (8, False)), ("tax_10_e80", (10, False)),
    (None, (0, False))])
def test_tax_rate_of_display_category(category, expected):
    assert freee_import.tax_rate_of(category) == expected
