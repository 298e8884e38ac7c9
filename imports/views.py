"""案件インポート pages: upload, mapping with preview, dry run and import, status, report CSV, saved mappings."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from core.errors import ApplicationError
from deals.upsert import OUTCOME_LABELS
from imports import parsers, services
from imports.forms import MappingForm, UploadForm, columns_from_post
from imports.mapping import PRESETS
from imports.models import ImportMapping, ImportRun
from tenancy.access import TenantMemberRequiredMixin, check_member_perm, get_tenant_object_or_404
from tenancy.permissions import DEAL_IMPORT


class ImportAccessMixin(TenantMemberRequiredMixin):
    """「案件のインポート」: admins always; members when permission profiles are off or theirs grants it."""

    def check_access(self, request) -> None:
        check_member_perm(request, DEAL_IMPORT)


class UploadView(ImportAccessMixin, View):
    """Step 1: choose the file exported from the CRM."""

    def get(self, request):
        return self._page(request, UploadForm())

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._page(request, form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > parsers.MAX_BYTES:  # refused before the file is read into memory
            form.add_error("file", _("ファイルが大きすぎます（上限%(mb)sMB）。ファイルを分けてアップロードしてください。")
                           % {"mb": parsers.MAX_BYTES // (1024 * 1024)})
            return self._page(request, form, status=400)
        try:
            run = services.import_upload(tenant=request.tenant, actor=request.user, name=upload.name,
                                         data=upload.read())
        except ApplicationError as error:
            form.add_error("file", error.message)
            return self._page(request, form, status=400)
        return redirect("imports:mapping", public_id=run.public_id)

    def _page(self, request, form, status=200):
        runs = ImportRun.objects.for_tenant(request.tenant).select_related("job").defer("data")[:10]
        return render(request, "imports/upload.html", {"form": form, "runs": runs,
                                                       "max_mb": parsers.MAX_BYTES // (1024 * 1024),
                                                       "max_rows": parsers.MAX_ROWS}, status=status)


@method_decorator(never_cache, name="dispatch")
class MappingView(ImportAccessMixin, View):
    """Step 2 and 3: map columns and values, preview the first deals, run the dry run, start the import."""

    def get(self, request, public_id):
        run = self._run(request, public_id)
        mapping = None
        if request.GET.get("mapping"):
            try:
                mapping_id = uuid.UUID(request.GET["mapping"])
            except ValueError:
                raise Http404 from None
            mapping = get_tenant_object_or_404(ImportMapping, request, public_id=mapping_id)
        preset = request.GET.get("preset", "")
        config = services.import_initial_config(run=run, preset=preset if preset in PRESETS else "", mapping=mapping)
        return self._page(request, run, self._form(run, config), preview=None)

    def post(self, request, public_id):
        run = self._run(request, public_id)
        config = columns_from_post(request.POST, services.import_initial_config(run=run))
        form = self._form(run, config, data=request.POST)
        if not form.is_valid():
            return self._page(request, run, form, preview=None, status=400)
        config = form.config()
        action = request.POST.get("action", "preview")
        try:
            services.import_check_config(config)
            if form.cleaned_data["save_as"]:
                services.mapping_save(tenant=request.tenant, actor=request.user, name=form.cleaned_data["save_as"],
                                      config=config)
                messages.success(request, _("マッピング「%(name)s」を保存しました。") % {"name": form.cleaned_data["save_as"]})
            if action in {"dry_run", "import"}:
                services.import_start(run=run, actor=request.user, config=config, dry_run=action == "dry_run")
                return redirect("imports:mapping", public_id=run.public_id)
        except ApplicationError as error:
            form.add_error(None, error.message)
            return self._page(request, run, form, preview=None, status=error.http_status)
        run.config = config.as_json()
        run.save(update_fields=["config", "updated_at"])
        preview = services.import_preview_table(run=run, config=config,
                                                preview=services.import_preview(run=run, config=config))
        return self._page(request, run, self._form(run, config), preview=preview)

    def _run(self, request, public_id) -> ImportRun:
        queryset = ImportRun.objects.select_related("job", "dry_run_job")
        return get_tenant_object_or_404(queryset, request, public_id=public_id)

    def _form(self, run: ImportRun, config, data=None) -> MappingForm:
        from deals.upsert import deal_types_by_name

        return MappingForm(data, header=run.header, config=config,
                           stage_values=services.import_distinct_values(run=run, config=config, target="stage"),
                           type_values=services.import_distinct_values(run=run, config=config, target="deal_type"),
                           deal_types=sorted(deal_types_by_name(tenant=run.tenant)))

    def _page(self, request, run, form, *, preview, status=200):
        mappings = ImportMapping.objects.for_tenant(request.tenant)
        return render(request, "imports/mapping.html", {
            "run": run, "form": form, "preview": preview, "presets": PRESETS.values(), "mappings": mappings,
            "encoding_label": parsers.ENCODING_LABELS.get(run.encoding, run.encoding),
            "delimiter_label": {",": _("カンマ"), "\t": _("タブ"), ";": _("セミコロン"), "|": _("縦棒")}.get(run.delimiter, ""),
            "outcome_labels": OUTCOME_LABELS}, status=status)


@method_decorator(never_cache, name="dispatch")
class RunStatusView(ImportAccessMixin, View):
    """The dry run's and the import's progress and counts (htmx polls it while a job runs)."""

    def get(self, request, public_id):
        run = get_tenant_object_or_404(ImportRun.objects.select_related("job", "dry_run_job"), request,
                                       public_id=public_id)
        return render(request, "imports/_run_status.html", {"run": run, "outcome_labels": OUTCOME_LABELS})


class ReportView(ImportAccessMixin, View):
    """The report as CSV: counts, then every error and skip with its row number, column and reason."""

    def get(self, request, public_id):
        run = get_tenant_object_or_404(ImportRun.objects.defer("data"), request, public_id=public_id)
        dry_run = request.GET.get("dry_run") == "1"
        response = HttpResponse(services.import_report_csv(run=run, dry_run=dry_run), content_type="text/csv")
        name = f"import-report-{'dry-run-' if dry_run else ''}{run.created_at:%Y%m%d-%H%M}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class MappingListView(ImportAccessMixin, View):
    """The tenant's saved mappings."""

    def get(self, request):
        mappings = ImportMapping.objects.for_tenant(request.tenant)
        return render(request, "imports/mapping_list.html", {"mappings": mappings})


class MappingDeleteView(ImportAccessMixin, View):
    def post(self, request, public_id):
        mapping = get_tenant_object_or_404(ImportMapping, request, public_id=public_id)
        services.mapping_delete(mapping=mapping, actor=request.user)
        messages.success(request, _("マッピング「%(name)s」を削除しました。") % {"name": mapping.name})
        return redirect("imports:mapping_list")
