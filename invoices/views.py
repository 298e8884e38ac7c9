"""The deal page's 請求書 tab: partner search, 発行, ステータス更新, 再連携, 再試行, 取消 / 取消解除 (htmx partials);
請求書の設定."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from deals.models import Deal
from integrations.freee import partners
from invoices import bulk, ledger, selectors, services
from invoices.filters import InvoiceFilter
from invoices.forms import InvoiceSettingsForm
from invoices.models import Invoice, PaymentStatus
from journals.sync import selectors as sync_selectors
from journals.sync import services as sync
from tenancy.access import TenantAdminRequiredMixin, check_member_perm, get_tenant_object_or_404, member_required
from tenancy.permissions import LEDGER_SYNC


def _deal(request, public_id) -> Deal:
    return get_tenant_object_or_404(Deal.objects.select_related("deal_type"), request, public_id=public_id)


def _invoice(request, public_id) -> Invoice:
    invoices = selectors.with_superseded(Invoice.objects.select_related("deal", "job"))
    return get_tenant_object_or_404(invoices, request, public_id=public_id)


def _tab(request, deal, *, error: ApplicationError | None = None, status: int = 200, typed: str | None = None,
         notice: str = ""):
    """The tab. The partner box, the hidden partner fields and the 選択中 hint always name one partner: the deal's,
    or after a refused 発行 of text not chosen, that text with no partner chosen."""
    if typed is None:
        partner = {"partner_typed": deal.partner_name, "partner_id": deal.partner_freee_id,
                   "partner_name": deal.partner_name if deal.partner_freee_id else ""}
    else:
        partner = {"partner_typed": typed, "partner_id": None, "partner_name": ""}
    context = {"deal": deal, "invoices": selectors.invoice_list_for_deal(deal=deal), **partner,
               "error": error.message if error else "", "error_code": error.code if error else "", "notice": notice,
               "can_issue": services.can_issue(request.membership),
               "needs_grant_hint": services.needs_grant_hint(request.membership),
               "connected": selectors.is_connected(tenant=request.tenant),
               "manual_numbering": selectors.numbering_is_manual(tenant=request.tenant),
               "typed_number": (request.POST.get("invoice_number", "")[:255] if error else "")}
    return render(request, "invoices/_invoice_tab.html", context, status=status)


@member_required
@require_GET
def deal_tab(request, public_id):
    """The whole tab; a deal type not linked to freee shows no tab at all."""
    deal = _deal(request, public_id)
    if not deal.deal_type.linked_to_freee:
        return render(request, "invoices/_tab_not_linked.html", {"deal": deal})
    return _tab(request, deal)


@member_required
@require_GET
def partner_search(request, public_id):
    """Live search of freee's partners as the user types (debounced in the page, cached briefly)."""
    _deal(request, public_id)
    search = partners.partner_search(tenant=request.tenant, keyword=request.GET.get("q", ""))
    return render(request, "includes/partner_results.html", {"search": search})


@member_required
@require_POST
def invoice_issue(request, public_id):
    deal = _deal(request, public_id)
    try:
        partner_id = int(request.POST.get("partner_id") or 0) or None
    except ValueError:
        partner_id = None
    partner_name = request.POST.get("partner_name", "")[:255]
    try:
        _check_partner_chosen(request.POST.get("q"), partner_id, partner_name)
        services.invoice_issue(deal=deal, membership=request.membership, partner_id=partner_id,
                               partner_name=partner_name, invoice_number=request.POST.get("invoice_number"))
    except ApplicationError as error:
        typed = request.POST.get("q", "").strip()[:255] if error.code == "partner_not_chosen" else None
        return _tab(request, deal, error=error, status=error.http_status, typed=typed)
    before = (deal.partner_freee_id, deal.partner_name)
    deal.refresh_from_db()
    notice = ""
    if (deal.partner_freee_id, deal.partner_name) != before:
        notice = _("案件の取引先を、freeeの取引先「%(name)s」に設定しました。") % {"name": deal.partner_name}
    return _tab(request, deal, notice=notice)


def _check_partner_chosen(typed: str | None, partner_id: int | None, partner_name: str) -> None:
    """The box, the hint and what is sent are one partner: text typed in the box but not chosen from the results
    (or a box changed after choosing) must not issue to the partner chosen before (issue 14 item 1)."""
    if typed is None:
        return  # not the tab's form (no box): the service checks the partner
    typed = typed.strip()
    if partner_id and typed == partner_name.strip():
        return
    if not typed and not partner_id:
        return  # nothing typed, nothing chosen: the service's 「取引先を選択してください」
    message = (_("取引先「%(typed)s」はまだ選択されていません。検索結果から取引先を選んでから発行してください。")
               % {"typed": typed[:100]} if typed else
               _("取引先が選択されていません。検索結果から取引先を選んでから発行してください。"))
    raise ApplicationError(message, code="partner_not_chosen")


@member_required
@require_GET
def invoice_row(request, public_id):
    """One row; polled by htmx while the invoice is being issued."""
    invoice = _invoice(request, public_id)
    return render(request, "invoices/_invoice_row.html", {"invoice": invoice,
                                                           "can_issue": services.can_issue(request.membership)})


def _row_action(request, public_id, action, *, shows_changes: bool = False):
    """A row button: run the service; answer the row's group (the swap target) saying what happened, in place."""
    invoice = _invoice(request, public_id)
    context = {"row_error": "", "can_issue": services.can_issue(request.membership), "refreshed": False}
    status = 200
    try:
        result = action(invoice)
        if shows_changes:
            context.update(refreshed=True, changes=result)
    except ApplicationError as exc:
        context["row_error"] = exc.message
        if exc.http_status in (403, 409):  # no permission, or a retry that could make a second invoice: as the API
            status = exc.http_status
    context["invoice"] = _invoice(request, public_id)
    return render(request, "invoices/_invoice_row.html", context, status=status)


@member_required
@require_POST
def invoice_refresh(request, public_id):
    """ステータス更新: the row says which statuses changed in freee, or that none did."""
    return _row_action(request, public_id, lambda invoice: services.invoice_refresh(invoice=invoice),
                       shows_changes=True)


@member_required
@require_POST
def invoice_resync(request, public_id):
    return _row_action(request, public_id,
                       lambda invoice: services.invoice_resync(invoice=invoice, membership=request.membership))


@member_required
@require_POST
def invoice_retry(request, public_id):
    return _row_action(request, public_id,
                       lambda invoice: services.invoice_retry(invoice=invoice, membership=request.membership))


@member_required
@require_POST
def invoice_cancel(request, public_id):
    """取消 (the button asks for confirmation first): freee cancels the invoice and deletes its linked 取引."""
    return _row_action(request, public_id,
                       lambda invoice: services.invoice_cancel(invoice=invoice, membership=request.membership))


@member_required
@require_POST
def invoice_uncancel(request, public_id):
    """取消解除 (confirmed in the page as well)."""
    return _row_action(request, public_id,
                       lambda invoice: services.invoice_uncancel(invoice=invoice, membership=request.membership))


class InvoiceSettingsView(TenantAdminRequiredMixin, View):
    """請求書の設定 (admins only): the defaults every invoice issued from a deal uses."""

    def get(self, request):
        return self._render(InvoiceSettingsForm(instance=services.invoice_settings_for(tenant=request.tenant)))

    def post(self, request):
        form = InvoiceSettingsForm(request.POST, instance=services.invoice_settings_for(tenant=request.tenant))
        if not form.is_valid():
            return self._render(form, status=400)
        services.invoice_settings_update(tenant=request.tenant, actor=request.user, data=form.cleaned_data)
        messages.success(request, _("請求書の設定を保存しました。"))
        return redirect("invoices:settings")

    def _render(self, form, status=200):
        return render(self.request, "invoices/invoice_settings.html", {"form": form}, status=status)


# --------------------------------------------------------------------------- 案件一覧: freee請求ステータス更新


def bulk_refresh_context(request, *, error: str = "") -> dict:
    """What the deal list's bulk-refresh panel shows: the button, the running job's progress or the last result."""
    job = bulk.bulk_refresh_latest(tenant=request.tenant)
    finished = bool(job and job.status == job.Status.SUCCEEDED)
    return {"bulk_job": job, "bulk_running": bool(job and not job.is_finished), "bulk_error": error,
            "bulk_summary": bulk.bulk_refresh_summary(job) if finished else "",
            "freee_connected": selectors.is_connected(tenant=request.tenant)}


def _bulk_panel(request, *, error: str = "", status: int = 200):
    return render(request, "invoices/_bulk_refresh.html", bulk_refresh_context(request, error=error), status=status)


@member_required
@require_POST
def bulk_refresh(request):
    """freee請求ステータス更新: start refreshing every freee-linked invoice of the tenant in the background."""
    try:
        bulk.bulk_refresh_start(tenant=request.tenant, actor=request.user)
    except ApplicationError as error:
        if request.htmx:
            return _bulk_panel(request, error=error.message, status=error.http_status)
        messages.error(request, error.message)
        return redirect("deals:list")
    if request.htmx:
        return _bulk_panel(request)
    messages.success(request, _("freee請求ステータスの更新を開始しました。"))
    return redirect("deals:list")


@member_required
@require_GET
@never_cache
def bulk_refresh_panel(request):
    """The panel; polled by htmx while a bulk refresh is under way."""
    return _bulk_panel(request)


@member_required
@require_GET
def invoice_list(request):
    """請求書: every invoice of the tenant, newest first, filterable by 連携状態 and 決済, 50 per page."""
    invoices = Invoice.objects.for_tenant(request.tenant).select_related("deal").order_by("-created_at", "-id")
    invoices = selectors.with_superseded(invoices)
    state, payment = request.GET.get("state", ""), request.GET.get("payment_status", "")
    # An unknown value is left out of the filter's cleaned data: that filter is ignored, as the page always did.
    invoices = InvoiceFilter(request.GET, queryset=invoices).qs
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"page_obj": page, "invoices": page.object_list, "query": query.urlencode(), "state": state,
               "payment": payment, "states": Invoice.State.choices, "payments": PaymentStatus.choices}
    return render(request, "invoices/invoice_list.html", context)


# --------------------------------------------------------------------------- API連携履歴 (会計連携) of an invoice


def _ledger_history(request, invoice, *, message: str = "", error: str = "", status: int = 200):
    records = sync_selectors.document_history(tenant=request.tenant, document_types=[ledger.INVOICE, ledger.RECEIPT],
                                              document_id=invoice.pk)[:50]
    context = {"invoice": invoice, "records": records, "message": message, "error": error,
               "can_sync": request.membership.has_perm(LEDGER_SYNC) and invoice.state == Invoice.State.ISSUED,
               "polling": any(r.status in ("waiting", "in_progress") for r in records)}
    return render(request, "journals/sync/_history.html", context, status=status)


@member_required
@require_GET
@never_cache
def ledger_history(request, public_id):
    """API連携履歴 of one invoice (its 請求書 and 入金 syncs), loaded into the row by htmx."""
    return _ledger_history(request, _invoice(request, public_id))


@member_required
@require_POST
def ledger_sync(request, public_id):
    """連携する: sync this invoice (and its 入金 when settled) to the ledger now."""
    invoice = _invoice(request, public_id)
    check_member_perm(request, LEDGER_SYNC)
    try:
        sync.document_sync(tenant=request.tenant, document_type=ledger.INVOICE, document_id=invoice.pk,
                           actor=request.user)
        if invoice.payment_status == PaymentStatus.SETTLED:
            sync.document_sync(tenant=request.tenant, document_type=ledger.RECEIPT, document_id=invoice.pk,
                               actor=request.user)
    except ApplicationError as exc:
        return _ledger_history(request, invoice, error=exc.message, status=exc.http_status)
    return _ledger_history(request, invoice, message=_("連携処理を実行しました。"))
