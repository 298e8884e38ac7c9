"""Job: a long operation a user started (bulk refresh, ledger sync, ...), with progress the UI polls; events,
audit entries and API tokens."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.job_kinds import job_kind_label
from tenancy.models import TenantOwnedModel


class Job(TenantOwnedModel):
    """One long operation. Saved before its task is enqueued; the task claims it with a conditional UPDATE."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("待機中")
        RUNNING = "running", _("実行中")
        SUCCEEDED = "succeeded", _("完了")
        FAILED = "failed", _("エラー")

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    kind = models.CharField(_("種類"), max_length=64)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(_("完了件数"), default=0)
    total = models.PositiveIntegerField(_("全件数"), default=0)
    error = models.TextField(_("エラー内容"), blank=True)
    result = models.JSONField(_("結果"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("実行者"),
    )
    # How often the sweeper re-sent this job after its worker died (core.jobs.jobs_recover_abandoned).
    recoveries = models.PositiveSmallIntegerField(_("再開回数"), default=0)
    # The Celery message that owns the running job (core.jobs.job_take): a copy of it that a sweeper sent
    # while the original was only waiting in a long queue finds the job owned and does nothing.
    task_id = models.CharField(_("タスクID"), max_length=64, blank=True, default="")
    # Set while the job waits for its tenant's bulk slot or its next slice's turn (core.fair): 順番待ち.
    waiting_since = models.DateTimeField(_("順番待ち開始"), null=True, blank=True)
    started_at = models.DateTimeField(_("開始日時"), null=True, blank=True)
    finished_at = models.DateTimeField(_("終了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("ジョブ")
        verbose_name_plural = _("ジョブ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "kind", "-created_at"], name="job_tenant_kind_created")]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")) | models.Q(total=0),
                                   name="job_done_not_above_total"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} ({self.status})"

    @property
    def kind_label(self) -> str:
        """What the user reads for `kind` (e.g. 「freee請求ステータスの一括更新」 for invoices.bulk_refresh)."""
        return job_kind_label(self.kind)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_waiting(self) -> bool:
        """順番待ち: not started yet, or between two slices of a bulk job waiting for its turn."""
        return self.status == self.Status.QUEUED or (self.status == self.Status.RUNNING and bool(self.waiting_since))

    @property
    def queue_position(self) -> int:
        """1 + the tenant's unfinished jobs started before this one: where it stands among the tenant's jobs."""
        earlier = Job.objects.filter(tenant_id=self.tenant_id, created_at__lt=self.created_at).exclude(
            status__in=self.FINISHED)
        return 1 + earlier.count()

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)


class Event(TenantOwnedModel):
    """A domain event ("invoice settled", "payment request needs your approval", ...) announced by an app.

    Written in the emitter's own transaction (core.events.emit), so an event exists exactly when the change
    that caused it was committed; the notifications app fans it out and stamps `dispatched_at`. Apps never
    import notifications: this row and the `event_emitted` signal are the whole contract.
    """

    kind = models.CharField(_("種類"), max_length=64)
    # User ids the emitter says should hear about it (the deal's owner, the step's approvers, the admins...).
    recipient_ids = models.JSONField(_("宛先"), default=list, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    # Idempotency: one event per (tenant, key); emitting the same key again is a no-op.
    key = models.CharField(_("キー"), max_length=200)
    dispatched_at = models.DateTimeField(_("配信処理日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("イベント")
        verbose_name_plural = _("イベント")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="event_unique_key_per_tenant")]
        indexes = [models.Index(fields=["dispatched_at", "created_at"], name="event_undispatched")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.key})"


class AuditEntry(TenantOwnedModel):
    """Who did what to which object, and what changed (secrets masked). Append-only: a database trigger
    refuses UPDATE and DELETE, and the tenant cannot be deleted while it has entries."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("事業所"))
    # No database constraint: deleting a user must not rewrite the trail; actor_label keeps who it was.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                              blank=True, related_name="+", verbose_name=_("実行者"))
    actor_label = models.CharField(_("実行者名"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=64)
    target_type = models.CharField(_("対象の種類"), max_length=64, blank=True)
    target_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    target_label = models.CharField(_("対象"), max_length=255, blank=True)
    # {"field": [before, after]}; secrets appear as "********".
    changes = models.JSONField(_("変更内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="audit_tenant_created")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_label} by {self.actor_label}"


class ApiToken(models.Model):
    """An API token of a user (`Authorization: Token <key>`). Only a SHA-256 of the key is stored: the key is
    shown once, when it is issued. A user may hold several (one per script or device); each is revoked by
    deleting it, which takes effect on the next request. `expires_at` empty means it never expires."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens",
                             verbose_name=_("ユーザー"))
    name = models.CharField(_("名前"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("先頭の文字"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最終使用日時"), null=True, blank=True)
    expires_at = models.DateTimeField(_("有効期限"), null=True, blank=True)

    class Meta:
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class IdempotencyKey(models.Model):
    """The first answer to an API POST sent with an `Idempotency-Key` header (core.idempotency), kept 24 hours.

    One row per (user, key): the unique constraint is the lock that makes two concurrent requests with one key do
    the work once. `fingerprint` is a SHA-256 of the method, path, tenant header and body; the same key with
    another body is refused. `response_status` 0 means the first request is still being processed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_content_type = models.CharField(max_length=100, blank=True)
    response_body = models.BinaryField(default=bytes)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("冪等キー")
        verbose_name_plural = _("冪等キー")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
