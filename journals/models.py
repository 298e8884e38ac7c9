"""The built-in ledger: account items, tax codes, wallets, trades (取引), journal entries (仕訳), 振替伝票.

Posting rules follow freee (seed 002): see journals/posting.py. Every journal entry balances: the service
builds balanced lines and a deferred PostgreSQL constraint trigger (migration 0001) re-checks each entry at
commit, so a buggy writer cannot store an unbalanced entry.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deals.models import Deal
from tenancy.models import TenantOwnedModel

MAX_TRADE_DETAILS = 100


class TaxAccounting(models.TextChoices):
    INCLUSIVE = "inclusive", _("税込経理")
    EXCLUSIVE = "exclusive", _("税抜経理")


class TaxRounding(models.TextChoices):
    FLOOR = "floor", _("切り捨て")
    CEIL = "ceil", _("切り上げ")
    ROUND = "round", _("四捨五入")


class Side(models.TextChoices):
    DEBIT = "debit", _("借方")
    CREDIT = "credit", _("貸方")


class TaxRate(models.TextChoices):
    """The consumption-tax rates freee's 税区分の設定 switches on and off (「消費税率」を「使用する」)."""

    RATE_5 = "5", _("5%")
    RATE_8 = "8", _("8%")
    RATE_R8 = "r8", _("8%（軽減税率）")
    RATE_10 = "10", _("10%")


class LedgerSettings(TenantOwnedModel):
    """会計設定: one row per tenant (created lazily with the defaults)."""

    tax_accounting = models.CharField(
        _("経理方式"), max_length=10, choices=TaxAccounting.choices, default=TaxAccounting.INCLUSIVE
    )
    tax_rounding = models.CharField(
        _("消費税の端数処理"), max_length=10, choices=TaxRounding.choices, default=TaxRounding.FLOOR
    )
    # 消費税率「使用する」 (seed 004): a tax code of a rate switched off cannot be set on a payment request.
    use_tax_rate_5 = models.BooleanField(_("消費税率5%を使用する"), default=True)
    use_tax_rate_8 = models.BooleanField(_("消費税率8%を使用する"), default=True)
    use_tax_rate_r8 = models.BooleanField(_("消費税率8%（軽減税率）を使用する"), default=True)
    use_tax_rate_10 = models.BooleanField(_("消費税率10%を使用する"), default=True)

    class Meta:
        verbose_name = _("会計設定")
        verbose_name_plural = _("会計設定")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="ledger_settings_one_per_tenant")]

    def __str__(self) -> str:
        return f"{self.get_tax_accounting_display()} / {self.get_tax_rounding_display()}"

    @property
    def tax_rates_in_use(self) -> set[str]:
        """The TaxRate values switched on."""
        return {rate for rate in TaxRate.values if getattr(self, f"use_tax_rate_{rate}")}

    def rate_in_use(self, tax_code: TaxCode) -> bool:
        """Whether the rate of `tax_code` is in use; a code without one of the four rates (対象外, 非課税, 3%...)
        is not subject to the setting."""
        return tax_code.rate_key is None or tax_code.rate_key in self.tax_rates_in_use


class TaxCode(TenantOwnedModel):
    """税区分: freee's tax code numbers, per tenant (seeded by default, replaced by the freee import)."""

    code = models.IntegerField(_("税区分コード"))
    name = models.CharField(_("税区分名（英字）"), max_length=100)
    name_ja = models.CharField(_("税区分"), max_length=100)
    rate = models.PositiveSmallIntegerField(_("税率（%）"), default=0, validators=[MaxValueValidator(100)])
    reduced = models.BooleanField(_("軽減税率"), default=False)
    usable_for_income = models.BooleanField(_("収入で使用"), default=True)
    usable_for_expense = models.BooleanField(_("支出で使用"), default=True)
    freee_available = models.BooleanField(_("使用する"), default=True)

    class Meta:
        verbose_name = _("税区分")
        verbose_name_plural = _("税区分")
        ordering = ["code", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="tax_code_unique_code_per_tenant")]

    def __str__(self) -> str:
        return self.name_ja

    @property
    def is_taxable(self) -> bool:
        return self.rate > 0

    @property
    def rate_label(self) -> str:
        return f"{self.rate}%（軽）" if self.reduced else f"{self.rate}%"

    @property
    def rate_key(self) -> str | None:
        """The TaxRate of this code (its display_category's rate), or None for a code without one of the four."""
        key = f"r{self.rate}" if self.reduced else str(self.rate)
        return key if key in TaxRate.values else None


class AccountItem(TenantOwnedModel):
    """勘定科目 with its category and the counterpart account used for the unsettled part of a trade."""

    class Category(models.TextChoices):
        ASSET = "asset", _("資産")
        LIABILITY = "liability", _("負債")
        EQUITY = "equity", _("純資産")
        REVENUE = "revenue", _("収益")
        EXPENSE = "expense", _("費用")

    class Role(models.TextChoices):
        RECEIVABLE = "receivable", _("売掛金")
        PAYABLE = "payable", _("買掛金")
        ACCRUED = "accrued", _("未払金")
        SALES = "sales", _("売上高")
        PURCHASE = "purchase", _("仕入高")
        TAX_RECEIVED = "tax_received", _("仮受消費税")
        TAX_PAID = "tax_paid", _("仮払消費税")
        CASH = "cash", _("現金")
        DEPOSIT = "deposit", _("普通預金")
        WITHHOLDING = "withholding", _("預り金")

    name = models.CharField(_("勘定科目"), max_length=100)
    shortcut = models.CharField(_("ショートカット"), max_length=50, blank=True)
    code = models.CharField(_("勘定科目コード"), max_length=20, blank=True)
    category = models.CharField(_("分類"), max_length=10, choices=Category.choices)
    account_category = models.CharField(_("勘定科目カテゴリー"), max_length=50, blank=True)
    counterpart = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("相手勘定科目")
    )
    default_tax_code = models.ForeignKey(
        TaxCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("初期税区分")
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, blank=True)
    freee_id = models.BigIntegerField(_("freee勘定科目ID"), null=True, blank=True)
    is_active = models.BooleanField(_("使用する"), default=True)
    # 勘定科目の内訳管理, as freee's account_item.partners / items: [{"id": freee id, "name": ...}]. When listed,
    # a payment request with this account item may only use these partners / items (seed 004).
    breakdown_partners = models.JSONField(_("内訳管理する取引先"), default=list, blank=True)
    breakdown_items = models.JSONField(_("内訳管理する品目"), default=list, blank=True)

    class Meta:
        verbose_name = _("勘定科目")
        verbose_name_plural = _("勘定科目")
        ordering = ["category", "shortcut", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="account_item_unique_name_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "role"], condition=~Q(role=""),
                                    name="account_item_unique_role_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "freee_id"], condition=Q(freee_id__isnull=False),
                                    name="account_item_unique_freee_id_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def breakdown_partner_names(self) -> dict[int, str]:
        """freee partner id → name of the partners this account item's breakdown is managed by."""
        return {int(entry["id"]): str(entry.get("name", "")) for entry in self.breakdown_partners}

    @property
    def breakdown_item_names(self) -> dict[int, str]:
        """freee item (品目) id → name of the items this account item's breakdown is managed by."""
        return {int(entry["id"]): str(entry.get("name", "")) for entry in self.breakdown_items}

    @property
    def is_debit_natured(self) -> bool:
        """Assets and expenses grow on the debit side; liabilities, equity and revenue on the credit side."""
        return self.category in (self.Category.ASSET, self.Category.EXPENSE)


class Wallet(TenantOwnedModel):
    """口座 (freee "walletable"): a bank account, a credit card or cash, booked to its account item."""

    class Kind(models.TextChoices):
        BANK_ACCOUNT = "bank_account", _("銀行口座")
        CREDIT_CARD = "credit_card", _("クレジットカード")
        WALLET = "wallet", _("現金・その他")

    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("口座名"), max_length=100)
    account_item = models.ForeignKey(AccountItem, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("勘定科目"))
    freee_id = models.BigIntegerField(_("freee口座ID"), null=True, blank=True)
    is_active = models.BooleanField(_("使用する"), default=True)

    class Meta:
        verbose_name = _("口座")
        verbose_name_plural = _("口座")
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="wallet_unique_name_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "kind", "freee_id"], condition=Q(freee_id__isnull=False),
                                    name="wallet_unique_freee_id_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name


class Trade(TenantOwnedModel):
    """取引 (freee "deal"): income or expense with details and payments; posts journal entries."""

    class Kind(models.TextChoices):
        INCOME = "income", _("収入")
        EXPENSE = "expense", _("支出")

    kind = models.CharField(_("収支区分"), max_length=10, choices=Kind.choices)
    issue_date = models.DateField(_("発生日"))
    due_date = models.DateField(_("決済期日"), null=True, blank=True)
    partner_name = models.CharField(_("取引先"), max_length=255, blank=True)
    partner_freee_id = models.BigIntegerField(_("freee取引先ID"), null=True, blank=True)
    description = models.CharField(_("備考"), max_length=255, blank=True)
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("案件"))
    # The document that produced the trade ("invoice:<uuid>"), or "trade:<uuid>" for one entered by hand.
    source_key = models.CharField(_("連携元"), max_length=200)
    amount = models.BigIntegerField(_("金額"), validators=[MinValueValidator(1)])
    settled_amount = models.BigIntegerField(_("決済済み金額"), default=0)
    counterpart = models.ForeignKey(AccountItem, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("未決済の相手勘定科目"))

    class Meta:
        verbose_name = _("取引")
        verbose_name_plural = _("取引")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "source_key"], name="trade_unique_source_per_tenant"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="trade_amount_positive"),
            models.CheckConstraint(condition=Q(settled_amount__gte=0) & Q(settled_amount__lte=models.F("amount")),
                                   name="trade_settled_within_amount"),
        ]
        indexes = [models.Index(fields=["tenant", "issue_date"], name="trade_tenant_issue_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.issue_date} {self.partner_name} ¥{self.amount:,}"

    @property
    def unsettled_amount(self) -> int:
        return self.amount - self.settled_amount

    @property
    def is_settled(self) -> bool:
        return self.settled_amount >= self.amount

    @property
    def status_label(self) -> str:
        return str(_("決済済み")) if self.is_settled else str(_("未決済"))


class TradeDetail(TenantOwnedModel):
    """One detail row (明細) of a trade: account item, tax code, tax-inclusive amount and its allocated tax."""

    trade = models.ForeignKey(Trade, on_delete=models.CASCADE, related_name="details", verbose_name=_("取引"))
    line_no = models.PositiveSmallIntegerField(_("行番号"))
    account_item = models.ForeignKey(AccountItem, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("勘定科目"))
    tax_code = models.ForeignKey(TaxCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("税区分"))
    amount = models.BigIntegerField(_("金額（税込）"))
    tax_amount = models.BigIntegerField(_("消費税額"), default=0)
    description = models.CharField(_("備考"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("取引明細")
        verbose_name_plural = _("取引明細")
        ordering = ["trade", "line_no"]
        constraints = [
            # マイナス明細 (a deduction, withheld income tax to 預り金) are negative, as freee allows; never zero.
            models.CheckConstraint(condition=~Q(amount=0), name="trade_detail_amount_not_zero"),
            models.CheckConstraint(condition=Q(line_no__gte=1) & Q(line_no__lte=MAX_TRADE_DETAILS),
                                   name="trade_detail_at_most_100"),
            models.UniqueConstraint(fields=["trade", "line_no"], name="trade_detail_unique_line_no"),
        ]


class TradePayment(TenantOwnedModel):
    """決済 of a trade: a date, a wallet and an amount. `source_key` names a payment registered later."""

    trade = models.ForeignKey(Trade, on_delete=models.CASCADE, related_name="payments", verbose_name=_("取引"))
    date = models.DateField(_("決済日"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="+", verbose_name=_("口座"))
    amount = models.BigIntegerField(_("金額"))
    source_key = models.CharField(_("連携元"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("決済")
        verbose_name_plural = _("決済")
        ordering = ["trade", "date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="trade_payment_amount_positive"),
            models.UniqueConstraint(fields=["tenant", "source_key"], condition=~Q(source_key=""),
                                    name="trade_payment_unique_source_per_tenant"),
        ]


class ManualJournal(TenantOwnedModel):
    """振替伝票: a journal entered directly, producing one balanced journal entry."""

    issue_date = models.DateField(_("日付"))
    description = models.CharField(_("摘要"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("振替伝票")
        verbose_name_plural = _("振替伝票")
        ordering = ["-issue_date", "-id"]

    def __str__(self) -> str:
        return f"{self.issue_date} {self.description}"


class ManualJournalLine(TenantOwnedModel):
    """One line of a 振替伝票 (debit or credit)."""

    manual_journal = models.ForeignKey(ManualJournal, on_delete=models.CASCADE, related_name="lines",
                                       verbose_name=_("振替伝票"))
    line_no = models.PositiveSmallIntegerField(_("行番号"))
    side = models.CharField(_("貸借"), max_length=6, choices=Side.choices)
    account_item = models.ForeignKey(AccountItem, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("勘定科目"))
    tax_code = models.ForeignKey(TaxCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("税区分"))
    amount = models.BigIntegerField(_("金額（税込）"))
    description = models.CharField(_("摘要"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("振替伝票の行")
        verbose_name_plural = _("振替伝票の行")
        ordering = ["manual_journal", "line_no"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="manual_journal_line_amount_positive")]


class JournalEntry(TenantOwnedModel):
    """仕訳: produced from a trade, a later payment or a 振替伝票. Its lines always balance."""

    class Kind(models.TextChoices):
        TRADE = "trade", _("取引")
        PAYMENT = "payment", _("決済")
        MANUAL = "manual", _("振替伝票")

    date = models.DateField(_("日付"))
    description = models.CharField(_("摘要"), max_length=255, blank=True)
    kind = models.CharField(_("種類"), max_length=10, choices=Kind.choices)
    trade = models.ForeignKey(Trade, on_delete=models.CASCADE, null=True, blank=True, related_name="entries",
                              verbose_name=_("取引"))
    payment = models.ForeignKey(TradePayment, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="entries", verbose_name=_("決済"))
    manual_journal = models.ForeignKey(ManualJournal, on_delete=models.CASCADE, null=True, blank=True,
                                       related_name="entries", verbose_name=_("振替伝票"))

    class Meta:
        verbose_name = _("仕訳")
        verbose_name_plural = _("仕訳")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["tenant", "date"], name="journal_entry_tenant_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.description}"


class JournalLine(TenantOwnedModel):
    """One debit or credit line of a journal entry (date copied from the entry for the ledger queries)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.CASCADE, related_name="lines", verbose_name=_("仕訳"))
    date = models.DateField(_("日付"))
    side = models.CharField(_("貸借"), max_length=6, choices=Side.choices)
    account_item = models.ForeignKey(AccountItem, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("勘定科目"))
    tax_code = models.ForeignKey(TaxCode, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("税区分"))
    amount = models.BigIntegerField(_("金額"))
    partner_name = models.CharField(_("取引先"), max_length=255, blank=True)
    description = models.CharField(_("摘要"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("仕訳行")
        verbose_name_plural = _("仕訳行")
        ordering = ["entry", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="journal_line_amount_positive")]
        indexes = [models.Index(fields=["tenant", "account_item", "date"], name="journal_line_account_date")]
