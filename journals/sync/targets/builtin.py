"""The built-in ledger target: the hub's own trades (journals.services), booked in bulk.

A whole claim is booked in one transaction with a constant number of statements; when one document fails,
the batch is redone one document at a time so that only that one is an error.
"""

from __future__ import annotations

import logging
import uuid

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.sql import insert_rows
from journals import services as ledger
from journals.models import Trade, TradePayment
from journals.sync.documents import PaymentSpec
from journals.sync.models import SyncedDocument, SyncRecord, Target
from journals.sync.targets.base import WorkItem, reference_for

logger = logging.getLogger(__name__)


class BuiltinTarget:
    """The hub's own ledger (journals.services): upsert by (tenant, source_key), in bulk."""

    code = Target.BUILTIN
    chunk = 1000  # documents per call of sync(): a whole claim (services.BATCH) in one transaction

    def sync(self, *, tenant, items: list[WorkItem]) -> None:
        try:
            with transaction.atomic():
                self._book(tenant, items)
        except (ApplicationError, DatabaseError):
            # One bad document must not fail the batch: redo it one document at a time to find which.
            for item in items:
                self._book_one(tenant, item)

    def _book_one(self, tenant, item: WorkItem) -> None:
        try:
            with transaction.atomic():
                self._book(tenant, [item])
        except ApplicationError as error:
            item.error = str(error.message)
        except DatabaseError:
            logger.exception("ledger sync of %s failed", item.key)
            item.error = _("会計帳簿への登録に失敗しました。時間をおいて再連携してください。")

    def _book(self, tenant, items: list[WorkItem]) -> None:
        lock_documents(tenant, [i.key for i in items])
        deletes = [i for i in items if i.operation == SyncRecord.Operation.DELETE]
        trades = [i for i in items if i not in deletes and not i.doc_type.settles]
        payments = [i for i in items if i not in deletes and i.doc_type.settles]
        trade_deletes = [i.key for i in deletes if not i.doc_type.settles]
        if trade_deletes:
            gone = list(trade_ids(tenant, trade_deletes).values())
            ledger.trades_delete_bulk(tenant=tenant, source_keys=trade_deletes)
            # The trade's payments went with it: no link (a receipt's) may still claim it.
            SyncedDocument.objects.for_tenant(tenant).filter(trade_id__in=gone).update(
                trade_id=None, deleted=True, updated_at=timezone.now())
        for item in deletes:
            if item.doc_type.settles:
                self._unpay(tenant, item)
        if trades:
            ledger.trades_save_bulk(tenant=tenant, trades=[i.ledger for i in trades])
        for item in payments:
            self._pay(tenant, item)
        ids = trade_ids(tenant, [i.key for i in trades] + [i.ledger.trade_source_key for i in payments])
        for item in trades:
            item.trade_id = ids.get(item.key)
        for item in payments:
            item.trade_id = ids.get(item.ledger.trade_source_key)
        _links_save(tenant, items, self.code)

    def _unpay(self, tenant, item: WorkItem) -> None:
        payment = TradePayment.objects.for_tenant(tenant).filter(source_key=item.key).first()
        if payment is not None:
            ledger.trade_payment_delete(tenant=tenant, payment=payment)

    def _pay(self, tenant, item: WorkItem) -> None:
        spec: PaymentSpec = item.ledger
        trade = Trade.objects.for_tenant(tenant).filter(source_key=spec.trade_source_key).first()
        if trade is None:
            if spec.trade is None:
                raise ApplicationError(_("決済する取引が会計に連携されていません。先に元の帳票を連携してください。"))
            trade = ledger.trade_save(tenant=tenant, trade=spec.trade)
        ledger.trade_payment_add(tenant=tenant, trade=trade, payment=spec.payment, source_key=item.key,
                                 from_document=True)


def lock_documents(tenant, keys: list[str]) -> None:
    """Transaction-scoped advisory locks on the documents, in a fixed order, in one statement.

    Two workers syncing the same document at once are serialised here, so the second one finds the first
    one's trade and updates it in place instead of booking a second trade.
    """
    if not keys:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT DISTINCT hashtextextended(k, 0) AS h "
            "FROM unnest(%s::text[]) AS k ORDER BY h) AS locks",
            [[f"{tenant.pk}:{key}" for key in keys]],
        )


def trade_ids(tenant, keys: list[str]) -> dict[str, int]:
    if not keys:
        return {}
    return dict(Trade.objects.for_tenant(tenant).filter(source_key__in=set(keys)).values_list("source_key", "id"))


def _links_save(tenant, items: list[WorkItem], target: str) -> None:
    """Remember what each document became (one INSERT ... ON CONFLICT for the batch)."""
    now = timezone.now()
    fields = ["tenant", "public_id", "document_type", "document_id", "target", "reference", "trade_id", "deleted",
              "synced_at", "create_attempts", "created_at", "updated_at"]
    rows = [(tenant.pk, uuid.uuid4(), i.doc_type.code, i.document_id, target, reference_for(tenant, i.key),
             i.trade_id, i.operation == SyncRecord.Operation.DELETE, now, 0, now, now)
            for i in items if not i.error]
    insert_rows(SyncedDocument, fields, rows, conflict=(
        "ON CONFLICT (tenant_id, document_type, document_id) DO UPDATE SET target = EXCLUDED.target, "
        "trade_id = EXCLUDED.trade_id, deleted = EXCLUDED.deleted, synced_at = EXCLUDED.synced_at, "
        "updated_at = EXCLUDED.updated_at"))

