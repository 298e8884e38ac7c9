"""The freee mirror (per tenant): routes imported from freee, and every create / update / delete / action
replayed on freee's payment-request API by a Celery task after commit.

Operations queue up on the request (`mirror_pending`) in the transaction that makes the local change and are
sent in order by `mirror_push`. The create writes our reference into freee's 備考 before the POST; after an
unknown outcome (timeout, 5xx, dead worker) the next attempt searches freee for it first, so a retry never
makes a second request. Actions read freee's current_step_id / current_round first and quote them back.
freee's availability: companies that signed up from July 2024 have no payment-request API (checked when an
admin turns the mirror on), and routes with conditional branches cannot carry payment requests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, jobs, spread
from core.errors import ApplicationError
from core.retry import RetryLater
from integrations.freee import messages as freee_messages
from integrations.freee import schemas
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError, Permanent, RateLimited, Transient
from integrations.freee.services import connection_for
from payment_requests import ledger
from payment_requests.models import (
    ApprovalFlowRoute,
    ApprovalFlowStep,
    FreeeUserLink,
    PaymentRequest,
    RequestFormSetting,
    RouteUsage,
)
from payment_requests.selectors import form_setting_for
from tenancy.models import Membership, Tenant

MirrorState = PaymentRequest.MirrorState
Status = PaymentRequest.Status
UNAVAILABLE = _("接続中のfreee事業所では支払依頼APIを利用できません。2024年7月以降にfreee会計・freee経理・freee支出管理を"
                "契約した事業所は、会計freeeの支払依頼APIではなく「freee受取請求書」の支払依頼を使います。また支払依頼は"
                "法人エンタープライズ・プロフェッショナル（アドバンス）プランでのみ利用できます。")
FREEE_STEP_TYPES = {"unspecified", "predefined_user", "selected_user"}
UNMAPPED = _("freeeのユーザーと対応付けられていない承認者がいます。支払依頼の設定で対応付けてください。")
SELECTED_USER = ApprovalFlowStep.ResourceType.SELECTED_USER
TRANSIENT_WAIT = 30  # seconds before a push or delete whose outcome freee did not confirm is tried again


# --------------------------------------------------------------------------- hooks from services


def on_change(payment_request: PaymentRequest, operation: str, *, action: str | None = None) -> None:
    """Queue the freee side of a local change (inside its transaction; the task runs after commit)."""
    if not payment_request.mirror_state:
        return
    ops = list(payment_request.mirror_pending)
    if operation == "create":
        ops.append({"op": "create"})
        if payment_request.status == Status.IN_PROGRESS:
            ops.append({"op": "update", "draft": False})
    elif operation == "update":
        ops.append({"op": "update", "draft": payment_request.status not in (Status.IN_PROGRESS,)})
    elif operation == "action":
        ops.append({"op": "action", "action": action})
    PaymentRequest.objects.filter(pk=payment_request.pk).update(mirror_pending=ops, mirror_state=MirrorState.PENDING,
                                                                mirror_error="", updated_at=timezone.now())
    payment_request.mirror_pending, payment_request.mirror_state = ops, MirrorState.PENDING
    jobs.enqueue_on_commit(_tasks().mirror_push_task, payment_request.pk)


def on_delete(payment_request: PaymentRequest) -> None:
    """A deleted request is deleted in freee too (after commit), once it exists there."""
    if payment_request.mirror_state and payment_request.freee_id:
        jobs.enqueue_on_commit(_tasks().mirror_delete_task, payment_request.tenant_id, payment_request.freee_id)


def _tasks():
    """payment_requests.tasks imports this module (its tasks call it), so the tasks are looked up on use."""
    from payment_requests import tasks

    return tasks


# --------------------------------------------------------------------------- enabling, routes


def connected_client(tenant: Tenant, **kwargs) -> FreeeClient:
    """A client of the tenant's freee connection, or an ApplicationError saying how to connect."""
    return FreeeClient(connection_for(tenant=tenant), **kwargs)


def _explain(error: FreeeError) -> ApplicationError:
    """A refusal of the payment-request endpoints explained (freee's 403 may also be its ~10-minute lock-out)."""
    if isinstance(error, RateLimited) and error.status == 403:
        return ApplicationError(str(UNAVAILABLE) + _("（freeeが403を返しました。短時間のアクセス過多による一時的な制限の場合は、"
                                                     "10分ほど待ってからもう一度お試しください。）"),
                                code="payment_requests_unavailable")
    if isinstance(error, Permanent) and error.status in (400, 403, 404):
        return ApplicationError(str(UNAVAILABLE) + " (" + ("、".join(error.messages) or error.message) + ")",
                                code="payment_requests_unavailable")
    return ApplicationError(freee_messages.call_error(error), code="freee_error")


def mirror_enable(*, tenant: Tenant, membership: Membership, enabled: bool) -> None:
    """Turn the mirror on (after checking the company has the payment-request API) or off (admins only)."""
    if not membership.is_admin or membership.tenant_id != tenant.pk:
        raise ApplicationError(_("この操作は管理者のみ行えます。"), code="permission_denied", http_status=403)
    setting = form_setting_for(tenant=tenant)
    if enabled:
        client = connected_client(tenant, max_wait=5)
        try:
            client.payment_requests_list(limit=1)
            client.approval_flow_routes_list(usage="PaymentRequest")
        except FreeeError as error:
            raise _explain(error) from error
    before = setting.mirror_to_freee
    with transaction.atomic():
        setting.mirror_to_freee, setting.mirror_checked_at = enabled, timezone.now()
        setting.save(update_fields=["mirror_to_freee", "mirror_checked_at", "updated_at"])
        audit.audit_record(tenant=tenant, actor=membership.user, action="payment_request.mirror_update",
                           target=setting, target_label=_("freee会計の支払依頼との連携"),
                           changes={"mirror_to_freee": [before, enabled]})


def routes_import(*, tenant: Tenant, membership: Membership) -> list[str]:
    """Import freee's payment-request routes; routes with conditional branches are refused. Returns messages."""
    if not membership.is_admin or membership.tenant_id != tenant.pk:
        raise ApplicationError(_("この操作は管理者のみ行えます。"), code="permission_denied", http_status=403)
    client = connected_client(tenant, max_wait=5)
    try:
        details = [client.approval_flow_route_show(r.id) for r in client.approval_flow_routes_list(usage="PaymentRequest")]
    except FreeeError as error:
        raise _explain(error) from error
    messages = []
    for detail in details:
        refused = route_refusal(detail)
        if refused:
            messages.append(_("「%(name)s」は取り込めません: %(reason)s") % {"name": detail.name, "reason": refused})
            continue
        with transaction.atomic():
            route = _route_upsert(tenant, detail)
            audit.audit_record(tenant=tenant, actor=membership.user, action="approval_route.import", target=route,
                               changes={"freee_route_id": [None, detail.id]})
        messages.append(_("「%(name)s」を取り込みました。") % {"name": detail.name})
    return messages or [_("freeeに支払依頼で利用できる申請経路がありません。")]


def route_refusal(detail: schemas.ApprovalFlowRouteDetail) -> str:
    if any(step.resource_type == "switchable" for step in detail.steps):
        return _("条件分岐を含む申請経路は支払依頼APIで利用できません。freeeで条件分岐のない経路を作成してください。")
    if any(step.resource_type not in FREEE_STEP_TYPES for step in detail.steps):
        return _("部門・役職で承認者を決めるステップを含む申請経路には対応していません。")
    return ""


@transaction.atomic
def _route_upsert(tenant: Tenant, detail: schemas.ApprovalFlowRouteDetail) -> ApprovalFlowRoute:
    route, _created = ApprovalFlowRoute.objects.get_or_create(tenant=tenant, freee_route_id=detail.id,
                                                              defaults={"name": detail.name[:255]})
    route.name, route.description = detail.name[:255], detail.description
    route.usages = sorted(set(detail.usages) & set(RouteUsage.values))
    by_freee = {step.freee_step_id: step for step in route.steps.all()}
    steps = {}
    for position, freee_step in enumerate(_chain(detail), start=1):
        step = by_freee.get(freee_step.id) or ApprovalFlowStep(tenant=tenant, route=route, freee_step_id=freee_step.id)
        step.position, step.resource_type, step.next_step = position, freee_step.resource_type, None
        step.save()
        steps[freee_step.id] = step
    for freee_step in detail.steps:
        if freee_step.next_step_id in steps and freee_step.id in steps:
            steps[freee_step.id].next_step = steps[freee_step.next_step_id]
            steps[freee_step.id].save(update_fields=["next_step", "updated_at"])
    route.steps.exclude(pk__in=[s.pk for s in steps.values()]).delete()
    route.first_step = steps.get(detail.first_step_id)
    route.save()
    return route


def _chain(detail: schemas.ApprovalFlowRouteDetail) -> list:
    by_id = {step.id: step for step in detail.steps}
    ordered, current, seen = [], by_id.get(detail.first_step_id), set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        ordered.append(current)
        current = by_id.get(current.next_step_id)
    return ordered + [s for s in detail.steps if s.id not in seen]


# --------------------------------------------------------------------------- push


def mirror_push(*, request_id: int) -> None:
    """The task's work: claim the request, send its queued operations in order, record the outcome.

    Raises RetryLater on a rate limit (freee's wait) or an unconfirmed outcome (reconciled on the next try)."""
    claimable = [MirrorState.PENDING, MirrorState.NEEDS_CHECK]
    if PaymentRequest.objects.filter(pk=request_id, mirror_state__in=claimable).update(
            mirror_state=MirrorState.RUNNING, updated_at=timezone.now()) != 1:
        return
    payment_request = PaymentRequest.objects.select_related("tenant", "route").get(pk=request_id)
    try:
        client = connected_client(payment_request.tenant)
        while payment_request.mirror_pending:
            _send(client, payment_request, payment_request.mirror_pending[0])
            payment_request.mirror_pending = payment_request.mirror_pending[1:]
            PaymentRequest.objects.filter(pk=payment_request.pk).update(mirror_pending=payment_request.mirror_pending)
    except RateLimited as error:
        _set_state(payment_request, MirrorState.PENDING, freee_messages.call_error(error))
        raise RetryLater(error.retry_after) from error
    except Transient as error:
        _set_state(payment_request, MirrorState.NEEDS_CHECK,
                   _("freeeの応答を確認できませんでした（要確認）。freeeの支払依頼を確認してから再試行します。"))
        raise RetryLater(TRANSIENT_WAIT) from error
    except (FreeeError, ApplicationError) as error:
        message = error.message if isinstance(error, ApplicationError) else freee_messages.call_error(error)
        _set_state(payment_request, MirrorState.ERROR,
                   _("freeeへの連携に失敗しました: %(message)s") % {"message": message})
        return
    _set_state(payment_request, MirrorState.DONE, "")


def _set_state(payment_request: PaymentRequest, state: str, error: str) -> None:
    PaymentRequest.objects.filter(pk=payment_request.pk).update(mirror_state=state, mirror_error=error,
                                                                updated_at=timezone.now())


def _send(client: FreeeClient, payment_request: PaymentRequest, op: dict) -> None:
    if op["op"] == "create":
        _create(client, payment_request)
    elif op["op"] == "update":
        body = _body(payment_request, schemas.PaymentRequestUpdate, draft=op["draft"])
        remote = client.payment_request_update(_freee_id(payment_request), body)
        _store_remote(payment_request, remote)
    elif op["op"] == "action":
        _action(client, payment_request, op["action"])


def _freee_id(payment_request: PaymentRequest) -> int:
    if not payment_request.freee_id:
        raise ApplicationError(_("freeeにまだ支払依頼が作成されていません。"), code="mirror_not_created")
    return payment_request.freee_id


def _create(client: FreeeClient, payment_request: PaymentRequest) -> None:
    if payment_request.freee_id:
        return
    remote = _reconcile(client, payment_request) if payment_request.mirror_attempts else None
    if remote is None:
        PaymentRequest.objects.filter(pk=payment_request.pk).update(mirror_attempts=F("mirror_attempts") + 1)
        payment_request.mirror_attempts += 1
        remote = client.payment_request_create(_body(payment_request, schemas.PaymentRequestCreate, draft=True))
    _store_remote(payment_request, remote)


def _reconcile(client: FreeeClient, payment_request: PaymentRequest):
    """freee's request carrying our reference in 備考 (same title and application date), or None."""
    applied_on = payment_request.application_date
    candidates = client.payment_requests_list(title=payment_request.title, start_application_date=applied_on,
                                              end_application_date=applied_on, limit=500)
    for candidate in candidates:
        remote = client.payment_request_show(candidate.id)
        if payment_request.mirror_reference and payment_request.mirror_reference in (remote.description or ""):
            return remote
    return None


def _store_remote(payment_request: PaymentRequest, remote) -> None:
    """Keep freee's ids (request and rows, in order) on our rows."""
    payment_request.freee_id = remote.id
    PaymentRequest.objects.filter(pk=payment_request.pk).update(freee_id=remote.id)
    lines = payment_request.lines.order_by("position", "id")
    for line, remote_line in zip(lines, remote.payment_request_lines, strict=False):
        if line.freee_line_id != remote_line.id:
            line.freee_line_id = remote_line.id
            line.save(update_fields=["freee_line_id", "updated_at"])


def _body(payment_request: PaymentRequest, model, *, draft: bool):
    route_id = payment_request.route.freee_route_id
    if not route_id:
        raise ApplicationError(_("申請経路「%(name)s」はfreeeから取り込んだ経路ではないため、freeeに連携できません。"
                                 "freeeの申請経路を取り込んで選び直してください。") % {"name": payment_request.route.name},
                               code="mirror_route")
    update = model is schemas.PaymentRequestUpdate
    lines = [_line(line, update=update) for line in payment_request.lines.order_by("position", "id")]
    reference = payment_request.mirror_reference
    description = f"{payment_request.description}\n{reference}".strip() if reference else payment_request.description
    fields = {
        "title": payment_request.title, "issue_date": payment_request.issue_date, "approval_flow_route_id": route_id,
        "draft": draft,
        "application_date": payment_request.application_date, "description": description,
        "document_code": payment_request.document_code or None, "payment_date": payment_request.payment_date,
        "payment_method": payment_request.payment_method, "partner_id": payment_request.partner_id,
        "qualified_invoice_status": payment_request.qualified_invoice_status, "payment_request_lines": lines,
    }
    if not payment_request.partner_id:
        fields.update({name: getattr(payment_request, name) or None for name in (
            "bank_code", "bank_name", "bank_name_kana", "branch_code", "branch_name", "branch_kana",
            "account_number", "account_name")})
        fields["account_type"] = payment_request.account_type
    fields["approver_id"] = _first_approver_id(payment_request, required=not draft)
    return model(**fields)


def _chosen_approver(payment_request: PaymentRequest, step: ApprovalFlowStep | None):
    """The member chosen for a 申請時に指定 step (None for other steps, or while nobody is chosen)."""
    if step is None or step.resource_type != SELECTED_USER:
        return None
    slot = payment_request.approvers.filter(step=step, user__isnull=False).select_related("user").first()
    return slot.user if slot else None


def _freee_user_id(payment_request: PaymentRequest, user) -> int:
    link = FreeeUserLink.objects.filter(tenant_id=payment_request.tenant_id, user=user).first() if user else None
    if link is None:
        raise ApplicationError(UNMAPPED, code="mirror_user_unmapped")
    return link.freee_user_id


def _first_approver_id(payment_request: PaymentRequest, *, required: bool) -> int | None:
    """freee's approver_id: required when applying on a route whose first step is 申請時に指定."""
    first = payment_request.route.first_step
    if first is None or first.resource_type != SELECTED_USER:
        return None
    user = _chosen_approver(payment_request, first)
    if not required and (user is None or not FreeeUserLink.objects.filter(tenant_id=payment_request.tenant_id,
                                                                          user=user).exists()):
        return None  # a draft may be saved without an approver
    return _freee_user_id(payment_request, user)


def _next_approver_id(payment_request: PaymentRequest, action: str, freee_step_id: int) -> int | None:
    """freee's next_approver_id: an approval moving to a 申請時に指定 step names that step's chosen member."""
    if action not in ("approve", "force_approve"):
        return None
    step = ApprovalFlowStep.objects.filter(route=payment_request.route, freee_step_id=freee_step_id).select_related(
        "next_step").first()
    following = step.next_step if step else None
    if following is None or following.resource_type != SELECTED_USER:
        return None
    return _freee_user_id(payment_request, _chosen_approver(payment_request, following))


def _line(line, *, update: bool):
    account_id = None
    if line.account_item is not None:
        account_id = line.account_item.freee_id
        if not account_id:
            raise ApplicationError(_("勘定科目「%(name)s」がfreeeの勘定科目と紐づいていません。勘定科目をfreeeから取り込んで"
                                     "ください。") % {"name": line.account_item.name}, code="mirror_master")
    fields = {"line_type": line.line_type, "description": line.description or None, "amount": line.amount,
              "account_item_id": account_id, "tax_code": line.tax_code.code if line.tax_code else None,
              "item_id": line.item_id}
    if update:
        return schemas.PaymentRequestLineUpdate(**fields, id=line.freee_line_id)
    return schemas.PaymentRequestLineInput(**fields)


def _action(client: FreeeClient, payment_request: PaymentRequest, action: str) -> None:
    """Read freee's current step and round (the optimistic-concurrency token), then quote them back."""
    remote = client.payment_request_show(_freee_id(payment_request))
    if remote.current_step_id is None:
        raise ApplicationError(_("freeeの支払依頼は現在この操作を受け付けない状態です（%(status)s）。freeeで状態を確認して"
                                 "ください。") % {"status": remote.status}, code="mirror_state")
    next_approver_id = _next_approver_id(payment_request, action, remote.current_step_id)
    body = schemas.PaymentRequestAction(approval_action=action, target_step_id=remote.current_step_id,
                                        target_round=remote.current_round, next_approver_id=next_approver_id)
    _store_status(payment_request, client.payment_request_action(remote.id, body))


# --------------------------------------------------------------------------- pull


def mirror_retry(*, payment_request: PaymentRequest, membership: Membership) -> None:
    """再試行 of a failed or 要確認 mirror call (reconciling first when a create's outcome was unknown)."""
    if membership.tenant_id != payment_request.tenant_id:
        raise ApplicationError(_("この事業所のメンバーではありません。"), code="permission_denied", http_status=403)
    retryable = [MirrorState.ERROR, MirrorState.NEEDS_CHECK]
    updated = PaymentRequest.objects.filter(pk=payment_request.pk, mirror_state__in=retryable).update(
        mirror_state=MirrorState.NEEDS_CHECK, updated_at=timezone.now())
    if updated:
        jobs.enqueue_on_commit(_tasks().mirror_push_task, payment_request.pk)


def mirror_pull(*, tenant: Tenant, max_pages: int = 20) -> int:
    """Copy freee's statuses and deal ids onto the tenant's mirrored requests. Returns how many changed."""
    mirrored = {r.freee_id: r for r in PaymentRequest.objects.for_tenant(tenant).filter(freee_id__isnull=False)
                .exclude(mirror_state__in=[MirrorState.PENDING, MirrorState.RUNNING])}
    if not mirrored:
        return 0
    client = connected_client(tenant)
    changed, offset = 0, 0
    for _page in range(max_pages):
        rows = client.payment_requests_list(offset=offset, limit=500)
        for remote in rows:
            if remote.id in mirrored:
                changed += _store_status(mirrored[remote.id], remote)
        if len(rows) < 500:
            break
        offset += 500
    return changed


def mirror_pull_one(*, payment_request: PaymentRequest) -> PaymentRequest:
    """ステータス更新 of one request (on demand)."""
    try:
        client = connected_client(payment_request.tenant, max_wait=5)
        remote = client.payment_request_show(_freee_id(payment_request))
    except FreeeError as error:
        raise ApplicationError(freee_messages.call_error(error), code="freee_error") from error
    _store_status(payment_request, remote)
    payment_request.refresh_from_db()
    return payment_request


def _store_status(payment_request: PaymentRequest, remote) -> int:
    """freee's status, step and deal onto our row; an approval that happened in freee books the trade."""
    step = ApprovalFlowStep.objects.filter(route=payment_request.route, freee_step_id=remote.current_step_id).first() \
        if remote.current_step_id else None
    fields = {"freee_deal_id": remote.deal_id, "freee_deal_status": remote.deal_status or "",
              "last_pulled_at": timezone.now()}
    became_approved = remote.status == Status.APPROVED and payment_request.status != Status.APPROVED
    if remote.status != payment_request.status:
        fields.update(status=remote.status, current_step=step if remote.status != Status.FEEDBACK else None)
    if remote.deal_id:
        fields["booked_as"] = PaymentRequest.BookedAs.TRADE
    with transaction.atomic():
        PaymentRequest.objects.filter(pk=payment_request.pk).update(**fields, updated_at=timezone.now())
        if became_approved:
            payment_request.status = Status.APPROVED
            ledger.on_change(payment_request, "action", action="approve")
    return int(remote.status != payment_request.status or became_approved)


def mirror_delete(*, tenant_id: int, freee_id: int) -> None:
    """DELETE the freee request of a request deleted here (a 404 means it is already gone).

    Raises RetryLater on a rate limit (freee's wait) or a transient failure (TRANSIENT_WAIT)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        connected_client(tenant).payment_request_delete(freee_id)
    except Permanent as error:
        if error.status != 404:
            raise
    except RateLimited as error:
        raise RetryLater(error.retry_after) from error
    except Transient as error:
        raise RetryLater(TRANSIENT_WAIT) from error


PULL_INTERVAL = timedelta(minutes=15)  # each tenant's; the schedule task itself ticks every minute


def mirror_pull_schedule(*, now: datetime | None = None) -> int:
    """Periodic: pull statuses for the tenants with the mirror on whose minute of PULL_INTERVAL it is."""
    settings_due = spread.due_now(RequestFormSetting.objects.filter(mirror_to_freee=True), interval=PULL_INTERVAL,
                                  now=now, field="tenant_id")
    tenant_ids = list(settings_due.values_list("tenant_id", flat=True))
    for tenant_id in tenant_ids:
        _tasks().mirror_pull_task.delay(tenant_id)
    return len(tenant_ids)


# --------------------------------------------------------------------------- hub members ↔ freee users


def freee_users_fetch(*, tenant: Tenant) -> list[schemas.CompanyUser]:
    """The connected company's users, fetched live (GET /api/1/users)."""
    try:
        return connected_client(tenant, max_wait=5).company_users_list()
    except FreeeError as error:
        raise ApplicationError(freee_messages.call_error(error), code="freee_error") from error


def freee_user_links_save(*, tenant: Tenant, membership: Membership, choices: dict[int, int | None],
                          freee_users: list[schemas.CompanyUser]) -> None:
    """Map members (user id → freee user id, None = unmapped), one freee user per member (admins only)."""
    if not membership.is_admin or membership.tenant_id != tenant.pk:
        raise ApplicationError(_("この操作は管理者のみ行えます。"), code="permission_denied", http_status=403)
    labels = {user.id: user.label for user in freee_users}
    members = set(Membership.objects.filter(tenant=tenant).values_list("user_id", flat=True))
    chosen = [freee_id for freee_id in choices.values() if freee_id is not None]
    if not set(choices) <= members or not set(chosen) <= set(labels):
        raise ApplicationError(_("メンバーまたはfreeeのユーザーが見つかりません。画面を再読み込みしてください。"),
                               code="freee_user_link_invalid")
    taken = FreeeUserLink.objects.for_tenant(tenant).exclude(user_id__in=list(choices)).filter(freee_user_id__in=chosen)
    if len(chosen) != len(set(chosen)) or taken.exists():
        raise ApplicationError(_("同じfreeeのユーザーを複数のメンバーに対応付けることはできません。"),
                               code="freee_user_link_duplicate")
    users = dict(get_user_model().objects.filter(pk__in=list(choices)).values_list("pk", "username"))
    before = dict(FreeeUserLink.objects.for_tenant(tenant).filter(user_id__in=list(choices))
                  .values_list("user_id", "freee_display_name"))
    changes = audit.changes_between({users[k]: v for k, v in before.items()},
                                    {users[k]: labels[v] for k, v in choices.items() if v is not None})
    with transaction.atomic():
        audit.audit_record(tenant=tenant, actor=membership.user, action="payment_request.freee_users_update",
                           target_label=_("freeeユーザーとの対応付け"), changes=changes)
        FreeeUserLink.objects.for_tenant(tenant).filter(user_id__in=list(choices)).delete()
        FreeeUserLink.objects.bulk_create(
            FreeeUserLink(tenant=tenant, user_id=user_id, freee_user_id=freee_id,
                          freee_display_name=labels[freee_id][:255])
            for user_id, freee_id in choices.items() if freee_id is not None)
