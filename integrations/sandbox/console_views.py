"""The sandbox console: the tenant's fake freee apps, companies, fault switches and invoices.

Admins only, like the 設定 menu that links it: it shows client secrets and can break the tenant's freee."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from integrations.sandbox import selectors
from integrations.sandbox.forms import (
    AppCreateForm,
    CompanyCreateForm,
    CompanySettingsForm,
    FaultsForm,
    InvoiceStatusForm,
    RedirectUrisForm,
)
from integrations.sandbox.models import SandboxApp, SandboxCompany, SandboxResource
from integrations.sandbox.services import (
    sandbox_access_tokens_expire,
    sandbox_app_create,
    sandbox_app_redirect_uris_set,
    sandbox_company_create,
    sandbox_faults_set,
    sandbox_invoice_status_set,
)
from tenancy.access import admin_required, get_tenant_object_or_404

PAYMENT_BUTTONS = [("settled", "入金済みにする"), ("unsettled", "入金待ちに戻す"), ("failed", "決済失敗にする"),
                   ("canceled", "決済キャンセルにする")]
SENDING_BUTTONS = [("sent", "送付済みにする"), ("unsent", "送付待ちに戻す")]


@admin_required
@require_http_methods(["GET", "POST"])
def console_index(request: HttpRequest) -> HttpResponse:
    """The tenant's sandbox apps; POST registers one and shows its client secret once."""
    form = AppCreateForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = sandbox_app_create(tenant=request.tenant, name=form.cleaned_data["name"])
        form = AppCreateForm()
    context = {"apps": selectors.apps_for_tenant(request.tenant), "form": form, "created": created}
    return render(request, "sandbox/console_index.html", context, status=201 if created else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def console_app(request: HttpRequest, public_id) -> HttpResponse:
    """One app: its コールバックURL and companies; POST adds a company or (action=redirect_uris) saves the URLs."""
    app = get_tenant_object_or_404(SandboxApp, request, public_id=public_id)
    editing_uris = request.method == "POST" and request.POST.get("action") == "redirect_uris"
    form = CompanyCreateForm(request.POST if request.method == "POST" and not editing_uris else None)
    uris_form = RedirectUrisForm(request.POST if editing_uris else None,
                                 initial={"redirect_uris": "\n".join(app.registered_redirect_uris)})
    if editing_uris and uris_form.is_valid():
        sandbox_app_redirect_uris_set(app=app, redirect_uris=uris_form.cleaned_data["redirect_uris"])
        messages.success(request, "コールバックURLを保存しました。")
        return redirect("sandbox:console-app", public_id=app.public_id)
    if request.method == "POST" and not editing_uris and form.is_valid():
        company = sandbox_company_create(app=app, name=form.cleaned_data["name"])
        messages.success(request, f"事業所「{company.name}」（事業所ID {company.company_id}）を作成しました。")
        return redirect("sandbox:console-app", public_id=app.public_id)
    context = {"app": app, "form": form, "uris_form": uris_form, "companies": app.companies.all()}
    return render(request, "sandbox/console_app.html", context, status=400 if request.method == "POST" else 200)


def _company_context(company: SandboxCompany, **forms) -> dict:
    invoices = SandboxResource.objects.filter(company=company, kind="invoice").order_by("-resource_id")
    return {
        "company": company, "invoices": [r.data for r in invoices[:100]],
        "settings_form": forms.get("settings_form") or CompanySettingsForm(instance=company),
        "faults_form": forms.get("faults_form") or FaultsForm(initial=selectors.faults_initial(company)),
        "payment_buttons": PAYMENT_BUTTONS, "sending_buttons": SENDING_BUTTONS,
    }


@admin_required
@require_http_methods(["GET", "POST"])
def console_company(request: HttpRequest, public_id) -> HttpResponse:
    """One company: settings, fault switches, token expiry and its invoices' statuses."""
    company = get_tenant_object_or_404(SandboxCompany.objects.select_related("app"), request, public_id=public_id)
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        result = action(request, company) if action else None
        if isinstance(result, dict):
            return render(request, "sandbox/console_company.html", _company_context(company, **result), status=400)
        return redirect("sandbox:console-company", public_id=company.public_id)
    return render(request, "sandbox/console_company.html", _company_context(company))


def _save_settings(request: HttpRequest, company: SandboxCompany) -> dict | None:
    form = CompanySettingsForm(request.POST, instance=company)
    if not form.is_valid():
        return {"settings_form": form}
    form.save()
    messages.success(request, "事業所の設定を保存しました。")
    return None


def _save_faults(request: HttpRequest, company: SandboxCompany) -> dict | None:
    form = FaultsForm(request.POST)
    if not form.is_valid():
        return {"faults_form": form}
    sandbox_faults_set(company, **form.switches())
    messages.success(request, "障害スイッチを保存しました。")
    return None


def _expire_tokens(request: HttpRequest, company: SandboxCompany) -> None:
    count = sandbox_access_tokens_expire(company=company)
    messages.success(request, f"アクセストークン {count} 件を期限切れにしました。")


def _set_invoice_status(request: HttpRequest, company: SandboxCompany) -> None:
    form = InvoiceStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "請求書のステータスを変更できませんでした。")
        return
    try:
        sandbox_invoice_status_set(company=company, **form.cleaned_data)
    except (ValueError, SandboxResource.DoesNotExist):
        messages.error(request, "請求書のステータスを変更できませんでした。")
        return
    messages.success(request, f"請求書（ID {form.cleaned_data['invoice_id']}）のステータスを変更しました。")


ACTIONS = {"settings": _save_settings, "faults": _save_faults, "expire_tokens": _expire_tokens,
           "invoice_status": _set_invoice_status}
