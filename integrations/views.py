"""管理者設定 > 外部サービス連携 > 会計freee: credentials, both connect flows, state, disconnect, call log."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.errors import ApplicationError
from integrations.forms import ApiCallLogFilterForm, FreeeSettingsForm, PasteCodeForm
from integrations.freee import messages as freee_messages
from integrations.freee import oauth, services
from integrations.models import ApiCallLog, IntegrationEvent
from tenancy.access import TenantAdminRequiredMixin


def callback_url() -> str:
    return settings.SITE_URL + reverse("integrations:freee_callback")


class FreeeSettingsView(TenantAdminRequiredMixin, View):
    def get(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        return self._render(connection, self._form(connection))

    def post(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        form = self._form(connection, request.POST)
        if not form.is_valid():
            return self._render(connection, form, status=400)
        if (services.client_change_disconnects(connection, form.cleaned_data["client_id"])
                and request.POST.get("confirm_client_change") != "1"):
            # Warn before: another app's client ID ends the connection. Nothing is saved until confirmed.
            return self._render(connection, form, confirm_client_change=True)
        saved = services.connection_save_settings(connection=connection, actor=request.user,
                                                  client_secret=form.cleaned_data.get("client_secret"),
                                                  **{k: v for k, v in form.cleaned_data.items() if k != "client_secret"})
        if saved.disconnected:
            messages.warning(request, _("freee連携の設定を保存しました。Client IDを変更したため、freeeとの接続を解除しました。"
                                        "「2. freeeと接続」から新しいアプリで再接続してください。"))
        else:
            messages.success(request, _("freee連携の設定を保存しました。"))
        return redirect("integrations:freee_settings")

    def _form(self, connection, data=None):
        initial = {"client_id": connection.client_id, "client_secret": connection.client_secret,
                   "invoice_numbering": connection.invoice_numbering, "daily_cap": connection.daily_cap}
        return FreeeSettingsForm(data, initial=initial)

    def _render(self, connection, form, status=200, confirm_client_change=False):
        context = {
            "connection": connection, "form": form, "code_form": PasteCodeForm(),
            "confirm_client_change": confirm_client_change,
            "permissions": freee_messages.REQUIRED_PERMISSIONS, "callback_url": callback_url(),
            "oob_redirect_uri": oauth.OOB_REDIRECT_URI,
            "events": IntegrationEvent.objects.for_tenant(self.request.tenant)[:5],
            "recent_calls": ApiCallLog.objects.for_tenant(self.request.tenant)[:5],
        }
        return render(self.request, "integrations/freee_settings.html", context, status=status)


class FreeeConnectView(TenantAdminRequiredMixin, View):
    """(a) Redirect flow: send the admin to freee with our `state`."""

    def post(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        try:
            url = services.connection_begin_authorize(connection=connection, redirect_uri=callback_url())
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("integrations:freee_settings")
        return redirect(url)


class FreeeOobAuthorizeView(TenantAdminRequiredMixin, View):
    """(b) Out-of-band flow, step 1: open freee's consent page; freee then shows the code to paste."""

    def get(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        try:
            return redirect(services.oob_authorize_url(connection=connection))
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("integrations:freee_settings")


class FreeePasteCodeView(TenantAdminRequiredMixin, View):
    """(b) Out-of-band flow, step 2: exchange the pasted code."""

    def post(self, request):
        form = PasteCodeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("認可コードを入力してください。"))
            return redirect("integrations:freee_settings")
        return _complete(request, code=form.cleaned_data["code"], redirect_uri=oauth.OOB_REDIRECT_URI)


class FreeeCallbackView(TenantAdminRequiredMixin, View):
    """(a) Redirect flow: freee sends the admin back here with `code` and `state`."""

    def get(self, request):
        if request.GET.get("error"):
            messages.error(request, _("freeeでの許可がキャンセルされました（%(error)s）。もう一度接続してください。")
                           % {"error": request.GET["error"][:100]})
            return redirect("integrations:freee_settings")
        return _complete(request, code=request.GET.get("code", ""), redirect_uri=callback_url(),
                         state=request.GET.get("state", ""))


def _complete(request, *, code: str, redirect_uri: str, state: str | None = None):
    connection = services.connection_get_or_create(tenant=request.tenant)
    try:
        services.connection_complete(connection=connection, code=code, redirect_uri=redirect_uri, state=state,
                                     actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("freeeと接続しました（%(name)s）。") % {"name": connection.company_name or
                                                                           connection.company_id})
    return redirect("integrations:freee_settings")


class FreeeCheckView(TenantAdminRequiredMixin, View):
    """接続を確認: one call to freee会計 and one to freee請求書 (the member check)."""

    def post(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        if not connection.is_connected:
            messages.error(request, _("freeeと接続されていません。先に接続してください。"))
            return redirect("integrations:freee_settings")
        problems = services.connection_check(connection=connection)
        for problem in problems:
            messages.error(request, problem)
        if not problems:
            messages.success(request, _("freee会計とfreee請求書の両方に接続できることを確認しました。"))
        return redirect("integrations:freee_settings")


class FreeeDisconnectView(TenantAdminRequiredMixin, View):
    def get(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        return render(request, "integrations/freee_confirm_disconnect.html", {"connection": connection})

    def post(self, request):
        connection = services.connection_get_or_create(tenant=request.tenant)
        services.connection_disconnect(connection=connection, actor=request.user)
        messages.success(request, _("freeeとの接続を解除し、トークンを削除しました。"))
        return redirect("integrations:freee_settings")


class ApiCallLogView(TenantAdminRequiredMixin, View):
    """API呼び出しログ of the tenant, newest first, filterable, 50 per page."""

    def get(self, request):
        form = ApiCallLogFilterForm(request.GET)
        logs = form.apply(ApiCallLog.objects.for_tenant(request.tenant))
        page = Paginator(logs, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page_obj": page, "logs": page.object_list, "query": query.urlencode()}
        return render(request, "integrations/api_call_log.html", context)
