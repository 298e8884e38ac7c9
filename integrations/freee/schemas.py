"""Typed freee bodies: responses parsed strictly, request bodies built from typed input models.

Shapes follow freee's published OpenAPI files (会計 v2020_06_15, freee請求書 iv), pinned in
../shared/reference/freee. Response models ignore fields they do not name, because freee adds fields
almost weekly; every field they do name is required exactly when the schema says so. Request models
forbid unknown fields, so a typo fails here rather than at freee.

`company_id` is not part of any input model: the endpoint methods add the connection's own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, Strict, ValidationError, model_validator

from integrations.freee.errors import MalformedResponse

# --- shared vocabularies (freee's exact enum values) ------------------------------------------------------

CompanyRole = Literal["admin", "simple_accounting", "self_only", "read_only", "workflow"]
UserCompanyRole = Literal["admin", "simple_accounting", "self_only", "read_only", "workflow", "product_linkage"]
WalletableType = Literal["bank_account", "credit_card", "wallet"]
PaymentWalletableType = Literal["bank_account", "credit_card", "wallet", "private_account_item"]
TaxDisplayCategory = Literal[
    "tax_5", "tax_8", "tax_r8", "tax_10",
    "tax_5_e80", "tax_5_e70", "tax_5_e50", "tax_5_e30",
    "tax_8_e80", "tax_8_e70", "tax_8_e50", "tax_8_e30",
    "tax_r8_e80", "tax_r8_e70", "tax_r8_e50", "tax_r8_e30",
    "tax_10_e80", "tax_10_e70", "tax_10_e50", "tax_10_e30",
]
WalletableSyncStatus = Literal["success", "disabled", "syncing", "token_refresh_error", "unsupported", "other_error"]
PartnerSendingMethod = Literal["email", "posting", "email_and_posting", "pdf_delivery", "pdf_delivery_and_posting"]
DealType = Literal["income", "expense"]
DealStatus = Literal["unsettled", "settled"]
EntrySide = Literal["credit", "debit"]
AccountType = Literal["ordinary", "checking", "earmarked", "savings", "other"]

InvoiceSendingStatus = Literal["sent", "unsent"]
InvoicePaymentStatus = Literal["settled", "unsettled", "canceled", "unprocessed", "failed"]
InvoiceCancelStatusValue = Literal["canceled", "uncanceled"]
InvoiceDealStatus = Literal["registered", "unregistered"]
InvoicePaymentType = Literal["transfer", "direct_debit", "card"]
TaxEntryMethod = Literal["in", "out"]  # 内税 / 外税
Fraction = Literal["omit", "round_up", "round"]  # 切り捨て / 切り上げ / 四捨五入
# freee still accepts the full-width "（空白）" on input but deprecates it and never returns it.
PartnerTitle = Literal["御中", "様", "(空白)"]
TaxRate = Literal[0, 8, 10]
SendingMethod = Literal["email", "posting", "email_and_posting"]

PaymentRequestStatus = Literal["draft", "in_progress", "approved", "rejected", "feedback"]
PaymentRequestListStatus = Literal["draft", "in_progress", "approved", "rejected", "feedback", "unsettled", "settled"]
PaymentMethod = Literal["none", "domestic_bank_transfer", "abroad_bank_transfer", "account_transfer", "credit_card"]
PaymentRequestLineType = Literal["deal_line", "negative_line", "withholding_tax"]
QualifiedInvoiceStatus = Literal["qualified", "not_qualified", "unspecified"]
ApproverStatus = Literal["initial", "approved", "rejected", "feedback"]
ApproverResourceType = Literal[
    "predefined_user", "selected_user", "unspecified", "and_resource", "or_resource", "and_position", "or_position",
]
StepResourceType = Literal[
    "predefined_user", "selected_user", "unspecified", "and_resource", "or_resource", "and_position", "or_position",
    "switchable",
]
ApprovalFlowLogAction = Literal["apply", "approve", "force_approve", "cancel", "reject", "feedback"]
ApprovalAction = Literal["approve", "force_approve", "cancel", "reject", "feedback", "force_feedback"]
RouteUsage = Literal["TxnApproval", "ExpenseApplication", "PaymentRequest", "ApprovalRequest", "DocApproval"]
RouteUsageListed = Literal[
    "TxnApproval", "ExpenseApplication", "PaymentRequest", "ApprovalRequest", "DocApproval", "PurchaseRequest",
]


def _decimal_as_json_number(value: Decimal) -> int | float:
    """freee wants `quantity` as a JSON number; pydantic would send a Decimal as a string."""
    return int(value) if value == value.to_integral_value() else float(value)


JsonDecimal = Annotated[Decimal, PlainSerializer(_decimal_as_json_number, when_used="json")]


# JSON has no date, time or decimal type: freee sends them as strings (and decimals as numbers), so response
# models convert exactly these. Every other field is strict: "1" is no int, 1 is no bool, 1.0 is no int.
ApiDate = Annotated[dt.date, Strict(False)]
ApiDateTime = Annotated[dt.datetime, Strict(False)]
ApiDecimal = Annotated[Decimal, Strict(False)]


class FreeeModel(BaseModel):
    """A freee response object: immutable, unknown fields ignored, JSON types taken as they are (strict)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class FreeeInput(BaseModel):
    """A request body we send to freee: immutable, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_body(self) -> dict[str, Any]:
        """The JSON body without `company_id` (the endpoint adds it)."""
        return self.model_dump(mode="json", exclude_none=True)


M = TypeVar("M", bound=BaseModel)
SCHEMA_MISMATCH = "schema_mismatch"  # MalformedResponse.code of a JSON body that breaks the typed model


def parse(model: type[M], data: Any, *, status: int | None = None, request_id: str = "") -> M:
    """Validate a freee body into `model`, or raise MalformedResponse naming the model and the bad fields.

    The message carries field paths and pydantic's reason only, never the input values, so a body that
    echoes a token (or personal data) cannot leak into logs through this error. `status` and `request_id`
    (of the answer the body came in) are kept on the error for the call log.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or '(body)'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False, include_context=False)
        ]
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise MalformedResponse(f"freee response does not match {model.__name__}: {shown}", status=status,
                                request_id=request_id, code=SCHEMA_MISMATCH) from None


# --- companies and users --------------------------------------------------------------------------------


class Company(FreeeModel):
    """One entry of GET /api/1/companies."""

    id: int
    name: str | None
    name_kana: str | None
    display_name: str | None
    company_number: str
    role: CompanyRole


class FiscalYear(FreeeModel):
    """A 会計期間 of the company. tax_account_method: 0 税込, 1 旧税抜, 2 税抜."""

    id: int
    start_date: ApiDate
    end_date: ApiDate
    tax_method: int
    tax_fraction: int
    tax_account_method: Literal[0, 1, 2]
    is_closed: bool


class CompanyAccountItem(FreeeModel):
    """The short account item of GET /api/1/companies/{id}?account_items=true."""

    id: int
    name: str
    shortcut: str | None = None
    categories: list[str]


class CompanyTaxCode(FreeeModel):
    """The tax code of GET /api/1/companies/{id}?taxes=true (returned under `tax_codes`)."""

    code: int
    name: str
    name_ja: str


class NamedEntity(FreeeModel):
    """An item, section or tag as listed on the company."""

    id: int
    name: str
    shortcut1: str | None = None
    shortcut2: str | None = None


class CompanyPartner(FreeeModel):
    """The short partner of GET /api/1/companies/{id}?partners=true."""

    id: int
    code: str | None = None
    name: str
    shortcut1: str | None = None
    shortcut2: str | None = None


class CompanyWalletable(FreeeModel):
    """The short walletable of GET /api/1/companies/{id}?walletables=true."""

    id: int
    name: str
    type: WalletableType


class CompanyDetail(FreeeModel):
    """GET /api/1/companies/{id}. amount_fraction: 0 切り捨て, 1 切り上げ, 2 四捨五入."""

    id: int
    name: str | None
    name_kana: str | None
    display_name: str | None
    company_number: str
    role: CompanyRole
    corporate_number: str
    org_code: Literal[1, 2]  # 1 法人, 2 個人
    txn_number_format: Literal["not_used", "digits", "alnum"]
    amount_fraction: Literal[0, 1, 2]
    use_partner_code: bool
    private_settlement: bool
    invoice_layout: Literal[
        "default_classic", "standard_classic", "envelope_classic", "carried_forward_standard_classic",
        "carried_forward_envelope_classic", "default_modern", "standard_modern", "envelope_modern",
    ]
    workflow_setting: Literal["enable", "disable"]
    fiscal_years: list[FiscalYear]
    account_items: list[CompanyAccountItem] | None = None
    tax_codes: list[CompanyTaxCode] | None = None
    items: list[NamedEntity] | None = None
    partners: list[CompanyPartner] | None = None
    sections: list[NamedEntity] | None = None
    tags: list[NamedEntity] | None = None
    walletables: list[CompanyWalletable] | None = None


class UserCompany(FreeeModel):
    """A company the user can access (GET /api/1/users/me?companies=true)."""

    id: int
    display_name: str
    role: UserCompanyRole
    use_custom_role: bool
    advisor_id: int | None = None


class UserMe(FreeeModel):
    """GET /api/1/users/me: the user the token belongs to."""

    id: int
    email: str
    display_name: str | None
    first_name: str | None
    last_name: str | None
    first_name_kana: str | None
    last_name_kana: str | None
    companies: list[UserCompany] | None = None


class CompanyUser(FreeeModel):
    """A member of the company (GET /api/1/users): the id to quote as approver_id / next_approver_id."""

    id: int = Field(ge=1)
    email: str
    display_name: str | None
    first_name: str | None
    last_name: str | None
    first_name_kana: str | None
    last_name_kana: str | None

    @property
    def label(self) -> str:
        """The name freee shows: 表示名, else 姓 名, else the e-mail address."""
        full = " ".join(part for part in (self.last_name, self.first_name) if part)
        return self.display_name or full or self.email


# --- master data -----------------------------------------------------------------------------------------


class PartnerAddress(FreeeModel):
    zipcode: str | None = None
    prefecture_code: int | None = None
    street_name1: str | None = None
    street_name2: str | None = None


class PartnerDocSetting(FreeeModel):
    sending_method: PartnerSendingMethod | None = None


class PartnerBankAccount(FreeeModel):
    bank_name: str | None = None
    bank_name_kana: str | None = None
    bank_code: str | None = None
    branch_name: str | None = None
    branch_kana: str | None = None
    branch_code: str | None = None
    account_type: AccountType | None = None
    account_number: str | None = None
    account_name: str | None = None
    long_account_name: str | None = None


class Partner(FreeeModel):
    """A 取引先 from GET /api/1/partners. `code` is null unless 取引先コード is on for the company."""

    id: int
    code: str | None
    company_id: int
    name: str
    update_date: ApiDate
    available: bool
    shortcut1: str | None = None
    shortcut2: str | None = None
    org_code: Literal[1, 2] | None = None
    country_code: str | None = None
    long_name: str | None = None
    name_kana: str | None = None
    default_title: str | None = None
    phone: str | None = None
    contact_name: str | None = None
    email: str | None = None
    payer_walletable_id: int | None = None
    transfer_fee_handling_side: Literal["payer", "payee"] | None = None
    qualified_invoice_issuer: bool | None = None
    invoice_registration_number: str | None = None
    address_attributes: PartnerAddress | None = None
    partner_doc_setting_attributes: PartnerDocSetting | None = None
    partner_bank_account_attributes: PartnerBankAccount | None = None


class AccountItem(FreeeModel):
    """A 勘定科目 from GET /api/1/account_items.

    corresponding_income_* / corresponding_expense_* are the 収入/支出取引相手勘定科目 (e.g. 売掛金 / 買掛金)
    that an unsettled income/expense deal books its counter-entry to.
    """

    id: int
    name: str
    tax_code: int
    default_tax_code: int
    shortcut: str | None
    shortcut_num: str | None
    code: str | None = None
    account_category: str
    account_category_id: int
    categories: list[str]
    available: bool
    walletable_id: int | None
    group_name: str | None
    group_id: int | None
    corresponding_income_name: str | None
    corresponding_income_id: int | None
    corresponding_expense_name: str | None
    corresponding_expense_id: int | None
    update_date: ApiDate


class Tax(FreeeModel):
    """A company tax code from GET /api/1/taxes/companies/{company_id} (e.g. 129 sales_with_tax_10 課税売上10%)."""

    code: int
    name: str
    name_ja: str
    display_category: TaxDisplayCategory | None
    available: bool


class Walletable(FreeeModel):
    """A 口座 from GET /api/1/walletables; its id goes into deal payments' from_walletable_id."""

    id: int
    name: str
    bank_id: int | None
    type: WalletableType
    update_date: ApiDate
    last_synced_at: ApiDateTime | None = None
    sync_status: WalletableSyncStatus | None = None
    last_balance: int | None = None
    walletable_balance: int | None = None


class CompaniesResponse(FreeeModel):
    companies: list[Company]


class CompanyResponse(FreeeModel):
    company: CompanyDetail


class UserMeResponse(FreeeModel):
    user: UserMe


class CompanyUsersResponse(FreeeModel):
    users: list[CompanyUser]


class PartnersResponse(FreeeModel):
    partners: list[Partner]


class AccountItemsResponse(FreeeModel):
    account_items: list[AccountItem]


class TaxesResponse(FreeeModel):
    taxes: list[Tax]


class WalletablesResponse(FreeeModel):
    walletables: list[Walletable]


# --- deals (取引) -----------------------------------------------------------------------------------------


class DealDetail(FreeeModel):
    """A 取引 row as freee stored it; `amount` is 税込, `entry_side` follows the deal type."""

    id: int
    account_item_id: int
    account_item_code: str | None = None
    tax_code: int
    partner_id: int | None = None
    partner_code: str | None = None
    item_id: int | None = None
    item_code: str | None = None
    section_id: int | None = None
    section_code: str | None = None
    tag_ids: list[int] = []
    segment_1_tag_id: int | None = None
    segment_2_tag_id: int | None = None
    segment_3_tag_id: int | None = None
    amount: int
    vat: int
    description: str | None = None
    entry_side: EntrySide


class DealAccrual(FreeeModel):
    """The 債権/債務 row of an unsettled deal (only with accruals=with)."""

    id: int
    account_item_id: int
    tax_code: int
    amount: int
    vat: int
    entry_side: EntrySide
    partner_id: int | None = None
    description: str | None = None


class DealPayment(FreeeModel):
    """A 決済 (入金/支払) recorded on a deal."""

    id: int
    date: ApiDate
    from_walletable_type: PaymentWalletableType | None = None
    from_walletable_id: int | None = None
    amount: int


class FreeeDeal(FreeeModel):
    """A 取引 from /api/1/deals. `status` is settled once payments cover the amount (`due_amount` is what is left)."""

    id: int
    company_id: int
    issue_date: ApiDate
    due_date: ApiDate | None = None
    amount: int
    due_amount: int | None = None
    type: DealType | None = None
    partner_id: int | None
    partner_code: str | None = None
    ref_number: str | None = None
    status: DealStatus
    deal_origin_name: str | None = None
    details: list[DealDetail] = []
    accruals: list[DealAccrual] = []
    payments: list[DealPayment] = []


class DealPage(NamedTuple):
    """One page of GET /api/1/deals with freee's total count of matches."""

    deals: list[FreeeDeal]
    total_count: int


class DealsMeta(FreeeModel):
    total_count: int


class DealsResponse(FreeeModel):
    deals: list[FreeeDeal]
    meta: DealsMeta


class DealResponse(FreeeModel):
    deal: FreeeDeal


class DealDetailInput(FreeeInput):
    """A row of POST /api/1/deals. `amount` is 税込 (negative = 控除行); `vat` is computed by freee if omitted."""

    tax_code: int = Field(ge=0)
    account_item_id: int | None = Field(default=None, ge=1)
    account_item_code: str | None = None
    amount: int
    vat: int | None = None
    item_id: int | None = Field(default=None, ge=1)
    item_code: str | None = None
    section_id: int | None = Field(default=None, ge=1)
    section_code: str | None = None
    partner_id: int | None = Field(default=None, ge=0)
    partner_code: str | None = None
    tag_ids: list[int] | None = None
    segment_1_tag_id: int | None = Field(default=None, ge=1)
    segment_2_tag_id: int | None = Field(default=None, ge=1)
    segment_3_tag_id: int | None = Field(default=None, ge=1)
    description: str | None = None

    @model_validator(mode="after")
    def _one_account_item(self) -> Self:
        if (self.account_item_id is None) == (self.account_item_code is None):
            raise ValueError("give exactly one of account_item_id or account_item_code")
        return self


class DealPaymentInput(FreeeInput):
    """A 決済 row of POST /api/1/deals; from_walletable_id is an account item id when type is private_account_item."""

    amount: int
    from_walletable_id: int = Field(ge=1)
    from_walletable_type: PaymentWalletableType
    date: dt.date


def _one_partner(partner_id: int | None, partner_code: str | None, *, required: bool) -> None:
    if partner_id is not None and partner_code is not None:
        raise ValueError("give partner_id or partner_code, not both")
    if required and partner_id is None and partner_code is None:
        raise ValueError("give one of partner_id or partner_code")


class DealCreate(FreeeInput):
    """POST /api/1/deals. Without `payments` the deal is 未決済 (売掛/買掛 stays open)."""

    issue_date: dt.date
    type: DealType
    due_date: dt.date | None = None
    partner_id: int | None = Field(default=None, ge=1)
    partner_code: str | None = None
    ref_number: str | None = None
    details: list[DealDetailInput] = Field(min_length=1, max_length=100)
    payments: list[DealPaymentInput] | None = None
    receipt_ids: list[int] | None = None

    @model_validator(mode="after")
    def _partner(self) -> Self:
        _one_partner(self.partner_id, self.partner_code, required=False)
        return self


class DealUpdateDetail(FreeeInput):
    """A row of PUT /api/1/deals/{id}: include `id` to keep an existing row; rows left out are deleted."""

    id: int | None = Field(default=None, ge=1)
    tax_code: int = Field(ge=0)
    account_item_id: int = Field(ge=1)
    amount: int
    vat: int | None = None
    item_id: int | None = Field(default=None, ge=1)
    section_id: int | None = Field(default=None, ge=1)
    partner_id: int | None = Field(default=None, ge=0)
    tag_ids: list[int] | None = None
    segment_1_tag_id: int | None = Field(default=None, ge=1)
    segment_2_tag_id: int | None = Field(default=None, ge=1)
    segment_3_tag_id: int | None = Field(default=None, ge=1)
    description: str | None = None


class DealUpdate(FreeeInput):
    """PUT /api/1/deals/{id}. freee's update takes no payments (use /deals/{id}/payments) and no *_code rows."""

    issue_date: dt.date
    type: DealType
    due_date: dt.date | None = None
    partner_id: int | None = Field(default=None, ge=1)
    partner_code: str | None = None
    ref_number: str | None = None
    details: list[DealUpdateDetail] = Field(min_length=1, max_length=100)
    receipt_ids: list[int] | None = None

    @model_validator(mode="after")
    def _partner(self) -> Self:
        _one_partner(self.partner_id, self.partner_code, required=False)
        return self


class DealPaymentCreate(FreeeInput):
    """POST /api/1/deals/{id}/payments: a later 入金/支払 on an existing deal (201 with the whole deal)."""

    date: dt.date
    from_walletable_type: PaymentWalletableType
    from_walletable_id: int = Field(ge=1)
    amount: int = Field(ge=1)


# --- tags (メモタグ) -------------------------------------------------------------------------------------


TAG_NAME_MAX = 30


class Tag(FreeeModel):
    """A メモタグ from /api/1/tags."""

    id: int
    company_id: int
    name: str
    update_date: str
    shortcut1: str | None = None
    shortcut2: str | None = None


class TagsResponse(FreeeModel):
    tags: list[Tag]


class TagResponse(FreeeModel):
    tag: Tag


class TagCreate(FreeeInput):
    """POST /api/1/tags: name at most 30 characters, shortcuts at most 20."""

    name: str = Field(min_length=1, max_length=TAG_NAME_MAX)
    shortcut1: str | None = Field(default=None, max_length=20)
    shortcut2: str | None = Field(default=None, max_length=20)


# --- freee請求書 invoices ---------------------------------------------------------------------------------


class InvoiceLine(FreeeModel):
    """A 明細行. `unit_price` is a decimal string as freee sends it; account fields only come back on create/update."""

    id: int
    type: Literal["item", "text"]
    description: str
    sales_date: ApiDate | None = None
    unit: str | None = None
    quantity: ApiDecimal | None = None
    unit_price: str | None = None
    tax_rate: TaxRate | None = None
    reduced_tax_rate: bool | None = None
    withholding: bool
    amount_excluding_tax: int | None = None
    account_item_id: int | None = None
    tax_code: int | None = None
    item_id: int | None = None
    section_id: int | None = None
    tag_ids: list[int] = []
    segment_1_tag_id: int | None = None
    segment_2_tag_id: int | None = None
    segment_3_tag_id: int | None = None


class InvoiceTemplateSnapshot(FreeeModel):
    """What the invoice's 帳票テンプレート printed (登録番号, 振込先 ...)."""

    title: str | None = None
    invoice_registration_number: str | None = None
    company_name: str | None = None
    company_description: str | None = None
    bank_account_to_transfer: str | None = None
    message: str | None = None


class InvoiceSummary(FreeeModel):
    """An invoice as GET /iv/invoices lists it: statuses and totals, no lines.

    freee's schema types the amounts as `number`; JPY amounts are whole, so a fractional amount is refused.
    `deal_id` stays null until someone 取引反映s the invoice in freee請求書 (deal_status=registered).
    """

    id: int
    company_id: int
    invoice_number: str
    subject: str
    template_id: int | None = None
    billing_date: ApiDate
    issue_date: ApiDate | None = None
    payment_date: ApiDate | None = None
    payment_type: InvoicePaymentType | None = None
    memo: str
    sending_status: InvoiceSendingStatus
    payment_status: InvoicePaymentStatus
    cancel_status: InvoiceCancelStatusValue
    deal_status: InvoiceDealStatus
    deal_id: int | None = None
    total_amount: int
    amount_withholding_tax: int | None = None
    amount_including_tax: int
    amount_excluding_tax: int
    amount_tax: int
    amount_brought_forward: int | None
    partner_id: int
    partner_code: str | None = None
    partner_name: str | None = None
    partner_display_name: str | None = None
    company_contact_name: str | None = None
    email_url_file_downloaded_status: Literal["downloaded", "undownloaded"] | None = None
    report_url: str
    sales_management_origin: bool | None = None


class Invoice(InvoiceSummary):
    """A full freee請求書 invoice (GET/POST/PUT /iv/invoices[/{id}]). `created_at` is JST without an offset."""

    branch_no: int | None = None
    template_name: str | None = None
    invoice_note: str
    created_at: ApiDateTime
    tax_entry_method: TaxEntryMethod | None = None
    tax_fraction: Fraction | None = None
    line_amount_fraction: Fraction | None = None
    withholding_tax_entry_method: TaxEntryMethod | None = None
    amount_including_tax_10: int | None = None
    amount_excluding_tax_10: int | None = None
    amount_tax_10: int | None = None
    amount_including_tax_8: int | None = None
    amount_excluding_tax_8: int | None = None
    amount_tax_8: int | None = None
    amount_including_tax_8_reduced: int | None = None
    amount_excluding_tax_8_reduced: int | None = None
    amount_tax_8_reduced: int | None = None
    amount_including_tax_0: int | None = None
    amount_excluding_tax_0: int | None = None
    amount_tax_0: int | None = None
    partner_title: PartnerTitle | None = None
    partner_contact_name: str | None = None
    partner_contact_email_to: str | None = None
    partner_sending_method: SendingMethod | None = None
    company_name: str | None = None
    template: InvoiceTemplateSnapshot | None = None
    lines: list[InvoiceLine]


class InvoiceCancelStatus(FreeeModel):
    """PUT /iv/invoices/{id}/cancel and /uncancel answer with only the id and the new cancel_status."""

    id: int
    cancel_status: InvoiceCancelStatusValue


class InvoiceTemplate(FreeeModel):
    """A 帳票テンプレート from GET /iv/invoices/templates."""

    id: int
    name: str


class InvoicesResponse(FreeeModel):
    invoices: list[InvoiceSummary]


class InvoiceResponse(FreeeModel):
    invoice: Invoice


class InvoiceCancelResponse(FreeeModel):
    invoice: InvoiceCancelStatus


class InvoiceTemplatesResponse(FreeeModel):
    templates: list[InvoiceTemplate]


class InvoiceLineInput(FreeeInput):
    """A 明細行 to send. An `item` line needs quantity and tax_rate; a `text` line is a description only.

    `unit_price` is a decimal string (up to 13 integer and 3 fraction digits), as freee's schema demands.
    The account fields only feed the 取引の下書き that freee請求書 prepares.
    """

    type: Literal["item", "text"] = "item"
    description: str | None = Field(default=None, max_length=255)
    sales_date: dt.date | None = None
    unit: str | None = Field(default=None, max_length=255)
    quantity: JsonDecimal | None = Field(default=None, ge=Decimal("-99999999.999"), le=Decimal("99999999.999"))
    unit_price: str | None = Field(default=None, pattern=r"^-?[0-9]{0,13}(\.[0-9]{1,3})?$")
    tax_rate: TaxRate | None = None
    reduced_tax_rate: bool | None = None
    withholding: bool | None = None
    account_item_id: int | None = Field(default=None, ge=1)
    tax_code: int | None = Field(default=None, ge=0)
    item_id: int | None = Field(default=None, ge=1)
    section_id: int | None = Field(default=None, ge=1)
    tag_ids: list[int] | None = Field(default=None, max_length=10)
    segment_1_tag_id: int | None = Field(default=None, ge=1)
    segment_2_tag_id: int | None = Field(default=None, ge=1)
    segment_3_tag_id: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _item_needs_quantity_and_rate(self) -> Self:
        if self.type == "item" and (self.quantity is None or self.tax_rate is None):
            raise ValueError("an item line needs quantity and tax_rate")
        if self.reduced_tax_rate and self.tax_rate != 8:
            raise ValueError("reduced_tax_rate only applies to tax_rate 8")
        return self


class InvoiceCreate(FreeeInput):
    """POST /iv/invoices and PUT /iv/invoices/{id} (same body).

    `invoice_number` must be omitted when the company auto-numbers and given otherwise. Leaving
    `invoice_note` out makes freee use the default 備考 template. Creating an invoice only prepares a
    取引の下書き; it books nothing until someone 取引反映s it.
    """

    billing_date: dt.date
    tax_entry_method: TaxEntryMethod
    tax_fraction: Fraction
    withholding_tax_entry_method: TaxEntryMethod
    partner_title: PartnerTitle
    lines: list[InvoiceLineInput] = Field(min_length=1)
    partner_id: int | None = Field(default=None, ge=1)
    partner_code: str | None = None
    template_id: int | None = Field(default=None, ge=1)
    invoice_number: str | None = Field(default=None, max_length=255)
    branch_no: int | None = Field(default=None, ge=0)
    issue_date: dt.date | None = None
    payment_date: dt.date | None = None
    payment_type: InvoicePaymentType | None = None
    subject: str | None = Field(default=None, max_length=255)
    line_amount_fraction: Fraction | None = None
    include_amount_brought_forward: bool | None = None
    amount_brought_forward: int | None = Field(default=None, ge=-999999999999, le=999999999999)
    invoice_note: str | None = Field(default=None, max_length=4000)
    memo: str | None = Field(default=None, max_length=2000)
    partner_display_name: str | None = Field(default=None, max_length=255)
    partner_address_zipcode: str | None = Field(default=None, max_length=10, pattern=r"^[0-9]{3}-?[0-9]{4}$")
    partner_address_prefecture_code: int | None = Field(default=None, ge=-1, le=46)
    partner_address_street_name1: str | None = Field(default=None, max_length=255)
    partner_address_street_name2: str | None = Field(default=None, max_length=255)
    partner_contact_department: str | None = Field(default=None, max_length=255)
    partner_contact_name: str | None = Field(default=None, max_length=255)
    partner_contact_email_to: str | None = Field(default=None, max_length=255)
    partner_contact_email_cc: str | None = Field(default=None, max_length=255)
    partner_sending_method: SendingMethod | None = None
    partner_bank_account: str | None = Field(default=None, max_length=255)
    company_contact_name: str | None = Field(default=None, max_length=255)
    company_name: str | None = Field(default=None, max_length=255)
    company_description: str | None = Field(default=None, max_length=255)
    bank_account_to_transfer: str | None = Field(default=None, max_length=255)

    @model_validator(mode="after")
    def _partner(self) -> Self:
        _one_partner(self.partner_id, self.partner_code, required=True)
        return self


# --- payment requests (支払依頼) and approval flow routes ------------------------------------------------------


class PaymentRequestLine(FreeeModel):
    """A 支払依頼 row; `amount` is 税込."""

    id: int
    line_type: PaymentRequestLineType
    description: str
    amount: int
    account_item_id: int | None
    tax_code: int | None
    item_id: int | None
    section_id: int | None
    tag_ids: list[int]
    segment_1_tag_id: int | None = None
    segment_2_tag_id: int | None = None
    segment_3_tag_id: int | None = None


class Approver(FreeeModel):
    """One approver slot of the request's route; user_id is null until someone is chosen."""

    step_id: int
    user_id: int | None
    status: ApproverStatus
    is_force_action: bool
    resource_type: ApproverResourceType


class PaymentRequestComment(FreeeModel):
    comment: str
    user_id: int
    posted_at: ApiDateTime


class ApprovalFlowLog(FreeeModel):
    action: ApprovalFlowLogAction
    user_id: int
    updated_at: ApiDateTime


class PaymentRequestListItem(FreeeModel):
    """A 支払依頼 as GET /api/1/payment_requests lists it: no description, lines, comments, logs, bank or route.

    `input_mode=exclusive` (外税) requests are listed but cannot be shown, updated or deleted by id.
    """

    id: int
    company_id: int
    title: str
    application_date: ApiDate
    total_amount: int
    status: PaymentRequestStatus
    deal_id: int | None = None
    deal_status: DealStatus | None = None
    applicant_id: int
    approvers: list[Approver]
    application_number: str
    current_step_id: int | None
    current_round: int
    document_code: str
    issue_date: ApiDate
    payment_date: ApiDate | None
    payment_method: PaymentMethod
    partner_id: int | None
    partner_code: str | None
    partner_name: str | None
    qualified_invoice_status: QualifiedInvoiceStatus | None = None
    input_mode: Literal["inclusive", "exclusive"] | None = None


class PaymentRequest(FreeeModel):
    """A full 支払依頼 (GET/POST/PUT /api/1/payment_requests[/{id}], POST .../actions).

    `current_step_id` and `current_round` are what an action must quote back (both change as the flow moves);
    `current_step_id` is null in draft/feedback. deal_id/deal_status are set only once approved and booked.
    """

    id: int
    company_id: int
    title: str
    application_date: ApiDate
    description: str
    total_amount: int
    status: PaymentRequestStatus
    payment_request_lines: list[PaymentRequestLine]
    deal_id: int | None
    deal_status: DealStatus | None
    applicant_id: int
    approvers: list[Approver]
    application_number: str
    approval_flow_route_id: int
    comments: list[PaymentRequestComment]
    approval_flow_logs: list[ApprovalFlowLog]
    current_step_id: int | None
    current_round: int
    document_code: str
    receipt_ids: list[int]
    issue_date: ApiDate
    payment_date: ApiDate | None
    payment_method: PaymentMethod
    partner_id: int | None
    partner_code: str | None = None
    partner_name: str | None
    bank_name: str
    bank_name_kana: str
    bank_code: str
    branch_name: str
    branch_kana: str
    branch_code: str
    account_type: AccountType
    account_number: str
    account_name: str
    qualified_invoice_status: QualifiedInvoiceStatus | None = None


class ReceiptUser(FreeeModel):
    id: int
    email: str
    display_name: str | None = None


class Receipt(FreeeModel):
    """A file of the ファイルボックス (証憑ファイル): its id is what a payment request lists in `receipt_ids`."""

    id: int
    status: Literal["confirmed", "deleted", "ignored"]
    description: str | None = None
    mime_type: str
    origin: str
    created_at: str
    user: ReceiptUser


class ReceiptResponse(FreeeModel):
    receipt: Receipt


class PaymentRequestsResponse(FreeeModel):
    payment_requests: list[PaymentRequestListItem]


class PaymentRequestResponse(FreeeModel):
    payment_request: PaymentRequest


class PaymentRequestLineInput(FreeeInput):
    """A row to send. `tax_code` is needed with `account_item_id`; amount is 税込, 0..99,999,999,999."""

    line_type: PaymentRequestLineType | None = None  # freee defaults to deal_line
    description: str | None = None
    amount: int = Field(ge=0, le=99999999999)
    account_item_id: int | None = Field(default=None, ge=1)
    tax_code: int | None = Field(default=None, ge=0)
    item_id: int | None = Field(default=None, ge=1)
    section_id: int | None = Field(default=None, ge=1)
    tag_ids: list[int] | None = None
    segment_1_tag_id: int | None = Field(default=None, ge=1)
    segment_2_tag_id: int | None = Field(default=None, ge=1)
    segment_3_tag_id: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _tax_code_with_account_item(self) -> Self:
        if self.account_item_id is not None and self.tax_code is None:
            raise ValueError("tax_code is required with account_item_id")
        return self


class PaymentRequestLineUpdate(PaymentRequestLineInput):
    """A row of PUT: include `id` to keep an existing row; rows left out are deleted."""

    id: int | None = Field(default=None, ge=1)


class _PaymentRequestBody(FreeeInput):
    payment_request_lines: list[PaymentRequestLineInput] = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=250)
    issue_date: dt.date
    approval_flow_route_id: int = Field(ge=1)
    draft: bool
    application_date: dt.date | None = None
    description: str | None = None
    approver_id: int | None = Field(default=None, ge=1)
    applicant_group_id: int | None = Field(default=None, ge=1)
    approval_flow_group_id: int | None = Field(default=None, ge=1)
    document_code: str | None = Field(default=None, max_length=255)
    receipt_ids: list[int] | None = None
    payment_date: dt.date | None = None
    payment_method: PaymentMethod | None = None
    partner_id: int | None = Field(default=None, ge=1)
    partner_code: str | None = None
    bank_code: str | None = Field(default=None, max_length=4)
    bank_name: str | None = Field(default=None, max_length=255)
    bank_name_kana: str | None = Field(default=None, max_length=15)
    branch_code: str | None = Field(default=None, max_length=3)
    branch_name: str | None = Field(default=None, max_length=255)
    branch_kana: str | None = Field(default=None, max_length=15)
    account_name: str | None = Field(default=None, max_length=48)
    account_number: str | None = Field(default=None, max_length=7)
    account_type: AccountType | None = None
    qualified_invoice_status: QualifiedInvoiceStatus | None = None

    @model_validator(mode="after")
    def _lines_make_a_request(self) -> Self:
        kinds = [line.line_type or "deal_line" for line in self.payment_request_lines]
        if "deal_line" not in kinds:
            raise ValueError("a payment request needs at least one deal_line row")
        if kinds.count("withholding_tax") > 1:
            raise ValueError("a payment request takes at most one withholding_tax row")
        return self


class PaymentRequestCreate(_PaymentRequestBody):
    """POST /api/1/payment_requests. draft=True saves a 下書き; False applies (status in_progress).

    Bank fields are ignored when a partner is given (freee uses the partner's account).
    """

    parent_id: int | None = Field(default=None, ge=1)


class PaymentRequestUpdate(_PaymentRequestBody):
    """PUT /api/1/payment_requests/{id}: only for draft, in_progress or feedback requests."""

    payment_request_lines: list[PaymentRequestLineUpdate] = Field(min_length=1, max_length=100)


class PaymentRequestAction(FreeeInput):
    """POST /api/1/payment_requests/{id}/actions. Quote the request's current_step_id and current_round."""

    approval_action: ApprovalAction
    target_step_id: int = Field(ge=1)
    target_round: int = Field(ge=0, le=2147483647)
    next_approver_id: int | None = Field(default=None, ge=1)
    next_group_id: int | None = Field(default=None, ge=1)


class ApprovalFlowRoute(FreeeModel):
    """A 申請経路 from GET /api/1/approval_flow_routes (no steps; default_route only means something with usage)."""

    id: int
    name: str
    description: str
    user_id: int | None
    definition_system: bool
    first_step_id: int
    usages: list[RouteUsageListed]
    request_form_ids: list[int]
    default_route: bool


class RouteGroup(FreeeModel):
    id: int
    name: str


class RoutePositionType(FreeeModel):
    id: int
    name: str


class SwitchingCondition(FreeeModel):
    switch_evaluation_key: Literal["total_amount_jpy", "applicant_position_type", "no_approver_present"] | None = None
    operator: Literal["greater_than_or_equal", "less_than_or_equal", "contains", "not_contains", "of"]
    values: list[str]


class SwitchingRule(FreeeModel):
    next_step_id: int
    conditions: list[SwitchingCondition]


class ApprovalFlowStep(FreeeModel):
    """A route step. `users_ids` is filled only for predefined_user / and_resource / or_resource steps."""

    id: int
    next_step_id: int | None
    resource_type: StepResourceType
    users_ids: list[int]
    approver_determination_type: Literal["applicant_group"] | None = None
    group: RouteGroup | None = None
    position_types: list[RoutePositionType] = []
    switching_rules: list[SwitchingRule] = []


class ApprovalFlowRouteDetail(FreeeModel):
    """GET /api/1/approval_flow_routes/{id}: the route with its steps. Payment requests refuse `switchable` steps."""

    id: int
    name: str
    description: str
    user_id: int | None
    definition_system: bool
    first_step_id: int
    usages: list[RouteUsageListed]
    request_form_ids: list[int]
    steps: list[ApprovalFlowStep]

    @property
    def usable_for_payment_requests(self) -> bool:
        return "PaymentRequest" in self.usages and all(step.resource_type != "switchable" for step in self.steps)


class ApprovalFlowRoutesResponse(FreeeModel):
    approval_flow_routes: list[ApprovalFlowRoute]


class ApprovalFlowRouteResponse(FreeeModel):
    approval_flow_route: ApprovalFlowRouteDetail
