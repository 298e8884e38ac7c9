"""The fake freee's メモタグ (/api/1/tags) and deal payment (/api/1/deals/{id}/payments[/{payment_id}]) endpoints:
their bodies match freee's OpenAPI schema, and they refuse what freee refuses."""

from __future__ import annotations

import pytest

from tests.sandbox.freee_schema import ACCOUNTING, assert_conforms, require_reference
from tests.sandbox.test_schema_conformance import deal_body

pytestmark = pytest.mark.django_db


def _wallet(api) -> dict:
    bank = next(w for w in api.get("/api/1/walletables").json()["walletables"] if w["type"] == "bank_account")
    return {"from_walletable_type": "bank_account", "from_walletable_id": bank["id"]}


def _payment(api, amount=110000) -> dict:
    return {"date": "2026-06-30", "amount": amount, **_wallet(api)}


def test_tag_bodies_conform_to_freees_schema(api, company):
    require_reference()
    created = api.post("/api/1/tags", {"name": "案件: 基幹システム刷新", "shortcut1": "KIKAN"})
    assert created.status_code == 201
    assert_conforms(ACCOUNTING, "/api/1/tags", "post", created)
    listed = api.get("/api/1/tags")
    assert_conforms(ACCOUNTING, "/api/1/tags", "get", listed)
    assert [t["name"] for t in listed.json()["tags"]] == ["案件: 基幹システム刷新"]
    assert_conforms(ACCOUNTING, "/api/1/tags", "post", api.post("/api/1/tags", {"name": ""}))
    detail = api.get(f"/api/1/companies/{company.company_id}", tags="true")
    assert_conforms(ACCOUNTING, "/api/1/companies/{id}", "get", detail)
    assert [t["name"] for t in detail.json()["company"]["tags"]] == ["案件: 基幹システム刷新"]


def test_deal_payment_bodies_conform_to_freees_schema(api):
    require_reference()
    deal_id = api.post("/api/1/deals", deal_body(api)).json()["deal"]["id"]
    paid = api.post(f"/api/1/deals/{deal_id}/payments", _payment(api))
    assert paid.status_code == 201
    assert_conforms(ACCOUNTING, "/api/1/deals/{id}/payments", "post", paid)
    payment_id = paid.json()["deal"]["payments"][0]["id"]
    missing = api.delete(f"/api/1/deals/{deal_id}/payments/{payment_id + 1}")
    assert missing.status_code == 404
    assert_conforms(ACCOUNTING, "/api/1/deals/{id}/payments/{payment_id}", "delete", missing)
    assert api.delete(f"/api/1/deals/{deal_id}/payments/{payment_id}").status_code == 204


def test_deleting_a_payment_makes_the_deal_unsettled_again(api):
    deal_id = api.post("/api/1/deals", deal_body(api)).json()["deal"]["id"]
    first = api.post(f"/api/1/deals/{deal_id}/payments", _payment(api, 10000)).json()["deal"]["payments"][0]["id"]
    api.post(f"/api/1/deals/{deal_id}/payments", _payment(api, 100000))
    assert api.get(f"/api/1/deals/{deal_id}").json()["deal"]["status"] == "settled"
    assert api.delete(f"/api/1/deals/{deal_id}/payments/{first}").status_code == 204
    deal = api.get(f"/api/1/deals/{deal_id}").json()["deal"]
    assert deal["status"] == "unsettled" and deal["due_amount"] == 10000
    assert [p["amount"] for p in deal["payments"]] == [100000]
    assert api.delete(f"/api/1/deals/{deal_id + 999}/payments/{first}").status_code == 404


def test_a_tag_name_in_use_or_too_long_is_refused(api):
    assert api.post("/api/1/tags", {"name": "案件: A"}).status_code == 201
    again = api.post("/api/1/tags", {"name": "案件: A"})
    assert again.status_code == 400 and "既に" in again.json()["errors"][0]["messages"][0]
    assert api.post("/api/1/tags", {"name": "あ" * 31}).status_code == 400
    assert api.post("/api/1/tags", {"name": "B", "shortcut1": "x" * 21}).status_code == 400
    assert len(api.get("/api/1/tags").json()["tags"]) == 1


def test_tags_are_paged_like_freee(api):
    for index in range(3):
        api.post("/api/1/tags", {"name": f"タグ{index}"})
    assert [t["name"] for t in api.get("/api/1/tags", offset=1, limit=1).json()["tags"]] == ["タグ1"]
    assert api.get("/api/1/tags", limit=3001).status_code == 400


def test_a_deal_row_with_an_unknown_tag_is_refused(api):
    tag_id = api.post("/api/1/tags", {"name": "案件: A"}).json()["tag"]["id"]
    body = deal_body(api)
    tagged = {**body, "details": [{**body["details"][0], "tag_ids": [tag_id]}]}
    assert api.post("/api/1/deals", tagged).json()["deal"]["details"][0]["tag_ids"] == [tag_id]
    unknown = {**body, "details": [{**body["details"][0], "tag_ids": [tag_id + 1]}]}
    refused = api.post("/api/1/deals", unknown)
    assert refused.status_code == 400 and "メモタグ" in refused.json()["errors"][0]["messages"][0]
