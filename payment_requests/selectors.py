"""Payment-request reads: the form setting, usable routes, who approves the current step, the totals of a
set of rows, and what a member may do with a request (the page shows only what the services would allow).

Never imports payment_requests.services (the services read through here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from integrations.models import FreeeConnection
from payment_requests.models import (
    ApprovalFlowRoute,
    ApprovalFlowStep,
    PaymentRequest,
    PaymentRequestLine,
    RequestFormSetting,
    RouteUsage,
)
from payment_requests.withholding import withholding_tax_amount
from tenancy.models import Membership, Tenant
from tenancy.permissions import PAYMENT_REQUEST_CREATE

Status = PaymentRequest.Status
LineType = PaymentRequestLine.LineType
ResourceType = ApprovalFlowStep.ResourceType

EDITABLE = (Status.DRAFT, Status.IN_PROGRESS, Status.FEEDBACK)
PAYMENT_REQUEST_DAILY_CAPS = {FreeeConnection.DailyCap.ADVANCE, FreeeConnection.DailyCap.ENTERPRISE}


def form_setting_for(*, tenant: Tenant) -> RequestFormSetting:
    """The tenant's 申請フォームの設定 (created with its defaults the first time it is needed)."""
    setting, _created = RequestFormSetting.objects.get_or_create(tenant=tenant)
    return setting


# Seed 004: 支払依頼機能は会計freeeの法人・エンタープライズプラン、法人・プロフェッショナルプランのみ利用可.
PLAN_UNAVAILABLE = _("支払依頼機能は会計freeeの以下のプランのみ利用できます: 法人・エンタープライズプラン、法人・"
                     "プロフェッショナルプラン（現在の法人アドバンスプラン）。接続中のfreee事業所（%(company)s）のプランでは"
                     "支払依頼を利用できません。プランを変更した場合は、管理者がfreee連携の設定で「1日のAPI利用上限"
                     "（freeeのプラン）」を変更してください。")


def plan_refusal(*, tenant: Tenant) -> str | None:
    """Seed 004's explanation when the tenant's freee company is on a plan without 支払依頼, else None.

    The plan is the one the admin chose for the connection (its daily API cap names the plan: 5,000 法人
    アドバンス / 旧法人プロフェッショナル, 10,000 法人エンタープライズ). A tenant without a connected freee company
    runs payment requests on the built-in ledger only: no freee plan applies."""
    connection = FreeeConnection.objects.filter(tenant=tenant, company_id__isnull=False).first()
    if connection is None or connection.daily_cap in PAYMENT_REQUEST_DAILY_CAPS:
        return None
    return str(PLAN_UNAVAILABLE) % {"company": connection.company_name or connection.company_id}


def is_member(tenant: Tenant, user) -> bool:
    """Whether `user` is an active member of `tenant` (a deactivated member can neither apply nor approve)."""
    return user is not None and Membership.objects.filter(tenant=tenant, user=user, is_active=True).exists()


def usable_routes(*, tenant: Tenant) -> list[ApprovalFlowRoute]:
    """Routes a payment request may use: usage PaymentRequest and, when the form setting lists routes, listed."""
    setting = form_setting_for(tenant=tenant)
    routes = ApprovalFlowRoute.objects.for_tenant(tenant).filter(usages__contains=[RouteUsage.PAYMENT_REQUEST])
    listed = set(setting.usable_routes.values_list("pk", flat=True))
    return [route for route in routes if not listed or route.pk in listed]


def step_candidates(step: ApprovalFlowStep) -> list:
    """The users a step lists (for 申請時に指定: who may be chosen; empty: any member)."""
    return list(step.users.all())


def can_create(membership: Membership | None) -> bool:
    """Whether the member may create payment requests (権限プロファイル)."""
    return membership is not None and membership.has_perm(PAYMENT_REQUEST_CREATE)


def route_user_ids(route: ApprovalFlowRoute) -> set[int]:
    """Every approver listed on any step of the route."""
    return set(ApprovalFlowStep.users.through.objects.filter(approvalflowstep__route=route)
               .values_list("user_id", flat=True))


def current_approver_ids(payment_request: PaymentRequest) -> set[int] | None:
    """Users who may act on the current step; None means "any member but the applicant" (指定なし)."""
    step = payment_request.current_step
    if payment_request.status != Status.IN_PROGRESS or step is None:
        return set()
    if step.resource_type == ResourceType.UNSPECIFIED:
        return None
    return set(payment_request.approvers.filter(step=step, user__isnull=False).values_list("user_id", flat=True))


def is_current_approver(payment_request: PaymentRequest, user) -> bool:
    """Whether `user` may approve, reject or send back the request at its current step."""
    ids = current_approver_ids(payment_request)
    if ids is None:
        return user.pk != payment_request.applicant_id and is_member(payment_request.tenant, user)
    return user.pk in ids


def lines_missing_masters(payment_request: PaymentRequest) -> bool:
    """Whether a row lacks its account item or tax code (the final approval needs both on every row)."""
    lines = payment_request.lines
    return lines.filter(account_item__isnull=True).exists() or lines.filter(tax_code__isnull=True).exists()


def member_users(tenant: Tenant):
    """The tenant's members as users, by username (approver and applicant choices)."""
    return get_user_model().objects.filter(memberships__tenant=tenant).order_by("username")


@dataclass(frozen=True)
class LineTotals:
    """合計 of a request's rows: 通常行, 控除・マイナス行 and 源泉所得税行, what is paid, and the NTA withholding
    the 通常行 net of deductions would carry (a suggestion the form shows)."""

    deal_total: int
    negative_total: int
    withheld_total: int

    @property
    def payment_total(self) -> int:
        return self.deal_total - self.negative_total - self.withheld_total

    @property
    def suggested_withholding(self) -> int:
        return withholding_tax_amount(self.deal_total - self.negative_total)

    def as_context(self) -> dict:
        """The names the totals box of the form shows."""
        return {"deal_total": self.deal_total, "negative_total": self.negative_total,
                "withheld_total": self.withheld_total, "payment_total": self.payment_total,
                "suggested_withholding": self.suggested_withholding}


def line_totals(lines: Iterable) -> LineTotals:
    """The totals of rows with `line_type` and `amount` (a row of any other type counts as a 通常行)."""
    deal = negative = withheld = 0
    for line in lines:
        if line.line_type == LineType.WITHHOLDING:
            withheld += line.amount
        elif line.line_type == LineType.NEGATIVE:
            negative += line.amount
        else:
            deal += line.amount
    return LineTotals(deal_total=deal, negative_total=negative, withheld_total=withheld)


def payment_total(lines: Iterable) -> int:
    """支払金額 (total_amount): 通常行 minus 控除・マイナス行 and 源泉所得税行."""
    return line_totals(lines).payment_total


def can_edit(payment_request: PaymentRequest, user) -> bool:
    """Whether the detail page offers 編集: an editable status, and a draft only to its applicant (who else may
    update which request is checked by the update itself)."""
    return payment_request.status in EDITABLE and (
        user.pk == payment_request.applicant_id or payment_request.status != Status.DRAFT)


def can_pay(payment_request: PaymentRequest, membership: Membership | None) -> bool:
    """Whether the member may register (or take back) the request's payment now: an admin, an approved request."""
    return bool(membership is not None and membership.is_admin and payment_request.status == Status.APPROVED)
