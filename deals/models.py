"""Deals (案件), their types, products and product lines (商品内訳): the CRM side kept in the hub."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwnedModel


class TaxRate(models.TextChoices):
    STANDARD_10 = "10", _("10%")
    REDUCED_8 = "8_reduced", _("軽減8%")
    ZERO = "0", _("0%（非課税・対象外）")


class FreeeLatestStatus(models.TextChoices):
    """freee最新請求ステータス: the status of the deal's most recently issued invoice (kept by invoices/)."""

    NONE = "", _("未発行")
    ISSUING = "issuing", _("発行中")
    NEEDS_CHECK = "needs_check", _("要確認")
    ISSUE_FAILED = "issue_failed", _("発行エラー")
    UNSENT = "unsent", _("送付待ち")
    SENT = "sent", _("送付済み")
    UNPROCESSED = "unprocessed", _("決済依頼前")
    UNSETTLED = "unsettled", _("決済待ち")
    SETTLED = "settled", _("決済済み")
    PAYMENT_FAILED = "failed", _("決済失敗")
    PAYMENT_CANCELED = "payment_canceled", _("決済キャンセル")
    CANCELED = "canceled", _("取消")


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of a stored choice, or the value itself when it is none of them (as get_FOO_display does).

    get_FOO_display() builds a dict of every choice on each call, and hashing a lazy label translates it:
    on a 50-row deal list that was ~850 translations and about a quarter of the page's CPU time.
    """
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class DealType(TenantOwnedModel):
    """案件タイプ. Admins choose which types are linked to freee ("標準" when the tenant uses no types)."""

    name = models.CharField(_("案件タイプ名"), max_length=100)
    linked_to_freee = models.BooleanField(_("freeeと連携する"), default=False)

    class Meta:
        verbose_name = _("案件タイプ")
        verbose_name_plural = _("案件タイプ")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="deal_type_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Product(TenantOwnedModel):
    """A product or service sold in deals, with its default unit, price and tax rate."""

    name = models.CharField(_("商品名"), max_length=200)
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2, default=Decimal(0))
    tax_rate = models.CharField(_("税率"), max_length=10, choices=TaxRate.choices, default=TaxRate.STANDARD_10)

    class Meta:
        verbose_name = _("商品")
        verbose_name_plural = _("商品")
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"], name="product_unique_name_per_tenant")]

    def __str__(self) -> str:
        return self.name


class Deal(TenantOwnedModel):
    """案件: a CRM deal. Its partner lives in freee; we keep the id and a name snapshot."""

    class Stage(models.TextChoices):
        LEAD = "lead", _("見込み")
        PROPOSAL = "proposal", _("提案中")
        NEGOTIATION = "negotiation", _("交渉中")
        WON = "won", _("受注")
        LOST = "lost", _("失注")

    name = models.CharField(_("案件名"), max_length=200)
    deal_type = models.ForeignKey(DealType, on_delete=models.PROTECT, related_name="deals",
                                  verbose_name=_("案件タイプ"))
    stage = models.CharField(_("フェーズ"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    amount = models.BigIntegerField(_("金額（円）"), default=0, validators=[MinValueValidator(0)])
    expected_order_date = models.DateField(_("受注予定日"), null=True, blank=True)
    expected_billing_date = models.DateField(_("請求予定日"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("担当者"))
    partner_freee_id = models.BigIntegerField(_("freee取引先ID"), null=True, blank=True)
    partner_name = models.CharField(_("取引先名"), max_length=255, blank=True)
    partner_set_from_freee_at = models.DateTimeField(
        _("取引先をfreeeから設定した日時"), null=True, blank=True,
        help_text=_("請求書の発行時に、freeeで選んだ取引先が案件の取引先に設定された日時。"))
    freee_latest_status = models.CharField(_("freee最新請求ステータス"), max_length=20, blank=True,
                                           choices=FreeeLatestStatus.choices, default=FreeeLatestStatus.NONE)
    # 外部参照: where the deal came from (a CRM file import, the upsert API, a CRM connector) and its id there.
    # Unique per tenant, so importing the same records again updates these deals instead of adding new ones.
    external_source = models.CharField(_("連携元"), max_length=64, blank=True, default="")
    external_id = models.CharField(_("連携元ID"), max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-updated_at", "-id"]
        # One index per sort order of the deal list, ending in id like the list's tie-break (deals.selectors):
        # the page is read from the index in order instead of sorting every deal of the tenant.
        indexes = [
            models.Index(fields=["tenant", "-updated_at", "-id"], name="deal_list_updated"),
            models.Index(fields=["tenant", "expected_billing_date", "id"], name="deal_list_billing"),
            models.Index(F("tenant"), F("expected_billing_date").desc(nulls_last=True), F("id").desc(),
                         name="deal_list_billing_desc"),
            models.Index(fields=["tenant", "amount", "id"], name="deal_list_amount"),
            models.Index(fields=["tenant", "name", "id"], name="deal_list_name"),
            models.Index(fields=["tenant", "freee_latest_status", "-updated_at", "-id"],
                         name="deal_list_latest_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative"),
            models.UniqueConstraint(fields=["tenant", "external_source", "external_id"],
                                    condition=~models.Q(external_id=""), name="deal_unique_external_ref_per_tenant"),
            models.CheckConstraint(condition=models.Q(external_id="") | ~models.Q(external_source=""),
                                   name="deal_external_id_has_source"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stage_label(self) -> str:
        """フェーズ as shown (use it in lists instead of get_stage_display, see choice_label)."""
        return choice_label(Deal.Stage, self.stage)

    @property
    def latest_status_label(self) -> str:
        """freee最新請求ステータス as shown (use it in lists instead of get_freee_latest_status_display)."""
        return choice_label(FreeeLatestStatus, self.freee_latest_status)


class DealLine(TenantOwnedModel):
    """商品内訳: one product line of a deal."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines", verbose_name=_("案件"))
    position = models.PositiveIntegerField(_("順序"), default=0)
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("商品"))
    description = models.CharField(_("品名・摘要"), max_length=255)
    quantity = models.DecimalField(_("数量"), max_digits=12, decimal_places=3, default=Decimal(1),
                                   validators=[MinValueValidator(Decimal(0))])
    unit = models.CharField(_("単位"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("単価"), max_digits=14, decimal_places=2, default=Decimal(0))
    tax_rate = models.CharField(_("税率"), max_length=10, choices=TaxRate.choices, default=TaxRate.STANDARD_10)

    class Meta:
        verbose_name = _("商品内訳")
        verbose_name_plural = _("商品内訳")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="deal_line_quantity_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def line_amount(self) -> Decimal:
        """Quantity × unit price, before tax (rounding happens once per invoice and tax rate, not here)."""
        return self.quantity * self.unit_price
