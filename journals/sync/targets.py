"""Ledger targets behind one interface: the built-in ledger (default) and freee会計 (/api/1/deals).

`target.sync(tenant=, items=)` books a batch of WorkItems and fills each one's outcome (trade_id /
freee_deal_id / note, or error). The built-in target works on the whole batch in one transaction with a
constant number of statements; freee goes one document at a time, because every document is one or two
HTTP calls that must run outside any transaction.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.sql import insert_rows
from journals.sync.documents import DocumentType, PaymentSpec, SyncDocument, plan_allows_projects, source_key
from journals.sync.models import FreeeProjectTag, SyncedDocument, SyncRecord, Target

logger = logging.getLogger(__name__)

PROJECT_TAG_PREFIX = "案件: "
WALLET_TYPES = {"bank": "bank_account", "bank_account": "bank_account", "card": "credit_card",
                "credit_card": "credit_card", "cash": "wallet", "wallet": "wallet"}


class RetryLater(Exception):
    """The document is busy elsewhere or freee asked us to wait: the record goes back to 連携待ち."""

    def __init__(self, retry_after: float, message: str = ""):
        super().__init__(message or f"retry after {retry_after:.0f}s")
        self.retry_after = retry_after
        self.message = message


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
    error: str = ""
    retry_after: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return source_key(self.doc_type.code, self.document_id)


def target_for(code: str):
    return FreeeTarget() if code == Target.FREEE else BuiltinTarget()


def reference_for(tenant, key: str) -> str:
    """Our correlation key written into freee's ref_number: short, stable per (tenant, document)."""
    return "HUB-" + hashlib.sha256(f"{tenant.pk}|{key}".encode()).hexdigest()[:15].upper()


# --------------------------------------------------------------------------- built-in ledger


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
        from journals import services as ledger

        lock_documents(tenant, [i.key for i in items])
        deletes = [i for i in items if i.operation == SyncRecord.Operation.DELETE]
        trades = [i for i in items if i not in deletes and not i.doc_type.settles]
        payments = [i for i in items if i not in deletes and i.doc_type.settles]
        trade_deletes = [i.key for i in deletes if not i.doc_type.settles]
        if trade_deletes:
            ledger.trades_delete_bulk(tenant=tenant, source_keys=trade_deletes)
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
        from journals import services as ledger
        from journals.models import TradePayment

        payment = TradePayment.objects.for_tenant(tenant).filter(source_key=item.key).first()
        if payment is not None:
            ledger.trade_payment_delete(tenant=tenant, payment=payment)

    def _pay(self, tenant, item: WorkItem) -> None:
        from journals import services as ledger
        from journals.models import Trade

        spec: PaymentSpec = item.ledger
        trade = Trade.objects.for_tenant(tenant).filter(source_key=spec.trade_source_key).first()
        if trade is None:
            if spec.trade is None:
                raise ApplicationError(_("決済する取引が会計に連携されていません。先に元の帳票を連携してください。"))
            trade = ledger.trade_save(tenant=tenant, trade=spec.trade)
        ledger.trade_payment_add(tenant=tenant, trade=trade, payment=spec.payment, source_key=item.key)


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
    from journals.models import Trade

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


# --------------------------------------------------------------------------- freee会計


class FreeeTarget:
    """freee会計 deals: create / update (PUT) / delete, with reconciliation before any second POST.

    freee has no idempotency key. Each document has a SyncedDocument row with our reference (written into the
    deal's ref_number) and a create counter bumped and committed before each POST: a later attempt that sees
    a non-zero counter first searches freee's deals (partner, issue date, type) for that reference.
    """

    code = Target.FREEE
    # Documents per call of sync(), each one or two HTTP calls: their outcomes are written after each chunk, so
    # a worker that dies has at most this many documents whose deals freee has and whose records say 連携中.
    chunk = 20

    def sync(self, *, tenant, items: list[WorkItem]) -> None:
        from integrations.freee.client import FreeeClient
        from integrations.freee.errors import FreeeError

        try:
            client = FreeeClient(_connection(tenant), max_wait=5)
        except (ApplicationError, FreeeError) as error:
            for item in items:
                item.error = _message(error)
            return
        for item in items:
            self._sync_one(tenant, client, item)

    def _sync_one(self, tenant, client, item: WorkItem) -> None:
        from integrations.freee import messages as freee_messages
        from integrations.freee.errors import FreeeError, RateLimited, Transient

        link = _lease(tenant, item)
        if link is None:
            item.retry_after = 5
            return
        try:
            self._apply(tenant, client, item, link)
        except RateLimited as error:
            item.retry_after, item.error = error.retry_after, freee_messages.call_error(error)
        except Transient as error:
            item.retry_after = 30
            item.error = _("freeeの応答を確認できませんでした（要確認）。freeeに取引が作成されたかを確認してから再試行します。")
            logger.info("freee deal sync transient: %s", error)
        except (FreeeError, ApplicationError) as error:
            item.error = _message(error)
        finally:
            _release(link)

    def _apply(self, tenant, client, item: WorkItem, link: SyncedDocument) -> None:
        from integrations.freee.errors import Permanent

        if item.operation == SyncRecord.Operation.DELETE and item.doc_type.settles:
            self._unpay(client, item, link)
            return
        if item.operation == SyncRecord.Operation.DELETE:
            if link.freee_deal_id:
                try:
                    client.deal_delete(link.freee_deal_id)
                except Permanent as error:
                    if error.status != 404:
                        raise
            _link_update(link, freee_deal_id=None, deleted=True)
            return
        if item.doc_type.settles:
            self._pay(tenant, client, item, link)
            return
        tag_ids = project_tag_ids(tenant, client, item.ledger)
        if link.freee_deal_id:
            remote = client.deal_update(link.freee_deal_id,
                                        deal_update_body(item.ledger, link.reference, tag_ids=tag_ids))
        else:
            body = deal_create_body(item.ledger, link.reference, tag_ids=tag_ids)
            remote = reconcile(client, body, link.reference) if link.create_attempts else None
            if remote is None:
                SyncedDocument.objects.filter(pk=link.pk).update(create_attempts=F("create_attempts") + 1)
                remote = client.deal_create(body)
        item.freee_deal_id = remote.id
        _link_update(link, freee_deal_id=remote.id, deleted=False)

    def _pay(self, tenant, client, item: WorkItem, link: SyncedDocument) -> None:
        """入金/出金: register the payment on the settled document's freee deal (POST /deals/{id}/payments).

        The payment's id is kept on the document's link: a re-sync does not add it twice, and a delete (the
        document is no longer settled) removes exactly it. Like a deal, a payment POST whose outcome is unknown
        is reconciled against the deal's payments before it is sent again.
        """
        from integrations.freee import schemas

        spec: PaymentSpec = item.ledger
        code, _sep, raw_id = spec.trade_source_key.partition(":")
        parent = SyncedDocument.objects.for_tenant(tenant).filter(document_type=code, document_id=int(raw_id)).first()
        if parent is None or not parent.freee_deal_id:
            raise ApplicationError(_("決済する取引がfreeeに連携されていません。先に元の帳票を連携してください。"))
        item.freee_deal_id = deal_id = parent.freee_deal_id
        if link.freee_payment_id and link.freee_deal_id == deal_id and not link.deleted:
            return  # already registered on this deal
        body = schemas.DealPaymentCreate(date=spec.payment.date, amount=int(spec.payment.amount),
                                         **walletable(spec.payment.wallet))
        payment = payment_reconcile(tenant, client.deal_show(deal_id), body) if link.create_attempts else None
        if payment is None:
            SyncedDocument.objects.filter(pk=link.pk).update(create_attempts=F("create_attempts") + 1)
            payment = payment_reconcile(tenant, client.deal_payment_create(deal_id, body), body)
        _link_update(link, freee_deal_id=deal_id, freee_payment_id=payment.id if payment else None, deleted=False,
                     create_attempts=0)

    def _unpay(self, client, item: WorkItem, link: SyncedDocument) -> None:
        """The settling document is gone (e.g. the invoice is unsettled again): remove its payment in freee."""
        from integrations.freee.errors import Permanent

        if link.freee_deal_id and link.freee_payment_id:
            try:
                client.deal_payment_delete(link.freee_deal_id, link.freee_payment_id)
            except Permanent as error:
                if error.status != 404:  # already gone (deal or payment deleted in freee)
                    raise
            item.freee_deal_id = link.freee_deal_id
        _link_update(link, freee_deal_id=None, freee_payment_id=None, deleted=True, create_attempts=0)


def payment_reconcile(tenant, deal, body):
    """The deal's payment that matches `body` (date, amount, 口座) and no other document of ours claims; the
    newest one, since freee appends payments. None when freee has no such payment."""
    claimed = set(SyncedDocument.objects.for_tenant(tenant).filter(
        freee_deal_id=deal.id, freee_payment_id__isnull=False, deleted=False).values_list("freee_payment_id", flat=True))
    matches = [p for p in deal.payments if p.id not in claimed and p.date == body.date and p.amount == body.amount
               and p.from_walletable_type == body.from_walletable_type
               and p.from_walletable_id == body.from_walletable_id]
    return max(matches, key=lambda p: p.id, default=None)


# --------------------------------------------------------------------------- 案件 as a freee メモタグ


def project_tag_name(deal_name: str) -> str:
    """The メモタグ name of a 案件: "案件: <name>", cut to freee's 30 characters."""
    from integrations.freee.schemas import TAG_NAME_MAX

    return (PROJECT_TAG_PREFIX + " ".join(deal_name.split()))[:TAG_NAME_MAX]


def project_tag_ids(tenant, client, trade) -> list[int] | None:
    """tag_ids for the deal's details: the 案件's メモタグ when the plan carries 案件 (seed 001), else None.

    The tag is cached per (tenant, 案件, freee company); on a miss it is looked up by name before it is
    created, under a lock per tag name, so syncs of one 案件's documents never create two tags.
    """
    from deals.models import Deal

    deal_id = getattr(trade, "deal_id", None)
    if not deal_id or not plan_allows_projects(tenant.plan):
        return None
    deal_name = Deal.objects.for_tenant(tenant).filter(pk=deal_id).values_list("name", flat=True).first()
    if deal_name is None:
        return None
    name = project_tag_name(deal_name)
    scope = FreeeProjectTag.objects.for_tenant(tenant).filter(deal_id=deal_id, company_id=client.company_id)
    cached = scope.first()
    if cached is not None and cached.name == name:
        return [cached.freee_tag_id]
    with _session_lock(f"freee-tag:{tenant.pk}:{client.company_id}:{name}"):
        tag_id = _tag_find_or_create(client, name)
    FreeeProjectTag.objects.update_or_create(tenant=tenant, deal_id=deal_id, company_id=client.company_id,
                                             defaults={"freee_tag_id": tag_id, "name": name})
    return [tag_id]


def _tag_find_or_create(client, name: str) -> int:
    from integrations.freee import schemas
    from integrations.freee.errors import Permanent

    found = _tag_find(client, name)
    if found is not None:
        return found
    try:
        return client.tag_create(schemas.TagCreate(name=name)).id
    except Permanent:
        found = _tag_find(client, name)  # created meanwhile outside the hub (freee refuses duplicate names)
        if found is None:
            raise
        return found


def _tag_find(client, name: str) -> int | None:
    from integrations.freee.endpoints import TAGS_MAX_LIMIT

    offset = 0
    while True:
        tags = client.tags_list(offset=offset, limit=TAGS_MAX_LIMIT)
        for tag in tags:
            if tag.name == name:
                return tag.id
        if len(tags) < TAGS_MAX_LIMIT:
            return None
        offset += TAGS_MAX_LIMIT


class _session_lock:  # noqa: N801 - used like a function
    """A PostgreSQL session advisory lock: not a transaction, so freee may be called while it is held."""

    def __init__(self, key: str):
        self.key = key

    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [self.key])

    def __exit__(self, *exc_info):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [self.key])


def _connection(tenant):
    from integrations.models import FreeeConnection

    found = FreeeConnection.objects.filter(tenant=tenant).first()
    if found is None or not found.is_connected:
        raise ApplicationError(_("freeeと接続されていません。管理者設定 > 外部サービス連携 > 会計freee から接続してください。"),
                               code="freee_not_connected")
    return found


def _message(error) -> str:
    from integrations.freee import messages as freee_messages
    from integrations.freee.errors import FreeeError

    if isinstance(error, FreeeError):
        return freee_messages.call_error(error)
    return str(getattr(error, "message", error))


def _lease(tenant, item: WorkItem) -> SyncedDocument | None:
    """Take the document's lease (conditional UPDATE); None when another worker holds it."""
    link, _created = SyncedDocument.objects.get_or_create(
        tenant=tenant, document_type=item.doc_type.code, document_id=item.document_id,
        defaults={"target": Target.FREEE, "reference": reference_for(tenant, item.key)})
    now = timezone.now()
    free = SyncedDocument.objects.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=link.pk)
    if free.update(lease_until=now + timedelta(seconds=settings.LEDGER_SYNC_LEASE_SECONDS)) != 1:
        return None
    link.refresh_from_db()
    return link


def _release(link: SyncedDocument) -> None:
    SyncedDocument.objects.filter(pk=link.pk).update(lease_until=None)


def _link_update(link: SyncedDocument, **fields) -> None:
    SyncedDocument.objects.filter(pk=link.pk).update(target=Target.FREEE, synced_at=timezone.now(), **fields)


def reconcile(client, body, reference: str):
    """Find a deal freee already stored for this document: same partner, date and type, our ref_number."""
    offset = 0
    while True:
        page = client.deals_list(partner_id=body.partner_id, type=body.type, start_issue_date=body.issue_date,
                                 end_issue_date=body.issue_date, offset=offset, limit=100)
        for deal in page.deals:
            if deal.ref_number == reference:
                return deal
        if len(page.deals) < 100:
            return None
        offset += 100


# --------------------------------------------------------------------------- freee bodies


def _attr(obj, *names):
    for name in names:
        value = getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return None


def _freee_account_item_id(item) -> int:
    value = _attr(item, "freee_id", "freee_account_item_id")
    if not value:
        raise ApplicationError(_("勘定科目「%(name)s」がfreeeの勘定科目と対応付けられていません。"
                                 "会計の設定からfreeeの勘定科目を取り込んでください。") % {"name": getattr(item, "name", item)})
    return int(value)


def _freee_tax_code(tax) -> int:
    value = _attr(tax, "freee_code", "freee_id", "code")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApplicationError(_("税区分「%(name)s」がfreeeの税区分と対応付けられていません。"
                                 "会計の設定からfreeeの税区分を取り込んでください。") % {"name": getattr(tax, "name", tax)}) from None


def walletable(wallet) -> dict:
    """freee's from_walletable_type / from_walletable_id of one of our 口座."""
    value = _attr(wallet, "freee_id", "freee_walletable_id")
    kind = WALLET_TYPES.get(str(_attr(wallet, "freee_type", "kind", "type") or ""))
    if not value or not kind:
        raise ApplicationError(_("口座「%(name)s」がfreeeの口座と対応付けられていません。"
                                 "会計の設定からfreeeの口座を取り込んでください。") % {"name": getattr(wallet, "name", wallet)})
    return {"from_walletable_type": kind, "from_walletable_id": int(value)}


def _kind(trade) -> str:
    kind = str(getattr(trade.kind, "value", trade.kind))
    return "income" if kind in {"income", "sale", "sales"} else "expense"


def _details(trade, detail_class, tag_ids: list[int] | None) -> list:
    return [detail_class(tax_code=_freee_tax_code(d.tax_code), account_item_id=_freee_account_item_id(d.account_item),
                         amount=int(d.amount), description=(d.description or None), tag_ids=tag_ids)
            for d in trade.details]


def deal_create_body(trade, reference: str, *, tag_ids: list[int] | None = None):
    from integrations.freee import schemas

    payments = [schemas.DealPaymentInput(amount=int(p.amount), date=p.date, **walletable(p.wallet))
                for p in (trade.payments or [])]
    return schemas.DealCreate(issue_date=trade.issue_date, type=_kind(trade), due_date=trade.due_date,
                              partner_id=trade.partner_freee_id or None, ref_number=reference,
                              details=_details(trade, schemas.DealDetailInput, tag_ids), payments=payments or None)


def deal_update_body(trade, reference: str, *, tag_ids: list[int] | None = None):
    from integrations.freee import schemas

    return schemas.DealUpdate(issue_date=trade.issue_date, type=_kind(trade), due_date=trade.due_date,
                              partner_id=trade.partner_freee_id or None, ref_number=reference,
                              details=_details(trade, schemas.DealUpdateDetail, tag_ids))
