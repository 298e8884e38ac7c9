"""Tenants (customer companies), memberships, permission profiles and the tenant-owned model base."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.permissions import MEMBER_PERMISSIONS
from tenancy.validators import validate_registration_number


class Tenant(models.Model):
    """A customer company of the hub. Connects to one freee company; owns every tenant-scoped row."""

    class Plan(models.TextChoices):
        TRIAL = "trial", _("トライアル")
        STANDARD = "standard", _("スタンダード")
        PROFESSIONAL = "professional", _("プロフェッショナル")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("事業所名"), max_length=200)
    plan = models.CharField(_("プラン"), max_length=20, choices=Plan.choices, default=Plan.TRIAL)
    uses_permission_profiles = models.BooleanField(
        _("権限設定機能を利用する"),
        default=False,
        help_text=_("オフの場合、メンバーは全員メンバーに許可されたすべての操作ができます。"),
    )
    registration_number = models.CharField(
        _("適格請求書発行事業者登録番号"), max_length=14, blank=True, validators=[validate_registration_number],
        help_text=_("T と13桁の数字（例: T1234567890123）。インボイス制度の登録を受けている場合に入力します。"),
    )
    requires_mfa = models.BooleanField(
        _("全メンバーに2段階認証を必須にする"),
        default=False,
        help_text=_("オンにすると、2段階認証を設定していないメンバーは、次の操作の前に認証アプリの設定を求められます。"),
    )
    settings = models.JSONField(_("その他の設定"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("事業所")
        verbose_name_plural = _("事業所")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TenantQuerySet(models.QuerySet):
    """The one scoping mechanism: every selector, page and API starts from `Model.objects.for_tenant(t)`."""

    def for_tenant(self, tenant: Tenant) -> TenantQuerySet:
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    """Base for every tenant-owned row: non-null tenant, timestamps and a UUID public id used in URLs."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("事業所"))
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class PermissionProfile(TenantOwnedModel):
    """A named set of member permissions, such as "freee請求書の作成"."""

    name = models.CharField(_("権限プロファイル名"), max_length=100)
    permissions = models.JSONField(_("権限"), default=list, blank=True)

    class Meta:
        verbose_name = _("権限プロファイル")
        verbose_name_plural = _("権限プロファイル")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="permission_profile_unique_name_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name

    def permission_labels(self) -> list[str]:
        return [str(MEMBER_PERMISSIONS[code]) for code in self.permissions if code in MEMBER_PERMISSIONS]


class Membership(TenantOwnedModel):
    """A user's place in a tenant: role admin or member, and an optional permission profile."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("管理者")
        MEMBER = "member", _("メンバー")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("ロール"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    # A deactivated member keeps the row (their deals, approvals and the trail keep their name) but no access.
    is_active = models.BooleanField(_("有効"), default=True)
    permission_profile = models.ForeignKey(
        PermissionProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("権限プロファイル"),
    )

    class Meta:
        verbose_name = _("メンバー")
        verbose_name_plural = _("メンバー")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_user_per_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant}"

    def clean(self) -> None:
        """A permission profile belongs to one tenant: another tenant's cannot be given (the Django admin)."""
        super().clean()
        profile = self.permission_profile
        if profile is not None and self.tenant_id is not None and profile.tenant_id != self.tenant_id:
            raise ValidationError({"permission_profile": _("この事業所の権限プロファイルを選んでください。")})

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    def has_perm(self, code: str) -> bool:
        """Whether this member may do `code`. With profiles off, every member may do every member action."""
        if code not in MEMBER_PERMISSIONS:
            raise ValueError(f"unknown permission {code!r}")
        if self.is_admin or not self.tenant.uses_permission_profiles:
            return True
        profile = self.permission_profile
        return profile is not None and code in profile.permissions
