"""Per-user account settings, invitations and data exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import Membership, PermissionProfile, TenantOwnedModel


class UserProfile(models.Model):
    """What a user chose for themselves: the language of the UI and of the e-mail they receive."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("ユーザー")
    )
    language = models.CharField(_("言語"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ユーザー設定")
        verbose_name_plural = _("ユーザー設定")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


class Invitation(TenantOwnedModel):
    """メンバー招待: a signed, single-use link to join a tenant with a role (and optionally a permission profile).

    The link carries the tenant, this row and `nonce` (accounts.invitations); resending draws a new nonce, so only
    the newest link works. It is useless once accepted, revoked or past `expires_at`.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("招待中")
        ACCEPTED = "accepted", _("参加済み")
        REVOKED = "revoked", _("取り消し済み")
        EXPIRED = "expired", _("期限切れ")

    email = models.EmailField(_("メールアドレス"))
    role = models.CharField(_("ロール"), max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    permission_profile = models.ForeignKey(
        PermissionProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("権限プロファイル"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("招待した人"),
    )
    nonce = models.CharField(max_length=32, editable=False)
    sent_at = models.DateTimeField(_("送信日時"))
    expires_at = models.DateTimeField(_("有効期限"))
    accepted_at = models.DateTimeField(_("参加日時"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("参加したユーザー"),
    )
    revoked_at = models.DateTimeField(_("取り消し日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("招待")
        verbose_name_plural = _("招待")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_tenant_email")]

    def __str__(self) -> str:
        return self.email

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)


class TenantExport(TenantOwnedModel):
    """The zip of every kind of a tenant's records, written by the export job (kept in the database, so any web
    process can serve it whichever worker wrote it)."""

    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="+", verbose_name=_("ジョブ"))
    archive = models.BinaryField(_("ファイル"), editable=False)
    size = models.PositiveBigIntegerField(_("サイズ"), default=0)

    class Meta:
        verbose_name = _("データのエクスポート")
        verbose_name_plural = _("データのエクスポート")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.public_id}"
