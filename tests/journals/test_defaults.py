"""Default chart of accounts, tax codes and wallets: seeded for each new tenant, idempotently."""

from __future__ import annotations

from datetime import date

import pytest

from journals.defaults import ACCOUNT_ITEMS, TAX_CODES, ledger_defaults_ensure
from journals.models import AccountItem, LedgerSettings, TaxCode, Wallet
from journals.selectors import account_item_for_role, tax_code_get, wallet_default
from journals.services import trade_payment_add, trade_payment_remove
from tenancy.services import tenant_create
from tests.journals.factories import ledger_for


@pytest.mark.django_db(transaction=True)
def test_a_new_tenant_gets_the_default_ledger_from_the_signal():
    tenant = tenant_create(name="新規株式会社")
    assert LedgerSettings.objects.filter(tenant=tenant).exists()
    assert AccountItem.objects.for_tenant(tenant).count() == len(ACCOUNT_ITEMS)
    assert TaxCode.objects.for_tenant(tenant).count() == len(TAX_CODES)
    assert set(Wallet.objects.for_tenant(tenant).values_list("name", flat=True)) == {"現金", "普通預金"}


@pytest.mark.django_db
def test_seeding_is_idempotent_and_lazy_for_existing_tenants(world_a):
    assert ledger_defaults_ensure(tenant=world_a.tenant) is True
    assert ledger_defaults_ensure(tenant=world_a.tenant) is False
    assert AccountItem.objects.for_tenant(world_a.tenant).count() == len(ACCOUNT_ITEMS)


@pytest.mark.django_db
def test_roles_counterparts_and_tax_codes(world_a):
    tenant = world_a.tenant
    assert account_item_for_role(tenant=tenant, role="receivable").name == "売掛金"
    assert account_item_for_role(tenant=tenant, role="tax_received").name == "仮受消費税"
    sales = account_item_for_role(tenant=tenant, role="sales")
    assert (sales.counterpart.name, sales.default_tax_code.code) == ("売掛金", 129)
    assert account_item_for_role(tenant=tenant, role="purchase").counterpart.name == "買掛金"
    assert AccountItem.objects.for_tenant(tenant).get(name="通信費").counterpart.name == "未払金"
    reduced = tax_code_get(tenant=tenant, code=163)
    assert (reduced.name_ja, reduced.rate, reduced.reduced, reduced.usable_for_expense,
            reduced.usable_for_income) == ("課対仕入8%（軽）", 8, True, True, False)
    assert wallet_default(tenant=tenant).name == "普通預金"


@pytest.mark.django_db
def test_removing_a_later_payment_makes_the_amount_unsettled_again(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, key="invoice:r")
    trade_payment_add(tenant=world_a.tenant, from_document=True, trade=trade, payment=ledger.payment(1000, date(2026, 4, 30)),
                      source_key="receipt:r")
    assert trade_payment_remove(tenant=world_a.tenant, source_key="receipt:r") is True
    trade.refresh_from_db()
    assert trade.unsettled_amount == 1000 and trade.entries.count() == 1
    assert trade_payment_remove(tenant=world_a.tenant, source_key="receipt:r") is False
