"""会計連携 pages: API連携設定 (admins), API連携一覧 (再連携 / 削除 of error rows), 取引明細の書出 (Job + CSV)."""

import uuid

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from journals.sync import csv_export, selectors, services
from journals.sync.filters import SyncRecordFilter, actor_choices
from journals.sync.forms import TARGET_WARNING, ExportForm, SyncSettingsForm
from journals.sync.models import SyncRecord
from tenancy.access import TenantAdminRequiredMixin, check_member_perm, member_required
from tenancy.permissions import CSV_EXPORT, LEDGER_SYNC

PER_PAGE = 50


class SyncSettingsView(TenantAdminRequiredMixin, View):
    """API連携設定 (admins only): 自動連携 and the ledger target, with the double-booking warning."""

    def get(self, request):
        return self._render(SyncSettingsForm(instance=services.sync_settings_for(tenant=request.tenant)))

    def post(self, request):
        form = SyncSettingsForm(request.POST, instance=services.sync_settings_for(tenant=request.tenant))
        if not form.is_valid():
            return self._render(form, status=400)
        services.sync_settings_update(tenant=request.tenant, actor=request.user,
                                      auto_sync=form.cleaned_data["auto_sync"], target=form.cleaned_data["target"])
        messages.success(request, _("API連携設定を保存しました。"))
        return redirect("journal_sync:settings")

    def _render(self, form, status=200):
        return render(self.request, "journals/sync/settings.html", {"form": form, "warning": TARGET_WARNING},
                      status=status)


@member_required
@require_http_methods(["GET", "POST"])
def record_list(request):
    """API連携一覧: filters, sorting, 50 per page; error rows can be 再連携 or 削除 (checked, after confirming)."""
    error = ""
    if request.method == "POST":
        error = _bulk_action(request)
        if not error:
            return redirect(request.get_full_path())
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    sort = sort if sort in selectors.SORTS else selectors.DEFAULT_SORT
    filterset = SyncRecordFilter(request.GET, queryset=selectors.sync_record_list(tenant=request.tenant, sort=sort))
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sortless = query.copy()
    sortless.pop("sort", None)
    context = {"filter": filterset, "page_obj": page, "records": page.object_list, "sort": sort,
               "query": query.urlencode(), "sortless_query": sortless.urlencode(), "error": error,
               "actors": actor_choices(request.tenant), "filtered": any(request.GET.get(k) for k in filterset.filters),
               "can_sync": request.membership.has_perm(LEDGER_SYNC)}
    return render(request, "journals/sync/record_list.html", context, status=400 if error else 200)


def _bulk_action(request) -> str:
    """再連携 / 削除 of the checked rows (only error rows are touched). Returns an error message, or ''."""
    check_member_perm(request, LEDGER_SYNC)
    ids = request.POST.getlist("records")
    records = SyncRecord.objects.for_tenant(request.tenant).filter(public_id__in=_uuids(ids))
    if not ids or not records.exists():
        return _("再連携または削除する行を選択してください。")
    action = request.POST.get("action")
    if action == "resync":
        count = services.sync_records_resync(tenant=request.tenant, records=records, actor=request.user)
        messages.success(request, _("%(count)d件を再連携します。") % {"count": count})
    elif action == "delete":
        count = services.sync_records_delete(tenant=request.tenant, records=records)
        messages.success(request, _("%(count)d件の連携履歴を削除しました。") % {"count": count})
    else:
        return _("操作を選択してください。")
    if count == 0:
        messages.warning(request, _("再連携・削除できるのはステータスがエラーの行のみです。"))
    return ""


def _uuids(values: list[str]) -> list[str]:
    valid = []
    for value in values:
        try:
            valid.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return valid


class ExportView(View):
    """取引明細の書出: 会計連携する (a background Job with a progress bar) or CSVを書き出す."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        check_member_perm(request, LEDGER_SYNC)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        if request.GET.get("format") == "csv":
            return self._csv(request)
        return self._render(ExportForm(tenant=request.tenant))

    def post(self, request):
        form = ExportForm(request.POST, tenant=request.tenant)
        if not form.is_valid():
            return self._render(form, status=400)
        try:
            job = services.export_start(tenant=request.tenant, actor=request.user, **_options(form, unsynced=True))
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(form, status=error.http_status)
        if request.htmx:
            return render(request, "journals/sync/_export_started.html", {"job": job})
        messages.success(request, _("連携処理を受け付けました。"))
        return self._render(ExportForm(tenant=request.tenant), job=job)

    def _csv(self, request):
        check_member_perm(request, CSV_EXPORT)
        form = ExportForm(request.GET, tenant=request.tenant)
        if not form.is_valid():
            return self._render(form, status=400)
        options = _options(form, unsynced=False)
        try:
            services.export_validate(tenant=request.tenant, start=options["start"], end=options["end"],
                                     groups=options["groups"])
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._render(form, status=error.http_status)
        return csv_export.trade_lines_csv_response(tenant=request.tenant, actor=request.user, encoding=form.cleaned_data["encoding"],
                                                   start=options["start"], end=options["end"],
                                                   groups=options["groups"], closed_only=options["closed_only"])

    def _render(self, form, status=200, job=None):
        if self.request.htmx and self.request.method == "POST":
            return render(self.request, "journals/sync/_export_errors.html", {"form": form}, status=status)
        context = {"form": form, "job": job, "plan_limited": len(form.fields["groups"].choices) == 1}
        return render(self.request, "journals/sync/export.html", context, status=status)


def _options(form, *, unsynced: bool) -> dict:
    data = form.cleaned_data
    options = {"start": data["start"], "end": data["end"], "groups": data["groups"], "closed_only": data["closed_only"]}
    if unsynced:
        options["unsynced_only"] = data["unsynced_only"]
    return options

