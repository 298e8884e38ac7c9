"""External references (issue 17 item 5) and the batched upsert shared by file import, API and connectors."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from deals.models import Deal, DealLine
from deals.upsert import (
    CREATED,
    ERROR,
    INVOICED_MESSAGE,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    DealInput,
    LineInput,
    deals_upsert,
)
from tests.factories import DealFactory, DealTypeFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _item(external_id, name="案件", lines=None, **fields):
    return DealInput("salesforce", external_id, {"name": name, **fields}, lines)


def test_external_reference_is_unique_per_tenant(world_a, world_b):
    DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="006A")
    DealFactory(tenant=world_b.tenant, external_source="salesforce", external_id="006A")  # another tenant: fine
    DealFactory(tenant=world_a.tenant, external_source="hubspot", external_id="006A")  # another source: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="006A")


def test_deals_without_reference_do_not_collide(world_a):
    DealFactory(tenant=world_a.tenant)
    DealFactory(tenant=world_a.tenant)
    assert Deal.objects.for_tenant(world_a.tenant).count() == 2


def test_importing_the_same_items_again_creates_nothing(world_a):
    items = [_item("1", "A社 導入", amount=1000), _item("2", "B社 保守", lines=[LineInput("保守", Decimal(2), "月",
                                                                                    Decimal(5000))])]
    first = deals_upsert(tenant=world_a.tenant, actor=world_a.admin, items=items)
    assert [o.status for o in first] == [CREATED, CREATED]
    second = deals_upsert(tenant=world_a.tenant, actor=world_a.admin, items=items)
    assert [o.status for o in second] == [UNCHANGED, UNCHANGED]
    assert Deal.objects.for_tenant(world_a.tenant).count() == 2
    deal = Deal.objects.get(external_id="2")
    assert deal.amount == 10000 and deal.lines.count() == 1 and deal.deal_type.name == "標準"


def test_a_changed_item_updates_its_deal_and_replaces_its_lines(world_a):
    deals_upsert(tenant=world_a.tenant, actor=None, items=[_item("1", lines=[LineInput("a"), LineInput("b")])])
    outcome, = deals_upsert(tenant=world_a.tenant, actor=None, items=[
        _item("1", "改名", lines=[LineInput("c", Decimal(3), "個", Decimal(100))])])
    assert outcome.status == UPDATED
    deal = Deal.objects.get(external_id="1")
    assert deal.name == "改名" and deal.amount == 300
    assert list(deal.lines.values_list("description", flat=True)) == ["c"]


def test_another_tenants_reference_is_never_touched(world_a, world_b):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の案件", external_source="salesforce", external_id="1")
    outcome, = deals_upsert(tenant=world_a.tenant, actor=None, items=[_item("1", "A社の案件")])
    assert outcome.status == CREATED
    foreign.refresh_from_db()
    assert foreign.name == "B社の案件"


def test_an_issued_unsettled_invoice_keeps_amount_and_lines(world_a):
    deal = DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="1", amount=110000)
    InvoiceFactory(deal=deal)
    outcome, = deals_upsert(tenant=world_a.tenant, actor=None, items=[_item("1", deal.name, amount=99)])
    assert outcome.status == SKIPPED and outcome.errors == [("amount", INVOICED_MESSAGE)]
    deal.refresh_from_db()
    assert deal.amount == 110000
    # the same amount with another name is fine: freee's bill does not change
    outcome, = deals_upsert(tenant=world_a.tenant, actor=None, items=[_item("1", "新しい名前", amount=110000)])
    assert outcome.status == UPDATED


def test_a_settled_invoice_does_not_block_the_update(world_a):
    deal = DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="1", amount=110000)
    InvoiceFactory(deal=deal, payment_status="settled")
    outcome, = deals_upsert(tenant=world_a.tenant, actor=None, items=[_item("1", deal.name, amount=99)])
    assert outcome.status == UPDATED


def test_an_invalid_item_is_reported_and_the_others_are_saved(world_a):
    outcomes = deals_upsert(tenant=world_a.tenant, actor=None, items=[
        _item("1", "", amount=1), _item("2", "正しい案件", amount=5), _item("2", "重複", amount=6),
        _item("3", "負の内訳", lines=[LineInput("値引", Decimal(1), "", Decimal(-10))])])
    assert [o.status for o in outcomes] == [ERROR, CREATED, ERROR, ERROR]
    assert outcomes[0].errors[0][0] == "name"
    assert "重複" in outcomes[2].errors[0][1]
    assert list(Deal.objects.for_tenant(world_a.tenant).values_list("external_id", flat=True)) == ["2"]
    assert not DealLine.objects.filter(tenant=world_a.tenant).exists()


def test_dry_run_writes_nothing(world_a):
    outcome, = deals_upsert(tenant=world_a.tenant, actor=None, items=[_item("1")], dry_run=True)
    assert outcome.status == CREATED
    assert not Deal.objects.exists()


def test_a_batch_costs_the_same_statements_whatever_its_size(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant, name="標準")

    def run(count, offset):
        items = [_item(str(offset + i), f"案件{i}", deal_type_id=deal_type.pk,
                       lines=[LineInput("品", Decimal(1), "", Decimal(i))]) for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            deals_upsert(tenant=world_a.tenant, actor=None, items=items)
        return len(queries)

    assert run(5, 0) == run(200, 1000)


def test_the_deal_page_shows_where_the_deal_came_from(world_a):
    deal = DealFactory(tenant=world_a.tenant, external_source="salesforce", external_id="0065g00000XyZ")
    page = world_a.client().get(f"/deals/{deal.public_id}/").content.decode()
    assert "連携元" in page and "salesforce" in page and "0065g00000XyZ" in page
