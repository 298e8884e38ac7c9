"""Employee LINE WORKS links (ID連携), preferences, the delivery outbox and the stored bot callbacks.

The tenant's LINE WORKS connection itself (integrations.models.LineWorksLink) lives next to the freee one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwnedModel


class LineWorksUserLink(TenantOwnedModel):
    """【従業員】ID連携: one member of the tenant linked to one LINE WORKS user of a linked domain."""

    link = models.ForeignKey("integrations.LineWorksLink", on_delete=models.CASCADE, related_name="user_links",
                             verbose_name=_("LINE WORKS連携"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lineworks_links",
                             verbose_name=_("ユーザー"))
    lineworks_user_id = models.CharField(_("LINE WORKSユーザーID"), max_length=255)
    lineworks_user_name = models.CharField(_("LINE WORKSの氏名"), max_length=200, blank=True)
    lineworks_login_id = models.CharField(_("LINE WORKSのログインID"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ID連携")
        verbose_name_plural = _("ID連携")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="lineworks_user_link_one_per_member"),
            models.UniqueConstraint(fields=["link", "lineworks_user_id"], name="lineworks_user_link_one_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ↔ {self.lineworks_user_id}"

    @property
    def lineworks_account(self) -> str:
        return account_label(self)


class LinkRequest(TenantOwnedModel):
    """A signed, single-use, expiring ID連携 / ID連携解除 link the bot sent to a LINE WORKS user."""

    class Action(models.TextChoices):
        LINK = "link", _("ID連携")
        UNLINK = "unlink", _("ID連携解除")

    link = models.ForeignKey("integrations.LineWorksLink", on_delete=models.CASCADE, related_name="+")
    lineworks_user_id = models.CharField(max_length=255)
    # The LINE WORKS account as LINE WORKS names it (GET /users/{userId}): the confirmation page shows it.
    lineworks_user_name = models.CharField(max_length=200, blank=True)
    lineworks_login_id = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.LINK)
    # Set when a member started the link from the profile page: only that member may confirm it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ID連携リクエスト")
        verbose_name_plural = _("ID連携リクエスト")

    @property
    def lineworks_account(self) -> str:
        return account_label(self)


def account_label(row) -> str:
    """「山田 太郎（user1@example）」: the LINE WORKS account by name and login ID, else its user id."""
    if row.lineworks_user_name and row.lineworks_login_id:
        return f"{row.lineworks_user_name}（{row.lineworks_login_id}）"
    return row.lineworks_user_name or row.lineworks_login_id or row.lineworks_user_id


class NotificationPreference(TenantOwnedModel):
    """Which event kinds a member turned off (every kind is on by default)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    disabled_kinds = models.JSONField(_("受け取らない通知"), default=list, blank=True)

    class Meta:
        verbose_name = _("通知設定")
        verbose_name_plural = _("通知設定")
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="notification_preference_per_member")]


class Delivery(TenantOwnedModel):
    """The outbox: one row per (event, recipient). Claimed with a conditional UPDATE before each send."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENDING = "sending", _("送信中")
        SENT = "sent", _("送信済み")
        FAILED = "failed", _("再送待ち")
        DEAD = "dead", _("送信失敗")
        # The worker died while the message was on its way: LINE WORKS may have delivered it (no idempotency key).
        UNKNOWN = "unknown", _("送信未確認")

    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("イベント"))
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("宛先"))
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("試行回数"), default=0)
    next_attempt_at = models.DateTimeField(_("次回送信日時"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)
    last_error = models.TextField(_("最後のエラー"), blank=True)

    class Meta:
        verbose_name = _("通知の配信")
        verbose_name_plural = _("通知の配信")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="delivery_once_per_recipient")]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["tenant", "-created_at"], name="delivery_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class DeliveryAttempt(models.Model):
    """One send attempt of a delivery: when, the HTTP status, and the error if it failed.

    Written (in flight) and committed before the call to LINE WORKS, closed with the answer afterwards: an attempt
    still in flight after its worker died is a message that may or may not have been delivered.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("回数"))
    status_code = models.PositiveSmallIntegerField(_("ステータス"), null=True, blank=True)
    error = models.TextField(_("エラー内容"), blank=True)
    in_flight = models.BooleanField(_("応答待ち"), default=False)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("配信の試行")
        verbose_name_plural = _("配信の試行")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def ok(self) -> bool:
        return not self.error


class CallbackEvent(TenantOwnedModel):
    """A verified bot callback, stored raw before we answer 200 (LINE WORKS never re-sends one)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("受信")
        HANDLING = "handling", _("処理中")
        HANDLED = "handled", _("処理済み")
        FAILED = "failed", _("エラー")

    link = models.ForeignKey("integrations.LineWorksLink", on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("Botコールバック")
        verbose_name_plural = _("Botコールバック")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="callback_unhandled")]
