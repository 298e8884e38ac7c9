"""Invoices issued in freee請求書 from deals, their freee statuses, and the tenant's invoice defaults."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deals.models import Deal
from tenancy.models import TenantOwnedModel


class SendingStatus(models.TextChoices):
    SENT = "sent", _("送付済み")
    UNSENT = "unsent", _("送付待ち")


class PaymentStatus(models.TextChoices):
    SETTLED = "settled", _("決済済み")
    UNSETTLED = "unsettled", _("決済待ち")
    CANCELED = "canceled", _("決済キャンセル")
    UNPROCESSED = "unprocessed", _("決済依頼前")
    FAILED = "failed", _("決済失敗")


class CancelStatus(models.TextChoices):
    CANCELED = "canceled", _("取消済み")
    UNCANCELED = "uncanceled", _("取消なし")


class DealStatus(models.TextChoices):
    REGISTERED = "registered", _("取引登録済み")
    UNREGISTERED = "unregistered", _("取引登録待ち")


def issuing_stale_before() -> datetime:
    """A 発行中 claim older than this lost its worker: no live task outlives Celery's hard time limit."""
    return timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


class Invoice(TenantOwnedModel):
    """A freee請求書 invoice issued from a deal. The row is written before freee is called (state PENDING)."""

    class State(models.TextChoices):
        PENDING = "pending", _("発行待ち")
        ISSUING = "issuing", _("発行中")
        ISSUED = "issued", _("発行済み")
        NEEDS_CHECK = "needs_check", _("要確認")
        FAILED = "failed", _("エラー")

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("案件"))
    reference = models.CharField(_("連携キー"), max_length=64, unique=True)
    state = models.CharField(_("連携状態"), max_length=20, choices=State.choices, default=State.PENDING)
    freee_invoice_id = models.BigIntegerField(_("freee請求書ID"), null=True, blank=True)
    invoice_number = models.CharField(_("請求書番号"), max_length=255, blank=True)
    report_url = models.URLField(_("freeeの請求書URL"), max_length=500, blank=True)
    partner_id = models.BigIntegerField(_("freee取引先ID"))
    partner_name = models.CharField(_("取引先名"), max_length=255)
    subject = models.CharField(_("件名"), max_length=255, blank=True)
    billing_date = models.DateField(_("請求日"))
    payment_date = models.DateField(_("支払期日"), null=True, blank=True)
    total_amount = models.BigIntegerField(_("合計金額"), null=True, blank=True)
    amount_tax = models.BigIntegerField(_("消費税額"), null=True, blank=True)
    # freee's amounts per tax rate ({"10": {"including": 11000, "tax": 1000}, "8_reduced": ...}): the ledger books
    # these, never a second calculation of the invoice's tax (issue 15 items 1, 2).
    amounts_by_rate = models.JSONField(_("税率ごとの金額"), default=dict, blank=True)
    sending_status = models.CharField(_("送付"), max_length=20, choices=SendingStatus.choices, blank=True)
    payment_status = models.CharField(_("決済"), max_length=20, choices=PaymentStatus.choices, blank=True)
    cancel_status = models.CharField(_("取消"), max_length=20, choices=CancelStatus.choices, blank=True)
    deal_status = models.CharField(_("取引登録"), max_length=20, choices=DealStatus.choices, blank=True)
    issued_at = models.DateTimeField(_("発行日時"), null=True, blank=True)
    settled_on = models.DateField(_("入金日"), null=True, blank=True,
                                  help_text=_("freeeで決済済みになったことを確認した日（日本時間）。"))
    last_synced_at = models.DateTimeField(_("最終同期日時"), null=True, blank=True)
    last_error = models.TextField(_("エラー内容"), blank=True)
    post_attempts = models.PositiveSmallIntegerField(_("発行の試行回数"), default=0)
    job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("発行者"))

    class Meta:
        verbose_name = _("請求書")
        verbose_name_plural = _("請求書")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "deal", "-created_at"], name="invoice_tenant_deal_created"),
                   models.Index(fields=["tenant", "billing_date"], name="invoice_tenant_billing_date")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "freee_invoice_id"], condition=models.Q(freee_invoice_id__isnull=False),
                                    name="invoice_unique_freee_id_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.invoice_number or self.reference

    @property
    def is_abandoned(self) -> bool:
        """発行中 with a stale claim: its worker died mid-push, so the outcome must be checked (再試行)."""
        return self.state == self.State.ISSUING and self.updated_at < issuing_stale_before()

    @property
    def is_superseded(self) -> bool:
        """A failure closed by a later good invoice of the deal (needs selectors.with_superseded's annotation)."""
        return self.state == self.State.FAILED and getattr(self, "superseded_by_public_id", None) is not None

    @property
    def is_retryable(self) -> bool:
        """再試行 is offered: 要確認, an open failure, or 発行中 whose worker died."""
        if self.state == self.State.FAILED:
            return not self.is_superseded
        return self.state == self.State.NEEDS_CHECK or self.is_abandoned

    @property
    def latest_status_label(self) -> str:
        """The one status the deal list shows: 取消 wins, then payment, then sending."""
        if self.state != self.State.ISSUED:
            return self.get_state_display()
        if self.cancel_status == CancelStatus.CANCELED:
            return str(_("取消"))
        if self.payment_status:
            return self.get_payment_status_display()
        return self.get_sending_status_display()


class InvoiceSettings(TenantOwnedModel):
    """The defaults an admin sets for invoices issued from deals (seed 000: 連携される情報)."""

    class BillingDate(models.TextChoices):
        TODAY = "today", _("発行日")
        DEAL = "deal", _("案件の請求予定日（未設定なら発行日）")

    class PaymentTerm(models.TextChoices):
        END_OF_NEXT_MONTH = "end_of_next_month", _("翌月末")
        END_OF_MONTH = "end_of_month", _("当月末")
        DAYS_30 = "days_30", _("請求日の30日後")

    billing_date_rule = models.CharField(_("請求日"), max_length=20, choices=BillingDate.choices, default=BillingDate.DEAL)
    payment_term = models.CharField(_("支払期日"), max_length=30, choices=PaymentTerm.choices,
                                    default=PaymentTerm.END_OF_NEXT_MONTH)
    subject_template = models.CharField(_("件名"), max_length=255, default="{deal_name}",
                                        help_text=_("{deal_name} は案件名に置き換わります。"))
    tax_entry_method = models.CharField(_("消費税の計算"), max_length=3, choices=[("out", _("外税")), ("in", _("内税"))],
                                        default="out")
    tax_fraction = models.CharField(_("消費税の端数処理"), max_length=10, default="omit",
                                    choices=[("omit", _("切り捨て")), ("round_up", _("切り上げ")), ("round", _("四捨五入"))])
    partner_title = models.CharField(_("敬称"), max_length=10, default="御中",
                                     choices=[("御中", "御中"), ("様", "様"), ("(空白)", _("(空白)"))])

    class Meta:
        verbose_name = _("請求書の設定")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="invoice_settings_one_per_tenant")]
