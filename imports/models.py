"""案件インポート: saved column mappings, uploaded files with their import runs, and each run's report rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwnedModel


class ImportMapping(TenantOwnedModel):
    """A tenant's named mapping (columns → deal and line fields, value mapping, line mode), reused by name.

    `config` is an imports.mapping.MappingConfig as JSON: the same shape a CRM connector keeps per connection."""

    name = models.CharField(_("マッピング名"), max_length=100)
    config = models.JSONField(_("マッピング"), default=dict)

    class Meta:
        verbose_name = _("インポートのマッピング")
        verbose_name_plural = _("インポートのマッピング")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="import_mapping_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class ImportRun(TenantOwnedModel):
    """One uploaded file: what detection found, the mapping chosen, and its dry run and import Jobs.

    The file itself is kept in the row (not on a local disk) so that any worker can read it and a run whose
    worker died resumes from `result["next_row"]`; it is emptied once the import has finished."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("実行者"))
    file_name = models.CharField(_("ファイル名"), max_length=255)
    file_size = models.PositiveIntegerField(_("ファイルサイズ"), default=0)
    data = models.BinaryField(_("ファイル"), default=bytes)
    kind = models.CharField(_("形式"), max_length=8)  # csv | xlsx
    encoding = models.CharField(_("文字コード"), max_length=32, blank=True)
    delimiter = models.CharField(_("区切り文字"), max_length=4, blank=True)
    header = models.JSONField(_("見出し"), default=list)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    mapping = models.ForeignKey(ImportMapping, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("マッピング"))
    config = models.JSONField(_("使ったマッピング"), default=dict, blank=True)
    dry_run_job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("ドライラン"))
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                            verbose_name=_("インポート"))

    class Meta:
        verbose_name = _("案件インポート")
        verbose_name_plural = _("案件インポート")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class ImportIssue(models.Model):
    """A row of a run's report that was not saved as asked: an error (row number, column, reason) or a skip."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="issues")
    dry_run = models.BooleanField(default=False)
    row_number = models.PositiveIntegerField(_("行番号"))
    column = models.CharField(_("列"), max_length=255, blank=True, db_column="column_label")  # COLUMN is reserved
    external_id = models.CharField(_("外部ID"), max_length=255, blank=True)
    outcome = models.CharField(_("結果"), max_length=16)  # deals.upsert.ERROR | SKIPPED
    reason = models.TextField(_("理由"))

    class Meta:
        verbose_name = _("インポートの報告")
        verbose_name_plural = _("インポートの報告")
        ordering = ["row_number", "id"]
        indexes = [models.Index(fields=["run", "dry_run", "row_number"], name="import_issue_run_row")]

    def __str__(self) -> str:
        return f"{self.row_number}: {self.reason}"
