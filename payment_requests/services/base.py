"""What every payment-request service shares: the error it raises, the membership checks, and what happens
after every change (ledger, freee mirror, audit trail)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core import audit
from core.errors import ApplicationError
from payment_requests import ledger, mirror
from payment_requests.models import ApprovalFlowLog, ApprovalFlowStep, PaymentRequest, PaymentRequestLine
from payment_requests.selectors import plan_refusal
from tenancy.models import Membership, Tenant

Status = PaymentRequest.Status
LineType = PaymentRequestLine.LineType
ResourceType = ApprovalFlowStep.ResourceType
Action = ApprovalFlowLog.Action

MAX_LINES = 100
MAX_LINE_AMOUNT = 99_999_999_999
MAX_CHILDREN = 15
ACTIONS = ("approve", "force_approve", "cancel", "reject", "feedback", "force_feedback")


def fail(message: str, code: str = "payment_request_rule", http_status: int = 400) -> ApplicationError:
    """The error of a broken rule, with the Japanese message pages and the API both show."""
    return ApplicationError(message, code=code, http_status=http_status)


def check_membership(tenant: Tenant, membership: Membership | None) -> None:
    """Raise unless `membership` is of `tenant` (the payment request's tenant) and the tenant's freee plan has
    支払依頼 (every payment-request service starts here)."""
    if membership is None or membership.tenant_id != tenant.pk:
        raise fail(_("この事業所のメンバーではありません。"), "permission_denied", 403)
    check_plan(tenant)


def check_plan(tenant: Tenant) -> None:
    """403 with seed 004's explanation when the tenant's freee plan has no 支払依頼."""
    refusal = plan_refusal(tenant=tenant)
    if refusal:
        raise fail(refusal, "plan_unavailable", 403)


def check_admin(tenant: Tenant, membership: Membership | None) -> None:
    """Raise unless `membership` is an admin of `tenant`."""
    check_membership(tenant, membership)
    if not membership.is_admin:
        raise fail(_("この操作は管理者のみ行えます。"), "permission_denied", 403)


def after_change(payment_request: PaymentRequest, operation: str, *, action: str | None = None, actor=None,
                 was_approved: bool = False) -> None:
    """Tell the ledger (approved / un-approved), queue the freee mirror and write the audit trail, in the same
    transaction. `was_approved`: the request was approved before this action (a force_feedback takes it back)."""
    ledger.on_change(payment_request, operation, action=action, was_approved=was_approved)
    mirror.on_change(payment_request, operation, action=action)
    audit.audit_record(tenant=payment_request.tenant, actor=actor, action=f"payment_request.{operation}",
                       target=payment_request, target_label=payment_request.title,
                       changes={"action": [None, action]} if action else {"status": [None, payment_request.status]})
