"""支払依頼 pages: list (filters, sort, pages), form (create / edit, htmx totals), detail (timeline, actions,
comments, freee mirror), and the admin settings (申請経路, 申請フォームの設定, freee連携)."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from payment_requests import mirror, selectors, services
from payment_requests.filters import DEFAULT_SORT, PAYMENT_STATES, SORTS, PaymentRequestFilter
from payment_requests.forms import (
    FormSettingForm,
    FreeeUserLinkForm,
    LineFormSet,
    PayForm,
    PaymentRequestForm,
    RouteForm,
    StepFormSet,
)
from payment_requests.models import ApprovalFlowRoute, ApprovalFlowStep, FreeeUserLink, PaymentRequest
from tenancy.access import admin_required, get_tenant_object_or_404, member_required

PAGE_SIZE = 50
ACTION_LABELS = {"approve": _("承認"), "force_approve": _("代理承認"), "reject": _("却下"), "feedback": _("差戻し"),
                 "cancel": _("申請の取消"), "force_feedback": _("承認済み・却下済みの取消")}
CONFIRM = {"reject": _("この申請を却下します。よろしいですか？"),
           "feedback": _("この申請を申請者に差し戻します。よろしいですか？"),
           "cancel": _("申請を取り消して下書きに戻します。よろしいですか？"),
           "force_approve": _("管理者として代理承認します。よろしいですか？"),
           "force_feedback": _("承認・却下を取り消して差戻しにします。よろしいですか？")}


def plan_available(view):
    """Every 支払依頼 page answers seed 004's plan explanation (403) when the tenant's freee plan lacks it."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        refusal = selectors.plan_refusal(tenant=request.tenant)
        if refusal:
            raise PermissionDenied(refusal)
        return view(request, *args, **kwargs)

    return wrapper


def _request(request, public_id) -> PaymentRequest:
    return get_tenant_object_or_404(PaymentRequest.objects.select_related("route", "current_step", "applicant"),
                                    request, public_id=public_id)


# --------------------------------------------------------------------------- list


@member_required
@plan_available
@require_GET
def request_list(request):
    sort = request.GET.get("sort", DEFAULT_SORT)
    sort = sort if sort in SORTS else DEFAULT_SORT
    queryset = (PaymentRequest.objects.for_tenant(request.tenant).select_related("applicant", "current_step")
                .order_by(SORTS[sort], "-id"))
    filterset = PaymentRequestFilter(request.GET, queryset=queryset)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {"filter": filterset, "page_obj": page, "requests": page.object_list, "sort": sort,
               "query": query.urlencode(), "sort_query": sort_query.urlencode(),
               "members": selectors.member_users(request.tenant), "statuses": PaymentRequest.Status.choices,
               "payment_states": PAYMENT_STATES,
               "filtered": any(v for k, v in request.GET.items() if k not in ("page", "sort")),
               "can_create": selectors.can_create(request.membership)}
    return render(request, "payment_requests/request_list.html", context)


# --------------------------------------------------------------------------- form


def _line_initial(obj: PaymentRequest | None) -> list[dict]:
    if obj is None:
        return [{"line_type": "deal_line"}]
    return [{"id": line.public_id, "line_type": line.line_type, "description": line.description,
             "amount": line.amount, "account_item": line.account_item_id, "tax_code": line.tax_code_id,
             "item": line.item_id}
            for line in obj.lines.all()]


def _form_initial(obj: PaymentRequest | None) -> dict:
    if obj is None:
        return {"payment_method": "none", "qualified_invoice_status": "unspecified", "account_type": "ordinary"}
    names = ["title", "application_date", "issue_date", "payment_method", "payment_date", "partner_name",
             "partner_id", "document_code", "qualified_invoice_status", "bank_name", "branch_name", "account_type",
             "account_number", "account_name", "description", "receipt_ids"]
    chosen = obj.approvers.filter(step=obj.route.first_step_id, user__isnull=False,
                                  resource_type=services.ResourceType.SELECTED_USER).first()
    return {**{name: getattr(obj, name) for name in names}, "route": obj.route_id, "parent": obj.parent_id,
            "approver": chosen.user_id if chosen else None}


def _input_from(form, lines) -> services.RequestInput:
    data = form.cleaned_data
    line_inputs = [services.LineInput(id=f.cleaned_data.get("id"), line_type=f.cleaned_data["line_type"],
                                      description=f.cleaned_data.get("description") or "",
                                      amount=f.cleaned_data.get("amount") or 0,
                                      account_item=f.cleaned_data.get("account_item"),
                                      tax_code=f.cleaned_data.get("tax_code"), item_id=f.cleaned_data.get("item"))
                   for f in lines.forms if f.cleaned_data and not f.is_blank]
    plain = {name: data.get(name) or "" for name in ("partner_name", "document_code", "bank_name", "branch_name",
                                                     "account_number", "account_name", "description")}
    plain["receipt_ids"] = list(data.get("receipt_ids") or [])
    return services.RequestInput(
        title=data["title"], issue_date=data["issue_date"], lines=line_inputs,
        draft=form.data.get("submit") != "apply", route=data.get("route"), approver=data.get("approver"),
        application_date=data.get("application_date"), parent=data.get("parent"),
        payment_date=data.get("payment_date"), payment_method=data["payment_method"],
        partner_id=data.get("partner_id"), qualified_invoice_status=data["qualified_invoice_status"],
        account_type=data["account_type"], omitted=_not_on_the_form(form), **plain)


def _not_on_the_form(form) -> frozenset[str]:
    """The request's fields this form does not show: an edit keeps their values (set through the API)."""
    return frozenset(name for name in services.OMITTABLE if name not in form.fields)


@member_required
@plan_available
@require_http_methods(["GET", "POST"])
def request_create(request):
    return _edit(request, None)


@member_required
@plan_available
@require_http_methods(["GET", "POST"])
def request_edit(request, public_id):
    return _edit(request, _request(request, public_id))


def _edit(request, obj: PaymentRequest | None):
    tenant = request.tenant
    if request.method == "POST" and request.POST.get("add_line"):
        data = request.POST.copy()
        data["lines-TOTAL_FORMS"] = str(min(int(data.get("lines-TOTAL_FORMS") or 1) + 1, services.MAX_LINES))
        form = PaymentRequestForm(data, tenant=tenant)
        lines = LineFormSet(data, prefix="lines", form_kwargs={"tenant": tenant})
        status = 200
    elif request.method == "POST":
        form = PaymentRequestForm(request.POST, request.FILES, tenant=tenant)
        lines = LineFormSet(request.POST, prefix="lines", form_kwargs={"tenant": tenant})
        if form.is_valid() and lines.is_valid():
            try:
                _attach_receipts(request, form)
                saved = _save(request, obj, _input_from(form, lines))
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("支払依頼を保存しました。") if saved.status == "draft" else
                                 _("支払依頼を保存しました（%(status)s）。") % {"status": saved.get_status_display()})
                return redirect("payment_requests:detail", public_id=saved.public_id)
        status = 400
    else:
        form = PaymentRequestForm(initial=_form_initial(obj), tenant=tenant)
        lines = LineFormSet(initial=_line_initial(obj), prefix="lines", form_kwargs={"tenant": tenant})
        status = 200
    context = {"form": form, "lines": lines, "object": obj, **_totals_from(lines)}
    return render(request, "payment_requests/request_form.html", context, status=status)


def _attach_receipts(request, form) -> None:
    """Upload the form's 証憑ファイル to freee first (an external call, before the request's transaction); their
    ids join the form's receipt_ids, also in the data a re-shown form keeps, so a refusal does not upload twice."""
    files = form.cleaned_data.get("receipt_files") or []
    if not files:
        return
    uploaded = services.receipts_upload(tenant=request.tenant, membership=request.membership, files=files,
                                        description=form.cleaned_data.get("title") or "")
    ids = list(dict.fromkeys([*form.cleaned_data.get("receipt_ids", []), *uploaded]))
    form.cleaned_data["receipt_ids"], form.cleaned_data["receipt_files"] = ids, []
    form.data = form.data.copy()
    form.data["receipt_ids"] = ", ".join(str(receipt_id) for receipt_id in ids)


def _save(request, obj, data) -> PaymentRequest:
    if obj is None:
        return services.payment_request_create(tenant=request.tenant, membership=request.membership, data=data)
    return services.payment_request_update(payment_request=obj, membership=request.membership, data=data)


def _totals_from(lines) -> dict:
    """合計 of the rows as typed so far (selectors.line_totals): an amount that is not a number counts as 0."""
    typed = []
    for form in lines.forms:
        raw = form.data.get(f"{form.prefix}-amount") if form.is_bound else form.initial.get("amount")
        kind = form.data.get(f"{form.prefix}-line_type") if form.is_bound else form.initial.get("line_type")
        try:
            amount = int(raw or 0)
        except (TypeError, ValueError):
            amount = 0
        typed.append(services.LineInput(amount=amount, line_type=kind or services.LineType.DEAL))
    return selectors.line_totals(typed).as_context()


@member_required
@plan_available
@require_POST
def request_totals(request):
    """htmx: the totals box recomputed from the form as it is being typed."""
    lines = LineFormSet(request.POST, prefix="lines", form_kwargs={"tenant": request.tenant})
    return render(request, "payment_requests/_totals.html", _totals_from(lines))


# --------------------------------------------------------------------------- detail and actions


def _detail_context(request, obj: PaymentRequest, pay_form: PayForm | None = None) -> dict:
    obj = (PaymentRequest.objects.select_related("route", "current_step", "applicant", "parent", "paid_wallet",
                                                 "paid_by")
           .prefetch_related("lines__account_item", "lines__tax_code",
                             Prefetch("approvers", queryset=obj.approvers.select_related("step", "user")),
                             "comments__user", "logs__user", "logs__step").get(pk=obj.pk))
    actions = services.available_actions(obj, request.membership)
    following = obj.current_step.next_step if obj.current_step else None
    return {
        "object": obj, "actions": [(a, ACTION_LABELS[a], CONFIRM.get(a, "")) for a in actions],
        "next_needs_approver": bool(following and following.resource_type == "selected_user"),
        "next_candidates": (following.users.all() if following and following.users.exists()
                            else selectors.member_users(obj.tenant)) if following else [],
        "can_edit": selectors.can_edit(obj, request.user),
        "can_delete": _can(services.check_can_delete, obj, request.membership),
        "steps": obj.route.ordered_steps(),
        "withholding": obj.withholding_amount,
        "mirror_on": selectors.form_setting_for(tenant=obj.tenant).mirror_to_freee,
        **_payment_context(request, obj, pay_form),
    }


def _payment_context(request, obj: PaymentRequest, pay_form: PayForm | None) -> dict:
    """支払登録: admins pay an approved, unpaid request, or take a registered payment back."""
    can_pay = selectors.can_pay(obj, request.membership)
    if can_pay and not obj.is_paid and pay_form is None:
        pay_form = PayForm(tenant=request.tenant)
    return {"can_pay": can_pay, "pay_form": pay_form if can_pay and not obj.is_paid else None}


def _can(check, obj, membership) -> bool:
    try:
        check(obj, membership)
    except ApplicationError:
        return False
    return True


@member_required
@plan_available
@require_GET
def request_detail(request, public_id):
    return render(request, "payment_requests/request_detail.html", _detail_context(request, _request(request, public_id)))


def _back(request, obj, error: ApplicationError | None = None, ok: str = ""):
    if error is not None:
        messages.error(request, error.message)
    elif ok:
        messages.success(request, ok)
    return HttpResponseRedirect(reverse("payment_requests:detail", kwargs={"public_id": obj.public_id}))


@member_required
@plan_available
@require_POST
def request_action(request, public_id):
    obj = _request(request, public_id)
    next_id = request.POST.get("next_approver_id") or None
    next_user = selectors.member_users(request.tenant).filter(pk=next_id).first() if next_id and next_id.isdigit() \
        else None
    try:
        round_ = int(request.POST.get("target_round", ""))
    except ValueError:
        round_ = None
    data = services.ActionInput(action=request.POST.get("action", ""), target_step_id=request.POST.get(
        "target_step_id"), target_round=round_, next_approver=next_user)
    try:
        services.payment_request_act(payment_request=obj, membership=request.membership, data=data)
    except ApplicationError as error:
        return _back(request, obj, error)
    return _back(request, obj, ok=_("%(action)sしました。") % {"action": ACTION_LABELS.get(data.action, "")})


@member_required
@plan_available
@require_POST
def request_comment(request, public_id):
    obj = _request(request, public_id)
    try:
        services.payment_request_comment(payment_request=obj, membership=request.membership,
                                         comment=request.POST.get("comment", ""))
    except ApplicationError as error:
        return _back(request, obj, error)
    return _back(request, obj, ok=_("コメントを投稿しました。"))


@member_required
@plan_available
@require_POST
def request_pay(request, public_id):
    """支払登録 (admins): the date and wallet of the payment; booked as 出金 with 自動連携 on."""
    obj = _request(request, public_id)
    try:
        services.check_can_pay(request.tenant, obj, request.membership)
    except ApplicationError as error:
        return _back(request, obj, error)
    form = PayForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            services.payment_request_pay(tenant=request.tenant, payment_request=obj, membership=request.membership,
                                         paid_on=form.cleaned_data["paid_on"], wallet=form.cleaned_data["wallet"])
        except ApplicationError as error:
            return _back(request, obj, error)
        return _back(request, obj, ok=_("支払登録しました。"))
    return render(request, "payment_requests/request_detail.html", _detail_context(request, obj, form), status=400)


@member_required
@plan_available
@require_POST
def request_unpay(request, public_id):
    """支払登録を取り消す (admins; the page asks for confirmation first)."""
    obj = _request(request, public_id)
    try:
        services.payment_request_unpay(tenant=request.tenant, payment_request=obj, membership=request.membership)
    except ApplicationError as error:
        return _back(request, obj, error)
    return _back(request, obj, ok=_("支払登録を取り消しました。"))


@member_required
@plan_available
@require_http_methods(["GET", "POST"])
def request_delete(request, public_id):
    """削除: a confirmation page, then the delete."""
    obj = _request(request, public_id)
    if request.method == "GET":
        return render(request, "payment_requests/request_confirm_delete.html", {"object": obj})
    try:
        services.payment_request_delete(payment_request=obj, membership=request.membership)
    except ApplicationError as error:
        return _back(request, obj, error)
    messages.success(request, _("支払依頼を削除しました。"))
    return redirect("payment_requests:list")


@member_required
@plan_available
@require_POST
def request_mirror_retry(request, public_id):
    obj = _request(request, public_id)
    try:
        mirror.mirror_retry(payment_request=obj, membership=request.membership)
    except ApplicationError as error:
        return _back(request, obj, error)
    return _back(request, obj, ok=_("freeeへの連携を再試行します。"))


@member_required
@plan_available
@require_POST
def request_refresh(request, public_id):
    obj = _request(request, public_id)
    try:
        mirror.mirror_pull_one(payment_request=obj)
    except ApplicationError as error:
        return _back(request, obj, error)
    return _back(request, obj, ok=_("freeeのステータスを取得しました。"))


# --------------------------------------------------------------------------- settings (admins)


@admin_required
@plan_available
@require_http_methods(["GET", "POST"])
def settings_page(request):
    """申請経路の一覧, 申請フォームの設定, and the freee mirror switch."""
    setting = selectors.form_setting_for(tenant=request.tenant)
    if request.method == "POST":
        form = FormSettingForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            try:
                services.form_setting_save(tenant=request.tenant, membership=request.membership, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("申請フォームの設定を保存しました。"))
                return redirect("payment_requests:settings")
    else:
        form = FormSettingForm(tenant=request.tenant, initial={
            "required_fields": setting.required_fields, "usable_routes": list(setting.usable_routes.all()),
            "default_route": setting.default_route_id})
    routes = ApprovalFlowRoute.objects.for_tenant(request.tenant).prefetch_related("steps")
    return render(request, "payment_requests/settings.html", {"form": form, "routes": routes, "setting": setting},
                  status=400 if form.errors else 200)


@admin_required
@plan_available
@require_POST
def settings_mirror(request):
    enabled = request.POST.get("enabled") == "1"
    try:
        mirror.mirror_enable(tenant=request.tenant, membership=request.membership, enabled=enabled)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("freee会計の支払依頼との連携をONにしました。") if enabled else
                         _("freee会計の支払依頼との連携をOFFにしました。"))
    return redirect("payment_requests:settings")


@admin_required
@plan_available
@require_http_methods(["GET", "POST"])
def settings_freee_users(request):
    """freeeユーザーとの対応付け (loaded into the settings page by htmx): members ↔ the company's freee users."""
    tenant = request.tenant
    template = "payment_requests/_freee_users.html" if request.htmx else "payment_requests/freee_users.html"
    context = {"members": selectors.member_users(tenant), "form": None, "error": ""}
    try:
        freee_users = mirror.freee_users_fetch(tenant=tenant)
    except ApplicationError as error:
        context["error"] = error.message
        return render(request, template, context)
    links = dict(FreeeUserLink.objects.for_tenant(tenant).values_list("user_id", "freee_user_id"))
    form = FreeeUserLinkForm(request.POST or None, members=context["members"], freee_users=freee_users, links=links)
    if request.method == "POST" and form.is_valid():
        try:
            mirror.freee_user_links_save(tenant=tenant, membership=request.membership,
                                         choices=form.choices_by_user(), freee_users=freee_users)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            context["saved"] = _("freeeユーザーとの対応付けを保存しました。")
    context["form"] = form
    return render(request, template, context, status=400 if form.errors else 200)


@admin_required
@plan_available
@require_POST
def settings_import_routes(request):
    try:
        for text in mirror.routes_import(tenant=request.tenant, membership=request.membership):
            messages.info(request, text)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("payment_requests:settings")


@admin_required
@plan_available
@require_http_methods(["GET", "POST"])
def route_create(request):
    return _route_edit(request, None)


@admin_required
@plan_available
@require_http_methods(["GET", "POST"])
def route_edit(request, public_id):
    return _route_edit(request, get_tenant_object_or_404(ApprovalFlowRoute, request, public_id=public_id))


def _route_edit(request, route: ApprovalFlowRoute | None):
    tenant = request.tenant
    if request.method == "POST":
        form = RouteForm(request.POST)
        steps = StepFormSet(request.POST, prefix="steps", form_kwargs={"tenant": tenant})
        if form.is_valid() and steps.is_valid():
            specs = [services.StepInput(f.cleaned_data["resource_type"], list(f.cleaned_data["users"]))
                     for f in steps.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            usages = ["PaymentRequest"] if form.cleaned_data["use_for_payment_requests"] else []
            try:
                services.route_save(tenant=tenant, membership=request.membership, route=route, steps=specs,
                                    usages=usages, name=form.cleaned_data["name"],
                                    description=form.cleaned_data["description"])
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("申請経路を保存しました。"))
                return redirect("payment_requests:settings")
    else:
        form = RouteForm(initial={"name": route.name, "description": route.description,
                                  "use_for_payment_requests": route.usable_for_payment_requests} if route else None)
        initial = [{"resource_type": s.resource_type, "users": list(s.users.all())} for s in route.ordered_steps()] \
            if route else [{"resource_type": ApprovalFlowStep.ResourceType.PREDEFINED_USER}]
        steps = StepFormSet(initial=initial, prefix="steps", form_kwargs={"tenant": tenant})
    return render(request, "payment_requests/route_form.html", {"form": form, "steps": steps, "route": route},
                  status=400 if form.errors or steps.total_error_count() else 200)


@admin_required
@plan_available
@require_http_methods(["GET", "POST"])
def route_delete(request, public_id):
    route = get_tenant_object_or_404(ApprovalFlowRoute, request, public_id=public_id)
    if request.method == "GET":
        return render(request, "payment_requests/route_confirm_delete.html", {"route": route})
    try:
        services.route_delete(route=route, membership=request.membership)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("申請経路を削除しました。"))
    return redirect("payment_requests:settings")
