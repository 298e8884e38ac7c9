"""One typed method per freee endpoint, on top of the Transport contract (base.py).

Each method checks its arguments locally (ValueError before anything is sent), adds the connection's
`company_id` (query string for GET/DELETE, JSON body for POST/PUT, path where freee puts it there) and
names the typed model the answer must match. The transport (client.FreeeClient) parses it strictly as part
of the call (schemas.parse → MalformedResponse, written to the call log), next to auth, rate limits and
error mapping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from integrations.freee import schemas as s
from integrations.freee.base import Family, Transport

PARTNERS_MAX_LIMIT = 3000
DEALS_MAX_LIMIT = 100
INVOICES_MAX_LIMIT = 100
INVOICES_MAX_OFFSET = 2147483647
# freee請求書 lists refuse limit + offset above 10,000 (from 2026-09-21; developer.freee.co.jp/invoice/invoice-improvement/8076):
# a pager cuts its date window instead of paging past it.
IV_LIST_MAX_ROWS = 10_000
INVOICES_MAX_PARTNER_IDS = 3
PAYMENT_REQUESTS_MAX_LIMIT = 500
TAGS_MAX_LIMIT = 3000
TAGS_MAX_OFFSET = 2147483647
USERS_MAX_LIMIT = 3000
RECEIPT_DESCRIPTION_MAX = 255

QueryValue = str | int | bool | dt.date | None
M = TypeVar("M", bound=BaseModel)


def _query(**values: QueryValue) -> dict[str, str | int]:
    """Drop unset values and spell the rest as freee reads them (true/false, yyyy-mm-dd)."""
    query: dict[str, str | int] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[name] = "true" if value else "false"
        elif isinstance(value, dt.date):
            query[name] = value.isoformat()
        else:
            query[name] = value
    return query


def _flags(**flags: bool) -> dict[str, str]:
    """freee's `?details=true`-style switches accept only `true`; a false switch is simply left out."""
    return {name: "true" for name, on in flags.items() if on}


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


def _check_id(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be a positive freee id, got {value}")


class FreeeEndpoints(Transport):
    """The freee会計 and freee請求書 endpoints this product uses, as typed methods."""

    def _company_get(self, family: Family, path: str, model: type[M], params: dict[str, Any] | None = None) -> M:
        """GET (or the query of a DELETE) carries company_id in the query string."""
        return self._request("GET", family, path, params={"company_id": self.company_id, **(params or {})},
                             model=model)

    def _company_send(self, method: str, family: Family, path: str, model: type[M],
                      body: dict[str, Any] | None = None) -> M:
        """POST/PUT carry company_id in the JSON body."""
        return self._request(method, family, path, json={"company_id": self.company_id, **(body or {})},
                             model=model)

    # --- companies and users ------------------------------------------------------------------------------

    def companies_list(self) -> list[s.Company]:
        """GET /api/1/companies: every 事業所 the token can reach."""
        return self._request("GET", Family.ACCOUNTING, "/companies", model=s.CompaniesResponse).companies

    def company_show(self, *, details: bool = False, account_items: bool = False, taxes: bool = False,
                     partners: bool = False, walletables: bool = False, items: bool = False,
                     sections: bool = False, tags: bool = False) -> s.CompanyDetail:
        """GET /api/1/companies/{id} for the connected company; each flag adds that master list."""
        params = _flags(details=details, account_items=account_items, taxes=taxes, partners=partners,
                        walletables=walletables, items=items, sections=sections, tags=tags)
        return self._request("GET", Family.ACCOUNTING, f"/companies/{self.company_id}", params=params or None,
                             model=s.CompanyResponse).company

    def users_me(self, *, companies: bool = False) -> s.UserMe:
        """GET /api/1/users/me: the user the token belongs to (the applicant/approver id)."""
        return self._request("GET", Family.ACCOUNTING, "/users/me", params=_flags(companies=companies) or None,
                             model=s.UserMeResponse).user

    def company_users_list(self, *, limit: int = USERS_MAX_LIMIT) -> list[s.CompanyUser]:
        """GET /api/1/users: the company's members (id, e-mail, names), e.g. to pick approver ids."""
        _check_range("limit", limit, 1, USERS_MAX_LIMIT)
        return self._company_get(Family.ACCOUNTING, "/users", s.CompanyUsersResponse, {"limit": limit}).users

    # --- master data --------------------------------------------------------------------------------------

    def partners_search(self, *, keyword: str | None = None, start_update_date: dt.date | None = None,
                        end_update_date: dt.date | None = None, offset: int = 0,
                        limit: int = 50) -> list[s.Partner]:
        """GET /api/1/partners (取引先検索). No total count: page until a page is shorter than `limit`."""
        _check_range("limit", limit, 1, PARTNERS_MAX_LIMIT)
        _check_range("offset", offset, 0, 2**63 - 1)
        params = _query(keyword=keyword, start_update_date=start_update_date, end_update_date=end_update_date,
                        offset=offset, limit=limit)
        return self._company_get(Family.ACCOUNTING, "/partners", s.PartnersResponse, params).partners

    def account_items_list(self, *, base_date: dt.date | None = None) -> list[s.AccountItem]:
        """GET /api/1/account_items: all 勘定科目 (no paging). base_date picks the default tax codes' rate."""
        return self._company_get(Family.ACCOUNTING, "/account_items", s.AccountItemsResponse,
                                 _query(base_date=base_date)).account_items

    def taxes_list(self, *, available: bool | None = None,
                   display_category: s.TaxDisplayCategory | None = None) -> list[s.Tax]:
        """GET /api/1/taxes/companies/{company_id}: the company's tax codes (use available=True for live ones)."""
        params = _query(available=available, display_category=display_category)
        return self._request("GET", Family.ACCOUNTING, f"/taxes/companies/{self.company_id}", params=params or None,
                             model=s.TaxesResponse).taxes

    def walletables_list(self, *, type: s.WalletableType | None = None,  # noqa: A002 - freee's parameter name
                         with_balance: bool = False) -> list[s.Walletable]:
        """GET /api/1/walletables: 口座 (bank accounts, cards, wallets), optionally of one type."""
        params = _query(type=type, with_balance=with_balance or None)
        return self._company_get(Family.ACCOUNTING, "/walletables", s.WalletablesResponse, params).walletables

    # --- deals (取引) ---------------------------------------------------------------------------------------

    def deals_list(self, *, partner_id: int | None = None, partner_code: str | None = None,
                   account_item_id: int | None = None, status: s.DealStatus | None = None,
                   type: s.DealType | None = None,  # noqa: A002 - freee's parameter name
                   start_issue_date: dt.date | None = None, end_issue_date: dt.date | None = None,
                   start_due_date: dt.date | None = None, end_due_date: dt.date | None = None,
                   offset: int = 0, limit: int = 20) -> s.DealPage:
        """GET /api/1/deals: one page of 取引 and freee's total count (there is no ref_number filter)."""
        _check_range("limit", limit, 1, DEALS_MAX_LIMIT)
        _check_range("offset", offset, 0, 2**63 - 1)
        if partner_id is not None and partner_code is not None:
            raise ValueError("give partner_id or partner_code, not both")
        params = _query(partner_id=partner_id, partner_code=partner_code, account_item_id=account_item_id,
                        status=status, type=type, start_issue_date=start_issue_date, end_issue_date=end_issue_date,
                        start_due_date=start_due_date, end_due_date=end_due_date, offset=offset, limit=limit)
        page = self._company_get(Family.ACCOUNTING, "/deals", s.DealsResponse, params)
        return s.DealPage(page.deals, page.meta.total_count)

    def deal_show(self, deal_id: int) -> s.FreeeDeal:
        """GET /api/1/deals/{id}."""
        _check_id("deal_id", deal_id)
        return self._company_get(Family.ACCOUNTING, f"/deals/{deal_id}", s.DealResponse).deal

    def deal_create(self, body: s.DealCreate) -> s.FreeeDeal:
        """POST /api/1/deals. Not idempotent: reconcile by ref_number before ever sending it twice."""
        return self._company_send("POST", Family.ACCOUNTING, "/deals", s.DealResponse, body.to_body()).deal

    def deal_update(self, deal_id: int, body: s.DealUpdate) -> s.FreeeDeal:
        """PUT /api/1/deals/{id}: rows without an `id` are added, existing rows left out are deleted."""
        _check_id("deal_id", deal_id)
        return self._company_send("PUT", Family.ACCOUNTING, f"/deals/{deal_id}", s.DealResponse, body.to_body()).deal

    def deal_delete(self, deal_id: int) -> None:
        """DELETE /api/1/deals/{id} (204)."""
        _check_id("deal_id", deal_id)
        self._request("DELETE", Family.ACCOUNTING, f"/deals/{deal_id}", params={"company_id": self.company_id})

    def deal_payment_create(self, deal_id: int, body: s.DealPaymentCreate) -> s.FreeeDeal:
        """POST /api/1/deals/{id}/payments: add a 決済 (入金/支払); 201 with the whole deal. Not idempotent."""
        _check_id("deal_id", deal_id)
        return self._company_send("POST", Family.ACCOUNTING, f"/deals/{deal_id}/payments", s.DealResponse,
                                  body.to_body()).deal

    def deal_payment_delete(self, deal_id: int, payment_id: int) -> None:
        """DELETE /api/1/deals/{id}/payments/{payment_id} (204): the deal becomes unsettled again."""
        _check_id("deal_id", deal_id)
        _check_id("payment_id", payment_id)
        self._request("DELETE", Family.ACCOUNTING, f"/deals/{deal_id}/payments/{payment_id}",
                      params={"company_id": self.company_id})

    # --- tags (メモタグ) -------------------------------------------------------------------------------------

    def tags_list(self, *, start_update_date: dt.date | None = None, end_update_date: dt.date | None = None,
                  offset: int = 0, limit: int = 50) -> list[s.Tag]:
        """GET /api/1/tags: one page of メモタグ (no total count: page until a page is shorter than `limit`)."""
        _check_range("limit", limit, 1, TAGS_MAX_LIMIT)
        _check_range("offset", offset, 0, TAGS_MAX_OFFSET)
        params = _query(start_update_date=start_update_date, end_update_date=end_update_date, offset=offset,
                        limit=limit)
        return self._company_get(Family.ACCOUNTING, "/tags", s.TagsResponse, params).tags

    def tag_create(self, body: s.TagCreate) -> s.Tag:
        """POST /api/1/tags (201). Not idempotent: look the name up with tags_list before sending it twice."""
        return self._company_send("POST", Family.ACCOUNTING, "/tags", s.TagResponse, body.to_body()).tag

    # --- freee請求書 invoices --------------------------------------------------------------------------------

    def invoices_list(self, *, invoice_number: str | None = None, subject: str | None = None,
                      partner_ids: Sequence[int] = (), payment_status: s.InvoicePaymentStatus | None = None,
                      sending_status: s.InvoiceSendingStatus | None = None,
                      cancel_status: s.InvoiceCancelStatusValue | None = None,
                      deal_status: s.InvoiceDealStatus | None = None,
                      start_billing_date: dt.date | None = None, end_billing_date: dt.date | None = None,
                      start_payment_date: dt.date | None = None, end_payment_date: dt.date | None = None,
                      sales_management_origin: bool | None = None,
                      offset: int = 0, limit: int = 20) -> list[s.InvoiceSummary]:
        """GET /iv/invoices: one page of invoices with their statuses (no lines, no total count).

        sales_management_origin=True also lists invoices made in freee販売 (the app then needs freee販売's
        document permission); freee leaves them out by default."""
        _check_range("limit", limit, 1, INVOICES_MAX_LIMIT)
        _check_range("offset", offset, 0, INVOICES_MAX_OFFSET)
        _check_range("limit + offset", limit + offset, 1, IV_LIST_MAX_ROWS)
        if len(partner_ids) > INVOICES_MAX_PARTNER_IDS:
            raise ValueError(f"freee accepts at most {INVOICES_MAX_PARTNER_IDS} partner_ids, got {len(partner_ids)}")
        for partner_id in partner_ids:
            _check_id("partner_ids", partner_id)
        for name, text in (("invoice_number", invoice_number), ("subject", subject)):
            if text is not None and not 1 <= len(text) <= 255:
                raise ValueError(f"{name} must be 1 to 255 characters")
        params = _query(invoice_number=invoice_number, subject=subject,
                        partner_ids=",".join(str(i) for i in partner_ids) or None,
                        payment_status=payment_status, sending_status=sending_status, cancel_status=cancel_status,
                        deal_status=deal_status, start_billing_date=start_billing_date,
                        end_billing_date=end_billing_date, start_payment_date=start_payment_date,
                        end_payment_date=end_payment_date, sales_management_origin=sales_management_origin,
                        offset=offset, limit=limit)
        return self._company_get(Family.INVOICE, "/invoices", s.InvoicesResponse, params).invoices

    def invoice_show(self, invoice_id: int) -> s.Invoice:
        """GET /iv/invoices/{id}."""
        _check_id("invoice_id", invoice_id)
        return self._company_get(Family.INVOICE, f"/invoices/{invoice_id}", s.InvoiceResponse).invoice

    def invoice_create(self, body: s.InvoiceCreate) -> s.Invoice:
        """POST /iv/invoices. Not idempotent; it also only drafts the 取引 (someone must 取引反映 it)."""
        return self._company_send("POST", Family.INVOICE, "/invoices", s.InvoiceResponse, body.to_body()).invoice

    def invoice_update(self, invoice_id: int, body: s.InvoiceCreate) -> s.Invoice:
        """PUT /iv/invoices/{id}: the whole invoice again (same body as create)."""
        _check_id("invoice_id", invoice_id)
        return self._company_send("PUT", Family.INVOICE, f"/invoices/{invoice_id}", s.InvoiceResponse,
                                  body.to_body()).invoice

    def invoice_cancel(self, invoice_id: int) -> s.InvoiceCancelStatus:
        """PUT /iv/invoices/{id}/cancel. freee also deletes a 取引 linked to the invoice."""
        _check_id("invoice_id", invoice_id)
        return self._company_send("PUT", Family.INVOICE, f"/invoices/{invoice_id}/cancel",
                                  s.InvoiceCancelResponse).invoice

    def invoice_uncancel(self, invoice_id: int) -> s.InvoiceCancelStatus:
        """PUT /iv/invoices/{id}/uncancel."""
        _check_id("invoice_id", invoice_id)
        return self._company_send("PUT", Family.INVOICE, f"/invoices/{invoice_id}/uncancel",
                                  s.InvoiceCancelResponse).invoice

    def invoice_templates_list(self) -> list[s.InvoiceTemplate]:
        """GET /iv/invoices/templates: the 帳票テンプレート an invoice may use."""
        return self._company_get(Family.INVOICE, "/invoices/templates", s.InvoiceTemplatesResponse).templates

    # --- payment requests (支払依頼) ------------------------------------------------------------------------

    def payment_requests_list(self, *, status: s.PaymentRequestListStatus | None = None,
                              start_application_date: dt.date | None = None,
                              end_application_date: dt.date | None = None,
                              start_issue_date: dt.date | None = None, end_issue_date: dt.date | None = None,
                              title: str | None = None, applicant_id: int | None = None,
                              approver_id: int | None = None, partner_id: int | None = None,
                              document_code: str | None = None, approval_flow_route_id: int | None = None,
                              offset: int = 0, limit: int = 50) -> list[s.PaymentRequestListItem]:
        """GET /api/1/payment_requests: one page (no total count; items omit lines and description)."""
        _check_range("limit", limit, 1, PAYMENT_REQUESTS_MAX_LIMIT)
        _check_range("offset", offset, 0, 2**63 - 1)
        if title is not None and len(title) > 250:
            raise ValueError("title must be at most 250 characters")
        params = _query(status=status, start_application_date=start_application_date,
                        end_application_date=end_application_date, start_issue_date=start_issue_date,
                        end_issue_date=end_issue_date, title=title, applicant_id=applicant_id,
                        approver_id=approver_id, partner_id=partner_id, document_code=document_code,
                        approval_flow_route_id=approval_flow_route_id, offset=offset, limit=limit)
        return self._company_get(Family.ACCOUNTING, "/payment_requests", s.PaymentRequestsResponse,
                                 params).payment_requests

    def payment_request_show(self, payment_request_id: int) -> s.PaymentRequest:
        """GET /api/1/payment_requests/{id}: read current_step_id/current_round here before any action."""
        _check_id("payment_request_id", payment_request_id)
        return self._company_get(Family.ACCOUNTING, f"/payment_requests/{payment_request_id}",
                                 s.PaymentRequestResponse).payment_request

    def payment_request_create(self, body: s.PaymentRequestCreate) -> s.PaymentRequest:
        """POST /api/1/payment_requests. Not idempotent: put our id in `description` to reconcile."""
        return self._company_send("POST", Family.ACCOUNTING, "/payment_requests", s.PaymentRequestResponse,
                                  body.to_body()).payment_request

    def payment_request_update(self, payment_request_id: int, body: s.PaymentRequestUpdate) -> s.PaymentRequest:
        """PUT /api/1/payment_requests/{id}: lines left out are deleted; only draft/in_progress/feedback."""
        _check_id("payment_request_id", payment_request_id)
        return self._company_send("PUT", Family.ACCOUNTING, f"/payment_requests/{payment_request_id}",
                                  s.PaymentRequestResponse, body.to_body()).payment_request

    def payment_request_delete(self, payment_request_id: int) -> None:
        """DELETE /api/1/payment_requests/{id} (204): only draft or feedback requests."""
        _check_id("payment_request_id", payment_request_id)
        self._request("DELETE", Family.ACCOUNTING, f"/payment_requests/{payment_request_id}",
                      params={"company_id": self.company_id})

    def payment_request_action(self, payment_request_id: int, body: s.PaymentRequestAction) -> s.PaymentRequest:
        """POST /api/1/payment_requests/{id}/actions: approve, reject, feedback, cancel ... one step."""
        _check_id("payment_request_id", payment_request_id)
        return self._company_send("POST", Family.ACCOUNTING, f"/payment_requests/{payment_request_id}/actions",
                                  s.PaymentRequestResponse, body.to_body()).payment_request

    # --- ファイルボックス (証憑ファイル) ------------------------------------------------------------------------

    def receipt_create(self, *, file_name: str, content: bytes, content_type: str,
                       description: str = "") -> s.Receipt:
        """POST /api/1/receipts (multipart/form-data): upload one 証憑ファイル to the ファイルボックス."""
        if not content:
            raise ValueError("receipt content must not be empty")
        if len(description) > RECEIPT_DESCRIPTION_MAX:
            raise ValueError(f"description must be at most {RECEIPT_DESCRIPTION_MAX} characters")
        data = {"company_id": str(self.company_id), **({"description": description} if description else {})}
        return self._request("POST", Family.ACCOUNTING, "/receipts", model=s.ReceiptResponse, data=data,
                             files={"receipt": (file_name, content, content_type)}).receipt

    # --- approval flow routes (申請経路) ----------------------------------------------------------------------

    def approval_flow_routes_list(self, *, usage: s.RouteUsage | None = None, included_user_id: int | None = None,
                                  request_form_id: int | None = None) -> list[s.ApprovalFlowRoute]:
        """GET /api/1/approval_flow_routes (without steps; show one for those)."""
        if request_form_id is not None and usage != "ApprovalRequest":
            raise ValueError("request_form_id only works with usage='ApprovalRequest'")
        params = _query(usage=usage, included_user_id=included_user_id, request_form_id=request_form_id)
        return self._company_get(Family.ACCOUNTING, "/approval_flow_routes", s.ApprovalFlowRoutesResponse,
                                 params).approval_flow_routes

    def approval_flow_route_show(self, route_id: int) -> s.ApprovalFlowRouteDetail:
        """GET /api/1/approval_flow_routes/{id}: the route with its steps."""
        _check_id("route_id", route_id)
        return self._company_get(Family.ACCOUNTING, f"/approval_flow_routes/{route_id}",
                                 s.ApprovalFlowRouteResponse).approval_flow_route
