"""Reads of the built-in ledger, always tenant-scoped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import Coalesce

from journals.defaults import ledger_defaults_ensure
from journals.models import (
    AccountItem,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    ManualJournal,
    Side,
    TaxCode,
    TaxRate,
    Trade,
    Wallet,
)


def account_item_for_role(*, tenant, role: str) -> AccountItem | None:
    """The tenant's account item playing `role` (売掛金, 仮受消費税…), or None."""
    ledger_defaults_ensure(tenant=tenant)
    return AccountItem.objects.for_tenant(tenant).filter(role=role).first()


def tax_code_get(*, tenant, code: int) -> TaxCode | None:
    """The tenant's tax code with freee's number `code`, or None."""
    ledger_defaults_ensure(tenant=tenant)
    return TaxCode.objects.for_tenant(tenant).filter(code=code).first()


def wallet_default(*, tenant) -> Wallet | None:
    """The wallet used when a document names none: the first bank account, else the first active wallet."""
    ledger_defaults_ensure(tenant=tenant)
    wallets = Wallet.objects.for_tenant(tenant).filter(is_active=True).select_related("account_item")
    return (wallets.filter(kind=Wallet.Kind.BANK_ACCOUNT).order_by("id").first()
            or wallets.order_by("id").first())


def ledger_settings_for(*, tenant) -> LedgerSettings:
    ledger_defaults_ensure(tenant=tenant)
    return LedgerSettings.objects.get(tenant=tenant)


def account_item_list(*, tenant, active_only: bool = False) -> QuerySet[AccountItem]:
    items = AccountItem.objects.for_tenant(tenant).select_related("counterpart", "default_tax_code")
    return items.filter(is_active=True) if active_only else items


def tax_code_list(*, tenant, direction: str | None = None) -> QuerySet[TaxCode]:
    """Tax codes; direction "income" / "expense" keeps the ones usable that way (and in use)."""
    codes = TaxCode.objects.for_tenant(tenant)
    if direction == "income":
        codes = codes.filter(usable_for_income=True, freee_available=True)
    elif direction == "expense":
        codes = codes.filter(usable_for_expense=True, freee_available=True)
    return codes


def tax_codes_in_use(*, tenant) -> QuerySet[TaxCode]:
    """Tax codes a payment request may carry (seed 004): 「この税区分を使用する」 on and, for a code of the
    5 / 8 / 8（軽減税率） / 10% rates, that 消費税率 「使用する」 in 会計設定."""
    settings = ledger_settings_for(tenant=tenant)
    codes = TaxCode.objects.for_tenant(tenant).filter(freee_available=True)
    for rate in set(TaxRate.values) - settings.tax_rates_in_use:
        codes = codes.exclude(rate=int(rate.removeprefix("r")), reduced=rate.startswith("r"))
    return codes


def wallet_list(*, tenant) -> QuerySet[Wallet]:
    return Wallet.objects.for_tenant(tenant).select_related("account_item")


def trade_list(*, tenant) -> QuerySet[Trade]:
    return Trade.objects.for_tenant(tenant).select_related("deal", "counterpart")


def trade_get(*, tenant, public_id) -> Trade:
    return Trade.objects.for_tenant(tenant).get(public_id=public_id)


def trade_by_source_key(*, tenant, source_key: str) -> Trade | None:
    return Trade.objects.for_tenant(tenant).filter(source_key=source_key).first()


def journal_entry_list(*, tenant) -> QuerySet[JournalEntry]:
    """仕訳帳: the tenant's entries, lines prefetched (journals.filters.JournalEntryFilter narrows them)."""
    entries = JournalEntry.objects.for_tenant(tenant).select_related("trade", "manual_journal")
    return entries.prefetch_related("lines__account_item", "lines__tax_code")


def manual_journal_list(*, tenant) -> QuerySet[ManualJournal]:
    return ManualJournal.objects.for_tenant(tenant).prefetch_related("lines__account_item", "lines__tax_code")


def _signed_amount(account: AccountItem):
    """Debit-natured accounts grow with debits, the others with credits."""
    grow, shrink = (Side.DEBIT, Side.CREDIT) if account.is_debit_natured else (Side.CREDIT, Side.DEBIT)
    return Case(When(side=grow, then=F("amount")), When(side=shrink, then=-F("amount")), output_field=IntegerField())


def account_balance(*, tenant, account_item: AccountItem, before: date | None = None,
                    until: date | None = None) -> int:
    """The account's balance (natural sign) from lines dated before `before` / up to `until`."""
    lines = JournalLine.objects.for_tenant(tenant).filter(account_item=account_item)
    if before:
        lines = lines.filter(date__lt=before)
    if until:
        lines = lines.filter(date__lte=until)
    return lines.aggregate(total=Coalesce(Sum(_signed_amount(account_item)), 0))["total"]


def general_ledger_lines(*, tenant, account_item: AccountItem, start: date | None = None,
                         end: date | None = None) -> QuerySet[JournalLine]:
    """総勘定元帳: the account's lines in the period, each with `running` (balance after it, before opening)."""
    lines = JournalLine.objects.for_tenant(tenant).filter(account_item=account_item)
    if start:
        lines = lines.filter(date__gte=start)
    if end:
        lines = lines.filter(date__lte=end)
    return (lines.select_related("entry", "entry__trade", "tax_code")
            .annotate(running=Window(Sum(_signed_amount(account_item)), order_by=[F("date").asc(), F("id").asc()]))
            .order_by("date", "id"))


@dataclass(frozen=True)
class TrialBalanceRow:
    account: AccountItem
    opening: int
    debit: int
    credit: int
    closing: int


def trial_balance(*, tenant, start: date, end: date) -> list[TrialBalanceRow]:
    """残高試算表: opening, debit, credit and closing per account for the period (one grouped query)."""
    debit, credit = Q(side=Side.DEBIT), Q(side=Side.CREDIT)
    before, within = Q(date__lt=start), Q(date__gte=start, date__lte=end)
    zero = Value(0)
    sums = (JournalLine.objects.for_tenant(tenant).filter(date__lte=end).values("account_item_id")
            .annotate(open_debit=Coalesce(Sum("amount", filter=debit & before), zero),
                      open_credit=Coalesce(Sum("amount", filter=credit & before), zero),
                      debit=Coalesce(Sum("amount", filter=debit & within), zero),
                      credit=Coalesce(Sum("amount", filter=credit & within), zero)))
    by_account = {row["account_item_id"]: row for row in sums}
    accounts = AccountItem.objects.for_tenant(tenant).filter(pk__in=by_account)
    rows = []
    for account in sorted(accounts, key=lambda a: (list(AccountItem.Category.values).index(a.category), a.name)):
        row = by_account[account.pk]
        sign = 1 if account.is_debit_natured else -1
        opening = sign * (row["open_debit"] - row["open_credit"])
        rows.append(TrialBalanceRow(account, opening, row["debit"], row["credit"],
                                    opening + sign * (row["debit"] - row["credit"])))
    return rows
