"""会計連携: the tenant's sync settings, every sync attempt (API連携履歴) and what each document became."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwnedModel


class Target(models.TextChoices):
    BUILTIN = "builtin", _("内蔵の会計帳簿")
    FREEE = "freee", _("freee会計")


class SyncSettings(TenantOwnedModel):
    """API連携設定 (admins only): 自動連携 on/off and the ledger the documents are booked to."""

    auto_sync = models.BooleanField(
        _("自動連携"), default=False,
        help_text=_("対象帳票の追加・編集・削除時に自動でAPI連携します。設定前に追加・編集・削除した帳票は自動連携の対象外です。"))
    target = models.CharField(_("連携先"), max_length=20, choices=Target.choices, default=Target.BUILTIN)
    auto_sync_since = models.DateTimeField(_("自動連携の開始日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("API連携設定")
        verbose_name_plural = _("API連携設定")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="sync_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.target} auto={self.auto_sync}"


class SyncRecord(TenantOwnedModel):
    """One sync of one document (a row of API連携履歴 and API連携一覧). Only the worker moves it to 連携中."""

    class Operation(models.TextChoices):
        ADD = "add", _("追加")
        EDIT = "edit", _("編集")
        DELETE = "delete", _("削除")

    class Status(models.TextChoices):
        WAITING = "waiting", _("連携待ち")
        IN_PROGRESS = "in_progress", _("連携中")
        DONE = "done", _("連携完了")
        ERROR = "error", _("エラー")

    document_type = models.CharField(_("帳票の種類"), max_length=40)
    document_id = models.BigIntegerField(_("帳票ID"))
    document_public_id = models.UUIDField(_("帳票の公開ID"), null=True, blank=True)
    document_label = models.CharField(_("帳票"), max_length=255, blank=True)
    document_date = models.DateField(_("取引日"), null=True, blank=True)
    document_amount = models.BigIntegerField(_("金額"), null=True, blank=True)
    operation = models.CharField(_("操作種別"), max_length=10, choices=Operation.choices)
    status = models.CharField(_("ステータス"), max_length=20, choices=Status.choices, default=Status.WAITING)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("作業者"))
    target = models.CharField(_("連携先"), max_length=20, choices=Target.choices, default=Target.BUILTIN)
    trade_id = models.BigIntegerField(_("取引ID"), null=True, blank=True)
    freee_deal_id = models.BigIntegerField(_("freee取引ID"), null=True, blank=True)
    error_message = models.TextField(_("エラー内容"), blank=True)
    note = models.CharField(_("備考"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(_("連携開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("連携完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("API連携履歴")
        verbose_name_plural = _("API連携履歴")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "document_type", "document_id", "-created_at"], name="sync_record_document"),
            models.Index(fields=["tenant", "status", "-created_at"], name="sync_record_tenant_status"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type}:{self.document_id} {self.operation} ({self.status})"

    @property
    def source_key(self) -> str:
        return f"{self.document_type}:{self.document_id}"


class SyncedDocument(TenantOwnedModel):
    """What a document became in the ledger target: its trade (built-in) or freee deal, and who holds it now.

    One row per document; `lease_until` is the claim a worker takes before calling freee (no HTTP runs inside
    a transaction, so a row lock cannot cover the call): a second worker seeing a live lease waits its turn.
    """

    document_type = models.CharField(_("帳票の種類"), max_length=40)
    document_id = models.BigIntegerField(_("帳票ID"))
    target = models.CharField(_("連携先"), max_length=20, choices=Target.choices, default=Target.BUILTIN)
    reference = models.CharField(_("連携キー"), max_length=64)
    trade_id = models.BigIntegerField(_("取引ID"), null=True, blank=True)
    freee_deal_id = models.BigIntegerField(_("freee取引ID"), null=True, blank=True)
    freee_payment_id = models.BigIntegerField(_("freee決済ID"), null=True, blank=True)  # 入金/出金 on the freee deal
    create_attempts = models.PositiveSmallIntegerField(_("登録の試行回数"), default=0)
    deleted = models.BooleanField(_("削除済み"), default=False)
    synced_at = models.DateTimeField(_("最終連携日時"), null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("連携済み帳票")
        verbose_name_plural = _("連携済み帳票")
        constraints = [models.UniqueConstraint(fields=["tenant", "document_type", "document_id"],
                                               name="synced_document_unique_per_tenant")]

    def __str__(self) -> str:
        return f"{self.document_type}:{self.document_id} -> {self.target}"


class FreeeProjectTag(TenantOwnedModel):
    """The freee メモタグ that carries a 案件 to freee会計 (the accounting project), per connected company.

    Cached so that every sync of the 案件's documents reuses one tag; `name` is what the tag was found or
    created under, so a renamed 案件 gets its new tag on the next sync.
    """

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="+", verbose_name=_("案件"))
    company_id = models.BigIntegerField(_("freee事業所ID"))
    freee_tag_id = models.BigIntegerField(_("freeeメモタグID"))
    name = models.CharField(_("メモタグ名"), max_length=30)

    class Meta:
        verbose_name = _("案件のfreeeメモタグ")
        verbose_name_plural = _("案件のfreeeメモタグ")
        constraints = [models.UniqueConstraint(fields=["tenant", "deal", "company_id"],
                                               name="freee_project_tag_one_per_deal")]

    def __str__(self) -> str:
        return f"{self.deal_id} -> tag {self.freee_tag_id}"
