"""The freee会計 target: documents become freee deals (/api/1/deals), one document at a time.

Every document is one or two HTTP calls that must run outside any transaction. freee has no idempotency key:
each document's SyncedDocument row holds our reference (the deal's ref_number) and a create counter, and a
later attempt that sees a non-zero counter searches freee for the reference before any second POST.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from deals.models import Deal
from integrations.freee import messages as freee_messages
from integrations.freee import schemas
from integrations.freee.client import FreeeClient
from integrations.freee.endpoints import TAGS_MAX_LIMIT
from integrations.freee.errors import FreeeError, Permanent, RateLimited, Transient
from integrations.freee.services import connection_for
from journals.sync.documents import PaymentSpec, plan_allows_projects
from journals.sync.models import FreeeProjectTag, SyncedDocument, SyncRecord, Target
from journals.sync.targets.base import WorkItem, reference_for

logger = logging.getLogger(__name__)

PROJECT_TAG_PREFIX = "案件: "
WALLET_TYPES = {"bank": "bank_account", "bank_account": "bank_account", "card": "credit_card",
                "credit_card": "credit_card", "cash": "wallet", "wallet": "wallet"}


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
        try:
            client = FreeeClient(connection_for(tenant=tenant), max_wait=5)
        except (ApplicationError, FreeeError) as error:
            for item in items:
                item.error = _message(error)
            return
        for item in items:
            self._sync_one(tenant, client, item)

    def _sync_one(self, tenant, client, item: WorkItem) -> None:
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
    return (PROJECT_TAG_PREFIX + " ".join(deal_name.split()))[:schemas.TAG_NAME_MAX]


def project_tag_ids(tenant, client, trade) -> list[int] | None:
    """tag_ids for the deal's details: the 案件's メモタグ when the plan carries 案件 (seed 001), else None.

    The tag is cached per (tenant, 案件, freee company); on a miss it is looked up by name before it is
    created, under a lock per tag name, so syncs of one 案件's documents never create two tags.
    """
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


def _message(error) -> str:
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
    # vat: the document's own tax (an invoice's per-rate tax), else freee computes it.
    return [detail_class(tax_code=_freee_tax_code(d.tax_code), account_item_id=_freee_account_item_id(d.account_item),
                         amount=int(d.amount), vat=getattr(d, "tax_amount", None), description=(d.description or None),
                         tag_ids=tag_ids)
            for d in trade.details]


def deal_create_body(trade, reference: str, *, tag_ids: list[int] | None = None):
    payments = [schemas.DealPaymentInput(amount=int(p.amount), date=p.date, **walletable(p.wallet))
                for p in (trade.payments or [])]
    return schemas.DealCreate(issue_date=trade.issue_date, type=_kind(trade), due_date=trade.due_date,
                              partner_id=trade.partner_freee_id or None, ref_number=reference,
                              details=_details(trade, schemas.DealDetailInput, tag_ids), payments=payments or None)


def deal_update_body(trade, reference: str, *, tag_ids: list[int] | None = None):
    return schemas.DealUpdate(issue_date=trade.issue_date, type=_kind(trade), due_date=trade.due_date,
                              partner_id=trade.partner_freee_id or None, ref_number=reference,
                              details=_details(trade, schemas.DealUpdateDetail, tag_ids))
