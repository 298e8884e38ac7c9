"""The invoice page behind freee請求書's report_url (a web page for people, not an API)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from integrations.sandbox.models import SandboxCompany, SandboxResource
from tenancy.access import member_required


@member_required
def invoice_report(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """Show one invoice of the request tenant's sandbox companies; anyone else's is a 404."""
    companies = SandboxCompany.objects.for_tenant(request.tenant)
    resource = SandboxResource.objects.filter(company__in=companies, kind="invoice", resource_id=invoice_id).first()
    if resource is None:
        raise Http404
    return render(request, "sandbox/invoice_report.html", {"invoice": resource.data})
