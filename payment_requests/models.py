"""Payment requests (支払依頼): approval routes, the request form setting, requests, lines, approvers, logs.

The workflow follows freee会計's payment-request API (seed 004): a request is applied on a route, moves step by
step (`current_step`, `current_round`), and every action is logged in ApprovalFlowLog, which is where "who did
what" is read from (approver statuses are not rewritten by forced operations).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenancy.models import TenantOwnedModel


class RouteUsage(models.TextChoices):
    """freee's `usages` of a route; only PaymentRequest routes can carry payment requests."""

    PAYMENT_REQUEST = "PaymentRequest", _("支払依頼")
    EXPENSE_APPLICATION = "ExpenseApplication", _("経費精算")
    APPROVAL_REQUEST = "ApprovalRequest", _("各種申請")
    TXN_APPROVAL = "TxnApproval", _("取引承認")
    DOC_APPROVAL = "DocApproval", _("書類承認")


class ApprovalFlowRoute(TenantOwnedModel):
    """申請経路: an ordered chain of steps (first_step → next_step → ... → None)."""

    name = models.CharField(_("申請経路名"), max_length=255)
    description = models.TextField(_("説明"), blank=True)
    usages = models.JSONField(_("利用する申請"), default=list, blank=True)
    first_step = models.ForeignKey("ApprovalFlowStep", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("最初のステップ"))
    freee_route_id = models.BigIntegerField(_("freeeの申請経路ID"), null=True, blank=True)

    class Meta:
        verbose_name = _("申請経路")
        verbose_name_plural = _("申請経路")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "freee_route_id"], condition=models.Q(freee_route_id__isnull=False),
                                    name="approval_route_unique_freee_id_per_tenant"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def usable_for_payment_requests(self) -> bool:
        return RouteUsage.PAYMENT_REQUEST in self.usages

    def ordered_steps(self) -> list[ApprovalFlowStep]:
        """The steps in flow order, following next_step from first_step (cycles are cut)."""
        by_id = {step.pk: step for step in self.steps.all()}
        ordered, step, seen = [], by_id.get(self.first_step_id), set()
        while step is not None and step.pk not in seen:
            seen.add(step.pk)
            ordered.append(step)
            step = by_id.get(step.next_step_id)
        return ordered


class ApprovalFlowStep(TenantOwnedModel):
    """One step of a route: who approves (指定なし / 承認者を固定 / 申請時に指定) and which step follows."""

    class ResourceType(models.TextChoices):
        UNSPECIFIED = "unspecified", _("指定なし")
        PREDEFINED_USER = "predefined_user", _("承認者を指定")
        SELECTED_USER = "selected_user", _("申請時にメンバー指定")

    route = models.ForeignKey(ApprovalFlowRoute, on_delete=models.CASCADE, related_name="steps",
                              verbose_name=_("申請経路"))
    position = models.PositiveSmallIntegerField(_("順番"), default=1)
    resource_type = models.CharField(_("承認方法"), max_length=20, choices=ResourceType.choices,
                                     default=ResourceType.PREDEFINED_USER)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                   verbose_name=_("承認者（候補）"))
    next_step = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("次のステップ"))
    freee_step_id = models.BigIntegerField(_("freeeのステップID"), null=True, blank=True)

    class Meta:
        verbose_name = _("承認ステップ")
        verbose_name_plural = _("承認ステップ")
        ordering = ["route_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.route} #{self.position}"


class RequestFormSetting(TenantOwnedModel):
    """申請フォームの設定: 入力の必須化, the routes payment requests may use, and the 基本経路."""

    REQUIRABLE_FIELDS = {
        "payment_method": _("支払方法"),
        "partner": _("支払先（取引先）"),
        "document_code": _("請求書番号"),
        "payment_date": _("支払期限"),
        "description": _("備考"),
        "receipt_ids": _("証憑ファイル"),
    }

    required_fields = models.JSONField(_("入力を必須にする項目"), default=list, blank=True)
    usable_routes = models.ManyToManyField(ApprovalFlowRoute, blank=True, related_name="+",
                                           verbose_name=_("支払依頼で利用する申請経路"))
    default_route = models.ForeignKey(ApprovalFlowRoute, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("基本経路"))
    mirror_to_freee = models.BooleanField(_("freee会計の支払依頼と連携する"), default=False)
    mirror_checked_at = models.DateTimeField(_("freee連携の確認日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("申請フォームの設定")
        verbose_name_plural = _("申請フォームの設定")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="request_form_setting_one_per_tenant")]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class PaymentRequest(TenantOwnedModel):
    """支払依頼. `current_step`/`current_round` are the optimistic-concurrency token every action quotes."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        IN_PROGRESS = "in_progress", _("申請中")
        APPROVED = "approved", _("承認済み")
        REJECTED = "rejected", _("却下")
        FEEDBACK = "feedback", _("差戻し")

    class PaymentMethod(models.TextChoices):
        NONE = "none", _("指定なし")
        DOMESTIC_BANK_TRANSFER = "domestic_bank_transfer", _("国内振込")
        ABROAD_BANK_TRANSFER = "abroad_bank_transfer", _("国外振込")
        ACCOUNT_TRANSFER = "account_transfer", _("口座振替")
        CREDIT_CARD = "credit_card", _("クレジットカード")

    class QualifiedInvoiceStatus(models.TextChoices):
        QUALIFIED = "qualified", _("該当する")
        NOT_QUALIFIED = "not_qualified", _("該当しない")
        UNSPECIFIED = "unspecified", _("未選択")

    class AccountType(models.TextChoices):
        ORDINARY = "ordinary", _("普通")
        CHECKING = "checking", _("当座")
        EARMARKED = "earmarked", _("納税準備預金")
        SAVINGS = "savings", _("貯蓄")
        OTHER = "other", _("その他")

    class BookedAs(models.TextChoices):
        NONE = "", _("未作成")
        TRADE = "trade", _("取引")
        MANUAL_JOURNAL = "manual_journal", _("振替伝票")

    class MirrorState(models.TextChoices):
        OFF = "", _("連携しない")
        PENDING = "pending", _("連携待ち")
        RUNNING = "running", _("連携中")
        DONE = "done", _("連携完了")
        NEEDS_CHECK = "needs_check", _("要確認")
        ERROR = "error", _("エラー")

    title = models.CharField(_("申請タイトル"), max_length=250)
    application_number = models.CharField(_("申請No."), max_length=20)
    application_date = models.DateField(_("申請日"))
    issue_date = models.DateField(_("発生日"))
    payment_date = models.DateField(_("支払期限"), null=True, blank=True)
    payment_method = models.CharField(_("支払方法"), max_length=30, choices=PaymentMethod.choices,
                                      default=PaymentMethod.NONE)
    partner_id = models.BigIntegerField(_("freee取引先ID"), null=True, blank=True)
    partner_code = models.CharField(_("取引先コード"), max_length=255, blank=True)
    partner_name = models.CharField(_("支払先"), max_length=255, blank=True)
    bank_code = models.CharField(_("銀行コード"), max_length=4, blank=True)
    bank_name = models.CharField(_("銀行名"), max_length=255, blank=True)
    bank_name_kana = models.CharField(_("銀行名（カナ）"), max_length=15, blank=True)
    branch_code = models.CharField(_("支店番号"), max_length=3, blank=True)
    branch_name = models.CharField(_("支店名"), max_length=255, blank=True)
    branch_kana = models.CharField(_("支店名（カナ）"), max_length=15, blank=True)
    account_type = models.CharField(_("口座種別"), max_length=20, choices=AccountType.choices,
                                    default=AccountType.ORDINARY)
    account_number = models.CharField(_("口座番号"), max_length=7, blank=True)
    account_name = models.CharField(_("受取人名（カナ）"), max_length=48, blank=True)
    document_code = models.CharField(_("請求書番号"), max_length=255, blank=True)
    receipt_ids = models.JSONField(_("証憑ファイルID"), default=list, blank=True)
    qualified_invoice_status = models.CharField(_("適格請求書"), max_length=20, choices=QualifiedInvoiceStatus.choices,
                                                default=QualifiedInvoiceStatus.UNSPECIFIED)
    description = models.TextField(_("備考"), blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("親申請"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("申請者"))
    route = models.ForeignKey(ApprovalFlowRoute, on_delete=models.PROTECT, related_name="payment_requests",
                              verbose_name=_("申請経路"))
    status = models.CharField(_("ステータス"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    current_step = models.ForeignKey(ApprovalFlowStep, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("現在の承認ステップ"))
    current_round = models.PositiveIntegerField(_("ラウンド"), default=0)
    total_amount = models.BigIntegerField(_("支払金額"), default=0)
    booked_as = models.CharField(_("作成済みの帳票"), max_length=20, choices=BookedAs.choices, blank=True,
                                 default=BookedAs.NONE)
    approved_at = models.DateTimeField(_("承認日時"), null=True, blank=True)
    # freee mirror (item 5): the reference goes into freee's 備考 before the POST, for reconciliation.
    mirror_reference = models.CharField(_("連携キー"), max_length=64, blank=True)
    mirror_state = models.CharField(_("freee連携"), max_length=20, choices=MirrorState.choices, blank=True,
                                    default=MirrorState.OFF)
    mirror_error = models.TextField(_("連携エラー"), blank=True)
    mirror_attempts = models.PositiveSmallIntegerField(_("作成の試行回数"), default=0)
    mirror_pending = models.JSONField(_("未連携の操作"), default=list, blank=True)
    freee_id = models.BigIntegerField(_("freeeの支払依頼ID"), null=True, blank=True)
    freee_deal_id = models.BigIntegerField(_("freeeの取引ID"), null=True, blank=True)
    freee_deal_status = models.CharField(_("freeeの決済状況"), max_length=20, blank=True)
    last_pulled_at = models.DateTimeField(_("最終取得日時"), null=True, blank=True)
    # 支払登録 (出金): when and from which wallet an approved request was paid; booked as the "disbursement" document.
    paid_on = models.DateField(_("支払日"), null=True, blank=True)
    paid_wallet = models.ForeignKey("journals.Wallet", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("支払口座"))
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("支払登録者"))

    class Meta:
        verbose_name = _("支払依頼")
        verbose_name_plural = _("支払依頼")
        ordering = ["-application_date", "-id"]
        indexes = [
            models.Index(fields=["tenant", "status", "-application_date"], name="payreq_tenant_status_date"),
            models.Index(fields=["tenant", "applicant"], name="payreq_tenant_applicant"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "application_number"], name="payreq_unique_number_per_tenant"),
            models.UniqueConstraint(fields=["tenant", "freee_id"], condition=models.Q(freee_id__isnull=False),
                                    name="payreq_unique_freee_id_per_tenant"),
            models.CheckConstraint(condition=models.Q(total_amount__gte=-99999999999), name="payreq_total_sane"),
            models.CheckConstraint(condition=models.Q(paid_on__isnull=True, paid_wallet__isnull=True)
                                   | models.Q(paid_on__isnull=False, paid_wallet__isnull=False),
                                   name="payreq_paid_on_with_wallet"),
        ]

    def __str__(self) -> str:
        return f"{self.application_number} {self.title}"

    @property
    def is_paid(self) -> bool:
        return self.paid_on is not None

    @property
    def withholding_amount(self) -> int:
        return sum(line.amount for line in self.lines.all() if line.line_type == PaymentRequestLine.LineType.WITHHOLDING)


class PaymentRequestLine(TenantOwnedModel):
    """A row: 通常行 (deal_line), 控除・マイナス行 (negative_line) or 源泉所得税行 (withholding_tax, at most one)."""

    class LineType(models.TextChoices):
        DEAL = "deal_line", _("通常行")
        NEGATIVE = "negative_line", _("控除・マイナス行")
        WITHHOLDING = "withholding_tax", _("源泉所得税")

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="lines",
                                verbose_name=_("支払依頼"))
    position = models.PositiveSmallIntegerField(_("順番"), default=1)
    line_type = models.CharField(_("行の種類"), max_length=20, choices=LineType.choices, default=LineType.DEAL)
    description = models.CharField(_("内容"), max_length=255, blank=True)
    amount = models.BigIntegerField(_("金額（税込）"), default=0)
    account_item = models.ForeignKey("journals.AccountItem", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("勘定科目"))
    tax_code = models.ForeignKey("journals.TaxCode", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("税区分"))
    item_id = models.BigIntegerField(_("freee品目ID"), null=True, blank=True)
    item_name = models.CharField(_("品目"), max_length=255, blank=True)
    freee_line_id = models.BigIntegerField(_("freeeの行ID"), null=True, blank=True)

    class Meta:
        verbose_name = _("支払依頼の明細")
        verbose_name_plural = _("支払依頼の明細")
        ordering = ["request_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request"], condition=models.Q(line_type="withholding_tax"),
                                    name="payreq_line_one_withholding"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="payreq_line_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_line_type_display()} {self.amount}"

    @property
    def signed_amount(self) -> int:
        return self.amount if self.line_type == self.LineType.DEAL else -self.amount


class PaymentRequestApprover(TenantOwnedModel):
    """One approver slot of a request (freee's `approvers[]`): step, user (null until someone acts), status."""

    class Status(models.TextChoices):
        INITIAL = "initial", _("未承認")
        APPROVED = "approved", _("承認")
        REJECTED = "rejected", _("却下")
        FEEDBACK = "feedback", _("差戻し")

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="approvers")
    step = models.ForeignKey(ApprovalFlowStep, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("承認者"))
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.INITIAL)
    is_force_action = models.BooleanField(_("代理操作"), default=False)
    resource_type = models.CharField(_("承認方法"), max_length=20, choices=ApprovalFlowStep.ResourceType.choices)

    class Meta:
        verbose_name = _("承認者")
        verbose_name_plural = _("承認者")
        ordering = ["request_id", "step__position", "id"]

    def __str__(self) -> str:
        return f"{self.step} {self.user_id} {self.status}"


class PaymentRequestComment(TenantOwnedModel):
    """コメント on a request."""

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    comment = models.TextField(_("コメント"), max_length=2000)

    class Meta:
        verbose_name = _("コメント")
        verbose_name_plural = _("コメント")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.comment[:40]


class ApprovalFlowLog(TenantOwnedModel):
    """One workflow action, in time order: the record of who applied, approved, rejected, sent back, cancelled."""

    class Action(models.TextChoices):
        APPLY = "apply", _("申請")
        APPROVE = "approve", _("承認")
        FORCE_APPROVE = "force_approve", _("代理承認")
        CANCEL = "cancel", _("取消")
        REJECT = "reject", _("却下")
        FEEDBACK = "feedback", _("差戻し")
        FORCE_FEEDBACK = "force_feedback", _("承認済み・却下済みの取消")

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="logs")
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+",
                             verbose_name=_("操作者"))
    step = models.ForeignKey(ApprovalFlowStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    round = models.PositiveIntegerField(_("ラウンド"), default=0)

    class Meta:
        verbose_name = _("承認履歴")
        verbose_name_plural = _("承認履歴")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.user_id}"


class FreeeUserLink(TenantOwnedModel):
    """Which freee user a hub member is, so the mirror can name approvers (approver_id / next_approver_id)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("メンバー"))
    freee_user_id = models.BigIntegerField(_("freeeのユーザーID"))
    freee_display_name = models.CharField(_("freeeのユーザー名"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("freeeユーザーとの対応付け")
        verbose_name_plural = _("freeeユーザーとの対応付け")
        ordering = ["user__username", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="freee_user_link_one_per_member"),
            models.UniqueConstraint(fields=["tenant", "freee_user_id"], name="freee_user_link_one_member_per_freee_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.freee_user_id}"
