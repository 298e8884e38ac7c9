"""The ledger API: masters, trades (nested details and payments), journal entries, 振替伝票; schema; isolation."""

from __future__ import annotations

from datetime import date

import pytest

from journals.models import AccountItem, Trade
from tests.isolation import assert_cross_tenant_404
from tests.journals.factories import ledger_for
from tests.journals.isolation import OBJECT_FACTORIES

pytestmark = pytest.mark.django_db


def trade_body(ledger, **overrides) -> dict:
    body = {"kind": "income", "issue_date": "2017-01-12", "partner_name": "青葉商事",
            "details": [{"account_item": str(ledger.account("売上高").public_id), "tax_code": 101, "amount": 290},
                        {"account_item": str(ledger.account("預り金").public_id), "tax_code": 2, "amount": 10}],
            "payments": [{"date": "2017-01-12", "wallet": str(ledger.wallet("現金").public_id), "amount": 100}]}
    return {**body, **overrides}


def test_masters_are_listed_for_members(world_a):
    ledger_for(world_a.tenant)
    client = world_a.client("member")
    names = [row["name"] for row in client.get("/api/v1/account-items/?page_size=100").json()["results"]]
    assert {"売上高", "売掛金", "仮受消費税"} <= set(names)
    codes = {row["code"] for row in client.get("/api/v1/tax-codes/").json()["results"]}
    assert {2, 129, 136, 156, 163} <= codes
    wallets = {row["name"] for row in client.get("/api/v1/wallets/").json()["results"]}
    assert {"現金", "普通預金"} <= wallets


def test_only_admins_create_or_update_masters(world_a):
    ledger = ledger_for(world_a.tenant)
    body = {"name": "研修費", "category": "expense", "default_tax_code": 136,
            "counterpart": str(ledger.account("未払金").public_id)}
    response = world_a.client("member").post("/api/v1/account-items/", body, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    response = world_a.client("admin").post("/api/v1/account-items/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    item = AccountItem.objects.for_tenant(world_a.tenant).get(name="研修費")
    assert (item.counterpart.name, item.default_tax_code.code) == ("未払金", 136)
    duplicate = world_a.client("admin").post("/api/v1/account-items/", body, content_type="application/json")
    assert duplicate.status_code == 400
    url = f"/api/v1/account-items/{item.public_id}/"
    assert world_a.client("member").put(url, {**body, "name": "研修費2"},
                                        content_type="application/json").status_code == 403
    assert world_a.client("admin").put(url, {**body, "name": "研修費2"},
                                       content_type="application/json").status_code == 200


def test_create_a_trade_posts_seed_002s_entry(world_a):
    ledger = ledger_for(world_a.tenant)
    response = world_a.client("member").post("/api/v1/trades/", trade_body(ledger), content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["amount"], data["settled_amount"], data["unsettled_amount"]) == (300, 100, 200)
    assert data["counterpart"] == "売掛金"
    entries = world_a.client("member").get("/api/v1/journal-entries/").json()["results"]
    (entry,) = entries
    assert {(line["side"], line["account_item_name"], line["amount"]) for line in entry["lines"]} == {
        ("debit", "売掛金", 200), ("debit", "現金", 100), ("credit", "売上高", 290), ("credit", "預り金", 10)}


def test_update_replaces_details_and_keeps_the_id(world_a):
    ledger = ledger_for(world_a.tenant)
    client = world_a.client("member")
    created = client.post("/api/v1/trades/", trade_body(ledger), content_type="application/json").json()
    body = trade_body(ledger, details=[{"account_item": str(ledger.account("売上高").public_id), "tax_code": 129,
                                        "amount": 5000}], payments=[])
    response = client.put(f"/api/v1/trades/{created['id']}/", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["id"] == created["id"]
    assert response.json()["amount"] == 5000
    assert Trade.objects.for_tenant(world_a.tenant).count() == 1


def test_validation_errors_use_the_error_body(world_a):
    ledger = ledger_for(world_a.tenant)
    client = world_a.client("member")
    over = trade_body(ledger, payments=[{"date": "2017-01-12", "wallet": str(ledger.wallet("現金").public_id),
                                         "amount": 301}])
    response = client.post("/api/v1/trades/", over, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "決済金額の合計が取引金額を超えています。"
    response = client.post("/api/v1/trades/", trade_body(ledger, details=[]), content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


def test_register_a_payment_is_idempotent_on_source_key(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000)  # entered by hand: a document's trade is settled by its document only
    client = world_a.client("member")
    body = {"date": "2026-04-30", "wallet": str(ledger.wallet("普通預金").public_id), "amount": 1000,
            "source_key": "bank:42"}
    for _ in range(2):
        assert client.post(f"/api/v1/trades/{trade.public_id}/payments/", body,
                           content_type="application/json").status_code == 201
    trade.refresh_from_db()
    assert trade.is_settled and trade.payments.count() == 1


def test_trades_from_documents_cannot_be_changed_through_the_api(world_a):
    ledger = ledger_for(world_a.tenant)
    trade = ledger.save_sale(1000, key="invoice:1")
    response = world_a.client("member").delete(f"/api/v1/trades/{trade.public_id}/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "trade_from_document"


def test_journal_entries_filter_by_period_and_account(world_a):
    ledger = ledger_for(world_a.tenant)
    ledger.save_sale(1000, key="a", on=date(2026, 4, 1))
    ledger.save_sale(2000, key="b", on=date(2026, 5, 1), payments=[ledger.payment(2000, date(2026, 5, 1))])
    client = world_a.client("member")
    assert client.get("/api/v1/journal-entries/?start=2026-04-15").json()["count"] == 1
    receivable = ledger.account("売掛金").public_id
    rows = client.get(f"/api/v1/journal-entries/?account_item={receivable}").json()["results"]
    assert [row["date"] for row in rows] == ["2026-04-01"]


def test_manual_journal_create_and_unbalanced_refusal(world_a):
    ledger = ledger_for(world_a.tenant)
    client = world_a.client("member")
    lines = [{"side": "debit", "account_item": str(ledger.account("現金").public_id), "amount": 500},
             {"side": "credit", "account_item": str(ledger.account("普通預金").public_id), "amount": 400}]
    response = client.post("/api/v1/manual-journals/", {"issue_date": "2026-04-01", "lines": lines},
                           content_type="application/json")
    assert response.status_code == 400
    assert "一致しません" in response.json()["error"]["message"]
    lines[1]["amount"] = 500
    response = client.post("/api/v1/manual-journals/", {"issue_date": "2026-04-01", "description": "引出",
                                                        "lines": lines}, content_type="application/json")
    assert response.status_code == 201
    assert client.get("/api/v1/manual-journals/").json()["count"] == 1


def test_another_tenants_account_cannot_be_used_in_a_trade(world_a, world_b):
    ledger_a, ledger_b = ledger_for(world_a.tenant), ledger_for(world_b.tenant)
    body = trade_body(ledger_a)
    body["details"][0]["account_item"] = str(ledger_b.account("売上高").public_id)
    response = world_a.client("member").post("/api/v1/trades/", body, content_type="application/json")
    assert response.status_code == 400
    assert not Trade.objects.exists()


def test_the_schema_documents_the_ledger_endpoints(world_a):
    schema = world_a.client("member").get("/api/schema/?format=json").json()
    for path in ("/api/v1/account-items/", "/api/v1/tax-codes/", "/api/v1/wallets/", "/api/v1/trades/",
                 "/api/v1/trades/{public_id}/payments/", "/api/v1/journal-entries/", "/api/v1/manual-journals/"):
        assert path in schema["paths"], path


@pytest.mark.parametrize("route", [r for r in OBJECT_FACTORIES if r.startswith("api:")])
@pytest.mark.parametrize("who", ["member", "admin"])
def test_other_tenants_objects_are_404(world_a, world_b, route, who):
    from django.urls import reverse

    make, secret = OBJECT_FACTORIES[route]
    url = reverse(route, kwargs={"public_id": make(world_b).public_id})
    assert_cross_tenant_404(world_a.client(who), url, foreign_texts=(secret,))
