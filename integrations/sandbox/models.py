"""The freee sandbox: registered apps, companies (事業所), OAuth grants and freee-shaped resources."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import Tenant


class OwnedByTenantQuerySet(models.QuerySet):
    """Console scoping: a sandbox object belongs to the tenant whose admin created its app."""

    owner_path = "owner_tenant"

    def for_tenant(self, tenant: Tenant | None) -> OwnedByTenantQuerySet:
        if tenant is None:
            return self.none()
        return self.filter(**{self.owner_path: tenant})


class CompanyQuerySet(OwnedByTenantQuerySet):
    owner_path = "app__owner_tenant"


class SandboxApp(models.Model):
    """A registered freee "app" (client_id / client_secret), as created in freee's developer console."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client_id = models.CharField(_("Client ID"), max_length=100, unique=True)
    client_secret = models.CharField(_("Client Secret"), max_length=200)
    name = models.CharField(_("アプリ名"), max_length=200)
    owner_tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", verbose_name=_("作成した事業所"))
    redirect_uris = models.TextField(_("コールバックURL"), blank=True,
                                     help_text=_("1行に1つ。認可のredirect_uriはこのいずれかと完全に一致する必要があります。"))
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = OwnedByTenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("サンドボックスアプリ")
        verbose_name_plural = _("サンドボックスアプリ")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def registered_redirect_uris(self) -> list[str]:
        """The registered callback URLs (freee: コールバックURL), one per line."""
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]


class SandboxCompany(models.Model):
    """A fake freee 事業所 with its settings, master data (as resources) and fault switches."""

    class Plan(models.TextChoices):
        STARTER = "starter", _("スターター")
        STANDARD = "standard", _("スタンダード")
        ADVANCE = "advance", _("アドバンス")
        ENTERPRISE = "enterprise", _("エンタープライズ")

    DAILY_CAPS = {"starter": 3000, "standard": 3000, "advance": 5000, "enterprise": 10000}

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    app = models.ForeignKey(SandboxApp, on_delete=models.CASCADE, related_name="companies")
    company_id = models.BigIntegerField(_("事業所ID"), unique=True)
    name = models.CharField(_("事業所名"), max_length=200)
    display_name = models.CharField(_("表示名"), max_length=200)
    plan = models.CharField(_("プラン"), max_length=20, choices=Plan.choices, default=Plan.STANDARD)
    invoice_auto_numbering = models.BooleanField(_("請求書番号を自動採番する"), default=True)
    invoice_member_ok = models.BooleanField(_("freee請求書のメンバー"), default=True)
    faults = models.JSONField(_("障害スイッチ"), default=dict, blank=True)
    sequences = models.JSONField(_("採番カウンタ"), default=dict, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("サンドボックス事業所")
        verbose_name_plural = _("サンドボックス事業所")
        ordering = ["company_id"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.company_id})"

    @property
    def daily_cap(self) -> int:
        return self.DAILY_CAPS.get(self.plan, 3000)


class SandboxAuthCode(models.Model):
    """An authorization code: single use, valid 10 minutes, bound to its redirect_uri."""

    code = models.CharField(max_length=100, unique=True)
    app = models.ForeignKey(SandboxApp, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=1000)
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("認可コード")
        verbose_name_plural = _("認可コード")

    def __str__(self) -> str:
        return f"code for {self.company_id} (used={self.used})"


class SandboxToken(models.Model):
    """An access token (6 h) or a single-use refresh token (90 days)."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("アクセストークン")
        REFRESH = "refresh", _("リフレッシュトークン")

    token = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    app = models.ForeignKey(SandboxApp, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="tokens")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("トークン")
        verbose_name_plural = _("トークン")
        indexes = [models.Index(fields=["company", "kind"], name="sandbox_token_company_kind")]

    def __str__(self) -> str:
        return f"{self.kind} token of company {self.company_id}"


class SandboxResource(models.Model):
    """One freee object (partner, invoice, deal, ...) stored in freee's response shape."""

    company = models.ForeignKey(SandboxCompany, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=40)
    resource_id = models.BigIntegerField()
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("リソース")
        verbose_name_plural = _("リソース")
        ordering = ["resource_id"]
        constraints = [
            models.UniqueConstraint(fields=["company", "kind", "resource_id"], name="sandbox_resource_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource_id}"


# ---------------------------------------------------------------- the LINE WORKS sandbox

class LineWorksUserQuerySet(OwnedByTenantQuerySet):
    owner_path = "domain__owner_tenant"


class SandboxLineWorksDomain(models.Model):
    """A fake LINE WORKS domain with one app (client id/secret, service account, RSA key pair) and one bot."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner_tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                     verbose_name=_("作成した事業所"))
    name = models.CharField(_("ドメイン名"), max_length=200)
    domain_id = models.BigIntegerField(_("ドメインID"), unique=True)
    client_id = models.CharField(_("Client ID"), max_length=100, unique=True)
    client_secret = models.CharField(_("Client Secret"), max_length=200)
    service_account = models.CharField(_("Service Account"), max_length=200)
    public_key = models.TextField(_("公開鍵"))
    private_key = models.TextField(_("Private Key"))
    bot_id = models.CharField(_("Bot ID"), max_length=64, unique=True)
    bot_secret = models.CharField(_("Bot Secret"), max_length=200)
    rate_limit_per_minute = models.PositiveIntegerField(_("API利用上限（回/分）"), default=240)
    callback_url = models.CharField(_("Callback URL"), max_length=500, blank=True)
    default_richmenu = models.ForeignKey("SandboxLineWorksRichmenu", on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="+", verbose_name=_("デフォルトリッチメニュー"))
    faults = models.JSONField(_("障害スイッチ"), default=dict, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    objects = OwnedByTenantQuerySet.as_manager()

    class Meta:
        verbose_name = _("サンドボックスLINE WORKS")
        verbose_name_plural = _("サンドボックスLINE WORKS")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain_id})"


class SandboxLineWorksUser(models.Model):
    """A member of a fake LINE WORKS domain; its inbox holds what the bot sent it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    domain = models.ForeignKey(SandboxLineWorksDomain, on_delete=models.CASCADE, related_name="users")
    user_id = models.CharField(_("ユーザーID"), max_length=64, unique=True)
    login_id = models.CharField(_("ログインID"), max_length=200)
    name = models.CharField(_("氏名"), max_length=100)
    # ユーザー別のリッチメニュー (shown instead of the bot's default one)
    richmenu = models.ForeignKey("SandboxLineWorksRichmenu", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="users", verbose_name=_("リッチメニュー"))

    objects = LineWorksUserQuerySet.as_manager()

    class Meta:
        verbose_name = _("サンドボックスLINE WORKSユーザー")
        verbose_name_plural = _("サンドボックスLINE WORKSユーザー")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["domain", "login_id"], name="sandbox_lw_user_login_unique")]

    def __str__(self) -> str:
        return f"{self.name} <{self.login_id}>"


class SandboxLineWorksToken(models.Model):
    """An access token (24 h) or a refresh token (90 days, rotated on use) of a domain's app."""

    token = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=SandboxToken.Kind.choices)
    domain = models.ForeignKey(SandboxLineWorksDomain, on_delete=models.CASCADE, related_name="tokens")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} token of domain {self.domain_id}"


class SandboxLineWorksRichmenu(models.Model):
    """A rich menu a bot registered (POST /bots/{botId}/richmenus): its name, size and areas as sent."""

    domain = models.ForeignKey(SandboxLineWorksDomain, on_delete=models.CASCADE, related_name="richmenus")
    richmenu_id = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=300)
    body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"rich menu {self.richmenu_id} ({self.name})"


class SandboxLineWorksMessage(models.Model):
    """A message a bot sent (to a user or a channel), as received by LINE WORKS."""

    domain = models.ForeignKey(SandboxLineWorksDomain, on_delete=models.CASCADE, related_name="messages")
    bot_id = models.CharField(max_length=64)
    user = models.ForeignKey(SandboxLineWorksUser, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="messages")
    channel_id = models.CharField(max_length=100, blank=True)
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"message {self.pk} from bot {self.bot_id}"
