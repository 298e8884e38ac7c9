"""Tenant B's objects for every object route of the ledger (pages and API). H2 appends the sync routes here."""

import itertools
from datetime import date

from journals.models import AccountItem, JournalEntry, TaxCode, Wallet
from journals.services import ManualLineInput, TradeInput, manual_journal_create, trade_save
from tests.journals.factories import ledger_for

SECRET_PARTNER = "他テナントの秘密取引"
SECRET_ACCOUNT = "他テナントの秘密科目"
SECRET_TAX = "他テナントの秘密税区分"
SECRET_WALLET = "他テナントの秘密口座"
SECRET_JOURNAL = "他テナントの秘密振替"
_serial = itertools.count(1)  # a test may make several objects of one kind: unique names and codes


def _trade(world):
    ledger = ledger_for(world.tenant)
    return ledger.save_sale(12345, partner_name=SECRET_PARTNER, description=SECRET_PARTNER)


def _hand_made_trade(world):
    ledger = ledger_for(world.tenant)
    return trade_save(tenant=world.tenant, trade=TradeInput(
        kind="income", issue_date=date(2026, 4, 1), partner_name=SECRET_PARTNER, description=SECRET_PARTNER,
        details=(ledger.detail("売上高", 5000),)))


def _hand_payment(world):
    from datetime import date as day

    from journals.services import trade_payment_add

    trade = _hand_made_trade(world)
    return trade_payment_add(tenant=world.tenant, trade=trade, source_key=f"payment:secret-{next(_serial)}",
                             payment=ledger_for(world.tenant).payment(100, day(2026, 4, 2)))


def _account(world):
    ledger_for(world.tenant)
    return AccountItem.objects.create(tenant=world.tenant, name=f"{SECRET_ACCOUNT}{next(_serial)}", category=AccountItem.Category.EXPENSE)


def _tax(world):
    ledger_for(world.tenant)
    return TaxCode.objects.create(tenant=world.tenant, code=9000 + next(_serial), name="secret", name_ja=SECRET_TAX)


def _wallet(world):
    ledger = ledger_for(world.tenant)
    return Wallet.objects.create(tenant=world.tenant, kind=Wallet.Kind.BANK_ACCOUNT, name=f"{SECRET_WALLET}{next(_serial)}",
                                 account_item=ledger.account("普通預金"))


def _manual_journal(world):
    ledger = ledger_for(world.tenant)
    return manual_journal_create(tenant=world.tenant, issue_date=date(2026, 4, 1), description=SECRET_JOURNAL, lines=[
        ManualLineInput(side="debit", account_item=ledger.account("現金"), amount=777),
        ManualLineInput(side="credit", account_item=ledger.account("普通預金"), amount=777)])


def _entry(world):
    return JournalEntry.objects.get(trade=_trade(world))


OBJECT_FACTORIES = {
    "journals:trade_detail": (_trade, SECRET_PARTNER),
    "journals:trade_update": (_hand_made_trade, SECRET_PARTNER),
    "journals:trade_delete": (_hand_made_trade, SECRET_PARTNER),
    "journals:trade_payment_create": (_trade, SECRET_PARTNER),
    "journals:trade_payment_cancel": (_hand_payment, SECRET_PARTNER),
    "journals:general_ledger": (_account, SECRET_ACCOUNT),
    "journals:manual_journal_delete": (_manual_journal, SECRET_JOURNAL),
    "api:account-item-detail": (_account, SECRET_ACCOUNT),
    "api:tax-code-detail": (_tax, SECRET_TAX),
    "api:wallet-detail": (_wallet, SECRET_WALLET),
    "api:trade-detail": (_hand_made_trade, SECRET_PARTNER),
    "api:trade-payments": (_trade, SECRET_PARTNER),
    "api:trade-payment-cancel": (_hand_made_trade, SECRET_PARTNER),
    "api:journal-entry-detail": (_entry, SECRET_PARTNER),
    "api:manual-journal-detail": (_manual_journal, SECRET_JOURNAL),
}

ADMIN_ONLY: set[str] = set()

# 会計連携 (journals.sync) routes: their entries live next to their tests.
from tests.journals.sync.isolation import OBJECT_FACTORIES as _SYNC_OBJECT_FACTORIES  # noqa: E402

OBJECT_FACTORIES.update(_SYNC_OBJECT_FACTORIES)
