"""The deal page's 請求書 tab: partner search, 発行, ステータス更新, 再連携, 再試行 (htmx partials)."""

from django.core.cache import cache
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from deals.models import Deal
from integrations.freee import messages as freee_messages
from integrations.freee.client import FreeeClient
from integrations.freee.errors import FreeeError
from invoices import selectors, services
from invoices.models import Invoice
from tenancy.access import get_tenant_object_or_404, member_required

PARTNER_CACHE_SECONDS = 60


def _deal(request, public_id) -> Deal:
    return get_tenant_object_or_404(Deal.objects.select_related("deal_type"), request, public_id=public_id)


def _invoice(request, public_id) -> Invoice:
    return get_tenant_object_or_404(Invoice.objects.select_related("deal", "job"), request, public_id=public_id)


def _tab(request, deal, *, error: str = "", status: int = 200):
    context = {"deal": deal, "invoices": selectors.invoice_list_for_deal(deal=deal), "error": error,
               "can_issue": services.can_issue(request.membership),
               "connected": selectors.is_connected(tenant=request.tenant)}
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
    """Live search of freee's partners as the user types (debounced in the page, cached briefly here)."""
    _deal(request, public_id)
    keyword = request.GET.get("q", "").strip()[:100]
    if not keyword:
        return render(request, "invoices/_partner_results.html", {"partners": [], "keyword": ""})
    key = f"freee:partners:{request.tenant.pk}:{keyword}"
    partners, error = cache.get(key), ""
    if partners is None:
        try:
            client = FreeeClient(services.connected_connection(tenant=request.tenant), max_wait=2)
            partners = [{"id": p.id, "name": p.name, "long_name": p.long_name or ""}
                        for p in client.partners_search(keyword=keyword, limit=20)]
            cache.set(key, partners, PARTNER_CACHE_SECONDS)
        except (FreeeError, ApplicationError) as exc:
            partners = []
            error = freee_messages.call_error(exc) if isinstance(exc, FreeeError) else exc.message
    context = {"partners": partners, "keyword": keyword, "error": error}
    return render(request, "invoices/_partner_results.html", context)


@member_required
@require_POST
def invoice_issue(request, public_id):
    deal = _deal(request, public_id)
    try:
        partner_id = int(request.POST.get("partner_id") or 0) or None
    except ValueError:
        partner_id = None
    try:
        services.invoice_issue(deal=deal, membership=request.membership, partner_id=partner_id,
                               partner_name=request.POST.get("partner_name", "")[:255])
    except ApplicationError as error:
        return _tab(request, deal, error=error.message, status=error.http_status)
    return _tab(request, deal)


@member_required
@require_GET
def invoice_row(request, public_id):
    """One row; polled by htmx while the invoice is being issued."""
    invoice = _invoice(request, public_id)
    return render(request, "invoices/_invoice_row.html", {"invoice": invoice,
                                                           "can_issue": services.can_issue(request.membership)})


def _row_action(request, public_id, action):
    invoice = _invoice(request, public_id)
    error = ""
    try:
        action(invoice)
    except ApplicationError as exc:
        error = exc.message
    invoice.refresh_from_db()
    context = {"invoice": invoice, "row_error": error, "can_issue": services.can_issue(request.membership)}
    return render(request, "invoices/_invoice_row.html", context)


@member_required
@require_POST
def invoice_refresh(request, public_id):
    return _row_action(request, public_id, lambda invoice: services.invoice_refresh(invoice=invoice))


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


