"""freee会計: partners search and paging, master data, deals and the payment-request state machine."""

from __future__ import annotations

import pytest

from tests.sandbox.test_schema_conformance import deal_body, payment_request_body

pytestmark = pytest.mark.django_db


def _names(api, **params) -> list[str]:
    response = api.get("/api/1/partners", **params)
    assert response.status_code == 200, response.content
    return [p["name"] for p in response.json()["partners"]]


def test_partner_keyword_is_a_partial_match_on_names_kana_and_shortcuts(api):
    assert _names(api, keyword="商事") == ["青葉商事"]
    assert _names(api, keyword="ショクヒン") == ["さくら食品"]
    assert _names(api, keyword="NOMURA") == ["野村ソフトウェア"]
    assert _names(api, keyword="株式会社ABC") == []


def test_partner_keyword_spaces_mean_and(api):
    assert _names(api, keyword="株式会社 システム") == ["大空システム"]
    assert _names(api, keyword="株式会社\u3000印刷") == ["かもめ印刷"]


def test_partner_paging_by_id(api):
    everyone = api.get("/api/1/partners").json()["partners"]
    assert len(everyone) == 25 and [p["id"] for p in everyone] == sorted(p["id"] for p in everyone)
    page = api.get("/api/1/partners", offset=20, limit=10).json()["partners"]
    assert [p["id"] for p in page] == [p["id"] for p in everyone[20:]]
    assert api.get("/api/1/partners", limit=3001).status_code == 400
    assert api.get("/api/1/partners", limit=0).status_code == 400


def test_master_data_is_seeded(api, company):
    items = {a["name"]: a for a in api.get("/api/1/account_items").json()["account_items"]}
    assert items["売上高"]["corresponding_income_name"] == "売掛金"
    assert items["仕入高"]["corresponding_expense_name"] == "買掛金"
    taxes = api.get(f"/api/1/taxes/companies/{company.company_id}", available="true").json()["taxes"]
    assert {"sales_with_tax_10", "purchase_with_tax_10", "sales_with_tax_r8"} <= {t["name"] for t in taxes}
    kinds = {w["type"] for w in api.get("/api/1/walletables").json()["walletables"]}
    assert kinds == {"bank_account", "wallet", "credit_card"}
    assert api.get(f"/api/1/companies/{company.company_id + 1}").status_code == 401


def test_deal_create_list_update_delete(api):
    created = api.post("/api/1/deals", deal_body(api))
    assert created.status_code == 201
    deal = created.json()["deal"]
    assert deal["status"] == "unsettled" and deal["details"][0]["vat"] == 10000
    assert deal["details"][0]["entry_side"] == "credit"
    listing = api.get("/api/1/deals", type="income").json()
    assert listing["meta"]["total_count"] == 1
    body = deal_body(api, details=[{**deal["details"][0], "amount": 220000, "vat": None}])
    updated = api.put(f"/api/1/deals/{deal['id']}", body).json()["deal"]
    assert updated["amount"] == 220000 and updated["details"][0]["id"] == deal["details"][0]["id"]
    assert api.put(f"/api/1/deals/{deal['id']}", deal_body(api, type="expense")).status_code == 400
    assert api.delete(f"/api/1/deals/{deal['id']}").status_code == 204
    assert api.get(f"/api/1/deals/{deal['id']}").status_code == 404


def test_deal_validation(api):
    response = api.post("/api/1/deals", deal_body(api, details=[]))
    assert response.status_code == 400
    assert response.json()["errors"][0]["type"] == "validation"


def _act(api, request: dict, action: str, **overrides):
    body = {"approval_action": action, "target_step_id": request["current_step_id"],
            "target_round": request["current_round"], **overrides}
    return api.post(f"/api/1/payment_requests/{request['id']}/actions", body)


@pytest.mark.usefixtures("payment_requests_plan")
def test_payment_request_is_approved_step_by_step(api):
    request = api.post("/api/1/payment_requests", payment_request_body(api)).json()["payment_request"]
    assert request["status"] == "in_progress" and request["current_round"] == 1
    first = _act(api, request, "approve")
    assert first.status_code == 201
    request = first.json()["payment_request"]
    assert request["status"] == "in_progress" and request["approvers"][0]["status"] == "approved"
    request = _act(api, request, "approve").json()["payment_request"]
    assert request["status"] == "approved"
    assert [log["action"] for log in request["approval_flow_logs"]] == ["apply", "approve", "approve"]


@pytest.mark.usefixtures("payment_requests_plan")
def test_action_with_a_stale_step_or_round_is_400(api):
    request = api.post("/api/1/payment_requests", payment_request_body(api)).json()["payment_request"]
    assert _act(api, request, "approve", target_step_id=1).status_code == 400
    assert _act(api, request, "approve", target_round=9).status_code == 400


@pytest.mark.usefixtures("payment_requests_plan")
def test_feedback_then_reapply_starts_a_new_round(api):
    request = api.post("/api/1/payment_requests", payment_request_body(api)).json()["payment_request"]
    request = _act(api, request, "feedback").json()["payment_request"]
    assert request["status"] == "feedback" and request["current_step_id"] is None
    path = f"/api/1/payment_requests/{request['id']}"
    request = api.put(path, payment_request_body(api)).json()["payment_request"]
    assert request["status"] == "in_progress" and request["current_round"] == 2


@pytest.mark.usefixtures("payment_requests_plan")
def test_draft_reject_and_delete_rules(api):
    draft = api.post("/api/1/payment_requests", payment_request_body(api, draft=True)).json()["payment_request"]
    assert draft["status"] == "draft" and draft["current_step_id"] is None
    assert api.delete(f"/api/1/payment_requests/{draft['id']}").status_code == 204
    request = api.post("/api/1/payment_requests", payment_request_body(api)).json()["payment_request"]
    rejected = _act(api, request, "reject").json()["payment_request"]
    assert rejected["status"] == "rejected"
    assert api.delete(f"/api/1/payment_requests/{request['id']}").status_code == 400
    assert api.put(f"/api/1/payment_requests/{request['id']}", payment_request_body(api)).status_code == 400
    assert _act(api, rejected, "force_feedback").json()["payment_request"]["status"] == "feedback"


@pytest.mark.usefixtures("payment_requests_plan")
def test_payment_request_needs_a_payment_request_route(api):
    general = api.get("/api/1/approval_flow_routes", usage="ApprovalRequest").json()["approval_flow_routes"][0]
    response = api.post("/api/1/payment_requests", payment_request_body(api, approval_flow_route_id=general["id"]))
    assert response.status_code == 400


@pytest.mark.usefixtures("payment_requests_plan")
def test_payment_request_list_omits_details(api):
    api.post("/api/1/payment_requests", payment_request_body(api))
    row = api.get("/api/1/payment_requests", status="in_progress").json()["payment_requests"][0]
    assert "payment_request_lines" not in row and "description" not in row
