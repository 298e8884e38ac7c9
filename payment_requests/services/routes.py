"""申請経路: the route a request uses, and creating, replacing and deleting routes (admins).

A route imported from freee keeps its steps (freee owns them); only who approves each step is set here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from core import audit
from payment_requests.models import ApprovalFlowRoute, ApprovalFlowStep, PaymentRequest, PaymentRequestApprover
from payment_requests.selectors import form_setting_for, is_member, usable_routes
from payment_requests.services.base import ResourceType, Status, check_admin, fail
from tenancy.models import Membership, Tenant


def resolve_route(tenant: Tenant, route: ApprovalFlowRoute | None) -> ApprovalFlowRoute:
    """The route a request uses: the given one (or the form setting's 基本経路), if usable and with steps."""
    if route is None:
        route = form_setting_for(tenant=tenant).default_route
    if route is None or route.tenant_id != tenant.pk or route not in usable_routes(tenant=tenant):
        raise fail(_("支払依頼で利用できる申請経路を指定してください。"), "route_invalid")
    if route.first_step_id is None:
        raise fail(_("承認ステップのない申請経路は利用できません。申請経路の設定を確認してください。"), "route_invalid")
    return route


@dataclass
class StepInput:
    """One step of a route as the form sends it: its 承認方法 and, for 承認者を指定, the approvers."""

    resource_type: str
    users: list = field(default_factory=list)


def route_save(*, tenant: Tenant, membership: Membership, name: str, description: str, usages: list[str],
               steps: list[StepInput], route: ApprovalFlowRoute | None = None) -> ApprovalFlowRoute:
    """Create or replace a route with its steps, chained in the given order (admins only)."""
    check_admin(tenant, membership)
    if not name.strip():
        raise fail(_("申請経路名を入力してください。"), "route_name_required")
    if not steps:
        raise fail(_("承認ステップを1つ以上追加してください。"), "route_steps_required")
    for step in steps:
        if step.resource_type not in ResourceType.values:
            raise fail(_("承認方法の値が不正です。"), "route_step_invalid")
        if step.resource_type == ResourceType.PREDEFINED_USER and not step.users:
            raise fail(_("「承認者を指定」のステップには承認者を1人以上選んでください。"), "route_step_invalid")
        if any(not is_member(tenant, user) for user in step.users):
            raise fail(_("承認者にはこの事業所のメンバーを選んでください。"), "route_step_invalid")
    if route is not None and route.tenant_id != tenant.pk:
        raise fail(_("申請経路が見つかりません。"), "route_invalid")
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
        raise fail(_("freeeから取り込んだ申請経路のステップは変更できません（承認者のみ設定できます）。freeeで変更してから"
                     "取り込み直してください。"), "route_imported")
    for step, spec in zip(existing, steps, strict=True):
        step.users.set(spec.users)
    return route


def _replace_steps(route: ApprovalFlowRoute, steps: list[StepInput]) -> None:
    in_use = PaymentRequest.objects.filter(route=route, status__in=[Status.IN_PROGRESS]).exists()
    if in_use:
        raise fail(_("申請中の支払依頼が使っている申請経路のステップは変更できません。"), "route_in_use")
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
    """Delete a route no payment request uses (admins only)."""
    check_admin(route.tenant, membership)
    if route.payment_requests.exists():
        raise fail(_("この申請経路を使った支払依頼があるため削除できません。"), "route_in_use")
    with transaction.atomic():
        audit.audit_record(tenant=route.tenant, actor=membership.user, action="approval_route.delete", target=route,
                           changes=audit.changes_between(_route_snapshot(route), {}))
        route.delete()
