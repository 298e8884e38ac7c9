"""The document registry: every kind of 帳票 that becomes a trade, registered by the app that owns it.

journals.sync never imports invoices or payment_requests: each source app calls `register_document_type`
from its AppConfig.ready() with an adapter (a DocumentType), and the sync services only speak to adapters.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _


class Group:
    """Trade groups for plan gating (seed 001: 仕入・支払 only on the professional and trial plans)."""

    SALES = "sales"
    PURCHASES = "purchases"
    PAYMENTS = "payments"

    LABELS = {SALES: _("売上"), PURCHASES: _("仕入"), PAYMENTS: _("支払")}
    CHOICES = list(LABELS.items())


PLANS_WITH_ALL_GROUPS = {"professional", "trial"}


def groups_for_plan(plan: str) -> list[str]:
    """The trade groups a tenant on `plan` may sync and export: 売上 always, 仕入・支払 on pro and trial."""
    if plan in PLANS_WITH_ALL_GROUPS:
        return [Group.SALES, Group.PURCHASES, Group.PAYMENTS]
    return [Group.SALES]


def plan_allows_projects(plan: str) -> bool:
    """seed 001: the document's 案件 travels as the accounting project only on the professional and trial plans."""
    return plan in PLANS_WITH_ALL_GROUPS


@dataclass(frozen=True)
class SyncDocument:
    """One document as the sync sees it (a snapshot; the adapter builds it from its own model)."""

    id: int
    public_id: uuid.UUID | None
    label: str  # shown in API連携一覧, e.g. "請求書 INV-0000012"
    date: date | None  # the accounting date (Asia/Tokyo)
    amount: int  # tax-included yen; 0 means "never synced"
    url: str = ""  # the document's page
    partner_name: str = ""
    deal_id: int | None = None  # the 案件 (accounting project) when there is one
    closed: bool = True  # 締切済 (for "締切済の取引のみ出力する")
    canceled: bool = False  # 取消済み: what it booked is removed, and it is never booked again
    source: Any = None  # the adapter's own object, handed back to to_ledger


@dataclass(frozen=True)
class PaymentSpec:
    """A document that settles another one's trade (入金 / 出金): which trade, and the payment to register.

    `trade` is the settled document's own ledger input, used to book that trade first when it is not in
    the ledger yet (a receipt synced before its invoice).
    """

    trade_source_key: str
    payment: Any  # journals.services.PaymentInput
    trade: Any = None  # journals.services.TradeInput of the settled document


@dataclass(frozen=True)
class DocumentType:
    """The adapter a source app registers for one kind of document.

    code: "invoice" | "receipt" | "payment_request" | "disbursement" (the key in SyncRecord.document_type).
    label: the Japanese name (請求書, 入金, 支払依頼, 出金).
    group: Group.SALES | Group.PURCHASES | Group.PAYMENTS (plan gating).
    load(tenant, ids) -> dict[int, SyncDocument]: the tenant's documents with these ids, in one or two
        queries; an id missing from the answer is a deleted document (or one that is not a document of this
        kind any more, e.g. an invoice that is no longer settled for "receipt"). A document that is 0円 or
        canceled (SyncDocument.canceled) is never booked: once synced, the sync of it removes its trade.
    in_period(tenant, start, end, closed_only) -> Iterable[int]: ids of the tenant's documents whose
        accounting date is within [start, end] (inclusive); with closed_only, only 締切済 ones.
    to_ledger(tenant, documents) -> dict[int, TradeInput | PaymentSpec | None]: the ledger input of each
        document (a batch, so account items and tax codes are looked up once); None for a document that is
        never synced (0 yen). TradeInput.source_key must be f"{code}:{id}" (see source_key()).
    settles: False for documents that are trades (請求書, 支払依頼); True for documents that settle another
        document's trade (入金, 出金), whose to_ledger returns PaymentSpec.
    """

    code: str
    label: str
    group: str
    load: Callable[[Any, list[int]], dict[int, SyncDocument]]
    in_period: Callable[[Any, date, date, bool], Iterable[int]]
    to_ledger: Callable[[Any, list[SyncDocument]], dict[int, Any]]
    settles: bool = False  # True for 入金 / 出金: to_ledger gives PaymentSpecs, a delete removes the payment


_REGISTRY: dict[str, DocumentType] = {}


def register_document_type(document_type: DocumentType) -> None:
    """Register (or replace, for tests and reloads) a source app's adapter. Call it from AppConfig.ready().

    The adapter (a DocumentType) provides exactly:
    - code (str, the SyncRecord.document_type key), label (Japanese), group (Group.SALES/PURCHASES/PAYMENTS);
    - load(tenant, ids) -> {id: SyncDocument} for the tenant's documents among `ids` (missing = deleted);
    - in_period(tenant, start, end, closed_only) -> ids whose accounting date is in [start, end];
    - to_ledger(tenant, [SyncDocument]) -> {id: journals.services.TradeInput | PaymentSpec | None}
      (None = never synced, e.g. 0円; TradeInput.source_key = source_key(code, id));
    - settles (bool): True when to_ledger returns PaymentSpec (入金/出金 settling another document's trade).
    Then call journals.sync.services.document_changed(...) inside the transaction that adds, edits or deletes
    a document; the 連携する button calls journals.sync.services.document_sync(...).
    """
    if document_type.group not in Group.LABELS:
        raise ValueError(f"unknown group {document_type.group!r}")
    _REGISTRY[document_type.code] = document_type


def document_type_get(code: str) -> DocumentType:
    """The adapter registered for `code` (KeyError for an unknown kind)."""
    return _REGISTRY[code]


def document_types() -> list[DocumentType]:
    return list(_REGISTRY.values())


def document_type_choices() -> list[tuple[str, str]]:
    return [(t.code, t.label) for t in _REGISTRY.values()]


def source_key(code: str, document_id: int) -> str:
    """The ledger's (tenant, source_key) of a document: "invoice:12"."""
    return f"{code}:{document_id}"
