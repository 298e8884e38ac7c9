"""The payment request as a ledger document (帳票): an approved request becomes an unsettled expense trade.

Registered with journals.sync from PaymentRequestsConfig.ready(). The trade's details are the request's rows:
通常行 as they are, 控除・マイナス行 as negative rows on their own account item, and the 源泉所得税行 as a
negative row on 預り金 (freee books withholding that way). The unsettled part goes to the first row's
相手勘定科目 (仕入高 → 買掛金), else 未払金 (journals.services decides).

"disbursement" (出金) is the same request once an admin registered its payment (支払登録: paid_on, paid_wallet):
a payment of the net payable amount (total_amount, withholding and deductions already taken off) that clears the
request's trade (未払金/買掛金 against the wallet) on paid_on.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from journals.models import AccountItem, Trade
from journals.services import DetailInput, PaymentInput, TradeInput
from journals.sync.documents import DocumentType, Group, PaymentSpec, SyncDocument, register_document_type, source_key
from journals.sync.models import SyncedDocument
from journals.sync.services import document_changed
from payment_requests.models import PaymentRequest, PaymentRequestLine

DOCUMENT_TYPE = "payment_request"
DISBURSEMENT = "disbursement"
LineType = PaymentRequestLine.LineType


def register() -> None:
    """Register the "payment_request" document type (called from AppConfig.ready())."""
    register_document_type(DocumentType(code=DOCUMENT_TYPE, label=str(_("支払依頼")), group=Group.PURCHASES,
                                        load=load, in_period=in_period, to_ledger=to_ledger))
    register_document_type(DocumentType(code=DISBURSEMENT, label=str(_("出金")), group=Group.PAYMENTS,
                                        load=load_disbursements, in_period=disbursements_in_period,
                                        to_ledger=disbursement_payments, settles=True))


def _approved(tenant):
    return PaymentRequest.objects.for_tenant(tenant).filter(status=PaymentRequest.Status.APPROVED)


def load(tenant, ids: list[int]) -> dict:
    """The tenant's approved requests with these ids (an unapproved or deleted one is absent: not a document)."""
    documents = {}
    for payment_request in _approved(tenant).filter(pk__in=ids):
        label = _("支払依頼 No.%(number)s %(title)s") % {"number": payment_request.application_number,
                                                      "title": payment_request.title}
        documents[payment_request.pk] = _document(payment_request, str(label), payment_request.issue_date)
    return documents


def _document(payment_request: PaymentRequest, label: str, on: date) -> SyncDocument:
    """The request as a ledger document dated `on` (its 発生日, or the 支払日 of its disbursement)."""
    return SyncDocument(
        id=payment_request.pk, public_id=payment_request.public_id, label=label, date=on,
        amount=max(payment_request.total_amount, 0), partner_name=payment_request.partner_name,
        url=reverse("payment_requests:detail", kwargs={"public_id": payment_request.public_id}),
        source=payment_request,
    )


def in_period(tenant, start: date, end: date, closed_only: bool) -> list[int]:
    return list(_approved(tenant).filter(issue_date__range=(start, end)).values_list("pk", flat=True))


def to_ledger(tenant, documents: list) -> dict:
    """TradeInput of each approved request (None when a row lacks its account item or tax code)."""
    withholding_account = AccountItem.objects.for_tenant(tenant).filter(role=AccountItem.Role.WITHHOLDING).first()
    lines_by_request: dict[int, list[PaymentRequestLine]] = {}
    for line in (PaymentRequestLine.objects.for_tenant(tenant).filter(request_id__in=[d.id for d in documents])
                 .select_related("account_item", "tax_code")):
        lines_by_request.setdefault(line.request_id, []).append(line)
    result = {}
    for document in documents:
        payment_request = document.source
        rows = lines_by_request.get(payment_request.pk, [])
        details = [_detail(line, withholding_account, DetailInput) for line in rows]
        if not details or any(detail is None for detail in details):
            result[document.id] = None
            continue
        result[document.id] = TradeInput(
            kind=Trade.Kind.EXPENSE, issue_date=payment_request.issue_date, due_date=payment_request.payment_date,
            partner_name=payment_request.partner_name, partner_freee_id=payment_request.partner_id,
            details=tuple(details), source_key=source_key(DOCUMENT_TYPE, payment_request.pk),
            description=payment_request.title[:255],
        )
    return result


def _paid(tenant):
    return _approved(tenant).filter(paid_on__isnull=False, paid_wallet__isnull=False)


def load_disbursements(tenant, ids: list[int]) -> dict:
    """The tenant's approved and paid requests with these ids (unpaid or no longer approved: absent)."""
    documents = {}
    for payment_request in _paid(tenant).filter(pk__in=ids).select_related("paid_wallet"):
        label = _("出金 支払依頼 No.%(number)s %(title)s") % {"number": payment_request.application_number,
                                                           "title": payment_request.title}
        documents[payment_request.pk] = _document(payment_request, str(label), payment_request.paid_on)
    return documents


def disbursements_in_period(tenant, start: date, end: date, closed_only: bool) -> list[int]:
    """Paid requests whose 支払日 is in the period."""
    return list(_paid(tenant).filter(paid_on__range=(start, end)).order_by("pk").values_list("pk", flat=True))


def disbursement_payments(tenant, documents: list) -> dict:
    """PaymentSpec per paid request: the net payable paid from paid_wallet on paid_on, clearing the request's
    trade (booked first from the request itself when it is not in the ledger yet). 0円: None, never synced."""
    trades = to_ledger(tenant, [d for d in documents if d.amount])
    return {d.id: PaymentSpec(trade_source_key=source_key(DOCUMENT_TYPE, d.id),
                              payment=PaymentInput(date=d.date, wallet=d.source.paid_wallet, amount=d.amount),
                              trade=trades.get(d.id))
            if d.amount else None for d in documents}


def _detail(line: PaymentRequestLine, withholding_account, detail_class):
    account = line.account_item
    if line.line_type == LineType.WITHHOLDING and account is None:
        account = withholding_account
    if account is None or line.tax_code is None:
        return None
    amount = line.amount if line.line_type == LineType.DEAL else -line.amount
    return detail_class(account_item=account, tax_code=line.tax_code, amount=amount,
                        description=line.description or str(line.get_line_type_display()))


def is_booked(payment_request: PaymentRequest) -> bool:
    """Whether a trade exists for the request: in the ledger sync's records, or freee's deal_id."""
    if payment_request.freee_deal_id:
        return True
    return SyncedDocument.objects.for_tenant(payment_request.tenant).filter(
        document_type=DOCUMENT_TYPE, document_id=payment_request.pk, deleted=False).exists()


def on_change(payment_request: PaymentRequest, operation: str, *, action: str | None = None,
              was_approved: bool = False) -> None:
    """Queue the ledger sync: approval adds the trade; a force_feedback of a request that `was_approved`
    (before that action) deletes it."""
    if action in ("approve", "force_approve") and payment_request.status == PaymentRequest.Status.APPROVED:
        _queue(payment_request, "add")
    elif action == "force_feedback" and was_approved:
        _queue(payment_request, "delete")


def _queue(payment_request: PaymentRequest, operation: str) -> None:
    document_changed(tenant=payment_request.tenant, document_type=DOCUMENT_TYPE, document_id=payment_request.pk,
                     operation=operation)
