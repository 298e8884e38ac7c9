"""freee請求書 invoices: create, list filters, show, update, cancel/uncancel, numbering and tax rounding."""

from __future__ import annotations

import pytest

from integrations.sandbox.models import SandboxResource
from integrations.sandbox.services import resource_save, sandbox_company_update, sandbox_invoice_status_set
from tests.sandbox.conftest import invoice_body

pytestmark = pytest.mark.django_db


def _create(api, **overrides) -> dict:
    response = api.post("/iv/invoices", invoice_body(**overrides))
    assert response.status_code == 201, response.content.decode()
    return response.json()["invoice"]


def test_create_answers_freees_invoice_with_initial_statuses(api, settings):
    invoice = _create(api)
    assert invoice["invoice_number"] == "INV-0000001"
    assert (invoice["sending_status"], invoice["payment_status"]) == ("unsent", "unsettled")
    assert (invoice["cancel_status"], invoice["deal_status"]) == ("uncanceled", "unregistered")
    assert invoice["total_amount"] == 110000 and invoice["amount_tax"] == 10000
    assert invoice["lines"][0]["unit_price"] == "100000"
    assert invoice["partner_name"] == "青葉商事"
    assert invoice["report_url"] == f"{settings.SITE_URL}/sandbox/freee/iv/reports/invoices/{invoice['id']}"


def test_auto_numbering_forbids_an_invoice_number(api):
    response = api.post("/iv/invoices", invoice_body(invoice_number="A-1"))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "自動採番" in response.json()["errors"][0]["messages"][0]


def test_manual_numbering_requires_an_invoice_number(api, company):
    sandbox_company_update(company=company, invoice_auto_numbering=False)
    assert api.post("/iv/invoices", invoice_body()).status_code == 400
    assert _create(api, invoice_number="2026-0001")["invoice_number"] == "2026-0001"


def test_required_fields_are_checked(api):
    body = invoice_body()
    del body["tax_fraction"], body["partner_code"]
    response = api.post("/iv/invoices", body)
    assert response.status_code == 400
    messages = response.json()["errors"][0]["messages"]
    assert any("tax_fraction" in m for m in messages) and any("partner_id" in m for m in messages)


def test_item_lines_need_quantity_and_tax_rate_and_a_string_unit_price(api):
    lines = [{"type": "item", "description": "x", "unit_price": 1000}]
    response = api.post("/iv/invoices", invoice_body(lines=lines))
    messages = " ".join(response.json()["errors"][0]["messages"])
    assert "quantity" in messages and "tax_rate" in messages and "unit_price" in messages


@pytest.mark.parametrize(("fraction", "tax"), [("omit", 199), ("round_up", 200), ("round", 200)])
def test_tax_is_rounded_once_per_rate_not_per_line(api, fraction, tax):
    # 3 lines of 666 yen at 10%: per line 66.6 each, per invoice 1998 * 10% = 199.8
    lines = [{"type": "item", "description": f"部品{i}", "quantity": 1, "unit_price": "666", "tax_rate": 10}
             for i in range(3)]
    invoice = _create(api, lines=lines, tax_fraction=fraction)
    assert invoice["amount_excluding_tax_10"] == 1998
    assert invoice["amount_tax_10"] == tax
    assert invoice["amount_tax"] == tax and invoice["total_amount"] == 1998 + tax


def test_mixed_rates_and_tax_included_entry(api):
    lines = [{"type": "item", "description": "弁当", "quantity": 3, "unit_price": "540", "tax_rate": 8,
              "reduced_tax_rate": True},
             {"type": "item", "description": "配達料", "quantity": 1, "unit_price": "550", "tax_rate": 10},
             {"type": "text", "description": "※軽減税率対象"}]
    invoice = _create(api, lines=lines, tax_entry_method="in")
    assert invoice["amount_including_tax_8_reduced"] == 1620 and invoice["amount_tax_8_reduced"] == 120
    assert invoice["amount_including_tax_10"] == 550 and invoice["amount_tax_10"] == 50
    assert invoice["amount_including_tax_8"] is None
    assert invoice["total_amount"] == 2170
    assert invoice["lines"][2]["type"] == "text" and invoice["lines"][2]["quantity"] is None


def test_show_returns_the_invoice(api):
    created = _create(api)
    response = api.get(f"/iv/invoices/{created['id']}")
    assert response.status_code == 200
    assert response.json()["invoice"]["invoice_number"] == created["invoice_number"]


def test_show_of_unknown_invoice_is_404(api):
    response = api.get("/iv/invoices/999")
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_update_replaces_lines_and_keeps_statuses(api, company):
    created = _create(api)
    sandbox_invoice_status_set(company=company, invoice_id=created["id"], field="sending_status", value="sent")
    lines = [{"type": "item", "description": "追加作業", "quantity": 2, "unit_price": "30000", "tax_rate": 10}]
    response = api.put(f"/iv/invoices/{created['id']}", invoice_body(lines=lines, subject="変更後"))
    assert response.status_code == 200
    invoice = response.json()["invoice"]
    assert invoice["subject"] == "変更後" and invoice["total_amount"] == 66000
    assert invoice["sending_status"] == "sent" and invoice["invoice_number"] == created["invoice_number"]


def test_cancel_and_uncancel(api):
    created = _create(api)
    response = api.put(f"/iv/invoices/{created['id']}/cancel")
    assert response.json() == {"invoice": {"id": created["id"], "cancel_status": "canceled"}}
    assert api.put(f"/iv/invoices/{created['id']}/cancel").status_code == 400
    assert api.put(f"/iv/invoices/{created['id']}").status_code == 400  # canceled invoices cannot change
    response = api.put(f"/iv/invoices/{created['id']}/uncancel")
    assert response.json()["invoice"]["cancel_status"] == "uncanceled"


def test_list_filters_and_paging(api, company):
    first = _create(api, billing_date="2026-04-30", subject="4月分")
    second = _create(api, billing_date="2026-05-31", subject="5月分", partner_code="P0002")
    third = _create(api, billing_date="2026-06-30", subject="6月分")
    sandbox_invoice_status_set(company=company, invoice_id=second["id"], field="payment_status", value="settled")

    def ids(**params):
        response = api.get("/iv/invoices", **params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["invoices"]]

    assert ids() == [first["id"], second["id"], third["id"]]
    assert ids(payment_status="settled") == [second["id"]]
    assert ids(subject="6月") == [third["id"]]
    assert ids(invoice_number=first["invoice_number"]) == [first["id"]]
    assert ids(start_billing_date="2026-05-01", end_billing_date="2026-06-01") == [second["id"]]
    assert ids(partner_ids=str(second["partner_id"])) == [second["id"]]
    assert ids(limit=1, offset=1) == [second["id"]]
    assert api.get("/iv/invoices", partner_ids="1,2,3,4").status_code == 400
    assert api.get("/iv/invoices", limit=101).status_code == 400


def test_freee_hanbai_invoices_are_listed_only_when_asked_for(api, company):
    ours = _create(api)
    hanbai = _create(api, subject="freee販売の請求書")
    resource = SandboxResource.objects.get(company=company, kind="invoice", resource_id=hanbai["id"])
    resource.data["sales_management_origin"] = True  # as if made in freee販売: the API cannot create one
    resource.save(update_fields=["data"])

    def ids(**params):
        response = api.get("/iv/invoices", **params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["invoices"]]

    assert ids() == ids(sales_management_origin="false") == [ours["id"]]
    assert ids(sales_management_origin="true") == [ours["id"], hanbai["id"]]
    assert ids(sales_management_origin="true", subject="freee販売") == [hanbai["id"]]
    assert ids(subject="freee販売") == []
    assert api.get("/iv/invoices", sales_management_origin="yes").status_code == 400


def test_templates(api):
    templates = api.get("/iv/invoices/templates").json()["templates"]
    assert [t["name"] for t in templates] == ["標準テンプレート", "シンプル（振込先あり）"]


def test_non_member_of_freee_invoice_gets_403(api, company):
    sandbox_company_update(company=company, invoice_member_ok=False)
    response = api.get("/iv/invoices")
    assert response.status_code == 403
    assert response.json()["status_code"] == 403


def test_every_response_carries_a_request_id(api):
    assert api.get("/iv/invoices")["X-Freee-Request-ID"]
    assert api.get("/iv/invoices/1")["X-Freee-Request-ID"]


@pytest.mark.parametrize(("limit", "offset"), [(100, 9901), (20, 9981), (1, 10_000), (None, 9_990)])
def test_a_list_page_past_10000_rows_is_freees_400(api, limit, offset):
    """freee請求書 refuses limit + offset above 10,000 (/purchase_orders' text; announced for /invoices)."""
    response = api.get("/iv/invoices", limit=limit, offset=offset)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json() == {"status_code": 400, "errors": [
        {"type": "bad_request", "messages": ["limit と offset の合計は 10,000 を超えることはできません。"]}]}


@pytest.mark.parametrize(("limit", "offset"), [(100, 9900), (20, 9980), (1, 9999)])
def test_the_last_page_under_the_cap_is_answered(api, limit, offset):
    response = api.get("/iv/invoices", limit=limit, offset=offset)

    assert response.status_code == 200 and response.json() == {"invoices": []}


def test_the_cap_holds_with_python_side_filters_too(api):
    assert api.get("/iv/invoices", subject="x", limit=100, offset=9901).status_code == 400


def test_cancel_deletes_the_linked_deal_and_uncancel_does_not_bring_it_back(api, company):
    """freee: 「取引が紐づいている場合は取引も削除されます」."""
    created = _create(api)
    resource_save(company=company, kind="deal", data={"id": 7001, "type": "income", "amount": 1100})
    row = SandboxResource.objects.get(company=company, kind="invoice", resource_id=created["id"])
    row.data.update(deal_id=7001, deal_status="registered")
    row.save(update_fields=["data"])

    assert api.put(f"/iv/invoices/{created['id']}/cancel").status_code == 200
    shown = api.get(f"/iv/invoices/{created['id']}").json()["invoice"]
    assert (shown["cancel_status"], shown["deal_id"], shown["deal_status"]) == ("canceled", None, "unregistered")
    assert not SandboxResource.objects.filter(company=company, kind="deal", resource_id=7001).exists()

    assert api.put(f"/iv/invoices/{created['id']}/uncancel").status_code == 200
    shown = api.get(f"/iv/invoices/{created['id']}").json()["invoice"]
    assert (shown["cancel_status"], shown["deal_id"]) == ("uncanceled", None)
