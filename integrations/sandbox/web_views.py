"""The sandbox's stand-ins for freee's web pages for people (settings.FREEE_WEB_URL points here while the sandbox
is on): the 取引先 page, where a partner is registered so that the API's partner search finds it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from integrations.models import FreeeConnection
from integrations.sandbox.models import SandboxCompany, SandboxResource
from integrations.sandbox.services import PartnerInvalid, sandbox_partner_create
from tenancy.access import member_required


def _company(request: HttpRequest) -> SandboxCompany | None:
    """The company shown: ?company_id= among the tenant's sandbox companies (another one is a 404), else the one
    the tenant is connected to, else its first."""
    companies = {c.company_id: c for c in SandboxCompany.objects.for_tenant(request.tenant).order_by("company_id")}
    asked = request.POST.get("company_id") or request.GET.get("company_id")
    if asked:
        if not asked.isdigit() or int(asked) not in companies:
            raise Http404
        return companies[int(asked)]
    connected = FreeeConnection.objects.filter(tenant=request.tenant).values_list("company_id", flat=True).first()
    return companies.get(connected) or next(iter(companies.values()), None)


@member_required
@require_http_methods(["GET", "POST"])
def web_partners(request: HttpRequest) -> HttpResponse:
    """取引先: the company's partners; POST registers one (name required and unique, as freee asks)."""
    company = _company(request)
    error, typed = "", ""
    if request.method == "POST":
        if company is None:
            raise Http404
        typed = request.POST.get("name", "")
        try:
            partner = sandbox_partner_create(company=company, name=typed)
        except PartnerInvalid as invalid:
            error = str(invalid)
        else:
            messages.success(request, f"取引先「{partner['name']}」を登録しました。")
            return redirect(f"{reverse('sandbox:freee-web-partners')}?company_id={company.company_id}")
    partners = (
        []
        if company is None
        else sorted(
            (r.data for r in SandboxResource.objects.filter(company=company, kind="partner")), key=lambda p: p["id"]
        )
    )
    context = {
        "company": company,
        "partners": partners,
        "error": error,
        "typed": typed[:300],
        "companies": SandboxCompany.objects.for_tenant(request.tenant).order_by("company_id"),
    }
    return render(request, "sandbox/web_partners.html", context, status=400 if error else 200)
