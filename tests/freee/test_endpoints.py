"""Every typed freee endpoint method, through a real `requests` transport intercepted by `responses`:
the exact request it sends (method, path, query with company_id, JSON body) and the typed object it returns;
bodies that break freee's schema raise MalformedResponse; bad arguments fail before anything is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from responses import matchers

from integrations.freee import schemas as s
from integrations.freee.errors import MalformedResponse, Transient
from tests.freee import bodies
from tests.freee.bodies import COMPANY_ID

API = "https://api.freee.co.jp"
CID = str(COMPANY_ID)


def expect(mocked, method: str, path: str, *, query: dict[str, str] | None = None, body: dict | None = None,
           reply: Any = None, status: int = 200) -> None:
    """Register the one request we expect (exact query, exact JSON body) and freee's answer to it."""
    match = [matchers.query_param_matcher(query or {}, strict_match=True)]
    if body is not None:
        match.append(matchers.json_params_matcher(body, strict_match=True))
    if reply is None:
        mocked.add(method, API + path, status=status, match=match)
    else:
        mocked.add(method, API + path, json=reply, status=status, match=match)


# =========================================================================== companies and users


def test_companies_list_returns_every_company_the_token_reaches(freee, mocked):
    expect(mocked, "GET", "/api/1/companies", reply=bodies.companies())

    companies = freee.companies_list()

    assert [(c.id, c.display_name, c.role) for c in companies] == [
        (COMPANY_ID, "サンプル商事", "admin"), (7654321, "個人事業 山田太郎", "read_only")]
    assert companies[1].name is None


def test_company_show_asks_for_the_connected_company_without_flags(freee, mocked):
    expect(mocked, "GET", f"/api/1/companies/{COMPANY_ID}", reply=bodies.company())

    company = freee.company_show()

    assert company.id == COMPANY_ID
    assert company.name == "株式会社サンプル商事"
    assert company.workflow_setting == "enable"
    assert company.use_partner_code is True
    assert company.fiscal_years[0].start_date == dt.date(2026, 4, 1)
    assert company.fiscal_years[0].end_date == dt.date(2027, 3, 31)
    assert company.account_items is None and company.tax_codes is None


def test_company_show_sends_only_the_flags_asked_for_and_parses_the_masters(freee, mocked):
    expect(mocked, "GET", f"/api/1/companies/{COMPANY_ID}",
           query={"details": "true", "account_items": "true", "taxes": "true", "partners": "true",
                  "walletables": "true"},
           reply=bodies.company_with_masters())

    company = freee.company_show(details=True, account_items=True, taxes=True, partners=True, walletables=True)

    assert company.account_items == [s.CompanyAccountItem(id=101, name="売上高", shortcut="URIAGE",
                                                          categories=["収入", "売上高"])]
    assert company.tax_codes == [s.CompanyTaxCode(code=129, name="sales_with_tax_10", name_ja="課税売上10%")]
    assert company.partners[0].code == "P001"
    assert company.walletables == [s.CompanyWalletable(id=501, name="みずほ銀行 普通", type="bank_account")]


def test_users_me_returns_the_token_owner(freee, mocked):
    expect(mocked, "GET", "/api/1/users/me", reply=bodies.users_me())

    me = freee.users_me()

    assert (me.id, me.email, me.last_name, me.first_name) == (bodies.USER_ID, "hanako@example.co.jp", "経理", "花子")
    assert me.companies is None


def test_users_me_with_companies_lists_roles(freee, mocked):
    expect(mocked, "GET", "/api/1/users/me", query={"companies": "true"}, reply=bodies.users_me(with_companies=True))

    me = freee.users_me(companies=True)

    assert [(c.id, c.role, c.use_custom_role) for c in me.companies] == [(COMPANY_ID, "admin", False)]


# =========================================================================== master data


def test_partners_search_sends_company_keyword_and_paging(freee, mocked):
    expect(mocked, "GET", "/api/1/partners",
           query={"company_id": CID, "keyword": "取引先 A", "offset": "100", "limit": "3000"},
           reply=bodies.partners())

    partners = freee.partners_search(keyword="取引先 A", offset=100, limit=3000)

    first, minimal = partners
    assert (first.id, first.code, first.name, first.available) == (201, "P001", "株式会社取引先A", True)
    assert first.update_date == dt.date(2026, 5, 20)
    assert first.invoice_registration_number == "T1234567890123"
    assert first.address_attributes.prefecture_code == 12
    assert first.partner_doc_setting_attributes.sending_method == "email"
    assert first.partner_bank_account_attributes.account_type == "ordinary"
    assert (minimal.code, minimal.address_attributes, minimal.qualified_invoice_issuer) == (None, None, None)


def test_partners_search_defaults_to_the_first_fifty(freee, mocked):
    expect(mocked, "GET", "/api/1/partners", query={"company_id": CID, "offset": "0", "limit": "50"},
           reply={"partners": []})

    assert freee.partners_search() == []


def test_partners_search_sends_update_date_range(freee, mocked):
    expect(mocked, "GET", "/api/1/partners",
           query={"company_id": CID, "start_update_date": "2026-05-01", "end_update_date": "2026-05-31",
                  "offset": "0", "limit": "50"},
           reply={"partners": [bodies.partner()]})

    partners = freee.partners_search(start_update_date=dt.date(2026, 5, 1), end_update_date=dt.date(2026, 5, 31))

    assert [p.id for p in partners] == [201]


def test_account_items_list_carries_the_corresponding_income_and_expense_accounts(freee, mocked):
    expect(mocked, "GET", "/api/1/account_items", query={"company_id": CID}, reply=bodies.account_items())

    sales, receivable = freee.account_items_list()

    assert (sales.id, sales.name, sales.default_tax_code) == (101, "売上高", 129)
    assert (sales.corresponding_income_id, sales.corresponding_income_name) == (111, "売掛金")
    assert (sales.corresponding_expense_id, sales.corresponding_expense_name) == (112, "買掛金")
    assert receivable.corresponding_income_id is None
    assert sales.update_date == dt.date(2026, 4, 1)


def test_account_items_list_sends_base_date(freee, mocked):
    expect(mocked, "GET", "/api/1/account_items", query={"company_id": CID, "base_date": "2026-06-30"},
           reply=bodies.account_items())

    assert len(freee.account_items_list(base_date=dt.date(2026, 6, 30))) == 2


def test_taxes_list_uses_the_company_path_and_no_company_query(freee, mocked):
    expect(mocked, "GET", f"/api/1/taxes/companies/{COMPANY_ID}", reply=bodies.taxes())

    taxes = freee.taxes_list()

    assert taxes == [
        s.Tax(code=129, name="sales_with_tax_10", name_ja="課税売上10%", display_category="tax_10", available=True),
        s.Tax(code=2, name="non_taxable", name_ja="対象外", display_category=None, available=True),
    ]


def test_taxes_list_filters_available_ones(freee, mocked):
    expect(mocked, "GET", f"/api/1/taxes/companies/{COMPANY_ID}", query={"available": "true"},
           reply=bodies.taxes())

    assert [t.code for t in freee.taxes_list(available=True)] == [129, 2]


def test_walletables_list_filters_by_type(freee, mocked):
    expect(mocked, "GET", "/api/1/walletables", query={"company_id": CID, "type": "bank_account"},
           reply=bodies.walletables())

    bank, cash = freee.walletables_list(type="bank_account")

    assert (bank.id, bank.type, bank.last_balance) == (501, "bank_account", 1520000)
    assert (cash.type, cash.bank_id, cash.last_balance) == ("wallet", None, None)


def test_walletables_list_without_filters_sends_only_the_company(freee, mocked):
    expect(mocked, "GET", "/api/1/walletables", query={"company_id": CID}, reply={"walletables": []})

    assert freee.walletables_list() == []


# =========================================================================== deals


def test_deals_list_returns_the_page_and_the_total_count(freee, mocked):
    expect(mocked, "GET", "/api/1/deals",
           query={"company_id": CID, "partner_id": "201", "status": "unsettled", "type": "income",
                  "start_issue_date": "2026-06-01", "end_issue_date": "2026-06-30", "offset": "100", "limit": "100"},
           reply=bodies.deals(total_count=202))

    deals, total = freee.deals_list(partner_id=201, status="unsettled", type="income",
                                    start_issue_date=dt.date(2026, 6, 1), end_issue_date=dt.date(2026, 6, 30),
                                    offset=100, limit=100)

    assert total == 202
    assert [(d.id, d.status) for d in deals] == [(9001, "unsettled"), (9002, "settled")]
    assert deals[0].details[0].entry_side == "credit"
    assert deals[0].details[0].vat == 10000
    assert deals[1].payments[0].date == dt.date(2026, 7, 31)


def test_deals_list_defaults_to_twenty(freee, mocked):
    expect(mocked, "GET", "/api/1/deals", query={"company_id": CID, "offset": "0", "limit": "20"},
           reply={"deals": [], "meta": {"total_count": 0}})

    assert freee.deals_list() == s.DealPage([], 0)


def test_deal_show(freee, mocked):
    expect(mocked, "GET", "/api/1/deals/9001", query={"company_id": CID}, reply={"deal": bodies.deal()})

    deal = freee.deal_show(9001)

    assert (deal.id, deal.ref_number, deal.amount, deal.due_date) == (9001, "CRM-DEAL-42", 110000, dt.date(2026, 7, 31))


def test_deal_create_posts_the_body_with_company_id(freee, mocked):
    body = s.DealCreate(
        issue_date=dt.date(2026, 6, 30), type="income", due_date=dt.date(2026, 7, 31), partner_id=201,
        ref_number="CRM-DEAL-42",
        details=[s.DealDetailInput(tax_code=129, account_item_id=101, amount=110000,
                                   description="システム開発費 6月分")],
    )
    expect(mocked, "POST", "/api/1/deals", status=201, reply={"deal": bodies.deal()}, body={
        "company_id": COMPANY_ID, "issue_date": "2026-06-30", "type": "income", "due_date": "2026-07-31",
        "partner_id": 201, "ref_number": "CRM-DEAL-42",
        "details": [{"tax_code": 129, "account_item_id": 101, "amount": 110000, "description": "システム開発費 6月分"}],
    })

    deal = freee.deal_create(body)

    assert (deal.id, deal.status, deal.partner_id) == (9001, "unsettled", 201)


def test_deal_create_with_a_payment_books_it_settled(freee, mocked):
    body = s.DealCreate(
        issue_date=dt.date(2026, 6, 30), type="income", partner_code="P001",
        details=[s.DealDetailInput(tax_code=129, account_item_code="URIAGE", amount=110000)],
        payments=[s.DealPaymentInput(amount=110000, from_walletable_id=501, from_walletable_type="bank_account",
                                     date=dt.date(2026, 7, 31))],
    )
    expect(mocked, "POST", "/api/1/deals", status=201, reply={"deal": bodies.settled_deal()}, body={
        "company_id": COMPANY_ID, "issue_date": "2026-06-30", "type": "income", "partner_code": "P001",
        "details": [{"tax_code": 129, "account_item_code": "URIAGE", "amount": 110000}],
        "payments": [{"amount": 110000, "from_walletable_id": 501, "from_walletable_type": "bank_account",
                      "date": "2026-07-31"}],
    })

    deal = freee.deal_create(body)

    assert deal.status == "settled"
    assert deal.payments == [s.DealPayment(id=9201, date=dt.date(2026, 7, 31), from_walletable_type="bank_account",
                                           from_walletable_id=501, amount=110000)]


def test_deal_update_puts_rows_with_their_ids(freee, mocked):
    body = s.DealUpdate(issue_date=dt.date(2026, 6, 30), type="income", details=[
        s.DealUpdateDetail(id=9101, tax_code=129, account_item_id=101, amount=99000),
    ])
    expect(mocked, "PUT", "/api/1/deals/9001", reply={"deal": bodies.deal(amount=99000)}, body={
        "company_id": COMPANY_ID, "issue_date": "2026-06-30", "type": "income",
        "details": [{"id": 9101, "tax_code": 129, "account_item_id": 101, "amount": 99000}],
    })

    assert freee.deal_update(9001, body).amount == 99000


def test_deal_delete_sends_company_in_the_query_and_returns_none(freee, mocked):
    expect(mocked, "DELETE", "/api/1/deals/9001", query={"company_id": CID}, status=204)

    assert freee.deal_delete(9001) is None


# =========================================================================== freee請求書 invoices


def _invoice_body(**overrides: Any) -> s.InvoiceCreate:
    fields: dict[str, Any] = {
        "partner_id": 201, "partner_title": "御中", "billing_date": dt.date(2026, 6, 30),
        "payment_date": dt.date(2026, 7, 31), "tax_entry_method": "out", "tax_fraction": "omit",
        "withholding_tax_entry_method": "out", "subject": "6月分 システム開発費", "memo": "CRM deal #42",
        "lines": [s.InvoiceLineInput(description="システム開発費 6月分", quantity=Decimal(1), unit="式",
                                     unit_price="100000", tax_rate=10, account_item_id=101, tax_code=129)],
    }
    return s.InvoiceCreate(**(fields | overrides))


INVOICE_JSON = {
    "company_id": COMPANY_ID, "partner_id": 201, "partner_title": "御中", "billing_date": "2026-06-30",
    "payment_date": "2026-07-31", "tax_entry_method": "out", "tax_fraction": "omit",
    "withholding_tax_entry_method": "out", "subject": "6月分 システム開発費", "memo": "CRM deal #42",
    "lines": [{"type": "item", "description": "システム開発費 6月分", "quantity": 1, "unit": "式",
               "unit_price": "100000", "tax_rate": 10, "account_item_id": 101, "tax_code": 129}],
}


def test_invoices_list_sends_every_filter(freee, mocked):
    expect(mocked, "GET", "/iv/invoices", reply=bodies.invoices(), query={
        "company_id": CID, "invoice_number": "INV-0000123", "subject": "6月分", "partner_ids": "201,202,203",
        "payment_status": "unsettled", "sending_status": "unsent", "cancel_status": "uncanceled",
        "deal_status": "unregistered", "start_billing_date": "2026-06-01", "end_billing_date": "2026-06-30",
        "start_payment_date": "2026-07-01", "end_payment_date": "2026-07-31", "sales_management_origin": "true",
        "offset": "200", "limit": "100",
    })

    invoices = freee.invoices_list(
        invoice_number="INV-0000123", subject="6月分", partner_ids=[201, 202, 203], payment_status="unsettled",
        sending_status="unsent", cancel_status="uncanceled", deal_status="unregistered",
        start_billing_date=dt.date(2026, 6, 1), end_billing_date=dt.date(2026, 6, 30),
        start_payment_date=dt.date(2026, 7, 1), end_payment_date=dt.date(2026, 7, 31), sales_management_origin=True,
        offset=200, limit=100,
    )

    unsent, settled = invoices
    assert (unsent.id, unsent.invoice_number, unsent.billing_date) == (5001, "INV-0000123", dt.date(2026, 6, 30))
    assert (unsent.sending_status, unsent.payment_status, unsent.cancel_status, unsent.deal_status,
            unsent.deal_id) == ("unsent", "unsettled", "uncanceled", "unregistered", None)
    assert (settled.sending_status, settled.payment_status, settled.deal_status, settled.deal_id) == (
        "sent", "settled", "registered", 9001)
    assert (unsent.total_amount, unsent.amount_excluding_tax, unsent.amount_tax) == (110000, 100000, 10000)
    assert unsent.report_url == "https://invoice.secure.freee.co.jp/reports/invoices/5001"


def test_invoices_list_defaults_to_twenty_without_filters(freee, mocked):
    expect(mocked, "GET", "/iv/invoices", query={"company_id": CID, "offset": "0", "limit": "20"},
           reply={"invoices": []})

    assert freee.invoices_list() == []


def test_invoices_list_can_leave_out_freee_hanbai_invoices_explicitly(freee, mocked):
    expect(mocked, "GET", "/iv/invoices", reply={"invoices": []},
           query={"company_id": CID, "sales_management_origin": "false", "offset": "0", "limit": "20"})

    assert freee.invoices_list(sales_management_origin=False) == []


def test_invoice_show_parses_lines_with_string_unit_price_and_decimal_quantity(freee, mocked):
    expect(mocked, "GET", "/iv/invoices/5001", query={"company_id": CID},
           reply=bodies.invoice(with_account_fields=False))

    invoice = freee.invoice_show(5001)

    item, text = invoice.lines
    assert (item.type, item.quantity, item.unit_price, item.tax_rate) == ("item", Decimal(1), "100000", 10)
    assert item.amount_excluding_tax == 100000
    assert item.sales_date == dt.date(2026, 6, 30)
    assert (text.type, text.description, text.quantity, text.unit_price) == (
        "text", "※納品書は別送いたします", None, None)
    assert invoice.created_at == dt.datetime(2026, 6, 30, 10, 15)
    assert invoice.template.invoice_registration_number == "T1234567890123"
    assert invoice.amount_tax_10 == 10000 and invoice.amount_tax_8 is None


def test_invoice_create_posts_the_typed_body(freee, mocked):
    expect(mocked, "POST", "/iv/invoices", status=201, body=INVOICE_JSON, reply=bodies.invoice())

    invoice = freee.invoice_create(_invoice_body())

    assert (invoice.id, invoice.invoice_number, invoice.deal_status) == (5001, "INV-0000123", "unregistered")
    assert invoice.lines[0].account_item_id == 101
    assert invoice.tax_entry_method == "out"


def test_invoice_create_sends_fractional_quantity_as_a_json_number(freee, mocked):
    line = s.InvoiceLineInput(description="保守 0.5人月", quantity=Decimal("0.5"), unit_price="800000.5", tax_rate=10)
    expect(mocked, "POST", "/iv/invoices", status=201, reply=bodies.invoice(),
           body=INVOICE_JSON | {"lines": [{"type": "item", "description": "保守 0.5人月", "quantity": 0.5,
                                           "unit_price": "800000.5", "tax_rate": 10}]})

    freee.invoice_create(_invoice_body(lines=[line]))


def test_invoice_update_puts_the_same_body(freee, mocked):
    expect(mocked, "PUT", "/iv/invoices/5001", body=INVOICE_JSON | {"invoice_number": "INV-0000123"},
           reply=bodies.invoice())

    invoice = freee.invoice_update(5001, _invoice_body(invoice_number="INV-0000123"))

    assert invoice.id == 5001


def test_invoice_cancel(freee, mocked):
    expect(mocked, "PUT", "/iv/invoices/5001/cancel", body={"company_id": COMPANY_ID},
           reply=bodies.invoice_cancel_status("canceled"))

    assert freee.invoice_cancel(5001) == s.InvoiceCancelStatus(id=5001, cancel_status="canceled")


def test_invoice_uncancel(freee, mocked):
    expect(mocked, "PUT", "/iv/invoices/5001/uncancel", body={"company_id": COMPANY_ID},
           reply=bodies.invoice_cancel_status("uncanceled"))

    assert freee.invoice_uncancel(5001) == s.InvoiceCancelStatus(id=5001, cancel_status="uncanceled")


def test_invoice_templates_list(freee, mocked):
    expect(mocked, "GET", "/iv/invoices/templates", query={"company_id": CID}, reply=bodies.invoice_templates())

    assert freee.invoice_templates_list() == [s.InvoiceTemplate(id=11, name="請求書（標準）"),
                                              s.InvoiceTemplate(id=12, name="請求書（源泉徴収あり）")]


# =========================================================================== payment requests and routes


def _payment_request_body() -> s.PaymentRequestCreate:
    return s.PaymentRequestCreate(
        title="外注費（株式会社取引先A）6月分", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71, draft=False,
        description="crm:payment-request:17", payment_date=dt.date(2026, 7, 31),
        payment_method="domestic_bank_transfer", partner_id=201, document_code="A-2026-06",
        payment_request_lines=[s.PaymentRequestLineInput(description="デザイン制作費", amount=55000,
                                                         account_item_id=121, tax_code=136)],
    )


PAYMENT_REQUEST_JSON = {
    "company_id": COMPANY_ID, "title": "外注費（株式会社取引先A）6月分", "issue_date": "2026-06-20",
    "approval_flow_route_id": 71, "draft": False, "description": "crm:payment-request:17",
    "payment_date": "2026-07-31", "payment_method": "domestic_bank_transfer", "partner_id": 201,
    "document_code": "A-2026-06",
    "payment_request_lines": [{"description": "デザイン制作費", "amount": 55000, "account_item_id": 121,
                               "tax_code": 136}],
}


def test_payment_requests_list_sends_filters_and_parses_list_items(freee, mocked):
    expect(mocked, "GET", "/api/1/payment_requests", reply=bodies.payment_requests(), query={
        "company_id": CID, "status": "in_progress", "start_application_date": "2026-06-01",
        "end_application_date": "2026-06-30", "approver_id": "4002", "offset": "500", "limit": "500",
    })

    in_progress, approved = freee.payment_requests_list(
        status="in_progress", start_application_date=dt.date(2026, 6, 1), end_application_date=dt.date(2026, 6, 30),
        approver_id=4002, offset=500, limit=500)

    assert (in_progress.id, in_progress.status, in_progress.current_step_id, in_progress.current_round) == (
        6001, "in_progress", 81, 0)
    assert in_progress.approvers == [s.Approver(step_id=81, user_id=4002, status="initial", is_force_action=False,
                                                resource_type="predefined_user")]
    assert (approved.deal_id, approved.deal_status, approved.current_step_id) == (9003, "unsettled", None)


def test_payment_requests_list_defaults_to_fifty(freee, mocked):
    expect(mocked, "GET", "/api/1/payment_requests", query={"company_id": CID, "offset": "0", "limit": "50"},
           reply={"payment_requests": []})

    assert freee.payment_requests_list() == []


def test_payment_request_show_carries_lines_logs_and_the_action_tokens(freee, mocked):
    expect(mocked, "GET", "/api/1/payment_requests/6001", query={"company_id": CID}, reply=bodies.payment_request())

    request = freee.payment_request_show(6001)

    assert (request.current_step_id, request.current_round, request.approval_flow_route_id) == (81, 0, 71)
    assert request.payment_request_lines[0].amount == 55000
    assert request.approval_flow_logs == [s.ApprovalFlowLog(
        action="apply", user_id=bodies.USER_ID, updated_at=dt.datetime.fromisoformat("2026-06-25T09:30:00+09:00"))]
    assert request.comments[0].comment == "請求書を添付しました"
    assert request.description == "crm:payment-request:17"


def test_payment_request_create_posts_the_typed_body(freee, mocked):
    expect(mocked, "POST", "/api/1/payment_requests", status=201, body=PAYMENT_REQUEST_JSON,
           reply=bodies.payment_request())

    assert freee.payment_request_create(_payment_request_body()).id == 6001


def test_payment_request_update_keeps_rows_by_id(freee, mocked):
    body = s.PaymentRequestUpdate(
        title="外注費 6月分（修正）", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71, draft=True,
        payment_request_lines=[s.PaymentRequestLineUpdate(id=6101, amount=60000, account_item_id=121, tax_code=136)],
    )
    expect(mocked, "PUT", "/api/1/payment_requests/6001", reply=bodies.payment_request(status="draft",
                                                                                       current_step_id=None),
           body={"company_id": COMPANY_ID, "title": "外注費 6月分（修正）", "issue_date": "2026-06-20",
                 "approval_flow_route_id": 71, "draft": True,
                 "payment_request_lines": [{"id": 6101, "amount": 60000, "account_item_id": 121, "tax_code": 136}]})

    request = freee.payment_request_update(6001, body)

    assert (request.status, request.current_step_id) == ("draft", None)


def test_payment_request_delete(freee, mocked):
    expect(mocked, "DELETE", "/api/1/payment_requests/6001", query={"company_id": CID}, status=204)

    assert freee.payment_request_delete(6001) is None


def test_payment_request_action_quotes_the_step_and_round(freee, mocked):
    approved = bodies.payment_request(status="approved", current_step_id=None,
                                      approvers=[{"step_id": 81, "user_id": 4002, "status": "approved",
                                                  "is_force_action": False, "resource_type": "predefined_user"}])
    expect(mocked, "POST", "/api/1/payment_requests/6001/actions", status=201, reply=approved,
           body={"company_id": COMPANY_ID, "approval_action": "approve", "target_step_id": 81, "target_round": 0})

    request = freee.payment_request_action(
        6001, s.PaymentRequestAction(approval_action="approve", target_step_id=81, target_round=0))

    assert request.status == "approved"
    assert request.approvers[0].status == "approved"


def test_approval_flow_routes_list_filters_by_usage(freee, mocked):
    expect(mocked, "GET", "/api/1/approval_flow_routes",
           query={"company_id": CID, "usage": "PaymentRequest", "included_user_id": str(bodies.USER_ID)},
           reply=bodies.approval_flow_routes())

    standard, ringi = freee.approval_flow_routes_list(usage="PaymentRequest", included_user_id=bodies.USER_ID)

    assert (standard.id, standard.default_route, standard.usages) == (71, True, ["PaymentRequest"])
    assert ringi.usages == ["ApprovalRequest", "PurchaseRequest"]


def test_approval_flow_route_show_has_steps(freee, mocked):
    expect(mocked, "GET", "/api/1/approval_flow_routes/71", query={"company_id": CID},
           reply=bodies.approval_flow_route())

    route = freee.approval_flow_route_show(71)

    assert [(step.id, step.resource_type, step.next_step_id) for step in route.steps] == [
        (81, "predefined_user", 82), (82, "and_position", None)]
    assert route.steps[0].users_ids == [4002]
    assert route.steps[1].group == s.RouteGroup(id=61, name="営業部")
    assert route.usable_for_payment_requests


def test_a_route_with_a_switchable_step_is_not_usable_for_payment_requests(freee, mocked):
    expect(mocked, "GET", "/api/1/approval_flow_routes/71", query={"company_id": CID},
           reply=bodies.approval_flow_route(switchable=True))

    route = freee.approval_flow_route_show(71)

    assert route.steps[0].switching_rules[0].conditions[0].switch_evaluation_key == "total_amount_jpy"
    assert not route.usable_for_payment_requests


# =========================================================================== malformed bodies


def _without(body: dict, *path: str | int) -> dict:
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def _with(body: dict, value: Any, *path: str | int) -> dict:
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


Call = Callable[[Any], Any]

MALFORMED: list[tuple[str, str, str, dict, Call, str]] = [
    ("GET", "/api/1/companies", "company_number missing",
     _without(bodies.companies(), "companies", 0, "company_number"), lambda f: f.companies_list(),
     "CompaniesResponse"),
    ("GET", f"/api/1/companies/{COMPANY_ID}", "unknown role",
     _with(bodies.company(), "owner", "company", "role"), lambda f: f.company_show(), "CompanyResponse"),
    ("GET", "/api/1/users/me", "email missing",
     _without(bodies.users_me(), "user", "email"), lambda f: f.users_me(), "UserMeResponse"),
    ("GET", "/api/1/partners", "name missing",
     _without(bodies.partners(), "partners", 0, "name"), lambda f: f.partners_search(), "PartnersResponse"),
    ("GET", "/api/1/account_items", "corresponding_income_id missing",
     _without(bodies.account_items(), "account_items", 0, "corresponding_income_id"),
     lambda f: f.account_items_list(), "AccountItemsResponse"),
    ("GET", f"/api/1/taxes/companies/{COMPANY_ID}", "unknown display_category",
     _with(bodies.taxes(), "tax_12", "taxes", 0, "display_category"), lambda f: f.taxes_list(), "TaxesResponse"),
    ("GET", "/api/1/walletables", "unknown walletable type",
     _with(bodies.walletables(), "crypto", "walletables", 0, "type"), lambda f: f.walletables_list(),
     "WalletablesResponse"),
    ("GET", "/api/1/deals", "meta.total_count missing",
     _without(bodies.deals(), "meta", "total_count"), lambda f: f.deals_list(), "DealsResponse"),
    ("POST", "/api/1/deals", "unknown deal status",
     {"deal": bodies.deal(status="paid")}, lambda f: f.deal_create(s.DealCreate(
         issue_date=dt.date(2026, 6, 30), type="income",
         details=[s.DealDetailInput(tax_code=129, account_item_id=101, amount=1)])), "DealResponse"),
    ("GET", "/iv/invoices", "unknown payment_status",
     _with(bodies.invoices(), "paid", "invoices", 0, "payment_status"), lambda f: f.invoices_list(),
     "InvoicesResponse"),
    ("GET", "/iv/invoices/5001", "report_url missing",
     _without(bodies.invoice(), "invoice", "report_url"), lambda f: f.invoice_show(5001), "InvoiceResponse"),
    ("GET", "/iv/invoices/5001", "fractional yen amount",
     _with(bodies.invoice(), 110000.5, "invoice", "total_amount"), lambda f: f.invoice_show(5001),
     "InvoiceResponse"),
    ("GET", "/iv/invoices/5001", "unit_price as a number",
     _with(bodies.invoice(), 100000, "invoice", "lines", 0, "unit_price"), lambda f: f.invoice_show(5001),
     "InvoiceResponse"),
    ("PUT", "/iv/invoices/5001/cancel", "unknown cancel_status",
     _with(bodies.invoice_cancel_status(), "voided", "invoice", "cancel_status"), lambda f: f.invoice_cancel(5001),
     "InvoiceCancelResponse"),
    ("GET", "/iv/invoices/templates", "template name missing",
     _without(bodies.invoice_templates(), "templates", 0, "name"), lambda f: f.invoice_templates_list(),
     "InvoiceTemplatesResponse"),
    ("GET", "/api/1/payment_requests", "current_round missing",
     _without(bodies.payment_requests(), "payment_requests", 0, "current_round"),
     lambda f: f.payment_requests_list(), "PaymentRequestsResponse"),
    ("GET", "/api/1/payment_requests/6001", "unknown approver status",
     _with(bodies.payment_request(), "pending", "payment_request", "approvers", 0, "status"),
     lambda f: f.payment_request_show(6001), "PaymentRequestResponse"),
    ("GET", "/api/1/approval_flow_routes", "unknown usage",
     _with(bodies.approval_flow_routes(), ["Expense"], "approval_flow_routes", 0, "usages"),
     lambda f: f.approval_flow_routes_list(), "ApprovalFlowRoutesResponse"),
    ("GET", "/api/1/partners", "id as a numeric string",
     _with(bodies.partners(), "201", "partners", 0, "id"), lambda f: f.partners_search(), "PartnersResponse"),
    ("GET", f"/api/1/taxes/companies/{COMPANY_ID}", "available as 1",
     _with(bodies.taxes(), 1, "taxes", 0, "available"), lambda f: f.taxes_list(), "TaxesResponse"),
    ("GET", "/api/1/deals", "total_count as a float",
     _with(bodies.deals(), 2.0, "meta", "total_count"), lambda f: f.deals_list(), "DealsResponse"),
    ("GET", "/iv/invoices", "total_amount as a string",
     _with(bodies.invoices(), "110000", "invoices", 0, "total_amount"), lambda f: f.invoices_list(),
     "InvoicesResponse"),
    ("GET", "/api/1/approval_flow_routes/71", "steps missing",
     _without(bodies.approval_flow_route(), "approval_flow_route", "steps"),
     lambda f: f.approval_flow_route_show(71), "ApprovalFlowRouteResponse"),
]


@pytest.mark.parametrize(("method", "path", "case", "reply", "call", "model"), MALFORMED,
                         ids=[f"{m[1]} {m[2]}" for m in MALFORMED])
def test_a_body_that_breaks_the_schema_raises_malformed_response(freee, mocked, method, path, case, reply, call,
                                                                 model):
    mocked.add(method, API + path, json=reply, status=201 if method == "POST" else 200)

    with pytest.raises(MalformedResponse, match=f"does not match {model}") as raised:
        call(freee)

    assert isinstance(raised.value, Transient)  # the caller may try later, like any unreadable answer
    assert len(mocked.calls) == 1  # but the client does not ask again: the same body would break again


def test_malformed_response_names_fields_but_never_echoes_values():
    body = {"companies": [{"id": "at-7f3c9e-secret-token", "name": "x", "name_kana": None, "display_name": None,
                           "company_number": "1", "role": "admin"}]}

    with pytest.raises(MalformedResponse) as raised:
        s.parse(s.CompaniesResponse, body)

    assert "companies.0.id" in str(raised.value)
    assert "secret-token" not in str(raised.value)
    assert raised.value.__cause__ is None


def test_a_body_that_is_not_an_object_is_malformed():
    with pytest.raises(MalformedResponse, match="CompaniesResponse"):
        s.parse(s.CompaniesResponse, ["not", "an", "object"])


def test_unknown_fields_freee_adds_later_are_ignored(freee, mocked):
    body = bodies.companies()
    body["companies"][0]["new_field_2027"] = {"anything": True}
    expect(mocked, "GET", "/api/1/companies", reply=body)

    assert freee.companies_list()[0].id == COMPANY_ID


def test_parsed_objects_are_immutable(freee, mocked):
    expect(mocked, "GET", "/iv/invoices/templates", query={"company_id": CID}, reply=bodies.invoice_templates())
    template = freee.invoice_templates_list()[0]

    with pytest.raises(ValidationError):
        template.name = "改ざん"


# =========================================================================== argument validation (nothing is sent)


@pytest.mark.parametrize(("call", "message"), [
    (lambda f: f.partners_search(limit=3001), "limit must be between 1 and 3000, got 3001"),
    (lambda f: f.partners_search(limit=0), "limit must be between 1 and 3000, got 0"),
    (lambda f: f.partners_search(offset=-1), "offset must be between 0"),
    (lambda f: f.deals_list(limit=101), "limit must be between 1 and 100, got 101"),
    (lambda f: f.deals_list(partner_id=1, partner_code="P001"), "partner_id or partner_code, not both"),
    (lambda f: f.invoices_list(limit=101), "limit must be between 1 and 100, got 101"),
    (lambda f: f.invoices_list(offset=2147483648), "offset must be between 0 and 2147483647"),
    (lambda f: f.invoices_list(partner_ids=[1, 2, 3, 4]), "at most 3 partner_ids, got 4"),
    (lambda f: f.invoices_list(subject=""), "subject must be 1 to 255 characters"),
    (lambda f: f.payment_requests_list(limit=501), "limit must be between 1 and 500, got 501"),
    (lambda f: f.payment_requests_list(title="件" * 251), "title must be at most 250 characters"),
    (lambda f: f.approval_flow_routes_list(usage="PaymentRequest", request_form_id=3),
     "request_form_id only works with usage='ApprovalRequest'"),
    (lambda f: f.deal_delete(0), "deal_id must be a positive freee id, got 0"),
    (lambda f: f.invoice_show(-5), "invoice_id must be a positive freee id, got -5"),
    (lambda f: f.payment_request_show(0), "payment_request_id must be a positive freee id"),
    (lambda f: f.approval_flow_route_show(0), "route_id must be a positive freee id"),
])
def test_bad_arguments_fail_before_anything_is_sent(freee, mocked, call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(freee)

    assert len(mocked.calls) == 0


# =========================================================================== request models refuse what freee would


def _detail(**fields: Any) -> s.DealDetailInput:
    return s.DealDetailInput(**({"tax_code": 129, "account_item_id": 101, "amount": 1000} | fields))


@pytest.mark.parametrize(("build", "message"), [
    (lambda: s.DealCreate(issue_date=dt.date(2026, 6, 30), type="income", details=[_detail()] * 101),
     "at most 100 items"),
    (lambda: s.DealCreate(issue_date=dt.date(2026, 6, 30), type="income", details=[]), "at least 1 item"),
    (lambda: s.DealCreate(issue_date=dt.date(2026, 6, 30), type="transfer", details=[_detail()]), "income"),
    (lambda: _detail(account_item_code="URIAGE"), "exactly one of account_item_id or account_item_code"),
    (lambda: s.DealCreate(issue_date=dt.date(2026, 6, 30), type="income", details=[_detail()], partner_id=1,
                          partner_code="P001"), "not both"),
    (lambda: s.DealUpdate(issue_date=dt.date(2026, 6, 30), type="income",
                          details=[s.DealUpdateDetail(tax_code=1, account_item_id=1, amount=1)] * 101),
     "at most 100 items"),
    (lambda: _invoice_body(partner_id=None), "one of partner_id or partner_code"),
    (lambda: _invoice_body(partner_code="P001"), "not both"),
    (lambda: _invoice_body(partner_title="殿"), "御中"),
    (lambda: _invoice_body(lines=[]), "at least 1 item"),
    (lambda: s.InvoiceLineInput(description="数量なし", unit_price="1000", tax_rate=10), "quantity and tax_rate"),
    (lambda: s.InvoiceLineInput(quantity=Decimal(1), unit_price="1,000", tax_rate=10), "pattern"),
    (lambda: s.InvoiceLineInput(quantity=Decimal(1), unit_price="1000", tax_rate=5), "0, 8 or 10"),
    (lambda: s.InvoiceLineInput(quantity=Decimal(1), tax_rate=10, reduced_tax_rate=True), "tax_rate 8"),
    (lambda: s.InvoiceLineInput(type="text", description="x", unexpected=True), "Extra inputs"),
    (lambda: s.PaymentRequestCreate(
        title="控除のみ", issue_date=dt.date(2026, 6, 20), approval_flow_route_id=71, draft=True,
        payment_request_lines=[s.PaymentRequestLineInput(line_type="negative_line", amount=100)]),
     "at least one deal_line"),
    (lambda: s.PaymentRequestLineInput(amount=100, account_item_id=121), "tax_code is required"),
    (lambda: s.PaymentRequestLineInput(amount=100_000_000_000), "less than or equal to 99999999999"),
    (lambda: s.PaymentRequestAction(approval_action="approve_all", target_step_id=81, target_round=0),
     "force_feedback"),
    (lambda: s.PaymentRequestAction(approval_action="approve", target_step_id=81, target_round=-1),
     "greater than or equal to 0"),
])
def test_request_models_refuse_bodies_freee_would_reject(build, message):
    with pytest.raises(ValidationError, match=message):
        build()


def test_request_bodies_leave_out_unset_fields_and_never_carry_company_id():
    body = _payment_request_body().to_body()

    assert "company_id" not in body
    assert "bank_code" not in body and "parent_id" not in body
    assert body["issue_date"] == "2026-06-20"
