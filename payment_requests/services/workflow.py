"""The approval workflow of seed 004: applying (a new round at the route's first step), the actions on the
current step (approve, force_approve, cancel, reject, feedback, force_feedback), approver slots, the flow log
and the notifications.

Actions quote the current step and round (freee's target_step_id / target_round), so a stale button fails.
Events are emitted inside the transaction that makes the change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.errors import ApplicationError
from payment_requests.models import ApprovalFlowLog, ApprovalFlowStep, PaymentRequest, PaymentRequestApprover
from payment_requests.selectors import is_current_approver, is_member, lines_missing_masters, step_candidates
from payment_requests.services.base import (
    ACTIONS,
    Action,
    ResourceType,
    Status,
    after_change,
    check_membership,
    fail,
)
from tenancy.models import Membership, Tenant


def check_selected_approver(tenant: Tenant, step: ApprovalFlowStep, user, *, field_name: str) -> None:
    """Raise unless `user` may be chosen for a 申請時に指定 step (`field_name`: the API field that names them)."""
    if user is None:
        raise fail(_("この承認ステップは承認者を指定する経路です。%(field)s に承認者を指定してください。")
                   % {"field": field_name}, "approver_required")
    candidates = step_candidates(step)
    if not is_member(tenant, user) or (candidates and user not in candidates):
        raise fail(_("指定した承認者はこの承認ステップの承認者に指定できません。"), "approver_invalid")


def flow_apply(payment_request: PaymentRequest, user, *, approver=None) -> None:
    """Start the flow: round + 1, the first step current, approver slots reset, logged and announced."""
    route = payment_request.route
    first = route.first_step
    payment_request.approvers.all().delete()
    slots = []
    for step in route.ordered_steps():
        slots += _slots_for(payment_request, step, approver if step.pk == first.pk else None)
    PaymentRequestApprover.objects.bulk_create(slots)
    payment_request.status, payment_request.current_step = Status.IN_PROGRESS, first
    payment_request.approved_at = None
    payment_request.current_round += 1
    payment_request.save(update_fields=["status", "current_step", "current_round", "approved_at", "updated_at"])
    log = _log(payment_request, Action.APPLY, user, first)
    _announce(payment_request, events.PAYMENT_REQUEST_SUBMITTED, _step_recipients(payment_request, first), log,
              _("支払依頼の承認依頼"), _("「%(title)s」の承認をお願いします。"))


def _slots_for(payment_request: PaymentRequest, step: ApprovalFlowStep, chosen) -> list[PaymentRequestApprover]:
    base = {"tenant": payment_request.tenant, "request": payment_request, "step": step,
            "resource_type": step.resource_type}
    if step.resource_type == ResourceType.PREDEFINED_USER:
        return [PaymentRequestApprover(**base, user=user) for user in step.users.all()] or [
            PaymentRequestApprover(**base)]
    return [PaymentRequestApprover(**base, user=chosen)]


def _step_recipients(payment_request: PaymentRequest, step: ApprovalFlowStep) -> list[int]:
    if step.resource_type == ResourceType.UNSPECIFIED:
        admins = Membership.objects.filter(tenant=payment_request.tenant, role=Membership.Role.ADMIN, is_active=True)
        return [uid for uid in admins.values_list("user_id", flat=True) if uid != payment_request.applicant_id]
    return list(payment_request.approvers.filter(step=step, user__isnull=False).values_list("user_id", flat=True))


def _log(payment_request: PaymentRequest, action: str, user, step: ApprovalFlowStep | None) -> ApprovalFlowLog:
    return ApprovalFlowLog.objects.create(tenant=payment_request.tenant, request=payment_request, action=action,
                                          user=user, step=step, round=payment_request.current_round)


def _announce(payment_request: PaymentRequest, kind: str, recipients, log: ApprovalFlowLog, title: str,
              text: str) -> None:
    url = reverse("payment_requests:detail", kwargs={"public_id": payment_request.public_id})
    step = payment_request.current_step
    events.emit(tenant=payment_request.tenant, kind=kind, recipients=recipients,
                key=f"{kind}:{payment_request.public_id}:{log.pk}",
                payload={"title": str(title), "text": str(text) % {"title": payment_request.title}, "url": url,
                         "request_id": str(payment_request.public_id),
                         "step_id": str(step.public_id) if step else None, "round": payment_request.current_round})


@dataclass
class ActionInput:
    """freee's POST /payment_requests/{id}/actions body (ids as our public ids)."""

    action: str
    target_step_id: uuid.UUID | str | None
    target_round: int | None
    next_approver: object | None = None


def payment_request_act(*, payment_request: PaymentRequest, membership: Membership,
                        data: ActionInput) -> PaymentRequest:
    """申請に対してアクションする: approve, force_approve, cancel, reject, feedback, force_feedback.

    The ledger is told whether the request was approved before the action (a force_feedback that takes an
    approval back deletes its trade)."""
    check_membership(payment_request.tenant, membership)
    if data.action not in ACTIONS:
        raise fail(_("approval_action の値が不正です。"), "action_invalid")
    with transaction.atomic():
        payment_request = (PaymentRequest.objects.select_for_update(of=("self",))
                           .select_related("tenant", "route", "current_step__next_step").get(pk=payment_request.pk))
        _check_target(payment_request, data)  # before who acts: a late approver must hear "reload", not "not yours"
        check_action(payment_request, membership, data.action)
        user = membership.user
        handler = {"approve": _approve, "force_approve": _approve, "reject": _reject, "feedback": _feedback,
                   "cancel": _cancel, "force_feedback": _force_feedback}[data.action]
        was_approved = payment_request.status == Status.APPROVED
        handler(payment_request, user, data)
        after_change(payment_request, "action", action=data.action, actor=membership.user,
                     was_approved=was_approved)
    return payment_request


def check_action(payment_request: PaymentRequest, membership: Membership, action: str) -> None:
    """Raise when `membership` may not do `action` on the request as it is now (the page hides such buttons)."""
    user = membership.user
    if action == "force_feedback":
        if not membership.is_admin:
            raise fail(_("承認済み・却下済みの取消（force_feedback）は管理者権限を持つユーザーのみ実行できます。"),
                       "action_forbidden", 403)
        if payment_request.status not in (Status.APPROVED, Status.REJECTED):
            raise fail(_("承認済み・却下済みの取消（force_feedback）は、申請ステータスがapproved、rejectedの申請のみ"
                         "実行できます。"), "action_status")
        if payment_request.paid_on is not None:
            raise fail(_("支払登録済みの申請は承認を取り消せません。先に支払登録を取り消してください。"), "already_paid")
        return
    if payment_request.status != Status.IN_PROGRESS:
        raise fail(_("この操作は申請ステータスがin_progress（申請中）の申請のみ実行できます。"), "action_status")
    if action == "cancel" and user.pk != payment_request.applicant_id:
        raise fail(_("申請の取消（cancel）は申請者のみ実行できます。"), "action_forbidden", 403)
    if action == "force_approve":
        _check_force_approve(payment_request, membership)
    if action in ("approve", "reject", "feedback") and not is_current_approver(payment_request, user):
        verb = {"approve": _("承認"), "reject": _("却下"), "feedback": _("差戻し")}[action]
        raise fail(_("%(verb)sは対象承認ステップの承認者ユーザーのみ実行できます。") % {"verb": verb},
                   "action_forbidden", 403)


def _check_force_approve(payment_request: PaymentRequest, membership: Membership) -> None:
    if not membership.is_admin:
        raise fail(_("代理承認（force_approve）は管理者権限を持つユーザーのみ実行できます。"), "action_forbidden", 403)
    if membership.user_id == payment_request.applicant_id:
        raise fail(_("申請者ユーザーは代理承認（force_approve）できません。"), "action_forbidden", 403)
    if is_current_approver(payment_request, membership.user):
        raise fail(_("対象承認ステップの承認者ユーザーは代理承認（force_approve）できません。承認（approve）してください。"),
                   "action_forbidden", 403)


def _check_target(payment_request: PaymentRequest, data: ActionInput) -> None:
    """409 when the quoted step/round is not the request's now, or the quoted round was already decided.

    A request without a current step (draft, feedback) is quoted as no step; an approved or rejected request
    keeps its last step, so an approver action quoting it comes from a page shown before someone decided."""
    step = payment_request.current_step
    current_step_id = str(step.public_id) if step is not None else None
    quoted_step_id = str(data.target_step_id) if data.target_step_id else None
    if quoted_step_id != current_step_id or data.target_round != payment_request.current_round:
        raise fail(_("この申請は他の操作で更新されています（target_step_id / target_round が現在の承認ステップ・ラウンドと"
                     "一致しません）。画面を再読み込みしてから操作してください。"), "stale_action", 409)
    if data.action == "force_feedback" or step is None:
        return
    if payment_request.status == Status.APPROVED:
        raise fail(_("この申請は他のユーザーの操作ですでに承認済みになっています。画面を再読み込みしてください。"),
                   "stale_action", 409)
    if payment_request.status == Status.REJECTED:
        raise fail(_("この申請は他のユーザーの操作ですでに却下済みになっています。画面を再読み込みしてください。"),
                   "stale_action", 409)


def available_actions(payment_request: PaymentRequest, membership: Membership | None) -> list[str]:
    """The actions `membership` may use now (the detail page shows only these buttons)."""
    if membership is None:
        return []
    allowed = []
    for action in ACTIONS:
        try:
            check_action(payment_request, membership, action)
        except ApplicationError:
            continue
        allowed.append(action)
    return allowed


def _approve(payment_request: PaymentRequest, user, data: ActionInput) -> None:
    step = payment_request.current_step
    force = data.action == "force_approve"
    following = step.next_step
    if following is None and lines_missing_masters(payment_request):
        raise fail(_("勘定科目・税区分が未設定の行があるため、最終承認者は承認できません。すべての行に勘定科目と税区分を"
                     "設定してください。"), "final_approval_masters")
    if following is not None and following.resource_type == ResourceType.SELECTED_USER:
        check_selected_approver(payment_request.tenant, following, data.next_approver,
                                field_name="next_approver_id")
        payment_request.approvers.filter(step=following).update(user=data.next_approver)
    _mark_slot(payment_request, step, user, PaymentRequestApprover.Status.APPROVED, force=force)
    log = _log(payment_request, Action.FORCE_APPROVE if force else Action.APPROVE, user, step)
    if following is None:
        payment_request.status, payment_request.approved_at = Status.APPROVED, timezone.now()
        payment_request.save(update_fields=["status", "approved_at", "updated_at"])
        _announce(payment_request, events.PAYMENT_REQUEST_APPROVED, [payment_request.applicant_id], log,
                  _("支払依頼の承認"), _("「%(title)s」が承認されました。"))
        return
    payment_request.current_step = following
    payment_request.save(update_fields=["current_step", "updated_at"])
    _announce(payment_request, events.PAYMENT_REQUEST_NEXT_STEP, _step_recipients(payment_request, following), log,
              _("支払依頼の承認依頼"), _("「%(title)s」の承認をお願いします。"))


def _mark_slot(payment_request: PaymentRequest, step: ApprovalFlowStep, user, status: str, *,
               force: bool = False) -> None:
    """Record the actor's decision on the step's slot (指定なし: the empty slot becomes the actor's)."""
    slots = payment_request.approvers.filter(step=step)
    mine = slots.filter(user=user).first() if not force else None
    slot = mine or slots.filter(user__isnull=True).first() or slots.first()
    if slot is None:
        slot = PaymentRequestApprover(tenant=payment_request.tenant, request=payment_request, step=step,
                                      resource_type=step.resource_type)
    if slot.user_id is None and step.resource_type == ResourceType.UNSPECIFIED:
        slot.user = user
    slot.status, slot.is_force_action = status, force
    slot.save()


def _reject(payment_request: PaymentRequest, user, data: ActionInput) -> None:
    _mark_slot(payment_request, payment_request.current_step, user, PaymentRequestApprover.Status.REJECTED)
    payment_request.status = Status.REJECTED
    payment_request.save(update_fields=["status", "updated_at"])
    log = _log(payment_request, Action.REJECT, user, payment_request.current_step)
    _announce(payment_request, events.PAYMENT_REQUEST_REJECTED, [payment_request.applicant_id], log,
              _("支払依頼の却下"), _("「%(title)s」が却下されました。"))


def _feedback(payment_request: PaymentRequest, user, data: ActionInput) -> None:
    step = payment_request.current_step
    _mark_slot(payment_request, step, user, PaymentRequestApprover.Status.FEEDBACK)
    payment_request.status, payment_request.current_step = Status.FEEDBACK, None
    payment_request.save(update_fields=["status", "current_step", "updated_at"])
    log = _log(payment_request, Action.FEEDBACK, user, step)
    _announce(payment_request, events.PAYMENT_REQUEST_FEEDBACK, [payment_request.applicant_id], log,
              _("支払依頼の差戻し"), _("「%(title)s」が差し戻されました。内容を確認してください。"))


def _cancel(payment_request: PaymentRequest, user, data: ActionInput) -> None:
    step = payment_request.current_step
    payment_request.status, payment_request.current_step = Status.DRAFT, None
    payment_request.save(update_fields=["status", "current_step", "updated_at"])
    _log(payment_request, Action.CANCEL, user, step)


def _force_feedback(payment_request: PaymentRequest, user, data: ActionInput) -> None:
    """Admin-only: the flow (not the approvers' statuses) goes to feedback; 指定なし steps gain the admin."""
    step = payment_request.current_step
    acted = payment_request.approvers.filter(step=step, user=user).exists()
    if step.resource_type == ResourceType.UNSPECIFIED and not acted:
        PaymentRequestApprover.objects.create(tenant=payment_request.tenant, request=payment_request, step=step,
                                              user=user, status=PaymentRequestApprover.Status.FEEDBACK,
                                              is_force_action=True, resource_type=step.resource_type)
    payment_request.status, payment_request.current_step = Status.FEEDBACK, None
    payment_request.approved_at = None
    payment_request.save(update_fields=["status", "current_step", "approved_at", "updated_at"])
    log = _log(payment_request, Action.FORCE_FEEDBACK, user, step)
    _announce(payment_request, events.PAYMENT_REQUEST_FEEDBACK, [payment_request.applicant_id], log,
              _("支払依頼の差戻し"), _("「%(title)s」の承認・却下が取り消され、差戻しになりました。"))
