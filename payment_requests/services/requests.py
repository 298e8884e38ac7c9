"""The payment request itself: its body (inputs and their validation), create, update (PUT), delete, comments.

Each rule raises ApplicationError (services.base.fail) with the Japanese message pages and the API both show.
Applying starts the approval flow (services.workflow); every change ends in services.base.after_change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from journals.models import AccountItem, LedgerSettings, TaxCode, TaxRate
from journals.selectors import ledger_settings_for
from payment_requests import ledger, mirror
from payment_requests.models import (
    ApprovalFlowRoute,
    PaymentRequest,
    PaymentRequestComment,
    PaymentRequestLine,
    RequestFormSetting,
)
from payment_requests.selectors import EDITABLE, can_create, form_setting_for, payment_total, route_user_ids
from payment_requests.services.base import (
    MAX_CHILDREN,
    MAX_LINE_AMOUNT,
    MAX_LINES,
    LineType,
    ResourceType,
    Status,
    after_change,
    check_membership,
    fail,
)
from payment_requests.services.routes import resolve_route
from payment_requests.services.workflow import check_selected_approver, flow_apply
from tenancy.models import Membership, Tenant


@dataclass
class LineInput:
    """One row as the form or the API sends it. `id` (a line's public id) keeps an existing row on update."""

    amount: int
    line_type: str = LineType.DEAL
    description: str = ""
    account_item: AccountItem | None = None
    tax_code: TaxCode | None = None
    id: uuid.UUID | None = None
    item_id: int | None = None  # freee's 品目 id


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
    # Names of the fields above the caller did not send: an update keeps their stored values (create: defaults).
    omitted: frozenset[str] = frozenset()


BANK_FIELDS = ("bank_code", "bank_name", "bank_name_kana", "branch_code", "branch_name", "branch_kana",
               "account_type", "account_number", "account_name")
PLAIN_FIELDS = ("issue_date", "description", "document_code", "receipt_ids", "payment_date", "payment_method",
                "partner_id", "partner_code", "partner_name", "qualified_invoice_status", *BANK_FIELDS)
# What a PUT may leave out (title, issue_date, lines and draft it must send, as freee's PUT requires them).
OMITTABLE = frozenset({*PLAIN_FIELDS, "route", "approver", "parent", "application_date"} - {"issue_date"})


def _check_lines(tenant: Tenant, lines: list[LineInput], draft: bool) -> None:
    if not lines:
        raise fail(_("支払依頼の明細を1行以上入力してください。"), "lines_required")
    if len(lines) > MAX_LINES:
        raise fail(_("明細は100行以内で入力してください。"), "lines_too_many")
    ledger_settings = ledger_settings_for(tenant=tenant)
    for line in lines:
        _check_line(tenant, line, draft, ledger_settings)
    kinds = [line.line_type for line in lines]
    if LineType.DEAL not in kinds:
        raise fail(_("通常行（deal_line）を1行以上含めてください。控除・マイナス行や源泉所得税行だけでは作成できません。"),
                   "deal_line_required")
    if kinds.count(LineType.WITHHOLDING) > 1:
        raise fail(_("源泉所得税行（withholding_tax）は1行までです。"), "withholding_once")
    if not draft and payment_total(lines) <= 0:
        raise fail(_("申請する場合、通常行の合計金額は控除・マイナス行と源泉所得税行の合計金額より大きくしてください。"),
                   "total_not_positive")


def _check_line(tenant: Tenant, line: LineInput, draft: bool, ledger_settings: LedgerSettings) -> None:
    if line.line_type not in LineType.values:
        raise fail(_("明細の種類（line_type）の値が不正です。"), "line_type_invalid")
    if line.amount is None or line.amount > MAX_LINE_AMOUNT:
        raise fail(_("明細の金額は99,999,999,999円以下で入力してください。"), "line_amount_invalid")
    if draft and line.amount < 0:
        raise fail(_("明細の金額（payment_request_lines.amount）には0以上を指定してください。"), "line_amount_invalid")
    if not draft and line.amount < 1:
        raise fail(_("申請する場合、明細の金額（payment_request_lines.amount）には1以上を指定してください。"),
                   "line_amount_invalid")
    for obj in (line.account_item, line.tax_code):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise fail(_("勘定科目または税区分が見つかりません。"), "master_invalid")
    if line.account_item is not None and not line.account_item.is_active:
        raise fail(_("使用しない勘定科目は支払依頼に設定できません（%(name)s）。") % {"name": line.account_item.name},
                   "account_item_invalid")
    if line.account_item is not None and line.tax_code is None:
        raise fail(_("勘定科目を設定した行には税区分も設定してください。"), "tax_code_required")
    _check_tax_code(line, ledger_settings)


def _check_tax_code(line: LineInput, ledger_settings: LedgerSettings) -> None:
    """税区分の設定 (seed 004): 「この税区分を使用する」, 「支出の登録」 / 「収入の登録」 by row, 消費税率「使用する」."""
    code = line.tax_code
    if code is None:
        return
    if not code.freee_available:
        raise fail(_("「この税区分を使用する」がオフの税区分は支払依頼に設定できません（%(name)s）。")
                   % {"name": code.name_ja}, "tax_code_invalid")
    if line.line_type == LineType.WITHHOLDING and not code.usable_for_income:
        raise fail(_("源泉所得税行には「収入の登録」で使用できる税区分のみ設定できます（%(name)s は設定できません）。")
                   % {"name": code.name_ja}, "tax_code_invalid")
    if line.line_type != LineType.WITHHOLDING and not code.usable_for_expense:
        raise fail(_("通常行・控除行には「支出の登録」で使用できる税区分のみ設定できます（%(name)s は設定できません）。")
                   % {"name": code.name_ja}, "tax_code_invalid")
    if not ledger_settings.rate_in_use(code):
        raise fail(_("消費税率%(rate)sを「使用しない」設定のため、この税区分は支払依頼に設定できません（%(name)s）。"
                     "会計設定で消費税率を「使用する」にしてください。")
                   % {"rate": TaxRate(code.rate_key).label, "name": code.name_ja}, "tax_code_invalid")


def missing_required_fields(tenant: Tenant, data: RequestInput) -> list[str]:
    """Labels of the fields 申請フォームの設定 makes required that `data` leaves empty (支払先: a freee partner by
    id or code, or the name the form's 支払先（取引先名） gives)."""
    setting = form_setting_for(tenant=tenant)
    partner = bool(data.partner_id or data.partner_code.strip() or data.partner_name.strip())
    values = {"payment_method": data.payment_method != PaymentRequest.PaymentMethod.NONE,
              "partner": partner, "document_code": bool(data.document_code),
              "payment_date": data.payment_date is not None, "description": bool(data.description.strip()),
              "receipt_ids": bool(data.receipt_ids)}
    return [name for name in setting.required_fields if name in values and not values[name]]


def _check_required(tenant: Tenant, data: RequestInput) -> None:
    missing = missing_required_fields(tenant, data)
    if "payment_method" in missing:
        raise fail(_("申請フォームの設定で支払方法が必須のため、支払方法（payment_method）に「指定なし」（none）以外を"
                     "指定してください。"), "required_field")
    if missing:
        labels = "、".join(str(RequestFormSetting.REQUIRABLE_FIELDS[name]) for name in missing)
        raise fail(_("申請フォームの設定で入力が必須の項目を入力してください: %(fields)s") % {"fields": labels},
                   "required_field")


def _check_parent(tenant: Tenant, parent: PaymentRequest | None, current: PaymentRequest | None = None) -> None:
    if parent is None:
        return
    parent = PaymentRequest.objects.get(pk=parent.pk)  # the current row, not the caller's snapshot
    if parent.tenant_id != tenant.pk or (current is not None and parent.pk == current.pk):
        raise fail(_("親申請が見つかりません。"), "parent_invalid")
    if parent.status != Status.APPROVED:
        raise fail(_("親申請（parent_id）には申請ステータスがapproved（承認済み）の申請のみ指定できます。"), "parent_invalid")
    if parent.booked_as == PaymentRequest.BookedAs.TRADE or ledger.is_booked(parent):
        raise fail(_("取引を作成済みの申請は親申請（parent_id）に指定できません。"), "parent_invalid")
    if parent.booked_as == PaymentRequest.BookedAs.MANUAL_JOURNAL:
        raise fail(_("振替伝票を作成済みの申請は親申請（parent_id）に指定できません。"), "parent_invalid")
    children = PaymentRequest.objects.filter(parent=parent)
    if current is not None:
        children = children.exclude(pk=current.pk)
    if children.count() >= MAX_CHILDREN:
        raise fail(_("この申請からはすでに合計15件の申請が作成されているため、親申請（parent_id）に指定できません。"),
                   "parent_invalid")


def _check_body(tenant: Tenant, data: RequestInput) -> None:
    if not (data.title or "").strip():
        raise fail(_("申請タイトル（title）を入力してください。"), "title_required")
    if len(data.title) > 250:
        raise fail(_("申請タイトルは250文字以内で入力してください。"), "title_too_long")
    if data.issue_date is None:
        raise fail(_("発生日（issue_date）を入力してください。"), "issue_date_required")
    if data.payment_method not in PaymentRequest.PaymentMethod.values:
        raise fail(_("支払方法（payment_method）の値が不正です。"), "payment_method_invalid")
    _check_lines(tenant, data.lines, data.draft)
    _check_breakdowns(data)
    if not data.draft:
        _check_required(tenant, data)


def _check_breakdowns(data: RequestInput) -> None:
    """勘定科目の内訳管理 (seed 004): a row whose account item manages its breakdown by partner or item takes only
    the partners / items tied to it; applying needs one (a draft may leave it empty)."""
    for line in data.lines:
        account = line.account_item
        if account is None:
            continue
        partners = account.breakdown_partner_names
        if partners and (data.partner_id not in partners if data.partner_id else not data.draft):
            raise fail(_("勘定科目「%(account)s」は取引先で内訳管理しているため、支払先には勘定科目に紐づけられた取引先"
                         "（%(names)s）のみ設定できます。") % {"account": account.name, "names": "、".join(
                             partners.values())}, "breakdown_partner")
        items = account.breakdown_item_names
        if items and (line.item_id not in items if line.item_id else not data.draft):
            raise fail(_("勘定科目「%(account)s」は品目で内訳管理しているため、品目には勘定科目に紐づけられた品目"
                         "（%(names)s）のみ設定できます。") % {"account": account.name, "names": "、".join(
                             items.values())}, "breakdown_item")


def payment_request_create(*, tenant: Tenant, membership: Membership, data: RequestInput) -> PaymentRequest:
    """申請をする (POST /payment_requests): draft=True saves a 下書き, False applies at the route's first step."""
    check_membership(tenant, membership)
    if not can_create(membership):
        raise fail(_("支払依頼の作成権限がありません。管理者に権限プロファイルの設定を依頼してください。"),
                   "permission_denied", 403)
    _check_body(tenant, data)
    route = resolve_route(tenant, data.route)
    _check_parent(tenant, data.parent)
    first = route.first_step
    if not data.draft and first.resource_type == ResourceType.SELECTED_USER:
        check_selected_approver(tenant, first, data.approver, field_name="approver_id")
    with transaction.atomic():
        setting = RequestFormSetting.objects.select_for_update().get(pk=form_setting_for(tenant=tenant).pk)
        payment_request = PaymentRequest(
            tenant=tenant, applicant=membership.user, route=route, title=data.title.strip(), parent=data.parent,
            application_date=data.application_date or timezone.localdate(),
            application_number=_next_number(tenant), status=Status.DRAFT,
            mirror_state=PaymentRequest.MirrorState.PENDING if setting.mirror_to_freee else "",
            mirror_reference=f"hub-pr-{uuid.uuid4().hex[:16]}" if setting.mirror_to_freee else "",
            **{name: getattr(data, name) for name in PLAIN_FIELDS},
        )
        payment_request.total_amount = payment_total(data.lines)
        payment_request.save()
        _save_lines(payment_request, data.lines)
        if not data.draft:
            flow_apply(payment_request, membership.user, approver=data.approver)
        after_change(payment_request, "create", actor=membership.user)
    return payment_request


def _next_number(tenant: Tenant) -> str:
    """申請No.: the tenant's next number (the caller holds the form-setting row lock)."""
    numbers = PaymentRequest.objects.filter(tenant=tenant).values_list("application_number", flat=True)
    top = max((int(n) for n in numbers if n.isdigit()), default=0)
    return str(top + 1)


def _save_lines(payment_request: PaymentRequest, lines: list[LineInput]) -> None:
    """Replace the rows: rows named by id are kept (updated), rows not listed are deleted (as freee's PUT)."""
    existing = {line.public_id: line for line in payment_request.lines.all()}
    keep = {line.id for line in lines if line.id in existing}
    payment_request.lines.exclude(public_id__in=keep).delete()
    for position, line in enumerate(lines, start=1):
        row = existing.get(line.id) if line.id else None
        row = row or PaymentRequestLine(tenant=payment_request.tenant, request=payment_request)
        row.position, row.line_type, row.description = position, line.line_type, line.description[:255]
        row.amount, row.account_item, row.tax_code = line.amount, line.account_item, line.tax_code
        row.item_id = line.item_id
        row.item_name = line.account_item.breakdown_item_names.get(line.item_id, "") if line.account_item else ""
        row.save()


def payment_request_update(*, payment_request: PaymentRequest, membership: Membership,
                           data: RequestInput) -> PaymentRequest:
    """申請を更新する (PUT): who may update in which status, and which fields are ignored, per seed 004."""
    check_membership(payment_request.tenant, membership)
    with transaction.atomic():
        payment_request = (PaymentRequest.objects.select_for_update(of=("self",))
                           .select_related("route", "current_step").get(pk=payment_request.pk))
        user = membership.user
        is_applicant = user.pk == payment_request.applicant_id
        _check_can_update(payment_request, membership, is_applicant, data.draft)
        _keep_omitted(payment_request, data)
        keep_route = payment_request.status == Status.IN_PROGRESS or not is_applicant
        if keep_route:
            data.route, data.approver = payment_request.route, None
        if payment_request.status != Status.DRAFT:  # title and 申請日 only change while a draft
            data.title, data.application_date = payment_request.title, payment_request.application_date
        _check_body(tenant := payment_request.tenant, data)
        if data.parent != payment_request.parent:  # the parent rules are about naming one, not about keeping it
            _check_parent(tenant, data.parent, current=payment_request)
        route = payment_request.route if keep_route else resolve_route(tenant, data.route)
        applies = not data.draft and payment_request.status in (Status.DRAFT, Status.FEEDBACK)
        if applies and route.first_step.resource_type == ResourceType.SELECTED_USER:
            check_selected_approver(tenant, route.first_step, data.approver, field_name="approver_id")
        for name in PLAIN_FIELDS:
            setattr(payment_request, name, getattr(data, name))
        payment_request.route, payment_request.parent, payment_request.title = route, data.parent, data.title.strip()
        payment_request.application_date = data.application_date or payment_request.application_date
        payment_request.total_amount = payment_total(data.lines)
        payment_request.save()
        _save_lines(payment_request, data.lines)
        if applies:
            flow_apply(payment_request, user, approver=data.approver)
        after_change(payment_request, "update", actor=membership.user)
    return payment_request


def _keep_omitted(payment_request: PaymentRequest, data: RequestInput) -> None:
    """Fill the fields the caller left out with the request's stored values (its route, parent, 申請日, the
    approver chosen for a 申請時に指定 first step in the last round, and every plain field)."""
    omitted = data.omitted & OMITTABLE
    for name in omitted & set(PLAIN_FIELDS):
        value = getattr(payment_request, name)
        setattr(data, name, list(value) if isinstance(value, list) else value)
    if "route" in omitted:
        data.route = payment_request.route
    if "parent" in omitted:
        data.parent = payment_request.parent
    if "application_date" in omitted:
        data.application_date = payment_request.application_date
    first = data.route.first_step if data.route is not None else None
    if "approver" in omitted and data.route == payment_request.route and first is not None:
        slot = payment_request.approvers.filter(step=first, user__isnull=False).select_related("user").first()
        data.approver = slot.user if slot and first.resource_type == ResourceType.SELECTED_USER else None


def _check_can_update(payment_request: PaymentRequest, membership: Membership, is_applicant: bool, draft: bool) -> None:
    if payment_request.status not in EDITABLE:
        raise fail(_("申請ステータスがdraft、in_progress、feedbackの申請のみ更新できます。"), "not_editable")
    if not is_applicant:
        if payment_request.status == Status.DRAFT:
            raise fail(_("申請者以外のユーザーは、申請ステータスがin_progress、feedbackの申請のみ更新できます。"),
                       "not_editable")
        if not (membership.is_admin or membership.user_id in route_user_ids(payment_request.route)):
            raise fail(_("この申請を更新できるのは、申請者・申請経路の承認者・管理者のみです。"), "permission_denied", 403)
    if payment_request.status == Status.IN_PROGRESS and draft:
        raise fail(_("申請中（in_progress）の申請を更新する場合、draftにはfalseのみ指定できます。"), "draft_invalid")
    if payment_request.status == Status.FEEDBACK and not is_applicant and not draft:
        raise fail(_("申請者以外のユーザーが差戻し（feedback）の申請を更新する場合、draftにはtrueのみ指定できます。"),
                   "draft_invalid")


def payment_request_delete(*, payment_request: PaymentRequest, membership: Membership) -> None:
    """申請を削除する: the applicant in draft/feedback; someone else only an admin, only in feedback."""
    check_membership(payment_request.tenant, membership)
    with transaction.atomic():
        payment_request = PaymentRequest.objects.select_for_update().get(pk=payment_request.pk)
        check_can_delete(payment_request, membership)
        if payment_request.children.exists():
            raise fail(_("この申請を親申請とする申請があるため削除できません。"), "has_children")
        mirror.on_delete(payment_request)
        audit.audit_record(tenant=payment_request.tenant, actor=membership.user, action="payment_request.delete",
                           target=payment_request, target_label=payment_request.title,
                           changes={"status": [payment_request.status, None]})
        payment_request.delete()


def check_can_delete(payment_request: PaymentRequest, membership: Membership) -> None:
    """Raise unless `membership` may delete the request as it is now (the page hides 削除 otherwise)."""
    if membership.user_id == payment_request.applicant_id:
        if payment_request.status not in (Status.DRAFT, Status.FEEDBACK):
            raise fail(_("申請者は、申請ステータスがdraft、feedbackの申請のみ削除できます。"), "not_deletable")
        return
    if not membership.is_admin:
        raise fail(_("申請者以外のユーザーが申請を削除するには管理者権限が必要です。"), "not_deletable", 403)
    if payment_request.status != Status.FEEDBACK:
        raise fail(_("申請者以外のユーザーは、申請ステータスがfeedbackの申請のみ削除できます。"), "not_deletable")


def payment_request_comment(*, payment_request: PaymentRequest, membership: Membership,
                            comment: str) -> PaymentRequestComment:
    """コメント: any member of the tenant may comment."""
    check_membership(payment_request.tenant, membership)
    text = (comment or "").strip()
    if not text:
        raise fail(_("コメントを入力してください。"), "comment_required")
    if len(text) > 2000:
        raise fail(_("コメントは2000文字以内で入力してください。"), "comment_too_long")
    return PaymentRequestComment.objects.create(tenant=payment_request.tenant, request=payment_request,
                                                user=membership.user, comment=text)
