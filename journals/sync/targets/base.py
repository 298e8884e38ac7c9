"""What every ledger target shares: the unit of work (WorkItem) and our per-document reference."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from journals.sync.documents import DocumentType, SyncDocument, source_key
from journals.sync.models import SyncRecord


@dataclass
class WorkItem:
    """One document to sync in this run, with every waiting record of it that the run claimed."""

    doc_type: DocumentType
    document_id: int
    operation: str
    records: list[SyncRecord]
    document: SyncDocument | None = None
    ledger: Any = None  # TradeInput | PaymentSpec | None
    trade_id: int | None = None
    freee_deal_id: int | None = None
    note: str = ""
    removal: str = ""  # why a document that became 0円 or was canceled had what it booked removed
    error: str = ""
    retry_after: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return source_key(self.doc_type.code, self.document_id)


def reference_for(tenant, key: str) -> str:
    """Our correlation key written into freee's ref_number: short, stable per (tenant, document)."""
    return "HUB-" + hashlib.sha256(f"{tenant.pk}|{key}".encode()).hexdigest()[:15].upper()

