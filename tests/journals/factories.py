"""Ledger helpers for tests: the seeded chart of a tenant by name, and quick trade inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from journals.defaults import ledger_defaults_ensure
from journals.models import AccountItem, LedgerSettings, TaxCode, Trade, Wallet
from journals.services import DetailInput, PaymentInput, TradeInput, trade_save


@dataclass
class Ledger:
    """A tenant's seeded masters: `ledger.account("売上高")`, `ledger.tax(129)`, `ledger.wallet("現金")`."""

    tenant: object

    def account(self, name: str) -> AccountItem:
        return AccountItem.objects.for_tenant(self.tenant).get(name=name)

    def tax(self, code: int) -> TaxCode:
        return TaxCode.objects.for_tenant(self.tenant).get(code=code)

    def wallet(self, name: str) -> Wallet:
        return Wallet.objects.for_tenant(self.tenant).select_related("account_item").get(name=name)

    def configure(self, *, accounting: str = "inclusive", rounding: str = "floor") -> None:
        LedgerSettings.objects.filter(tenant=self.tenant).update(tax_accounting=accounting, tax_rounding=rounding)

    def detail(self, account: str, amount: int, tax: int = 129, description: str = "") -> DetailInput:
        return DetailInput(account_item=self.account(account), tax_code=self.tax(tax), amount=amount,
                           description=description)

    def payment(self, amount: int, on: date, wallet: str = "普通預金") -> PaymentInput:
        return PaymentInput(date=on, wallet=self.wallet(wallet), amount=amount)

    def sale(self, amount: int, *, on: date = date(2026, 4, 1), key: str = "", payments=(), **kwargs) -> TradeInput:
        kwargs.setdefault("partner_name", "青葉商事")
        return TradeInput(kind="income", issue_date=on, details=(self.detail("売上高", amount),),
                          payments=tuple(payments), source_key=key, **kwargs)

    def save_sale(self, amount: int, **kwargs) -> Trade:
        return trade_save(tenant=self.tenant, trade=self.sale(amount, **kwargs))


def ledger_for(tenant) -> Ledger:
    ledger_defaults_ensure(tenant=tenant)
    return Ledger(tenant)
