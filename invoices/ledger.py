"""Invoices as ledger documents (請求書 and 入金) and what an invoice's changes announce.

Registered from InvoicesConfig.ready(): "invoice" is an issued invoice (income, unsettled: 売掛金 / 売上高);
"receipt" is the same invoice once freee says it is settled (入金: 普通預金 / 売掛金 on the invoice's trade).
The payment status (決済失敗 ...) does not matter to the sync (seed 001); a 0円 invoice is never synced, and a
canceled one (取消) is not either: once synced, its next sync removes its trade (journals.sync), with the
history row saying why. A 取消 or 取消解除 is announced to the sync as an edit of the invoice.

`invoices_changed` is called wherever invoice rows change (issue, 再連携, single and bulk status refresh):
it emits the notification events and tells journals.sync which documents were added or edited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import events
from core.errors import ApplicationError
from deals.models import Deal, DealLine, TaxRate
from invoices.models import CancelStatus, Invoice, InvoiceSettings, PaymentStatus
from journals import selectors
from journals.services import DetailInput, PaymentInput, TradeInput
from journals.sync import services as sync
from journals.sync.documents import (
    DocumentType,
    Group,
    PaymentSpec,
    SyncDocument,
    plan_allows_projects,
    register_document_type,
    source_key,
)

INVOICE, RECEIPT = "invoice", "receipt"
# freee請求書's rate keys (amount_*_tax_<key>, and the deal lines' TaxRate) → (sales tax code, rate %).
SALES_TAX_CODES = {TaxRate.STANDARD_10: (129, 10), "8": (101, 8), TaxRate.REDUCED_8: (156, 8), TaxRate.ZERO: (23, 0)}
ROUNDING = {"omit": lambda n, d: n // d, "round_up": lambda n, d: -(-n // d), "round": lambda n, d: (2 * n + d) // (2 * d)}
LOAD_FIELDS = ["id", "public_id", "tenant_id", "deal_id", "invoice_number", "reference", "partner_id", "partner_name",
               "subject", "billing_date", "payment_date", "total_amount", "amount_tax", "amounts_by_rate", "payment_status",
               "settled_on", "state", "cancel_status"]


# --------------------------------------------------------------------------- documents


def _issued(tenant):
    return Invoice.objects.for_tenant(tenant).filter(state=Invoice.State.ISSUED)


def _invoice_document(invoice: Invoice) -> SyncDocument:
    return SyncDocument(id=invoice.pk, public_id=invoice.public_id, label=f"{_('請求書')} {_number(invoice)}",
                        date=invoice.billing_date, amount=invoice.total_amount or 0, url=_deal_url(invoice),
                        partner_name=invoice.partner_name, deal_id=invoice.deal_id, source=invoice,
                        canceled=invoice.cancel_status == CancelStatus.CANCELED)


def _receipt_document(invoice: Invoice) -> SyncDocument:
    return SyncDocument(id=invoice.pk, public_id=invoice.public_id, label=f"{_('入金')} {_number(invoice)}",
                        date=_receipt_date(invoice), amount=invoice.total_amount or 0, url=_deal_url(invoice),
                        partner_name=invoice.partner_name, deal_id=invoice.deal_id, source=invoice,
                        canceled=invoice.cancel_status == CancelStatus.CANCELED)


def _number(invoice: Invoice) -> str:
    return invoice.invoice_number or invoice.reference


def _deal_url(invoice: Invoice) -> str:
    public_id = getattr(invoice, "deal_public_id", None) or Deal.objects.filter(pk=invoice.deal_id).values_list(
        "public_id", flat=True).first()
    return f"/deals/{public_id}/" if public_id else ""


def _receipt_date(invoice: Invoice) -> date:
    """When the payment was seen as settled (a Tokyo date), else the due date, else the billing date."""
    return invoice.settled_on or invoice.payment_date or invoice.billing_date


def _load(tenant, ids: list[int], *, receipts: bool) -> dict[int, SyncDocument]:
    rows = _issued(tenant).filter(pk__in=ids).annotate(deal_public_id=F("deal__public_id")).only(*LOAD_FIELDS)
    if receipts:
        rows = rows.filter(payment_status=PaymentStatus.SETTLED)
    build = _receipt_document if receipts else _invoice_document
    return {invoice.pk: build(invoice) for invoice in rows}


def load_invoices(tenant, ids: list[int]) -> dict[int, SyncDocument]:
    return _load(tenant, ids, receipts=False)


def load_receipts(tenant, ids: list[int]) -> dict[int, SyncDocument]:
    return _load(tenant, ids, receipts=True)


def invoices_in_period(tenant, start: date, end: date, closed_only: bool) -> list[int]:
    """Issued invoices billed in the period. An issued invoice is final (締切済) in this product."""
    return list(_issued(tenant).filter(billing_date__range=(start, end)).order_by("pk").values_list("pk", flat=True))


def receipts_in_period(tenant, start: date, end: date, closed_only: bool) -> list[int]:
    """Settled invoices whose receipt date is in the period."""
    settled = _issued(tenant).filter(payment_status=PaymentStatus.SETTLED)
    in_period = (Q(settled_on__range=(start, end))
                 | Q(settled_on__isnull=True, payment_date__range=(start, end)))
    return list(settled.filter(in_period).order_by("pk").values_list("pk", flat=True))


# --------------------------------------------------------------------------- ledger input


@dataclass(frozen=True)
class _Masters:
    sales: object
    tax_codes: dict
    wallet: object
    projects: bool
    tax_entry_method: str
    tax_fraction: str


def _masters(tenant) -> _Masters:
    codes = {}
    for code, _rate in SALES_TAX_CODES.values():
        codes[code] = selectors.tax_code_get(tenant=tenant, code=code)
    settings = InvoiceSettings.objects.filter(tenant=tenant).only("tax_entry_method", "tax_fraction").first()
    sales, wallet = selectors.account_item_for_role(tenant=tenant, role="sales"), selectors.wallet_default(tenant=tenant)
    if sales is None or wallet is None or None in codes.values():
        raise ApplicationError(_("会計の勘定科目（売上高）・税区分・口座が見つかりません。会計の設定を確認してください。"),
                               code="ledger_masters_missing")
    return _Masters(sales=sales, tax_codes=codes, wallet=wallet, projects=plan_allows_projects(tenant.plan),
                    tax_entry_method=settings.tax_entry_method if settings else "out",
                    tax_fraction=settings.tax_fraction if settings else "omit")


def invoice_trades(tenant, documents: list[SyncDocument]) -> dict[int, object]:
    """TradeInput per issued invoice: income, unsettled, one detail per tax rate with the invoice's own amounts."""
    masters = _masters(tenant)
    lines = _lines_by_deal(tenant, {d.deal_id for d in documents})
    return {d.id: _trade(d.source, masters, lines.get(d.deal_id, [])) if d.amount else None for d in documents}


def receipt_payments(tenant, documents: list[SyncDocument]) -> dict[int, PaymentSpec | None]:
    """PaymentSpec per settled invoice: the whole amount received into the default wallet on the receipt date."""
    masters = _masters(tenant)
    lines = _lines_by_deal(tenant, {d.deal_id for d in documents})
    return {d.id: PaymentSpec(trade_source_key=source_key(INVOICE, d.id),
                              payment=PaymentInput(date=d.date, wallet=masters.wallet, amount=d.amount),
                              trade=_trade(d.source, masters, lines.get(d.deal_id, [])))
            if d.amount else None for d in documents}


def _lines_by_deal(tenant, deal_ids: set[int]) -> dict[int, list[DealLine]]:
    grouped: dict[int, list[DealLine]] = defaultdict(list)
    for line in DealLine.objects.for_tenant(tenant).filter(deal_id__in=deal_ids).only(
            "deal_id", "quantity", "unit_price", "tax_rate"):
        grouped[line.deal_id].append(line)
    return grouped


def _trade(invoice: Invoice, masters: _Masters, lines: list[DealLine]):
    description = (invoice.subject or _number(invoice))[:255]
    details = tuple(DetailInput(account_item=masters.sales, tax_code=masters.tax_codes[code], amount=amount,
                                tax_amount=tax, description=description)
                    for code, amount, tax in amounts_by_tax_code(invoice, lines, masters))
    return TradeInput(kind="income", issue_date=invoice.billing_date, due_date=invoice.payment_date,
                      partner_name=invoice.partner_name, partner_freee_id=invoice.partner_id, details=details,
                      payments=(), source_key=source_key(INVOICE, invoice.pk),
                      deal_id=invoice.deal_id if masters.projects else None,
                      description=f"{_('請求書')} {_number(invoice)}"[:255])


def amounts_by_tax_code(invoice: Invoice, lines: list[DealLine], masters: _Masters) -> list[tuple[int, int, int | None]]:
    """(tax code, tax-inclusive amount, tax) per tax rate: the invoice's own per-rate amounts as freee computed
    them (NTA Q&A 問57: the tax is rounded once per rate on the invoice). An invoice stored before those were
    kept is worked out from the deal's lines as freee does (its 内税/外税 and 端数処理), and used only when it
    reproduces the invoice's total and tax; otherwise one 10% detail of the total carrying the invoice's tax."""
    total = invoice.total_amount or 0
    by_rate = invoice.amounts_by_rate or _amounts_from_lines(lines, masters)
    rows = [(SALES_TAX_CODES.get(key, SALES_TAX_CODES[TaxRate.STANDARD_10])[0], int(value["including"]),
             int(value["tax"])) for key, value in by_rate.items() if value["including"]]
    tax_known = invoice.amount_tax is None or sum(tax for _c, _a, tax in rows) == invoice.amount_tax
    if rows and sum(amount for _c, amount, _t in rows) == total and tax_known:
        return rows
    return [(SALES_TAX_CODES[TaxRate.STANDARD_10][0], total, invoice.amount_tax)]


def _amounts_from_lines(lines: list[DealLine], masters: _Masters) -> dict:
    rounding = ROUNDING.get(masters.tax_fraction, ROUNDING["omit"])
    sums: dict[str, int] = defaultdict(int)
    for line in lines:
        sums[line.tax_rate] += int(line.quantity * line.unit_price)
    found = {}
    for key, amount in sums.items():
        rate = SALES_TAX_CODES.get(key, SALES_TAX_CODES[TaxRate.STANDARD_10])[1]
        if masters.tax_entry_method == "in":
            tax = rounding(amount * rate, 100 + rate)
            found[key] = {"including": amount, "tax": tax}
        else:
            tax = rounding(amount * rate, 100)
            found[key] = {"including": amount + tax, "tax": tax}
    return found


def register() -> None:
    """Called from InvoicesConfig.ready()."""
    register_document_type(DocumentType(code=INVOICE, label=gettext_lazy("請求書"), group=Group.SALES,
                                        load=load_invoices, in_period=invoices_in_period, to_ledger=invoice_trades))
    register_document_type(DocumentType(code=RECEIPT, label=gettext_lazy("入金"), group=Group.SALES,
                                        load=load_receipts, in_period=receipts_in_period, to_ledger=receipt_payments,
                                        settles=True))


# --------------------------------------------------------------------------- changes: events and sync

EDIT_FIELDS = ("total_amount", "amounts_by_rate", "billing_date", "payment_date")  # a change of these is an edit of the document
SNAPSHOT_FIELDS = ("state", "payment_status", "cancel_status", "total_amount", "amounts_by_rate", "billing_date",
                   "payment_date")
STATUS_EVENTS = {
    PaymentStatus.SETTLED: (events.INVOICE_SETTLED, gettext_lazy("請求書の決済が完了しました"),
                gettext_lazy("%(deal)s の請求書 %(number)s が決済済みになりました。")),
    PaymentStatus.FAILED: (events.INVOICE_PAYMENT_FAILED, gettext_lazy("請求書の決済に失敗しました"),
               gettext_lazy("%(deal)s の請求書 %(number)s の決済が失敗しました。freeeで確認してください。")),
}


def snapshot(invoice: Invoice) -> dict:
    """The values whose change matters to notifications and the ledger (take it before copying freee's)."""
    return {name: getattr(invoice, name) for name in SNAPSHOT_FIELDS}


def invoices_changed(*, tenant, changes: list[tuple[dict, Invoice]], actor=None) -> None:
    """Announce what changed between each `before` snapshot and the invoice as saved, in a few queries.

    Inside the transaction that saved the rows: events go out with it (core.events), and with 自動連携 on the
    changed documents are queued for the ledger (journals.sync).
    """
    changes = [(before, invoice) for before, invoice in changes if before != snapshot(invoice)]
    if not changes:
        return
    deals = {row[0]: row for row in Deal.objects.filter(pk__in={i.deal_id for _b, i in changes}).values_list(
        "pk", "public_id", "owner_id", "name")}
    added, edited, receipts_added, receipts_deleted = [], [], [], []
    for before, invoice in changes:
        _emit_for(tenant, before, invoice, deals.get(invoice.deal_id))
        _classify(before, invoice, added, edited, receipts_added, receipts_deleted)
    for document_type, ids, operation in ((INVOICE, added, "add"), (INVOICE, edited, "edit"),
                                          (RECEIPT, receipts_added, "add"), (RECEIPT, receipts_deleted, "delete")):
        if ids:
            sync.documents_changed(tenant=tenant, document_type=document_type, document_ids=ids, operation=operation,
                                   actor=actor)


def _classify(before: dict, invoice: Invoice, added, edited, receipts_added, receipts_deleted) -> None:
    if invoice.state != Invoice.State.ISSUED:
        return
    if before["state"] != Invoice.State.ISSUED:
        added.append(invoice.pk)
    elif any(before[f] != getattr(invoice, f) for f in (*EDIT_FIELDS, "cancel_status")):
        edited.append(invoice.pk)  # (a cancel too: the sync removes the canceled invoice's trade)
    was_settled = before["payment_status"] == PaymentStatus.SETTLED
    if invoice.payment_status == PaymentStatus.SETTLED and not was_settled:
        receipts_added.append(invoice.pk)
    elif was_settled and invoice.payment_status != PaymentStatus.SETTLED:
        receipts_deleted.append(invoice.pk)


def _emit_for(tenant, before: dict, invoice: Invoice, deal_row) -> None:
    if deal_row is None or deal_row[2] is None:
        return  # no owner to tell
    _pk, deal_public_id, owner_id, deal_name = deal_row
    stamp = int(timezone.now().timestamp())
    names = {"deal": deal_name, "number": _number(invoice)}
    found = []
    if invoice.state == Invoice.State.ISSUED and before["state"] != Invoice.State.ISSUED:
        found.append((events.INVOICE_ISSUED, _("請求書を発行しました"),
                      _("%(deal)s の請求書 %(number)s をfreee請求書で発行しました。") % names, "issued"))
    if invoice.payment_status in STATUS_EVENTS and before["payment_status"] != invoice.payment_status:
        kind, title, text = STATUS_EVENTS[invoice.payment_status]
        found.append((kind, str(title), str(text) % names, f"{invoice.payment_status}:{stamp}"))
    if invoice.cancel_status == CancelStatus.CANCELED and before["cancel_status"] != CancelStatus.CANCELED:
        found.append((events.INVOICE_CANCELED, _("請求書が取り消されました"),
                      _("%(deal)s の請求書 %(number)s がfreeeで取り消されました。") % names, f"canceled:{stamp}"))
    for kind, title, text, change in found:
        events.emit(tenant=tenant, kind=kind, recipients=[owner_id], key=f"{kind}:{invoice.public_id}:{change}",
                    payload={"title": title, "text": text, "url": f"/deals/{deal_public_id}/?tab=invoices",
                             "invoice_id": str(invoice.public_id), "deal_id": str(deal_public_id)})
