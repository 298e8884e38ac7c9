"""Writes to the built-in ledger: trades (取引) with their journal entries, later payments, 振替伝票, settings.

`trade_save` / `trades_save_bulk` create a trade or rewrite the one with the same (tenant, source_key) in
place (same row, same id): one INSERT … ON CONFLICT upserts the trade rows, the old details, payments and
entries are deleted in bulk and rebuilt in bulk, so a batch costs a constant number of SQL statements.
Payments registered later with their own source_key (trade_payment_add) survive a rewrite.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core import audit
from core.errors import ApplicationError
from journals import posting
from journals.defaults import ledger_defaults_ensure
from journals.models import (
    MAX_TRADE_DETAILS,
    AccountItem,
    JournalEntry,
    JournalLine,
    LedgerSettings,
    ManualJournal,
    ManualJournalLine,
    Side,
    TaxAccounting,
    TaxCode,
    TaxRate,
    Trade,
    TradeDetail,
    TradePayment,
    Wallet,
)

HAND_MADE_PREFIX = "trade:"  # the source_key prefix of a trade entered by hand (pages, API)
TRADE_UPDATE_FIELDS = ["kind", "issue_date", "due_date", "partner_name", "partner_freee_id", "description", "deal",
                       "amount", "settled_amount", "counterpart", "updated_at"]


@dataclass(frozen=True, kw_only=True)
class DetailInput:
    """One 明細. `tax_amount` is the tax the amount includes as its document states it (an invoice's per-rate
    tax): booked as is, never recomputed; None for a detail entered by hand (computed once per rate)."""

    account_item: AccountItem
    tax_code: TaxCode
    amount: int
    description: str = ""
    tax_amount: int | None = None


@dataclass(frozen=True, kw_only=True)
class PaymentInput:
    date: date
    wallet: Wallet
    amount: int


@dataclass(frozen=True, kw_only=True)
class TradeInput:
    kind: str
    issue_date: date
    due_date: date | None = None
    partner_name: str = ""
    partner_freee_id: int | None = None
    details: tuple[DetailInput, ...]
    payments: tuple[PaymentInput, ...] = ()
    source_key: str = ""  # empty for a trade entered by hand: it gets "trade:<uuid>"
    deal_id: int | None = None
    description: str = ""

    @property
    def amount(self) -> int:
        return sum(detail.amount for detail in self.details)


@dataclass(frozen=True, kw_only=True)
class ManualLineInput:
    side: str
    account_item: AccountItem
    amount: int
    tax_code: TaxCode | None = None
    description: str = ""


class LedgerError(ApplicationError):
    """A trade or journal the ledger refuses (message in Japanese, shown as is)."""

    code = "ledger_invalid"


TOKYO = ZoneInfo("Asia/Tokyo")


def accounting_date(moment: datetime) -> date:
    """The accounting date of a moment: its calendar date in Asia/Tokyo (never the UTC date)."""
    if moment.tzinfo is None:
        raise LedgerError(_("タイムゾーンのない日時から会計日付は決められません。"))
    return moment.astimezone(TOKYO).date()


def _require_date(value) -> None:
    # datetime is a subclass of date: refuse it, or a UTC timestamp could slip in as an accounting date.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise LedgerError(_("日付は日本時間の日付（年月日）で指定してください。"))


# ---------------------------------------------------------------- settings


def ledger_settings_get(*, tenant) -> LedgerSettings:
    """The tenant's 会計設定 (seeding the default chart on first use)."""
    ledger_defaults_ensure(tenant=tenant)
    return LedgerSettings.objects.get(tenant=tenant)


def ledger_settings_update(*, tenant, tax_accounting: str, tax_rounding: str,
                           tax_rates_in_use: Collection[str] | None = None, actor=None) -> LedgerSettings:
    """Change 経理方式 and 端数処理 (they apply to trades saved from now on; existing entries stay as posted) and,
    when given, which 消費税率 are 「使用する」 (the TaxRate values switched on)."""
    rate_fields = [f"use_tax_rate_{rate}" for rate in TaxRate.values]
    fields = ["tax_accounting", "tax_rounding", *rate_fields]
    if tax_rates_in_use is not None and not set(tax_rates_in_use) <= set(TaxRate.values):
        raise ValidationError({"tax_rates_in_use": _("消費税率の値が不正です。")})
    with transaction.atomic():
        settings = LedgerSettings.objects.select_for_update().get(pk=ledger_settings_get(tenant=tenant).pk)
        before = audit.snapshot(settings, fields)
        settings.tax_accounting, settings.tax_rounding = tax_accounting, tax_rounding
        if tax_rates_in_use is not None:
            for rate in TaxRate.values:
                setattr(settings, f"use_tax_rate_{rate}", rate in tax_rates_in_use)
        settings.save(update_fields=[*fields, "updated_at"])
        audit.audit_record(tenant=tenant, actor=actor, action="ledger.settings_update", target=settings,
                           target_label=_("会計設定"),
                           changes=audit.changes_between(before, audit.snapshot(settings, fields)))
    return settings


# ---------------------------------------------------------------- masters (勘定科目, 税区分, 口座)


def account_item_save(*, tenant, data: dict, item: AccountItem | None = None) -> AccountItem:
    """Create (item=None) or update a 勘定科目 from validated fields; its name and role are unique per tenant."""
    errors = {}
    if "name" in data and _taken(AccountItem, tenant, item, name=data["name"]):
        errors["name"] = _("同じ名前の勘定科目がすでにあります。")
    if data.get("role") and _taken(AccountItem, tenant, item, role=data["role"]):
        errors["role"] = _("この役割はすでに別の勘定科目に設定されています。")
    if errors:
        raise ValidationError(errors)
    return _master_save(AccountItem, tenant, item, data)


def tax_code_save(*, tenant, data: dict, tax_code: TaxCode | None = None) -> TaxCode:
    """Create (tax_code=None) or update a 税区分; its code (freee's number) is unique per tenant."""
    if "code" in data and _taken(TaxCode, tenant, tax_code, code=data["code"]):
        raise ValidationError({"code": _("この税区分コードはすでに登録されています。")})
    return _master_save(TaxCode, tenant, tax_code, data)


def wallet_save(*, tenant, data: dict, wallet: Wallet | None = None) -> Wallet:
    """Create (wallet=None) or update a 口座; its name is unique per tenant."""
    if "name" in data and _taken(Wallet, tenant, wallet, name=data["name"]):
        raise ValidationError({"name": _("同じ名前の口座がすでにあります。")})
    return _master_save(Wallet, tenant, wallet, data)


def _taken(model, tenant, instance, **value) -> bool:
    """Whether another row of the tenant (not `instance`) already has this value."""
    others = model.objects.for_tenant(tenant).filter(**value)
    return (others.exclude(pk=instance.pk) if instance is not None else others).exists()


def _master_save(model, tenant, instance, data: dict):
    instance = instance if instance is not None else model(tenant=tenant)
    for name, value in data.items():
        setattr(instance, name, value)
    instance.save()
    return instance


# ---------------------------------------------------------------- trades


@dataclass
class _Context:
    """Everything posting needs, loaded with a constant number of queries per batch."""

    settings: LedgerSettings
    roles: dict[str, int]
    counterparts: dict[int, int | None] = field(default_factory=dict)

    def role(self, role: str) -> int:
        if role not in self.roles:
            label = AccountItem.Role(role).label
            raise LedgerError(_("役割「%(role)s」の勘定科目がありません。勘定科目の設定を確認してください。") % {"role": label})
        return self.roles[role]


def _context(tenant) -> _Context:
    settings = ledger_settings_get(tenant=tenant)
    roles = dict(AccountItem.objects.for_tenant(tenant).exclude(role="").values_list("role", "id"))
    return _Context(settings=settings, roles=roles)


def trade_save(*, tenant, trade: TradeInput, actor=None) -> Trade:
    """Create the trade, or rewrite in place the one with the same source_key (same id), with its entries."""
    return trades_save_bulk(tenant=tenant, trades=[trade])[0]


def trades_save_bulk(*, tenant, trades: Sequence[TradeInput]) -> list[Trade]:
    """Save many trades with a constant number of SQL statements (the 10,000-document sync path).

    Inputs with the same source_key: the last one wins. Returns the saved trades in input order.
    """
    if not trades:
        return []
    context = _context(tenant)
    keys = [trade_input.source_key or f"{HAND_MADE_PREFIX}{uuid.uuid4()}" for trade_input in trades]
    # Sorted by source_key: concurrent batches lock their trade rows in the same order (no deadlock).
    inputs = dict(sorted(dict(zip(keys, trades, strict=True)).items(), key=lambda item: item[0]))
    for trade_input in inputs.values():
        _validate(tenant, trade_input)
    with transaction.atomic():
        kept = _kept_payments(tenant, list(inputs))
        rows = [_trade_row(tenant, context, key, trade_input, kept.get(key, []))
                for key, trade_input in inputs.items()]
        Trade.objects.bulk_create(rows, update_conflicts=True, unique_fields=["tenant", "source_key"],
                                  update_fields=TRADE_UPDATE_FIELDS)
        trade_ids = [row.pk for row in rows]
        _delete_children(trade_ids, keep_added_payments=True)
        _post_trades(tenant, context, rows, inputs, kept)
    by_key = {trade.source_key: trade for trade in Trade.objects.filter(pk__in=trade_ids)}
    return [by_key[key] for key in keys]


def _validate(tenant, trade: TradeInput) -> None:
    if trade.kind not in Trade.Kind.values:
        raise LedgerError(_("収支区分は収入か支出を指定してください。"))
    _require_date(trade.issue_date)
    if trade.due_date is not None:
        _require_date(trade.due_date)
    if not 1 <= len(trade.details) <= MAX_TRADE_DETAILS:
        raise LedgerError(_("取引の明細は1行以上%(max)d行以内で入力してください。") % {"max": MAX_TRADE_DETAILS})
    for detail in trade.details:
        if not isinstance(detail.amount, int) or isinstance(detail.amount, bool) or detail.amount == 0:
            raise LedgerError(_("明細の金額は0円以外の整数で入力してください（控除はマイナスで入力します）。"))
        if detail.account_item.tenant_id != tenant.id or detail.tax_code.tenant_id != tenant.id:
            raise LedgerError(_("勘定科目または税区分が見つかりません。"))
        _check_tax_direction(trade.kind, detail.tax_code)
        if detail.tax_amount is not None and not _tax_fits(detail):
            raise LedgerError(_("明細の消費税額が金額と税区分に合いません。"))
    if sum(detail.amount for detail in trade.details) <= 0:
        raise LedgerError(_("取引の合計金額は1円以上にしてください（マイナス明細が多すぎます）。"))
    for payment in trade.payments:
        if not isinstance(payment.amount, int) or isinstance(payment.amount, bool) or payment.amount <= 0:
            raise LedgerError(_("決済の金額は1円以上の整数で入力してください。"))
        if payment.wallet.tenant_id != tenant.id:
            raise LedgerError(_("口座が見つかりません。"))
        _require_date(payment.date)
    if sum(payment.amount for payment in trade.payments) > trade.amount:
        raise LedgerError(_("決済金額の合計が取引金額を超えています。"))


def _check_tax_direction(kind: str, tax_code: TaxCode) -> None:
    """Income details take sales-side codes, expense details purchase-side codes (as freee): a sale with
    課対仕入10% would credit 仮払消費税."""
    if kind == Trade.Kind.INCOME and not tax_code.usable_for_income:
        raise LedgerError(_("収入の明細に支出用の税区分（%(code)s）は使えません。売上の税区分を選んでください。")
                          % {"code": tax_code.name_ja}, code="tax_code_direction")
    if kind == Trade.Kind.EXPENSE and not tax_code.usable_for_expense:
        raise LedgerError(_("支出の明細に収入用の税区分（%(code)s）は使えません。仕入の税区分を選んでください。")
                          % {"code": tax_code.name_ja}, code="tax_code_direction")


def _tax_fits(detail: DetailInput) -> bool:
    """A document's tax: an integer of the amount's sign, within it, and zero for a code without a rate."""
    tax = detail.tax_amount
    if not isinstance(tax, int) or isinstance(tax, bool):
        return False
    if detail.tax_code.rate == 0:
        return tax == 0
    return 0 <= tax * (1 if detail.amount > 0 else -1) < abs(detail.amount)


def _kept_payments(tenant, keys: list[str]) -> dict[str, list[TradePayment]]:
    """Payments registered later (own source_key) of the trades being rewritten: they stay."""
    kept: dict[str, list[TradePayment]] = defaultdict(list)
    payments = (TradePayment.objects.for_tenant(tenant).filter(trade__source_key__in=keys).exclude(source_key="")
                .select_related("wallet").annotate(trade_source_key=F("trade__source_key")))
    for payment in payments:
        kept[payment.trade_source_key].append(payment)
    return kept


def _counterpart_for(context: _Context, trade: TradeInput) -> int:
    """The first detail's 相手勘定科目 (売上高→売掛金, 仕入高→買掛金), else 売掛金 / 未払金."""
    counterpart = trade.details[0].account_item.counterpart_id
    if counterpart:
        return counterpart
    return context.role(AccountItem.Role.RECEIVABLE if trade.kind == Trade.Kind.INCOME else AccountItem.Role.ACCRUED)


def _trade_row(tenant, context: _Context, key: str, trade: TradeInput, kept: list[TradePayment]) -> Trade:
    settled = sum(p.amount for p in trade.payments) + sum(p.amount for p in kept)
    if settled > trade.amount:
        raise LedgerError(_("登録済みの決済金額が取引金額を超えます。先に決済を取り消してください。"))
    return Trade(
        tenant=tenant, kind=trade.kind, issue_date=trade.issue_date, due_date=trade.due_date,
        partner_name=trade.partner_name[:255], partner_freee_id=trade.partner_freee_id,
        description=trade.description[:255], deal_id=trade.deal_id, source_key=key,
        amount=trade.amount, settled_amount=settled, counterpart_id=_counterpart_for(context, trade),
    )


def _delete_children(trade_ids: list[int], *, keep_added_payments: bool) -> None:
    """Delete the trades' lines, entries, details and (input) payments: one DELETE each."""
    for queryset in (
        JournalLine.objects.filter(entry__trade_id__in=trade_ids),
        JournalEntry.objects.filter(trade_id__in=trade_ids),
        TradeDetail.objects.filter(trade_id__in=trade_ids),
        TradePayment.objects.filter(trade_id__in=trade_ids, **({"source_key": ""} if keep_added_payments else {})),
    ):
        queryset._raw_delete(queryset.db)


def _post_trades(tenant, context: _Context, rows: list[Trade], inputs: dict[str, TradeInput],
                 kept: dict[str, list[TradePayment]]) -> None:
    payments, later = [], []
    for row in rows:
        trade = inputs[row.source_key]
        for payment in trade.payments:
            obj = TradePayment(tenant=tenant, trade=row, date=payment.date, wallet=payment.wallet,
                               amount=payment.amount)
            payments.append(obj)
            if payment.date != trade.issue_date:
                later.append((row, obj))
        later += [(row, payment) for payment in kept.get(row.source_key, [])]
    TradePayment.objects.bulk_create(payments)
    details, postings = [], []
    for row in rows:
        trade = inputs[row.source_key]
        main_lines, shares = posting.trade_lines(_trade_rows(context, trade, row), accounting=
                                                 context.settings.tax_accounting, rounding=context.settings.tax_rounding)
        details += [(row.pk, number, d.account_item.pk, d.tax_code.pk, d.amount, share, d.description[:255])
                    for number, (d, share) in enumerate(zip(trade.details, shares, strict=True), start=1)]
        postings.append((row, JournalEntry.Kind.TRADE, row.issue_date, main_lines, None))
    for row, payment in later:
        clearing = posting.clearing_lines(kind=row.kind, wallet_account_id=payment.wallet.account_item_id,
                                          counterpart_id=row.counterpart_id, amount=payment.amount)
        postings.append((row, JournalEntry.Kind.PAYMENT, payment.date, clearing, payment))
    _insert_rows(TradeDetail, tenant, ["trade_id", "line_no", "account_item_id", "tax_code_id", "amount",
                                       "tax_amount", "description"], details)
    _post_entries(tenant, postings)


def _post_entries(tenant, postings: list[tuple]) -> None:
    """Write entries (bulk_create, for their ids) and their lines (one INSERT … SELECT FROM unnest)."""
    entries, lines = [], []
    for trade, kind, entry_date, posted, payment in postings:
        if not posting.is_balanced(posted):
            raise LedgerError(_("仕訳の借方と貸方が一致しません。"))
        entries.append((uuid.uuid4(), entry_date, kind, trade.pk, payment.pk if payment else None,
                        (trade.description or trade.partner_name)[:255]))
    ids = dict(_insert_rows(JournalEntry, tenant, ["public_id", "date", "kind", "trade_id", "payment_id",
                                                   "description"], entries, returning=True))
    for entry, (trade, _kind, entry_date, posted, _payment) in zip(entries, postings, strict=True):
        lines += [(ids[entry[0]], entry_date, line.side, line.account_item_id, line.tax_code_id, line.amount,
                   trade.partner_name, line.description) for line in posted]
    _insert_rows(JournalLine, tenant, ["entry_id", "date", "side", "account_item_id", "tax_code_id", "amount",
                                       "partner_name", "description"], lines)


def _insert_rows(model, tenant, columns: list[str], rows: list[tuple], *, returning: bool = False) -> list[tuple]:
    """Insert many rows in ONE statement: arrays per column, unnest()ed by PostgreSQL.

    The sync of 10,000 documents spent most of its time building model instances and VALUES lists in
    Python; column arrays skip both. Public ids (unless given) and timestamps are made by the database.
    With `returning`, answers (public_id, id) pairs, so callers never rely on the order of RETURNING.
    """
    if not rows:
        return []
    fields = {field.column: field for field in model._meta.concrete_fields}
    casts = ", ".join(f"%s::{fields[column].db_type(connection)}[]" for column in columns)
    generated = ["tenant_id", "created_at", "updated_at"] + ([] if "public_id" in columns else ["public_id"])
    values = ["%s", "now()", "now()"] + ([] if "public_id" in columns else ["gen_random_uuid()"])
    names = ", ".join(connection.ops.quote_name(column) for column in [*generated, *columns])
    # Identifiers come from the model's own metadata; every value is a bound parameter.
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({names}) SELECT {', '.join(values)}, * FROM unnest({casts})"  # noqa: S608
    if returning:
        sql += " RETURNING public_id, id"
    with connection.cursor() as cursor:
        cursor.execute(sql, [tenant.pk, *[list(column) for column in zip(*rows, strict=True)]])
        return cursor.fetchall() if returning else []


def _trade_rows(context: _Context, trade: TradeInput, row: Trade) -> posting.TradeRows:
    default_tax_role = AccountItem.Role.TAX_RECEIVED if trade.kind == Trade.Kind.INCOME else AccountItem.Role.TAX_PAID
    exclusive = context.settings.tax_accounting == TaxAccounting.EXCLUSIVE

    def tax_account(code: TaxCode) -> int | None:
        # 税込経理 posts no tax account, but the tax each detail includes is still worked out (to show it).
        role = _tax_role(code, default_tax_role)
        return context.role(role) if exclusive else context.roles.get(role, 0)

    tax_rows = [posting.TaxRow(d.amount, d.tax_code.rate, d.tax_code.reduced,
                               tax_account(d.tax_code) if d.tax_code.rate > 0 else None, d.tax_amount)
                for d in trade.details]
    return posting.TradeRows(
        kind=trade.kind,
        details=[(d.account_item.pk, d.tax_code.pk, d.amount, d.description[:255]) for d in trade.details],
        tax_rows=tax_rows, counterpart_id=row.counterpart_id,
        immediate_payments=[(p.wallet.account_item_id, p.amount) for p in trade.payments
                            if p.date == trade.issue_date],
        amount=trade.amount,
    )


def _tax_role(tax_code: TaxCode, default: str) -> str:
    """Sales codes go to 仮受消費税, purchase codes to 仮払消費税; a code usable both ways follows the trade."""
    if tax_code.usable_for_income and not tax_code.usable_for_expense:
        return AccountItem.Role.TAX_RECEIVED
    if tax_code.usable_for_expense and not tax_code.usable_for_income:
        return AccountItem.Role.TAX_PAID
    return default


def trade_payment_add(*, tenant, trade: Trade, payment: PaymentInput, source_key: str,
                      from_document: bool = False) -> TradePayment:
    """Register a later 入金/支払 and post its clearing entry. Idempotent on source_key (updated in place).

    `from_document`: the sync registers a document's payment (a receipt settling its invoice's trade). A payment
    entered by hand (page, API) goes on a trade entered by hand only, and never under a document's key."""
    if not source_key:
        raise LedgerError(_("決済の連携元を指定してください。"))
    if not from_document:
        trade_check_hand_made(trade)
        _check_not_document_key(source_key)
    if not isinstance(payment.amount, int) or payment.amount <= 0:
        raise LedgerError(_("決済の金額は1円以上の整数で入力してください。"))
    if payment.wallet.tenant_id != tenant.id:
        raise LedgerError(_("口座が見つかりません。"))
    _require_date(payment.date)
    with transaction.atomic():
        locked = Trade.objects.for_tenant(tenant).select_for_update().get(pk=trade.pk)
        if not from_document:
            trade_check_hand_made(locked)
        existing = TradePayment.objects.for_tenant(tenant).filter(source_key=source_key).first()
        previous = existing.amount if existing and existing.trade_id == locked.pk else 0
        if existing and existing.trade_id != locked.pk:
            raise LedgerError(_("この決済は別の取引に登録されています。"))
        if payment.amount - previous > locked.unsettled_amount:
            raise LedgerError(_("決済金額が未決済の金額（%(amount)s円）を超えています。") % {
                "amount": f"{locked.unsettled_amount:,}"})
        if existing:
            JournalEntry.objects.filter(payment=existing).delete()
            existing.date, existing.wallet, existing.amount = payment.date, payment.wallet, payment.amount
            existing.save(update_fields=["date", "wallet", "amount", "updated_at"])
        else:
            existing = TradePayment.objects.create(tenant=tenant, trade=locked, date=payment.date,
                                                   wallet=payment.wallet, amount=payment.amount,
                                                   source_key=source_key)
        clearing = posting.clearing_lines(kind=locked.kind, wallet_account_id=payment.wallet.account_item_id,
                                          counterpart_id=locked.counterpart_id, amount=payment.amount)
        _post_entries(tenant, [(locked, JournalEntry.Kind.PAYMENT, payment.date, clearing, existing)])
        Trade.objects.filter(pk=locked.pk).update(settled_amount=F("settled_amount") + payment.amount - previous)
    trade.refresh_from_db()
    return existing


def trade_payment_delete(*, tenant, payment: TradePayment) -> None:
    """Remove a payment and its clearing entry; the amount becomes unsettled again (the sync's removal of a
    document's payment; a person cancels one with trade_payment_cancel)."""
    with transaction.atomic():
        locked = TradePayment.objects.for_tenant(tenant).select_for_update().filter(pk=payment.pk).first()
        if locked is None:
            return
        trade = Trade.objects.for_tenant(tenant).select_for_update().get(pk=locked.trade_id)
        inputs = None if locked.source_key else trade
        locked.delete()
        Trade.objects.filter(pk=trade.pk).update(settled_amount=F("settled_amount") - locked.amount)
        if inputs is not None:  # a payment posted inside the trade entry: repost the trade
            _repost(tenant, trade)


def trade_payment_cancel(*, tenant, actor, payment: TradePayment) -> None:
    """決済の取消 (page, API): remove a payment of a trade entered by hand, recorded in the audit trail.

    A document's trade keeps its payments until its document changes (the sync removes them)."""
    trade = Trade.objects.for_tenant(tenant).get(pk=payment.trade_id)
    trade_check_hand_made(trade)
    with transaction.atomic():
        audit.audit_record(tenant=tenant, actor=actor, action="ledger.payment_cancel", target=payment,
                           target_label=_("決済 %(date)s %(wallet)s %(amount)s円（%(trade)s）") % {
                               "date": payment.date, "wallet": payment.wallet.name,
                               "amount": f"{payment.amount:,}", "trade": trade},
                           changes={"date": [payment.date.isoformat(), None], "wallet": [payment.wallet.name, None],
                                    "amount": [payment.amount, None]})
        trade_payment_delete(tenant=tenant, payment=payment)


def trade_payment_remove(*, tenant, source_key: str) -> bool:
    """Remove the payment registered with `source_key` (e.g. a deleted receipt). False when there is none."""
    payment = TradePayment.objects.for_tenant(tenant).filter(source_key=source_key).first() if source_key else None
    if payment is None:
        return False
    trade_payment_delete(tenant=tenant, payment=payment)
    return True


def _repost(tenant, trade: Trade) -> None:
    trade_save(tenant=tenant, trade=trade_input_of(trade))


def trade_input_of(trade: Trade) -> TradeInput:
    """The TradeInput that reproduces a saved trade (its input payments, not the ones registered later)."""
    from_document = not trade_is_hand_made(trade)  # a document's tax stays the document's
    details = tuple(DetailInput(account_item=d.account_item, tax_code=d.tax_code, amount=d.amount,
                                description=d.description, tax_amount=d.tax_amount if from_document else None)
                    for d in trade.details.select_related("account_item", "tax_code").order_by("line_no"))
    payments = tuple(PaymentInput(date=p.date, wallet=p.wallet, amount=p.amount)
                     for p in trade.payments.filter(source_key="").select_related("wallet").order_by("id"))
    return TradeInput(kind=trade.kind, issue_date=trade.issue_date, due_date=trade.due_date,
                      partner_name=trade.partner_name, partner_freee_id=trade.partner_freee_id, details=details,
                      payments=payments, source_key=trade.source_key, deal_id=trade.deal_id,
                      description=trade.description)


def _check_not_document_key(source_key: str) -> None:
    """A key like "receipt:12" belongs to the sync of that document: a hand entry cannot take it."""
    from journals.sync.documents import document_types

    prefix = source_key.split(":", 1)[0]
    if ":" in source_key and prefix in {t.code for t in document_types()}:
        raise LedgerError(_("この連携元キーは帳票の連携で使われるため指定できません。"), code="source_key_reserved")


def trade_is_hand_made(trade: Trade) -> bool:
    """True for a trade entered by hand; a trade synced from a document (invoice:…, receipt:…) is not."""
    return trade.source_key.startswith(HAND_MADE_PREFIX)


def trade_check_hand_made(trade: Trade) -> None:
    """A trade synced from a document is read-only here: it changes with its document (or the next sync)."""
    if not trade_is_hand_made(trade):
        raise LedgerError(_("帳票から連携された取引は、連携元の帳票を編集・削除してください。"),
                          code="trade_from_document")


def trade_update(*, tenant, trade: Trade, data: TradeInput, actor=None) -> Trade:
    """Rewrite a trade entered by hand in place (same id); one synced from a document is refused.

    収入 ↔ 支出 with payments is refused: a 入金 would silently become a 出金 (普通預金 +600 → −600)."""
    trade_check_hand_made(trade)
    if data.kind != trade.kind and TradePayment.objects.for_tenant(tenant).filter(trade_id=trade.pk).exists():
        raise LedgerError(_("決済が登録されている取引は収支区分を変更できません。取引の画面で「決済の取消」をして"
                            "決済を取り消してから変更してください。"), code="trade_kind_with_payments")
    return trade_save(tenant=tenant, actor=actor, trade=replace(data, source_key=trade.source_key))


def trade_delete(*, tenant, trade: Trade) -> None:
    """Delete a trade entered by hand with its details, payments and journal entries (not one from a document)."""
    trade_check_hand_made(trade)
    trades_delete_bulk(tenant=tenant, source_keys=[trade.source_key])


def trades_delete_bulk(*, tenant, source_keys: Sequence[str]) -> int:
    """Delete the tenant's trades with these source keys (constant statements). Returns how many."""
    with transaction.atomic():
        trade_ids = list(Trade.objects.for_tenant(tenant).filter(source_key__in=list(source_keys))
                         .values_list("id", flat=True))
        if not trade_ids:
            return 0
        _delete_children(trade_ids, keep_added_payments=False)
        queryset = Trade.objects.filter(pk__in=trade_ids)
        return queryset._raw_delete(queryset.db)


# ---------------------------------------------------------------- 振替伝票


def manual_journal_create(*, tenant, issue_date: date, description: str, lines: Sequence[ManualLineInput],
                          actor=None) -> ManualJournal:
    """振替伝票: debit total must equal credit total; posts one balanced journal entry."""
    _require_date(issue_date)
    _validate_manual(tenant, lines)
    settings = ledger_settings_get(tenant=tenant)
    context = _context(tenant)
    with transaction.atomic():
        journal = ManualJournal.objects.create(tenant=tenant, issue_date=issue_date, description=description[:255])
        ManualJournalLine.objects.bulk_create([
            ManualJournalLine(tenant=tenant, manual_journal=journal, line_no=number, side=line.side,
                              account_item=line.account_item, tax_code=line.tax_code, amount=line.amount,
                              description=line.description[:255])
            for number, line in enumerate(lines, start=1)])
        posted = posting.manual_lines(
            [(line.side, line.account_item.pk, line.tax_code.pk if line.tax_code else None, line.amount,
              line.description[:255]) for line in lines],
            [_manual_tax_row(context, line) for line in lines],
            accounting=settings.tax_accounting, rounding=settings.tax_rounding)
        if not posting.is_balanced(posted):
            raise LedgerError(_("借方合計と貸方合計が一致しません。"))
        entry = JournalEntry.objects.create(tenant=tenant, date=issue_date, kind=JournalEntry.Kind.MANUAL,
                                            manual_journal=journal, description=description[:255])
        JournalLine.objects.bulk_create([
            JournalLine(tenant=tenant, entry=entry, date=issue_date, side=line.side,
                        account_item_id=line.account_item_id, tax_code_id=line.tax_code_id, amount=line.amount,
                        description=line.description) for line in posted])
    return journal


def _validate_manual(tenant, lines: Sequence[ManualLineInput]) -> None:
    if not 2 <= len(lines) <= MAX_TRADE_DETAILS:
        raise LedgerError(_("振替伝票は借方・貸方あわせて2行以上%(max)d行以内で入力してください。") % {"max": MAX_TRADE_DETAILS})
    for line in lines:
        if line.side not in Side.values:
            raise LedgerError(_("貸借を指定してください。"))
        if not isinstance(line.amount, int) or isinstance(line.amount, bool) or line.amount <= 0:
            raise LedgerError(_("金額は1円以上の整数で入力してください。"))
        if line.account_item.tenant_id != tenant.id or (line.tax_code and line.tax_code.tenant_id != tenant.id):
            raise LedgerError(_("勘定科目または税区分が見つかりません。"))
    debit = sum(line.amount for line in lines if line.side == Side.DEBIT)
    credit = sum(line.amount for line in lines if line.side == Side.CREDIT)
    if debit != credit:
        raise LedgerError(_("借方合計（%(debit)s円）と貸方合計（%(credit)s円）が一致しません。") % {
            "debit": f"{debit:,}", "credit": f"{credit:,}"})


def _manual_tax_row(context: _Context, line: ManualLineInput) -> posting.TaxRow:
    code = line.tax_code
    if code is None or code.rate == 0 or context.settings.tax_accounting != TaxAccounting.EXCLUSIVE:
        return posting.TaxRow(line.amount, 0, False, None)
    default = AccountItem.Role.TAX_PAID if line.side == Side.DEBIT else AccountItem.Role.TAX_RECEIVED
    return posting.TaxRow(line.amount, code.rate, code.reduced, context.role(_tax_role(code, default)))


def manual_journal_delete(*, tenant, journal: ManualJournal) -> None:
    """Delete a 振替伝票 and its journal entry."""
    with transaction.atomic():
        ManualJournal.objects.for_tenant(tenant).filter(pk=journal.pk).delete()
