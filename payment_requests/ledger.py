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
from payment_requests.models import PaymentRequest, PaymentRequestLine

DOCUMENT_TYPE = "payment_request"
DISBURSEMENT = "disbursement"
LineType = PaymentRequestLine.LineType


def register() -> None:
    """Register the "payment_request" document type (called from AppConfig.ready())."""
    from journals.sync.documents import DocumentType, Group, register_document_type

    register_document_type(DocumentType(code=DOCUMENT_TYPE, label=str(_("支払依頼")), group=Group.PURCHASES,
                                        load=load, in_period=in_period, to_ledger=to_ledger))
    register_document_type(DocumentType(code=DISBURSEMENT, label=str(_("出金")), group=Group.PAYMENTS,
                                        load=load_disbursements, in_period=disbursements_in_period,
                                        to_ledger=disbursement_payments, settles=True))


def _approved(tenant):
    return PaymentRequest.objects.for_tenant(tenant).filter(status=PaymentRequest.Status.APPROVED)


def load(tenant, ids: list[int]) -> dict:
    """The tenant's approved requests with these ids (an unapproved or deleted one is absent: not a document)."""
    from journals.sync.documents import SyncDocument

    documents = {}
    for request in _approved(tenant).filter(pk__in=ids):
        documents[request.pk] = SyncDocument(
            id=request.pk, public_id=request.public_id,
            label=str(_("支払依頼 No.%(number)s %(title)s") % {"number": request.application_number,
                                                            "title": request.title}),
            date=request.issue_date, amount=max(request.total_amount, 0), partner_name=request.partner_name,
            url=reverse("payment_requests:detail", kwargs={"public_id": request.public_id}), source=request,
        )
    return documents


def in_period(tenant, start: date, end: date, closed_only: bool) -> list[int]:
    return list(_approved(tenant).filter(issue_date__range=(start, end)).values_list("pk", flat=True))


def to_ledger(tenant, documents: list) -> dict:
    """TradeInput of each approved request (None when a row lacks its account item or tax code)."""
    from journals.services import DetailInput, TradeInput
    from journals.sync.documents import source_key

    withholding_account = AccountItem.objects.for_tenant(tenant).filter(role=AccountItem.Role.WITHHOLDING).first()
    lines_by_request: dict[int, list[PaymentRequestLine]] = {}
    for line in (PaymentRequestLine.objects.for_tenant(tenant).filter(request_id__in=[d.id for d in documents])
                 .select_related("account_item", "tax_code")):
        lines_by_request.setdefault(line.request_id, []).append(line)
    result = {}
    for document in documents:
        request = document.source
        details = [_detail(line, withholding_account, DetailInput) for line in lines_by_request.get(request.pk, [])]
        if not details or any(detail is None for detail in details):
            result[document.id] = None
            continue
        result[document.id] = TradeInput(
            kind=Trade.Kind.EXPENSE, issue_date=request.issue_date, due_date=request.payment_date,
            partner_name=request.partner_name, partner_freee_id=request.partner_id, details=tuple(details),
            source_key=source_key(DOCUMENT_TYPE, request.pk), description=request.title[:255],
        )
    return result


def _paid(tenant):
    return _approved(tenant).filter(paid_on__isnull=False, paid_wallet__isnull=False)


def load_disbursements(tenant, ids: list[int]) -> dict:
    """The tenant's approved and paid requests with these ids (unpaid or no longer approved: absent)."""
    from journals.sync.documents import SyncDocument

    documents = {}
    for request in _paid(tenant).filter(pk__in=ids).select_related("paid_wallet"):
        documents[request.pk] = SyncDocument(
            id=request.pk, public_id=request.public_id,
            label=str(_("出金 支払依頼 No.%(number)s %(title)s") % {"number": request.application_number,
                                                                 "title": request.title}),
            date=request.paid_on, amount=max(request.total_amount, 0), partner_name=request.partner_name,
            url=reverse("payment_requests:detail", kwargs={"public_id": request.public_id}), source=request,
        )
    return documents


def disbursements_in_period(tenant, start: date, end: date, closed_only: bool) -> list[int]:
    """Paid requests whose 支払日 is in the period."""
    return list(_paid(tenant).filter(paid_on__range=(start, end)).order_by("pk").values_list("pk", flat=True))


def disbursement_payments(tenant, documents: list) -> dict:
    """PaymentSpec per paid request: the net payable paid from paid_wallet on paid_on, clearing the request's
    trade (booked first from the request itself when it is not in the ledger yet). 0円: None, never synced."""
    from journals.services import PaymentInput
    from journals.sync.documents import PaymentSpec, source_key

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


def is_booked(request: PaymentRequest) -> bool:
    """Whether a trade exists for the request: in the ledger sync's records, or freee's deal_id."""
    from journals.sync.models import SyncedDocument

    if request.freee_deal_id:
        return True
    return SyncedDocument.objects.for_tenant(request.tenant).filter(
        document_type=DOCUMENT_TYPE, document_id=request.pk, deleted=False).exists()


def on_change(request: PaymentRequest, operation: str, *, action: str | None = None) -> None:
    """Queue the ledger sync: approval adds the trade, taking the approval back deletes it."""
    from journals.sync.services import document_changed

    if action in ("approve", "force_approve") and request.status == PaymentRequest.Status.APPROVED:
        document_changed(tenant=request.tenant, document_type=DOCUMENT_TYPE, document_id=request.pk, operation="add")
    elif action == "force_feedback" and getattr(request, "_was_approved", False):
        document_changed(tenant=request.tenant, document_type=DOCUMENT_TYPE, document_id=request.pk,
                         operation="delete")
