"""Every sandbox endpoint answers what freee's OpenAPI schema says (bodies, required fields, enums, types)."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.sandbox.services import sandbox_company_update
from tests.sandbox.conftest import invoice_body
from tests.sandbox.freee_schema import ACCOUNTING, INVOICE, assert_conforms, require_reference

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference():
    require_reference()


def _route_id(api, usage="PaymentRequest") -> int:
    return api.get("/api/1/approval_flow_routes", usage=usage).json()["approval_flow_routes"][0]["id"]


def payment_request_body(api, **overrides) -> dict:
    body = {"title": "6月分 外注費の支払", "issue_date": "2026-06-01", "approval_flow_route_id": _route_id(api),
            "draft": False, "partner_id": api.get("/api/1/partners").json()["partners"][0]["id"],
            "payment_date": "2026-06-30", "payment_method": "domestic_bank_transfer",
            "payment_request_lines": [{"line_type": "deal_line", "description": "デザイン費", "amount": 55000}]}
    body.update(overrides)
    return body


def deal_body(api, **overrides) -> dict:
    items = {a["name"]: a["id"] for a in api.get("/api/1/account_items").json()["account_items"]}
    body = {"issue_date": "2026-05-31", "type": "income", "ref_number": "CRM-42",
            "partner_id": api.get("/api/1/partners").json()["partners"][0]["id"],
            "details": [{"tax_code": 129, "account_item_id": items["売上高"], "amount": 110000,
                         "description": "保守費用"}]}
    body.update(overrides)
    return body


def test_invoice_endpoints_conform(api):
    created = api.post("/iv/invoices", invoice_body(lines=[
        {"type": "item", "description": "保守", "quantity": 1.5, "unit_price": "1234.5", "tax_rate": 10},
        {"type": "item", "description": "食品", "quantity": 2, "unit_price": "980", "tax_rate": 8,
         "reduced_tax_rate": True, "withholding": True},
        {"type": "text", "description": "備考行"}]))
    assert_conforms(INVOICE, "/invoices", "post", created)
    invoice_id = created.json()["invoice"]["id"]
    assert_conforms(INVOICE, "/invoices", "get", api.get("/iv/invoices"))
    assert_conforms(INVOICE, "/invoices/{id}", "get", api.get(f"/iv/invoices/{invoice_id}"))
    assert_conforms(INVOICE, "/invoices/{id}", "put", api.put(f"/iv/invoices/{invoice_id}", invoice_body()))
    assert_conforms(INVOICE, "/invoices/{id}/cancel", "put", api.put(f"/iv/invoices/{invoice_id}/cancel"))
    assert_conforms(INVOICE, "/invoices/{id}/uncancel", "put", api.put(f"/iv/invoices/{invoice_id}/uncancel"))
    assert_conforms(INVOICE, "/invoices/templates", "get", api.get("/iv/invoices/templates"))


def test_invoice_error_bodies_conform(api, company):
    assert_conforms(INVOICE, "/invoices", "post", api.post("/iv/invoices", {"lines": []}))
    assert_conforms(INVOICE, "/invoices/{id}", "get", api.get("/iv/invoices/1"))
    assert_conforms(INVOICE, "/invoices", "get", Client().get("/sandbox/freee/iv/invoices"))
    sandbox_company_update(company=company, invoice_member_ok=False)
    assert_conforms(INVOICE, "/invoices", "get", api.get("/iv/invoices"))


@pytest.mark.usefixtures("payment_requests_plan")
def test_master_data_endpoints_conform(api, company):
    company_id = company.company_id
    assert_conforms(ACCOUNTING, "/api/1/companies", "get", api.get("/api/1/companies"))
    flags = dict.fromkeys(["details", "account_items", "taxes", "partners", "walletables", "items", "sections",
                           "tags"], "true")
    assert_conforms(ACCOUNTING, "/api/1/companies/{id}", "get", api.get(f"/api/1/companies/{company_id}", **flags))
    assert_conforms(ACCOUNTING, "/api/1/users/me", "get", api.get("/api/1/users/me", companies="true"))
    assert_conforms(ACCOUNTING, "/api/1/partners", "get", api.get("/api/1/partners"))
    assert_conforms(ACCOUNTING, "/api/1/account_items", "get", api.get("/api/1/account_items"))
    assert_conforms(ACCOUNTING, "/api/1/taxes/companies/{company_id}", "get",
                    api.get(f"/api/1/taxes/companies/{company_id}"))
    assert_conforms(ACCOUNTING, "/api/1/walletables", "get", api.get("/api/1/walletables"))
    assert_conforms(ACCOUNTING, "/api/1/approval_flow_routes", "get", api.get("/api/1/approval_flow_routes"))
    assert_conforms(ACCOUNTING, "/api/1/approval_flow_routes/{id}", "get",
                    api.get(f"/api/1/approval_flow_routes/{_route_id(api)}"))


def test_accounting_error_bodies_conform(api):
    assert_conforms(ACCOUNTING, "/api/1/partners", "get", api.get("/api/1/partners", company_id=""))
    assert_conforms(ACCOUNTING, "/api/1/partners", "get", Client().get("/sandbox/freee/api/1/partners"))
    assert_conforms(ACCOUNTING, "/api/1/deals/{id}", "get", api.get("/api/1/deals/1"))


def test_deal_endpoints_conform(api):
    created = api.post("/api/1/deals", deal_body(api))
    assert_conforms(ACCOUNTING, "/api/1/deals", "post", created)
    deal_id = created.json()["deal"]["id"]
    assert_conforms(ACCOUNTING, "/api/1/deals", "get", api.get("/api/1/deals"))
    assert_conforms(ACCOUNTING, "/api/1/deals/{id}", "get", api.get(f"/api/1/deals/{deal_id}"))
    assert_conforms(ACCOUNTING, "/api/1/deals/{id}", "put", api.put(f"/api/1/deals/{deal_id}", deal_body(api)))


@pytest.mark.usefixtures("payment_requests_plan")
def test_payment_request_endpoints_conform(api):
    created = api.post("/api/1/payment_requests", payment_request_body(api))
    assert_conforms(ACCOUNTING, "/api/1/payment_requests", "post", created)
    request = created.json()["payment_request"]
    assert_conforms(ACCOUNTING, "/api/1/payment_requests", "get", api.get("/api/1/payment_requests"))
    path = f"/api/1/payment_requests/{request['id']}"
    assert_conforms(ACCOUNTING, "/api/1/payment_requests/{id}", "get", api.get(path))
    assert_conforms(ACCOUNTING, "/api/1/payment_requests/{id}", "put", api.put(path, payment_request_body(api)))
    action = api.post(f"{path}/actions", {"approval_action": "approve", "target_step_id": request["current_step_id"],
                                          "target_round": request["current_round"]})
    assert_conforms(ACCOUNTING, "/api/1/payment_requests/{id}/actions", "post", action)


def test_the_checker_catches_a_wrong_type(api):
    class Fake:
        status_code = 200

        @staticmethod
        def json():
            return {"templates": [{"id": "1", "name": "x"}]}

    with pytest.raises(AssertionError):
        assert_conforms(INVOICE, "/invoices/templates", "get", Fake())
