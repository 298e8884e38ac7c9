"""Payment-request writes and every workflow rule of seed 004 (freee会計 支払依頼API).

Each rule raises core.errors.ApplicationError with the Japanese message pages and the API both show.
Actions quote the current step and round (freee's target_step_id / target_round), so a stale button fails.
Events are emitted inside the transaction that makes the change; the ledger and the freee mirror are told
after the change too (see payment_requests.ledger and payment_requests.mirror).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, events
from core.errors import ApplicationError
from journals.models import AccountItem, TaxCode, Wallet
from payment_requests.models import (
    ApprovalFlowLog,
    ApprovalFlowRoute,
    ApprovalFlowStep,
    PaymentRequest,
    PaymentRequestApprover,
    PaymentRequestComment,
    PaymentRequestLine,
    RequestFormSetting,
    RouteUsage,
)
from tenancy.models import Membership, Tenant
from tenancy.permissions import PAYMENT_REQUEST_CREATE

Status = PaymentRequest.Status
LineType = PaymentRequestLine.LineType
ResourceType = ApprovalFlowStep.ResourceType
Action = ApprovalFlowLog.Action

MAX_LINES = 100
MAX_LINE_AMOUNT = 99_999_999_999
MAX_CHILDREN = 15
EDITABLE = (Status.DRAFT, Status.IN_PROGRESS, Status.FEEDBACK)
ACTIONS = ("approve", "force_approve", "cancel", "reject", "feedback", "force_feedback")


def _fail(message: str, code: str = "payment_request_rule", http_status: int = 400) -> ApplicationError:
    return ApplicationError(message, code=code, http_status=http_status)


# --------------------------------------------------------------------------- inputs


@dataclass
class LineInput:
    """One row as the form or the API sends it. `id` (a line's public id) keeps an existing row on update."""

    amount: int
    line_type: str = LineType.DEAL
    description: str = ""
    account_item: AccountItem | None = None
    tax_code: TaxCode | None = None
    id: uuid.UUID | None = None


@dataclass
class RequestInput:
    """The body of create / update (freee's POST and PUT /payment_requests, with objects instead of ids)."""

    title: str
    issue_date: dt.date
    lines: list[LineInput]
    draft: bool
    route: ApprovalFlowRoute | None = None
    approver: object | None = None  # a user, for a first step of type selected_user
    application_date: dt.date | None = None
    description: str = ""
    parent: PaymentRequest | None = None
    document_code: str = ""
    receipt_ids: list[int] = field(default_factory=list)
    payment_date: dt.date | None = None
    payment_method: str = PaymentRequest.PaymentMethod.NONE
    partner_id: int | None = None
    partner_code: str = ""
    partner_name: str = ""
    bank_code: str = ""
    bank_name: str = ""
    bank_name_kana: str = ""
    branch_code: str = ""
    branch_name: str = ""
    branch_kana: str = ""
    account_type: str = PaymentRequest.AccountType.ORDINARY
    account_number: str = ""
    account_name: str = ""
    qualified_invoice_status: str = PaymentRequest.QualifiedInvoiceStatus.UNSPECIFIED


BANK_FIELDS = ("bank_code", "bank_name", "bank_name_kana", "branch_code", "branch_name", "branch_kana",
               "account_type", "account_number", "account_name")
PLAIN_FIELDS = ("issue_date", "description", "document_code", "receipt_ids", "payment_date", "payment_method",
                "partner_id", "partner_code", "partner_name", "qualified_invoice_status", *BANK_FIELDS)


# --------------------------------------------------------------------------- settings and routes


def form_setting_for(*, tenant: Tenant) -> RequestFormSetting:
    setting, _created = RequestFormSetting.objects.get_or_create(tenant=tenant)
    return setting


def is_member(tenant: Tenant, user) -> bool:
    return user is not None and Membership.objects.filter(tenant=tenant, user=user).exists()


def usable_routes(*, tenant: Tenant) -> list[ApprovalFlowRoute]:
    """Routes a payment request may use: usage PaymentRequest and, when the form setting lists routes, listed."""
    setting = form_setting_for(tenant=tenant)
    routes = ApprovalFlowRoute.objects.for_tenant(tenant).filter(usages__contains=[RouteUsage.PAYMENT_REQUEST])
    listed = set(setting.usable_routes.values_list("pk", flat=True))
    return [route for route in routes if not listed or route.pk in listed]


def _resolve_route(tenant: Tenant, route: ApprovalFlowRoute | None) -> ApprovalFlowRoute:
    if route is None:
        route = form_setting_for(tenant=tenant).default_route
    if route is None or route.tenant_id != tenant.pk or route not in usable_routes(tenant=tenant):
        raise _fail(_("支払依頼で利用できる申請経路を指定してください。"), "route_invalid")
    if route.first_step_id is None:
        raise _fail(_("承認ステップのない申請経路は利用できません。申請経路の設定を確認してください。"), "route_invalid")
    return route


def step_candidates(step: ApprovalFlowStep) -> list:
    return list(step.users.all())


def _check_selected_approver(tenant: Tenant, step: ApprovalFlowStep, user, *, field_name: str) -> None:
    if user is None:
        raise _fail(_("この承認ステップは承認者を指定する経路です。%(field)s に承認者を指定してください。")
                    % {"field": field_name}, "approver_required")
    candidates = step_candidates(step)
    if not is_member(tenant, user) or (candidates and user not in candidates):
        raise _fail(_("指定した承認者はこの承認ステップの承認者に指定できません。"), "approver_invalid")


# --------------------------------------------------------------------------- validation of a body


def _check_lines(tenant: Tenant, lines: list[LineInput], draft: bool) -> None:
    if not lines:
        raise _fail(_("支払依頼の明細を1行以上入力してください。"), "lines_required")
    if len(lines) > MAX_LINES:
        raise _fail(_("明細は100行以内で入力してください。"), "lines_too_many")
    for line in lines:
        _check_line(tenant, line, draft)
    kinds = [line.line_type for line in lines]
    if LineType.DEAL not in kinds:
        raise _fail(_("通常行（deal_line）を1行以上含めてください。控除・マイナス行や源泉所得税行だけでは作成できません。"),
                    "deal_line_required")
    if kinds.count(LineType.WITHHOLDING) > 1:
        raise _fail(_("源泉所得税行（withholding_tax）は1行までです。"), "withholding_once")
    if not draft and _total(lines) <= 0:
        raise _fail(_("申請する場合、通常行の合計金額は控除・マイナス行と源泉所得税行の合計金額より大きくしてください。"),
                    "total_not_positive")


def _check_line(tenant: Tenant, line: LineInput, draft: bool) -> None:
    if line.line_type not in LineType.values:
        raise _fail(_("明細の種類（line_type）の値が不正です。"), "line_type_invalid")
    if line.amount is None or line.amount > MAX_LINE_AMOUNT:
        raise _fail(_("明細の金額は99,999,999,999円以下で入力してください。"), "line_amount_invalid")
    if draft and line.amount < 0:
        raise _fail(_("明細の金額（payment_request_lines.amount）には0以上を指定してください。"), "line_amount_invalid")
    if not draft and line.amount < 1:
        raise _fail(_("申請する場合、明細の金額（payment_request_lines.amount）には1以上を指定してください。"),
                    "line_amount_invalid")
    for obj in (line.account_item, line.tax_code):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise _fail(_("勘定科目または税区分が見つかりません。"), "master_invalid")
    if line.account_item is not None and line.tax_code is None:
        raise _fail(_("勘定科目を設定した行には税区分も設定してください。"), "tax_code_required")
    _check_tax_code(line)


def _check_tax_code(line: LineInput) -> None:
    code = line.tax_code
    if code is None:
        return
    if line.line_type == LineType.WITHHOLDING and not code.usable_for_income:
        raise _fail(_("源泉所得税行には「収入の登録」で使用できる税区分のみ設定できます（%(name)s は設定できません）。")
                    % {"name": code.name_ja}, "tax_code_invalid")
    if line.line_type != LineType.WITHHOLDING and not code.usable_for_expense:
        raise _fail(_("通常行・控除行には「支出の登録」で使用できる税区分のみ設定できます（%(name)s は設定できません）。")
                    % {"name": code.name_ja}, "tax_code_invalid")


def _total(lines: Iterable) -> int:
    return sum(line.amount if line.line_type == LineType.DEAL else -line.amount for line in lines)


def missing_required_fields(tenant: Tenant, data: RequestInput) -> list[str]:
    """Labels of the fields 申請フォームの設定 makes required that `data` leaves empty."""
    setting = form_setting_for(tenant=tenant)
    values = {"payment_method": data.payment_method != PaymentRequest.PaymentMethod.NONE,
              "partner": bool(data.partner_id or data.partner_code), "document_code": bool(data.document_code),
              "payment_date": data.payment_date is not None, "description": bool(data.description.strip()),
              "receipt_ids": bool(data.receipt_ids)}
    return [name for name in setting.required_fields if name in values and not values[name]]


def _check_required(tenant: Tenant, data: RequestInput) -> None:
    missing = missing_required_fields(tenant, data)
    if "payment_method" in missing:
        raise _fail(_("申請フォームの設定で支払方法が必須のため、支払方法（payment_method）に「指定なし」（none）以外を"
                      "指定してください。"), "required_field")
    if missing:
        labels = "、".join(str(RequestFormSetting.REQUIRABLE_FIELDS[name]) for name in missing)
        raise _fail(_("申請フォームの設定で入力が必須の項目を入力してください: %(fields)s") % {"fields": labels},
                    "required_field")


def _check_parent(tenant: Tenant, parent: PaymentRequest | None, current: PaymentRequest | None = None) -> None:
    if parent is None:
        return
    parent = PaymentRequest.objects.get(pk=parent.pk)  # the current row, not the caller's snapshot
    if parent.tenant_id != tenant.pk or (current is not None and parent.pk == current.pk):
        raise _fail(_("親申請が見つかりません。"), "parent_invalid")
    if parent.status != Status.APPROVED:
        raise _fail(_("親申請（parent_id）には申請ステータスがapproved（承認済み）の申請のみ指定できます。"), "parent_invalid")
    from payment_requests import ledger

    if parent.booked_as == PaymentRequest.BookedAs.TRADE or ledger.is_booked(parent):
        raise _fail(_("取引を作成済みの申請は親申請（parent_id）に指定できません。"), "parent_invalid")
    if parent.booked_as == PaymentRequest.BookedAs.MANUAL_JOURNAL:
        raise _fail(_("振替伝票を作成済みの申請は親申請（parent_id）に指定できません。"), "parent_invalid")
    children = PaymentRequest.objects.filter(parent=parent)
    if current is not None:
        children = children.exclude(pk=current.pk)
    if children.count() >= MAX_CHILDREN:
        raise _fail(_("この申請からはすでに合計15件の申請が作成されているため、親申請（parent_id）に指定できません。"),
                    "parent_invalid")


def _check_body(tenant: Tenant, data: RequestInput) -> None:
    if not (data.title or "").strip():
        raise _fail(_("申請タイトル（title）を入力してください。"), "title_required")
    if len(data.title) > 250:
        raise _fail(_("申請タイトルは250文字以内で入力してください。"), "title_too_long")
    if data.issue_date is None:
        raise _fail(_("発生日（issue_date）を入力してください。"), "issue_date_required")
    if data.payment_method not in PaymentRequest.PaymentMethod.values:
        raise _fail(_("支払方法（payment_method）の値が不正です。"), "payment_method_invalid")
    _check_lines(tenant, data.lines, data.draft)
    if not data.draft:
        _check_required(tenant, data)


# --------------------------------------------------------------------------- permissions


def can_create(membership: Membership | None) -> bool:
    return membership is not None and membership.has_perm(PAYMENT_REQUEST_CREATE)


def _check_membership(request_tenant: Tenant, membership: Membership | None) -> None:
    if membership is None or membership.tenant_id != request_tenant.pk:
        raise _fail(_("この事業所のメンバーではありません。"), "permission_denied", 403)


def route_user_ids(route: ApprovalFlowRoute) -> set[int]:
    return set(ApprovalFlowStep.users.through.objects.filter(approvalflowstep__route=route)
               .values_list("user_id", flat=True))


def current_approver_ids(request: PaymentRequest) -> set[int] | None:
    """Users who may act on the current step; None means "any member but the applicant" (指定なし)."""
    step = request.current_step
    if request.status != Status.IN_PROGRESS or step is None:
        return set()
    if step.resource_type == ResourceType.UNSPECIFIED:
        return None
    return set(request.approvers.filter(step=step, user__isnull=False).values_list("user_id", flat=True))


def is_current_approver(request: PaymentRequest, user) -> bool:
    ids = current_approver_ids(request)
    if ids is None:
        return user.pk != request.applicant_id and is_member(request.tenant, user)
    return user.pk in ids


# --------------------------------------------------------------------------- create


def payment_request_create(*, tenant: Tenant, membership: Membership, data: RequestInput) -> PaymentRequest:
    """申請をする (POST /payment_requests): draft=True saves a 下書き, False applies at the route's first step."""
    _check_membership(tenant, membership)
    if not can_create(membership):
        raise _fail(_("支払依頼の作成権限がありません。管理者に権限プロファイルの設定を依頼してください。"),
                    "permission_denied", 403)
    _check_body(tenant, data)
    route = _resolve_route(tenant, data.route)
    _check_parent(tenant, data.parent)
    first = route.first_step
    if not data.draft and first.resource_type == ResourceType.SELECTED_USER:
        _check_selected_approver(tenant, first, data.approver, field_name="approver_id")
    with transaction.atomic():
        setting = RequestFormSetting.objects.select_for_update().get(pk=form_setting_for(tenant=tenant).pk)
        request = PaymentRequest(
            tenant=tenant, applicant=membership.user, route=route, title=data.title.strip(), parent=data.parent,
            application_date=data.application_date or timezone.localdate(),
            application_number=_next_number(tenant), status=Status.DRAFT,
            mirror_state=PaymentRequest.MirrorState.PENDING if setting.mirror_to_freee else "",
            mirror_reference=f"hub-pr-{uuid.uuid4().hex[:16]}" if setting.mirror_to_freee else "",
            **{name: getattr(data, name) for name in PLAIN_FIELDS},
        )
        request.total_amount = _total(data.lines)
        request.save()
        _save_lines(request, data.lines)
        if not data.draft:
            _apply(request, membership.user, approver=data.approver)
        _after_change(request, "create", actor=membership.user)
    return request


def _next_number(tenant: Tenant) -> str:
    """申請No.: the tenant's next number (the caller holds the form-setting row lock)."""
    numbers = PaymentRequest.objects.filter(tenant=tenant).values_list("application_number", flat=True)
    top = max((int(n) for n in numbers if n.isdigit()), default=0)
    return str(top + 1)


def _save_lines(request: PaymentRequest, lines: list[LineInput]) -> None:
    """Replace the rows: rows named by id are kept (updated), rows not listed are deleted (as freee's PUT)."""
    existing = {line.public_id: line for line in request.lines.all()}
    keep = {line.id for line in lines if line.id in existing}
    request.lines.exclude(public_id__in=keep).delete()
    for position, line in enumerate(lines, start=1):
        row = existing.get(line.id) if line.id else None
        row = row or PaymentRequestLine(tenant=request.tenant, request=request)
        row.position, row.line_type, row.description = position, line.line_type, line.description[:255]
        row.amount, row.account_item, row.tax_code = line.amount, line.account_item, line.tax_code
        row.save()


# --------------------------------------------------------------------------- update


def payment_request_update(*, request: PaymentRequest, membership: Membership, data: RequestInput) -> PaymentRequest:
    """申請を更新する (PUT): who may update in which status, and which fields are ignored, per seed 004."""
    _check_membership(request.tenant, membership)
    with transaction.atomic():
        request = PaymentRequest.objects.select_for_update(of=("self",)).select_related("route", "current_step").get(pk=request.pk)
        user = membership.user
        is_applicant = user.pk == request.applicant_id
        _check_can_update(request, membership, is_applicant, data.draft)
        keep_route = request.status == Status.IN_PROGRESS or not is_applicant
        if keep_route:
            data.route, data.approver = request.route, None
        if request.status != Status.DRAFT:  # title and 申請日 only change while a draft
            data.title, data.application_date = request.title, request.application_date
        _check_body(tenant := request.tenant, data)
        _check_parent(tenant, data.parent, current=request)
        route = request.route if keep_route else _resolve_route(tenant, data.route)
        applies = not data.draft and request.status in (Status.DRAFT, Status.FEEDBACK)
        if applies and route.first_step.resource_type == ResourceType.SELECTED_USER:
            _check_selected_approver(tenant, route.first_step, data.approver, field_name="approver_id")
        for name in PLAIN_FIELDS:
            setattr(request, name, getattr(data, name))
        request.route, request.parent, request.title = route, data.parent, data.title.strip()
        request.application_date = data.application_date or request.application_date
        request.total_amount = _total(data.lines)
        request.save()
        _save_lines(request, data.lines)
        if applies:
            _apply(request, user, approver=data.approver)
        _after_change(request, "update", actor=membership.user)
    return request


def _check_can_update(request: PaymentRequest, membership: Membership, is_applicant: bool, draft: bool) -> None:
    if request.status not in EDITABLE:
        raise _fail(_("申請ステータスがdraft、in_progress、feedbackの申請のみ更新できます。"), "not_editable")
    if not is_applicant:
        if request.status == Status.DRAFT:
            raise _fail(_("申請者以外のユーザーは、申請ステータスがin_progress、feedbackの申請のみ更新できます。"),
                        "not_editable")
        if not (membership.is_admin or membership.user_id in route_user_ids(request.route)):
            raise _fail(_("この申請を更新できるのは、申請者・申請経路の承認者・管理者のみです。"), "permission_denied", 403)
    if request.status == Status.IN_PROGRESS and draft:
        raise _fail(_("申請中（in_progress）の申請を更新する場合、draftにはfalseのみ指定できます。"), "draft_invalid")
    if request.status == Status.FEEDBACK and not is_applicant and not draft:
        raise _fail(_("申請者以外のユーザーが差戻し（feedback）の申請を更新する場合、draftにはtrueのみ指定できます。"),
                    "draft_invalid")


# --------------------------------------------------------------------------- delete


def payment_request_delete(*, request: PaymentRequest, membership: Membership) -> None:
    """申請を削除する: the applicant in draft/feedback; someone else only an admin, only in feedback."""
    _check_membership(request.tenant, membership)
    with transaction.atomic():
        request = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        check_can_delete(request, membership)
        if request.children.exists():
            raise _fail(_("この申請を親申請とする申請があるため削除できません。"), "has_children")
        from payment_requests import mirror

        mirror.on_delete(request)
        audit.audit_record(tenant=request.tenant, actor=membership.user, action="payment_request.delete",
                           target=request, target_label=request.title, changes={"status": [request.status, None]})
        request.delete()


def check_can_delete(request: PaymentRequest, membership: Membership) -> None:
    if membership.user_id == request.applicant_id:
        if request.status not in (Status.DRAFT, Status.FEEDBACK):
            raise _fail(_("申請者は、申請ステータスがdraft、feedbackの申請のみ削除できます。"), "not_deletable")
        return
    if not membership.is_admin:
        raise _fail(_("申請者以外のユーザーが申請を削除するには管理者権限が必要です。"), "not_deletable", 403)
    if request.status != Status.FEEDBACK:
        raise _fail(_("申請者以外のユーザーは、申請ステータスがfeedbackの申請のみ削除できます。"), "not_deletable")


# --------------------------------------------------------------------------- apply (start / restart the flow)


def _apply(request: PaymentRequest, user, *, approver=None) -> None:
    """Start the flow: round + 1, the first step current, approver slots reset, logged and announced."""
    route = request.route
    first = route.first_step
    request.approvers.all().delete()
    slots = []
    for step in route.ordered_steps():
        slots += _slots_for(request, step, approver if step.pk == first.pk else None)
    PaymentRequestApprover.objects.bulk_create(slots)
    request.status, request.current_step, request.approved_at = Status.IN_PROGRESS, first, None
    request.current_round += 1
    request.save(update_fields=["status", "current_step", "current_round", "approved_at", "updated_at"])
    log = _log(request, Action.APPLY, user, first)
    _announce(request, events.PAYMENT_REQUEST_SUBMITTED, _step_recipients(request, first), log,
              _("支払依頼の承認依頼"), _("「%(title)s」の承認をお願いします。"))


def _slots_for(request: PaymentRequest, step: ApprovalFlowStep, chosen) -> list[PaymentRequestApprover]:
    base = {"tenant": request.tenant, "request": request, "step": step, "resource_type": step.resource_type}
    if step.resource_type == ResourceType.PREDEFINED_USER:
        return [PaymentRequestApprover(**base, user=user) for user in step.users.all()] or [
            PaymentRequestApprover(**base)]
    return [PaymentRequestApprover(**base, user=chosen)]


def _step_recipients(request: PaymentRequest, step: ApprovalFlowStep) -> list[int]:
    if step.resource_type == ResourceType.UNSPECIFIED:
        admins = Membership.objects.filter(tenant=request.tenant, role=Membership.Role.ADMIN)
        return [uid for uid in admins.values_list("user_id", flat=True) if uid != request.applicant_id]
    return list(request.approvers.filter(step=step, user__isnull=False).values_list("user_id", flat=True))


def _log(request: PaymentRequest, action: str, user, step: ApprovalFlowStep | None) -> ApprovalFlowLog:
    return ApprovalFlowLog.objects.create(tenant=request.tenant, request=request, action=action, user=user,
                                          step=step, round=request.current_round)


def _announce(request: PaymentRequest, kind: str, recipients, log: ApprovalFlowLog, title: str, text: str) -> None:
    url = reverse("payment_requests:detail", kwargs={"public_id": request.public_id})
    step = request.current_step
    events.emit(tenant=request.tenant, kind=kind, recipients=recipients,
                key=f"{kind}:{request.public_id}:{log.pk}",
                payload={"title": str(title), "text": str(text) % {"title": request.title}, "url": url,
                         "request_id": str(request.public_id), "step_id": str(step.public_id) if step else None,
                         "round": request.current_round})


# --------------------------------------------------------------------------- actions


@dataclass
class ActionInput:
    """freee's POST /payment_requests/{id}/actions body (ids as our public ids)."""

    action: str
    target_step_id: uuid.UUID | str | None
    target_round: int | None
    next_approver: object | None = None


def payment_request_act(*, request: PaymentRequest, membership: Membership, data: ActionInput) -> PaymentRequest:
    """申請に対してアクションする: approve, force_approve, cancel, reject, feedback, force_feedback."""
    _check_membership(request.tenant, membership)
    if data.action not in ACTIONS:
        raise _fail(_("approval_action の値が不正です。"), "action_invalid")
    with transaction.atomic():
        request = (PaymentRequest.objects.select_for_update(of=("self",))
                   .select_related("tenant", "route", "current_step__next_step").get(pk=request.pk))
        check_action(request, membership, data.action)
        _check_target(request, data)
        user = membership.user
        handler = {"approve": _approve, "force_approve": _approve, "reject": _reject, "feedback": _feedback,
                   "cancel": _cancel, "force_feedback": _force_feedback}[data.action]
        handler(request, user, data)
        _after_change(request, "action", action=data.action, actor=membership.user)
    return request


def check_action(request: PaymentRequest, membership: Membership, action: str) -> None:
    """Raise when `membership` may not do `action` on the request as it is now (the page hides such buttons)."""
    user = membership.user
    if action == "force_feedback":
        if not membership.is_admin:
            raise _fail(_("承認済み・却下済みの取消（force_feedback）は管理者権限を持つユーザーのみ実行できます。"),
                        "action_forbidden", 403)
        if request.status not in (Status.APPROVED, Status.REJECTED):
            raise _fail(_("承認済み・却下済みの取消（force_feedback）は、申請ステータスがapproved、rejectedの申請のみ"
                          "実行できます。"), "action_status")
        if request.paid_on is not None:
            raise _fail(_("支払登録済みの申請は承認を取り消せません。先に支払登録を取り消してください。"), "already_paid")
        return
    if request.status != Status.IN_PROGRESS:
        raise _fail(_("この操作は申請ステータスがin_progress（申請中）の申請のみ実行できます。"), "action_status")
    if action == "cancel" and user.pk != request.applicant_id:
        raise _fail(_("申請の取消（cancel）は申請者のみ実行できます。"), "action_forbidden", 403)
    if action == "force_approve":
        _check_force_approve(request, membership)
    if action in ("approve", "reject", "feedback") and not is_current_approver(request, user):
        verb = {"approve": _("承認"), "reject": _("却下"), "feedback": _("差戻し")}[action]
        raise _fail(_("%(verb)sは対象承認ステップの承認者ユーザーのみ実行できます。") % {"verb": verb},
                    "action_forbidden", 403)


def _check_force_approve(request: PaymentRequest, membership: Membership) -> None:
    if not membership.is_admin:
        raise _fail(_("代理承認（force_approve）は管理者権限を持つユーザーのみ実行できます。"), "action_forbidden", 403)
    if membership.user_id == request.applicant_id:
        raise _fail(_("申請者ユーザーは代理承認（force_approve）できません。"), "action_forbidden", 403)
    if is_current_approver(request, membership.user):
        raise _fail(_("対象承認ステップの承認者ユーザーは代理承認（force_approve）できません。承認（approve）してください。"),
                    "action_forbidden", 403)


def _check_target(request: PaymentRequest, data: ActionInput) -> None:
    step = request.current_step
    if step is None or str(data.target_step_id) != str(step.public_id) or data.target_round != request.current_round:
        raise _fail(_("この申請は他の操作で更新されています（target_step_id / target_round が現在の承認ステップ・ラウンドと"
                      "一致しません）。画面を再読み込みしてから操作してください。"), "stale_action", 409)


def available_actions(request: PaymentRequest, membership: Membership | None) -> list[str]:
    """The actions `membership` may use now (the detail page shows only these buttons)."""
    if membership is None:
        return []
    allowed = []
    for action in ACTIONS:
        try:
            check_action(request, membership, action)
        except ApplicationError:
            continue
        allowed.append(action)
    return allowed


def lines_missing_masters(request: PaymentRequest) -> bool:
    return request.lines.filter(account_item__isnull=True).exists() or request.lines.filter(
        tax_code__isnull=True).exists()


def _approve(request: PaymentRequest, user, data: ActionInput) -> None:
    step = request.current_step
    force = data.action == "force_approve"
    following = step.next_step
    if following is None and lines_missing_masters(request):
        raise _fail(_("勘定科目・税区分が未設定の行があるため、最終承認者は承認できません。すべての行に勘定科目と税区分を"
                      "設定してください。"), "final_approval_masters")
    if following is not None and following.resource_type == ResourceType.SELECTED_USER:
        _check_selected_approver(request.tenant, following, data.next_approver, field_name="next_approver_id")
        request.approvers.filter(step=following).update(user=data.next_approver)
    _mark_slot(request, step, user, PaymentRequestApprover.Status.APPROVED, force=force)
    log = _log(request, Action.FORCE_APPROVE if force else Action.APPROVE, user, step)
    if following is None:
        request.status, request.approved_at = Status.APPROVED, timezone.now()
        request.save(update_fields=["status", "approved_at", "updated_at"])
        _announce(request, events.PAYMENT_REQUEST_APPROVED, [request.applicant_id], log, _("支払依頼の承認"),
                  _("「%(title)s」が承認されました。"))
        return
    request.current_step = following
    request.save(update_fields=["current_step", "updated_at"])
    _announce(request, events.PAYMENT_REQUEST_NEXT_STEP, _step_recipients(request, following), log,
              _("支払依頼の承認依頼"), _("「%(title)s」の承認をお願いします。"))


def _mark_slot(request: PaymentRequest, step: ApprovalFlowStep, user, status: str, *, force: bool = False) -> None:
    """Record the actor's decision on the step's slot (指定なし: the empty slot becomes the actor's)."""
    slots = request.approvers.filter(step=step)
    mine = slots.filter(user=user).first() if not force else None
    slot = mine or slots.filter(user__isnull=True).first() or slots.first()
    if slot is None:
        slot = PaymentRequestApprover(tenant=request.tenant, request=request, step=step,
                                      resource_type=step.resource_type)
    if slot.user_id is None and step.resource_type == ResourceType.UNSPECIFIED:
        slot.user = user
    slot.status, slot.is_force_action = status, force
    slot.save()


def _reject(request: PaymentRequest, user, data: ActionInput) -> None:
    _mark_slot(request, request.current_step, user, PaymentRequestApprover.Status.REJECTED)
    request.status = Status.REJECTED
    request.save(update_fields=["status", "updated_at"])
    log = _log(request, Action.REJECT, user, request.current_step)
    _announce(request, events.PAYMENT_REQUEST_REJECTED, [request.applicant_id], log, _("支払依頼の却下"),
              _("「%(title)s」が却下されました。"))


def _feedback(request: PaymentRequest, user, data: ActionInput) -> None:
    step = request.current_step
    _mark_slot(request, step, user, PaymentRequestApprover.Status.FEEDBACK)
    request.status, request.current_step = Status.FEEDBACK, None
    request.save(update_fields=["status", "current_step", "updated_at"])
    log = _log(request, Action.FEEDBACK, user, step)
    _announce(request, events.PAYMENT_REQUEST_FEEDBACK, [request.applicant_id], log, _("支払依頼の差戻し"),
              _("「%(title)s」が差し戻されました。内容を確認してください。"))


def _cancel(request: PaymentRequest, user, data: ActionInput) -> None:
    step = request.current_step
    request.status, request.current_step = Status.DRAFT, None
    request.save(update_fields=["status", "current_step", "updated_at"])
    _log(request, Action.CANCEL, user, step)


def _force_feedback(request: PaymentRequest, user, data: ActionInput) -> None:
    """Admin-only: the flow (not the approvers' statuses) goes to feedback; 指定なし steps gain the admin."""
    step = request.current_step
    was_approved = request.status == Status.APPROVED
    if step.resource_type == ResourceType.UNSPECIFIED and not request.approvers.filter(step=step, user=user).exists():
        PaymentRequestApprover.objects.create(tenant=request.tenant, request=request, step=step, user=user,
                                              status=PaymentRequestApprover.Status.FEEDBACK, is_force_action=True,
                                              resource_type=step.resource_type)
    request.status, request.current_step, request.approved_at = Status.FEEDBACK, None, None
    request.save(update_fields=["status", "current_step", "approved_at", "updated_at"])
    log = _log(request, Action.FORCE_FEEDBACK, user, step)
    _announce(request, events.PAYMENT_REQUEST_FEEDBACK, [request.applicant_id], log, _("支払依頼の差戻し"),
              _("「%(title)s」の承認・却下が取り消され、差戻しになりました。"))
    request._was_approved = was_approved


# --------------------------------------------------------------------------- comments


def payment_request_comment(*, request: PaymentRequest, membership: Membership, comment: str) -> PaymentRequestComment:
    """コメント: any member of the tenant may comment."""
    _check_membership(request.tenant, membership)
    text = (comment or "").strip()
    if not text:
        raise _fail(_("コメントを入力してください。"), "comment_required")
    if len(text) > 2000:
        raise _fail(_("コメントは2000文字以内で入力してください。"), "comment_too_long")
    return PaymentRequestComment.objects.create(tenant=request.tenant, request=request, user=membership.user,
                                                comment=text)


# --------------------------------------------------------------------------- 支払登録 (出金)


def payment_request_pay(*, tenant: Tenant, request: PaymentRequest, membership: Membership, paid_on: dt.date,
                        wallet: Wallet) -> PaymentRequest:
    """支払登録: an admin records that an approved request was paid on `paid_on` from `wallet`.

    Books the "disbursement" document (出金: 未払金/買掛金 against the wallet) through journals.sync, in the
    same transaction, and leaves a comment on the request as its record.
    """
    check_can_pay(tenant, request, membership)
    if isinstance(paid_on, dt.datetime) or not isinstance(paid_on, dt.date):
        raise _fail(_("支払日を年月日で入力してください。"), "paid_on_invalid")
    if wallet is None or wallet.tenant_id != tenant.pk:
        raise _fail(_("支払口座が見つかりません。"), "wallet_not_found")
    if not wallet.is_active:
        raise _fail(_("使用しない設定の口座には支払登録できません。"), "wallet_inactive")
    with transaction.atomic():
        request = PaymentRequest.objects.select_for_update(of=("self",)).select_related("tenant").get(pk=request.pk)
        if request.status != Status.APPROVED:
            raise _fail(_("支払登録できるのは承認済みの支払依頼のみです。"), "not_approved")
        if request.paid_on is not None:
            raise _fail(_("この支払依頼は支払登録済みです（支払日: %(date)s）。") % {
                "date": request.paid_on.strftime("%Y/%m/%d")}, "already_paid")
        request.paid_on, request.paid_wallet, request.paid_by = paid_on, wallet, membership.user
        request.save(update_fields=["paid_on", "paid_wallet", "paid_by", "updated_at"])
        _record(request, membership, _("支払登録しました（支払日: %(date)s、口座: %(wallet)s、金額: %(amount)s円）。"),
                paid_on, wallet)
        _disbursement_changed(request, "add", membership)
    return request


def payment_request_unpay(*, tenant: Tenant, request: PaymentRequest, membership: Membership) -> PaymentRequest:
    """支払登録を取り消す: an admin clears the payment; the 出金 is deleted from the ledger (with 自動連携 on)."""
    check_can_pay(tenant, request, membership)
    with transaction.atomic():
        request = (PaymentRequest.objects.select_for_update(of=("self",)).select_related("tenant", "paid_wallet")
                   .get(pk=request.pk))
        if request.paid_on is None:
            raise _fail(_("この支払依頼は支払登録されていません。"), "not_paid")
        paid_on, wallet = request.paid_on, request.paid_wallet
        request.paid_on, request.paid_wallet, request.paid_by = None, None, None
        request.save(update_fields=["paid_on", "paid_wallet", "paid_by", "updated_at"])
        _record(request, membership, _("支払登録を取り消しました（支払日: %(date)s、口座: %(wallet)s、金額: %(amount)s円）。"),
                paid_on, wallet)
        _disbursement_changed(request, "delete", membership)
    return request


def check_can_pay(tenant: Tenant, request: PaymentRequest, membership: Membership | None) -> None:
    """Raise unless `membership` may register or take back the request's payment (admins of its tenant)."""
    if request.tenant_id != tenant.pk:
        raise _fail(_("支払依頼が見つかりません。"), "not_found", 404)
    _check_membership(tenant, membership)
    if not membership.is_admin:
        raise _fail(_("支払登録とその取消は管理者のみ行えます。"), "permission_denied", 403)


def _record(request: PaymentRequest, membership: Membership, text: str, paid_on: dt.date, wallet: Wallet) -> None:
    """The payment's trace on the request: a comment by the admin (approval-flow logs are freee's actions only)."""
    comment = text % {"date": paid_on.strftime("%Y/%m/%d"), "wallet": wallet.name,
                      "amount": f"{request.total_amount:,}"}
    PaymentRequestComment.objects.create(tenant=request.tenant, request=request, user=membership.user,
                                         comment=comment)


def _disbursement_changed(request: PaymentRequest, operation: str, membership: Membership) -> None:
    from journals.sync.services import document_changed
    from payment_requests.ledger import DISBURSEMENT

    document_changed(tenant=request.tenant, document_type=DISBURSEMENT, document_id=request.pk, operation=operation,
                     actor=membership.user)


# --------------------------------------------------------------------------- after every change


def _after_change(request: PaymentRequest, operation: str, *, action: str | None = None, actor=None) -> None:
    """Tell the ledger (approved / un-approved), queue the freee mirror and write the audit trail, in the same
    transaction."""
    from payment_requests import ledger, mirror

    ledger.on_change(request, operation, action=action)
    mirror.on_change(request, operation, action=action)
    audit.audit_record(tenant=request.tenant, actor=actor, action=f"payment_request.{operation}", target=request,
                       target_label=request.title, changes={"action": [None, action]} if action else
                       {"status": [None, request.status]})


# --------------------------------------------------------------------------- routes and form setting


@dataclass
class StepInput:
    resource_type: str
    users: list = field(default_factory=list)


def route_save(*, tenant: Tenant, membership: Membership, name: str, description: str, usages: list[str],
               steps: list[StepInput], route: ApprovalFlowRoute | None = None) -> ApprovalFlowRoute:
    """Create or replace a route with its steps, chained in the given order (admins only)."""
    _check_admin(tenant, membership)
    if not name.strip():
        raise _fail(_("申請経路名を入力してください。"), "route_name_required")
    if not steps:
        raise _fail(_("承認ステップを1つ以上追加してください。"), "route_steps_required")
    for step in steps:
        if step.resource_type not in ResourceType.values:
            raise _fail(_("承認方法の値が不正です。"), "route_step_invalid")
        if step.resource_type == ResourceType.PREDEFINED_USER and not step.users:
            raise _fail(_("「承認者を指定」のステップには承認者を1人以上選んでください。"), "route_step_invalid")
        if any(not is_member(tenant, user) for user in step.users):
            raise _fail(_("承認者にはこの事業所のメンバーを選んでください。"), "route_step_invalid")
    if route is not None and route.tenant_id != tenant.pk:
        raise _fail(_("申請経路が見つかりません。"), "route_invalid")
    before, action = (_route_snapshot(route), "approval_route.update") if route else ({}, "approval_route.create")
    with transaction.atomic():
        if route is not None and route.freee_route_id:
            _imported_route_users_set(route, steps)
        else:
            route = route or ApprovalFlowRoute(tenant=tenant)
            route.name, route.description, route.usages = name.strip()[:255], description, list(usages)
            route.first_step = None
            route.save()
            _replace_steps(route, steps)
        audit.audit_record(tenant=tenant, actor=membership.user, action=action, target=route,
                           changes=audit.changes_between(before, _route_snapshot(route)))
    return route


def _route_snapshot(route: ApprovalFlowRoute) -> dict:
    """What the audit trail shows of a route: its texts and each step with its approvers."""
    steps = []
    for step in route.ordered_steps():
        approvers = ", ".join(sorted(user.get_username() for user in step.users.all()))
        steps.append(f"{step.position}. {step.get_resource_type_display()}" + (f" ({approvers})" if approvers else ""))
    return {"name": route.name, "description": route.description, "usages": list(route.usages), "steps": steps}


def _imported_route_users_set(route: ApprovalFlowRoute, steps: list[StepInput]) -> ApprovalFlowRoute:
    """A route imported from freee keeps its steps (freee owns them); only who approves each step is set here."""
    existing = route.ordered_steps()
    if [s.resource_type for s in existing] != [s.resource_type for s in steps]:
        raise _fail(_("freeeから取り込んだ申請経路のステップは変更できません（承認者のみ設定できます）。freeeで変更してから"
                      "取り込み直してください。"), "route_imported")
    for step, spec in zip(existing, steps, strict=True):
        step.users.set(spec.users)
    return route


def _replace_steps(route: ApprovalFlowRoute, steps: list[StepInput]) -> None:
    in_use = PaymentRequest.objects.filter(route=route, status__in=[Status.IN_PROGRESS]).exists()
    if in_use:
        raise _fail(_("申請中の支払依頼が使っている申請経路のステップは変更できません。"), "route_in_use")
    PaymentRequestApprover.objects.filter(step__route=route).delete()
    route.steps.all().delete()
    created = []
    for position, spec in enumerate(steps, start=1):
        step = ApprovalFlowStep.objects.create(tenant=route.tenant, route=route, position=position,
                                               resource_type=spec.resource_type)
        step.users.set(spec.users)
        created.append(step)
    for step, following in zip(created, created[1:], strict=False):
        step.next_step = following
        step.save(update_fields=["next_step", "updated_at"])
    route.first_step = created[0]
    route.save(update_fields=["first_step", "updated_at"])


def route_delete(*, route: ApprovalFlowRoute, membership: Membership) -> None:
    _check_admin(route.tenant, membership)
    if route.payment_requests.exists():
        raise _fail(_("この申請経路を使った支払依頼があるため削除できません。"), "route_in_use")
    with transaction.atomic():
        audit.audit_record(tenant=route.tenant, actor=membership.user, action="approval_route.delete", target=route,
                           changes=audit.changes_between(_route_snapshot(route), {}))
        route.delete()


def form_setting_save(*, tenant: Tenant, membership: Membership, required_fields: list[str],
                      usable_routes: list[ApprovalFlowRoute], default_route: ApprovalFlowRoute | None
                      ) -> RequestFormSetting:
    """申請フォームの設定: 入力の必須化, the routes usable for payment requests, and the 基本経路."""
    _check_admin(tenant, membership)
    unknown = set(required_fields) - set(RequestFormSetting.REQUIRABLE_FIELDS)
    if unknown:
        raise _fail(_("必須にできない項目が含まれています。"), "setting_invalid")
    if any(route.tenant_id != tenant.pk or not route.usable_for_payment_requests for route in usable_routes):
        raise _fail(_("支払依頼に利用できる申請経路のみ選べます。"), "setting_invalid")
    if default_route is not None and usable_routes and default_route not in usable_routes:
        raise _fail(_("基本経路は支払依頼で利用する申請経路から選んでください。"), "setting_invalid")
    setting = form_setting_for(tenant=tenant)
    before = _form_setting_snapshot(setting)
    with transaction.atomic():
        setting.required_fields, setting.default_route = list(required_fields), default_route
        setting.save()
        setting.usable_routes.set(usable_routes)
        audit.audit_record(tenant=tenant, actor=membership.user, action="payment_request.settings_update",
                           target=setting, target_label=_("申請フォームの設定"),
                           changes=audit.changes_between(before, _form_setting_snapshot(setting)))
    return setting


def _form_setting_snapshot(setting: RequestFormSetting) -> dict:
    return {"required_fields": sorted(setting.required_fields),
            "usable_routes": sorted(route.name for route in setting.usable_routes.all()),
            "default_route": setting.default_route.name if setting.default_route else None}


def _check_admin(tenant: Tenant, membership: Membership | None) -> None:
    _check_membership(tenant, membership)
    if not membership.is_admin:
        raise _fail(_("この操作は管理者のみ行えます。"), "permission_denied", 403)


def member_users(tenant: Tenant):
    return get_user_model().objects.filter(memberships__tenant=tenant).order_by("username")

