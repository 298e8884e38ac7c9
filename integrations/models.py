"""Per-tenant vendor connections (freee, LINE WORKS), the outbound API call log, and integration events for admins."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from tenancy.models import TenantOwnedModel


class FreeeConnection(TenantOwnedModel):
    """A tenant's link to one freee company: app credentials and the OAuth token pair (encrypted)."""

    class Status(models.TextChoices):
        NOT_CONNECTED = "not_connected", _("未接続")
        CONNECTED = "connected", _("接続済み")
        NEEDS_REAUTH = "needs_reauth", _("再接続が必要です")

    class Numbering(models.TextChoices):
        AUTO = "auto", _("自動採番（請求書番号はfreeeが採番）")
        MANUAL = "manual", _("手動採番（請求書番号をこちらから送信）")

    class DailyCap(models.IntegerChoices):
        STANDARD = 3000, _("3,000回/日（下記以外のプラン）")
        ADVANCE = 5000, _("5,000回/日（法人アドバンス）")
        ENTERPRISE = 10000, _("10,000回/日（法人エンタープライズ）")

    client_id = models.CharField(_("Client ID"), max_length=255, blank=True)
    client_secret = EncryptedTextField(_("Client Secret"), blank=True)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.NOT_CONNECTED)
    company_id = models.BigIntegerField(_("freee事業所ID"), null=True, blank=True)
    company_name = models.CharField(_("freee事業所名"), max_length=255, blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(_("アクセストークンの有効期限"), null=True, blank=True)
    refresh_issued_at = models.DateTimeField(_("リフレッシュトークンの発行日時"), null=True, blank=True)
    scope = models.CharField(max_length=100, blank=True)
    invoice_numbering = models.CharField(_("freee請求書の採番設定"), max_length=10, choices=Numbering.choices,
                                         default=Numbering.AUTO)
    daily_cap = models.PositiveIntegerField(_("1日のAPI利用上限"), choices=DailyCap.choices,
                                            default=DailyCap.STANDARD)
    oauth_state = models.CharField(max_length=64, blank=True)
    oauth_state_expires_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(_("最終成功日時"), null=True, blank=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    reauth_required_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("freee連携")
        verbose_name_plural = _("freee連携")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="freee_connection_one_per_tenant")]

    def __str__(self) -> str:
        return f"freee {self.company_name or '-'} ({self.tenant})"

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED and bool(self.access_token)

    def access_token_fresh(self, margin_seconds: int) -> bool:
        """Whether the access token is valid for at least `margin_seconds` more."""
        if not self.access_token or self.access_expires_at is None:
            return False
        return self.access_expires_at - timezone.timedelta(seconds=margin_seconds) > timezone.now()


class LineWorksLink(TenantOwnedModel):
    """【管理者】事業所の連携設定: one LINE WORKS domain (its app, service account and bot) linked to a tenant.

    A domain links to one tenant only (unique domain_id across tenants); a tenant may link several domains.
    The domain id is LINE WORKS's int64, so a typed "040000001" is the same domain as 40000001, and it is
    confirmed with LINE WORKS (the bot's domains, read with the credentials) before it is stored.
    domain_id is empty only on a link the 0003 migration found duplicating another tenant's domain: such a link
    receives no callbacks and sends nothing until an admin saves a domain LINE WORKS confirms.
    The access token is cached here and refreshed under a row lock (the refresh token rotates).
    """

    class RateLimit(models.IntegerChoices):
        FREE = 60, _("60回/分（フリープラン）")
        PAID = 240, _("240回/分（スタンダード・アドバンスト）")

    domain_id = models.BigIntegerField(_("ドメインID"), null=True, blank=True)
    name = models.CharField(_("表示名"), max_length=100, blank=True)
    client_id = models.CharField(_("Client ID"), max_length=255)
    client_secret = EncryptedTextField(_("Client Secret"))
    service_account = models.CharField(_("Service Account"), max_length=255)
    private_key = EncryptedTextField(_("Private Key"))
    bot_id = models.CharField(_("Bot ID"), max_length=64)
    bot_secret = EncryptedTextField(_("Bot Secret"))
    rate_limit_per_minute = models.PositiveIntegerField(_("API利用上限"), choices=RateLimit.choices,
                                                        default=RateLimit.FREE)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(_("最終接続確認日時"), null=True, blank=True)
    domain_verified_at = models.DateTimeField(_("ドメイン確認日時"), null=True, blank=True)
    # The bot's two rich menus (seed 003): [ID連携] before a user links (the bot's default one), [ID連携解除]
    # after (set per user). Registered in LINE WORKS the first time they are needed.
    richmenu_unlinked_id = models.CharField(_("リッチメニューID（ID連携前）"), max_length=64, blank=True)
    richmenu_linked_id = models.CharField(_("リッチメニューID（ID連携後）"), max_length=64, blank=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)

    class Meta:
        verbose_name = _("LINE WORKS連携")
        verbose_name_plural = _("LINE WORKS連携")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["domain_id"], name="lineworks_link_one_tenant_per_domain"),
            models.CheckConstraint(condition=models.Q(domain_id__gt=0), name="lineworks_link_domain_id_positive"),
        ]
        indexes = [models.Index(fields=["bot_id"], name="lineworks_link_bot")]
        db_table = "notifications_lineworkslink"  # the table it was created as in notifications (moved in state only)

    def __str__(self) -> str:
        return f"LINE WORKS {self.name or self.domain_id}"

    @property
    def label(self) -> str:
        domain = str(self.domain_id) if self.domain_id is not None else "-"
        return f"{self.name}（{domain}）" if self.name else domain

    @property
    def is_active(self) -> bool:
        """False for a link left without a domain by the 0003 migration (it duplicated another tenant's)."""
        return self.domain_id is not None

    def access_token_fresh(self, margin_seconds: int = 300) -> bool:
        if not self.access_token or self.access_expires_at is None:
            return False
        return self.access_expires_at - timezone.timedelta(seconds=margin_seconds) > timezone.now()


class ApiCallLog(TenantOwnedModel):
    """One outbound vendor call: what, when, how it went. Never a token, secret or request body."""

    vendor = models.CharField(_("連携先"), max_length=20, default="freee")
    family = models.CharField(_("API"), max_length=20)
    method = models.CharField(_("メソッド"), max_length=10)
    path = models.CharField(_("パス"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("ステータス"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("所要時間(ms)"), default=0)
    request_id = models.CharField(_("X-Freee-Request-ID"), max_length=100, blank=True)
    error_message = models.TextField(_("エラー内容"), blank=True)

    class Meta:
        verbose_name = _("API呼び出しログ")
        verbose_name_plural = _("API呼び出しログ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="api_call_log_tenant_created")]

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class IntegrationEvent(TenantOwnedModel):
    """Something admins must know (e.g. freee needs re-authorisation). The notifications app delivers these;
    until then they are shown on the connection screen."""

    class Kind(models.TextChoices):
        FREEE_REAUTH_REQUIRED = "freee.reauth_required", _("freeeの再接続が必要です")

    kind = models.CharField(_("種類"), max_length=50, choices=Kind.choices)
    message = models.TextField(_("内容"))
    payload = models.JSONField(default=dict, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("連携イベント")
        verbose_name_plural = _("連携イベント")
        ordering = ["-created_at", "-id"]
