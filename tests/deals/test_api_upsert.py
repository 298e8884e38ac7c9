"""The upsert API by external reference (issue 17 item 6): PUT one deal, POST up to 1,000, answers per item."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import Deal
from tests.factories import DealFactory, DealTypeFactory, InvoiceFactory, PermissionProfileFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/deals/external/salesforce/0065g00000XyZ/"
BULK = "/api/v1/deals/external/bulk/"


def _put(client, url=URL, **data):
    return client.put(url, {"name": "A社 導入", **data}, content_type="application/json")


def test_put_creates_then_updates_then_leaves_the_deal_unchanged(world_a):
    client = world_a.client()
    created = _put(client, amount=1000, owner="member_A@example.com",
                   lines=[{"description": "導入", "quantity": "2", "unit_price": "3000"}])
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["external_source"] == "salesforce" and body["external_id"] == "0065g00000XyZ"
    assert body["amount"] == 6000 and body["owner"] == "member_A" and len(body["lines"]) == 1
    updated = _put(client, stage="won")
    assert updated.status_code == 200 and updated.json()["stage"] == "won"
    assert updated.json()["amount"] == 6000  # lines left out: kept, and 金額 stays their total
    assert Deal.objects.count() == 1


def test_put_answers_errors_in_the_error_format(world_a):
    response = _put(world_a.client(), owner="nobody@example.com", deal_type="ない種別")
    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert set(details) == {"owner", "deal_type"}
    assert _put(world_a.client(), amount=-1).status_code == 400
    assert world_a.client().put(URL, {}, content_type="application/json").status_code == 400


def test_put_does_not_change_what_freee_has_billed(world_a):
    deal = DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="0065g00000XyZ", amount=5)
    InvoiceFactory(deal=deal)
    response = _put(world_a.client(), name=deal.name, amount=7)
    assert response.status_code == 409 and response.json()["error"]["code"] == "invoice_issued"
    deal.refresh_from_db()
    assert deal.amount == 5


def test_another_tenants_deal_with_the_same_reference_is_not_touched(world_a, world_b):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件", external_source="salesforce",
                          external_id="0065g00000XyZ")
    response = _put(world_a.client())
    assert response.status_code == 201 and "B社の秘密案件" not in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.name == "B社の秘密案件"


def test_bulk_answers_per_item_in_the_order_sent(world_a):
    DealTypeFactory(tenant=world_a.tenant, name="新規")
    deals = [{"external_source": "hubspot", "external_id": "1", "name": "一", "deal_type": "新規"},
             {"external_source": "hubspot", "external_id": "2", "name": ""},
             {"external_source": "hubspot", "external_id": "1", "name": "重複"},
             "not an object",
             {"external_source": "hub spot!", "external_id": "3", "name": "x"}]
    response = world_a.client().post(BULK, {"deals": deals}, content_type="application/json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "error", "error", "error"]
    assert results[0]["id"] and "name" in results[1]["errors"] and "external_source" in results[4]["errors"]
    assert response.json()["counts"]["created"] == 1
    assert Deal.objects.get().deal_type.name == "新規"


def test_bulk_refuses_more_than_1000_deals(world_a):
    deals = [{"external_source": "x", "external_id": str(n), "name": "n"} for n in range(1001)]
    response = world_a.client().post(BULK, {"deals": deals}, content_type="application/json")
    assert response.status_code == 400


def test_bulk_costs_the_same_statements_for_10_and_300_deals(world_a):
    client = world_a.client()

    def run(count, offset):
        deals = [{"external_source": "x", "external_id": str(offset + n), "name": "n", "owner": "member_A@example.com",
                  "lines": [{"description": "l", "unit_price": "1"}]} for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            assert client.post(BULK, {"deals": deals}, content_type="application/json").status_code == 200
        return len(queries)

    run(1, 9000)  # the 標準 type is created once
    assert run(10, 0) == run(300, 1000)


def test_members_need_the_import_permission_when_profiles_are_on(world_a):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    assert _put(world_a.client()).status_code == 403
    world_a.member_membership.permission_profile = PermissionProfileFactory(tenant=world_a.tenant,
                                                                            permissions=["deal_import"])
    world_a.member_membership.save()
    assert _put(world_a.client()).status_code == 201
