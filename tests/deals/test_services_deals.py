"""Deal writes (deal_save, deal_delete) and the list selector, against the real database."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from deals import selectors, services
from deals.filters import SORTS
from deals.models import Deal, DealLine, DealType
from tests.factories import DealFactory, DealLineFactory, DealTypeFactory, ProductFactory


def _new_deal(world, **fields) -> Deal:
    fields.setdefault("deal_type", DealTypeFactory(tenant=world.tenant))
    return Deal(name=fields.pop("name", "新規案件"), owner=world.member, **fields)


def _line(description: str, **fields) -> DealLine:
    return DealLine(
        description=description,
        quantity=fields.pop("quantity", Decimal(1)),
        unit_price=fields.pop("unit_price", Decimal(1000)),
        **fields,
    )


# --------------------------------------------------------------------------- deal_save


def test_deal_save_creates_the_deal_and_its_lines_with_positions_from_zero(world_a):
    deal = services.deal_save(
        tenant=world_a.tenant,
        actor=world_a.member,
        deal=_new_deal(world_a),
        lines=[_line("設計"), _line("実装"), _line("保守")],
    )

    deal.refresh_from_db()
    assert deal.tenant == world_a.tenant
    lines = list(DealLine.objects.filter(deal=deal).order_by("position"))
    assert [(line.position, line.description) for line in lines] == [(0, "設計"), (1, "実装"), (2, "保守")]
    assert {line.tenant_id for line in lines} == {world_a.tenant.pk}


def test_deal_save_without_lines_saves_only_the_deal(world_a):
    deal = services.deal_save(tenant=world_a.tenant, actor=world_a.member, deal=_new_deal(world_a))

    assert Deal.objects.filter(pk=deal.pk, tenant=world_a.tenant).exists()
    assert not DealLine.objects.filter(deal=deal).exists()


def test_deal_save_renumbers_kept_lines_and_removes_deleted_ones(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    first = DealLineFactory(deal=deal, position=0, description="残す1")
    dropped = DealLineFactory(deal=deal, position=1, description="削除する")
    last = DealLineFactory(deal=deal, position=2, description="残す2")

    deal.name = "更新後の案件名"
    services.deal_save(
        tenant=world_a.tenant, actor=world_a.member, deal=deal, lines=[first, last], deleted_lines=[dropped]
    )

    lines = list(DealLine.objects.filter(deal=deal).order_by("position"))
    assert [(line.position, line.description) for line in lines] == [(0, "残す1"), (1, "残す2")]
    assert not DealLine.objects.filter(pk=dropped.pk).exists()
    assert Deal.objects.get(pk=deal.pk).name == "更新後の案件名"


def test_deal_save_ignores_an_unsaved_line_in_deleted_lines(world_a):
    deal = DealFactory(tenant=world_a.tenant)

    services.deal_save(
        tenant=world_a.tenant,
        actor=world_a.member,
        deal=deal,
        lines=[_line("残る")],
        deleted_lines=[_line("未保存の行")],
    )

    assert list(DealLine.objects.filter(deal=deal).values_list("description", flat=True)) == ["残る"]


def test_deal_save_with_a_deal_type_of_another_tenant_raises_and_saves_nothing(world_a, world_b):
    foreign_type = DealTypeFactory(tenant=world_b.tenant)
    deal = _new_deal(world_a, deal_type=foreign_type, name="他テナントのタイプを使う案件")

    with pytest.raises(ValueError, match="another tenant"):
        services.deal_save(tenant=world_a.tenant, actor=world_a.member, deal=deal, lines=[_line("品目")])

    assert not Deal.objects.filter(name="他テナントのタイプを使う案件").exists()
    assert not DealLine.objects.exists()


def test_deal_save_does_not_change_an_existing_deal_when_the_deal_type_is_foreign(world_a, world_b):
    deal = DealFactory(tenant=world_a.tenant, name="元の名前")
    original_type = deal.deal_type
    deal.name = "書き換え"
    deal.deal_type = DealTypeFactory(tenant=world_b.tenant)

    with pytest.raises(ValueError):
        services.deal_save(tenant=world_a.tenant, actor=world_a.member, deal=deal)

    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.name, stored.deal_type_id) == ("元の名前", original_type.pk)


def test_deal_save_never_moves_a_deal_of_another_tenant(world_a, world_b):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の案件")
    foreign.deal_type = DealTypeFactory(tenant=world_a.tenant)

    with pytest.raises(ValueError):
        services.deal_save(tenant=world_a.tenant, actor=world_a.member, deal=foreign)

    assert Deal.objects.get(pk=foreign.pk).tenant == world_b.tenant


def test_deal_save_never_takes_or_deletes_lines_of_another_deal(world_a, world_b):
    deal = DealFactory(tenant=world_a.tenant)
    foreign_deal = DealFactory(tenant=world_b.tenant)
    foreign_kept = DealLineFactory(deal=foreign_deal, description="B社の行")
    foreign_dropped = DealLineFactory(deal=foreign_deal, description="B社の消される行")

    with pytest.raises(ValueError):
        services.deal_save(
            tenant=world_a.tenant,
            actor=world_a.member,
            deal=deal,
            lines=[foreign_kept],
            deleted_lines=[foreign_dropped],
        )

    assert set(DealLine.objects.filter(deal=foreign_deal, tenant=world_b.tenant)) == {foreign_kept, foreign_dropped}


def test_deal_save_is_atomic_when_a_line_cannot_be_stored(world_a):
    deal = _new_deal(world_a, name="途中で失敗する案件")

    with pytest.raises(IntegrityError):
        services.deal_save(
            tenant=world_a.tenant,
            actor=world_a.member,
            deal=deal,
            lines=[_line("正しい行"), _line("数量が負の行", quantity=Decimal(-1))],
        )

    assert not Deal.objects.filter(name="途中で失敗する案件").exists()
    assert not DealLine.objects.filter(description="正しい行").exists()


def test_deal_save_keeps_the_product_of_a_line(world_a):
    product = ProductFactory(tenant=world_a.tenant, name="保守サービス")

    deal = services.deal_save(
        tenant=world_a.tenant, actor=world_a.member, deal=_new_deal(world_a), lines=[_line("保守", product=product)]
    )

    assert DealLine.objects.get(deal=deal).product == product


def test_deal_type_get_or_create_default_returns_one_standard_type_per_tenant(world_a, world_b):
    first = services.deal_type_get_or_create_default(tenant=world_a.tenant)
    again = services.deal_type_get_or_create_default(tenant=world_a.tenant)
    other = services.deal_type_get_or_create_default(tenant=world_b.tenant)

    assert first == again
    assert first.name == "標準"
    assert other != first
    assert DealType.objects.filter(name="標準").count() == 2


# --------------------------------------------------------------------------- deal_delete


def test_deal_delete_removes_the_deal_and_its_lines(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    DealLineFactory.create_batch(2, deal=deal)
    other = DealLineFactory(deal=DealFactory(tenant=world_a.tenant))

    services.deal_delete(deal=deal, actor=world_a.member)

    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert list(DealLine.objects.values_list("pk", flat=True)) == [other.pk]


# --------------------------------------------------------------------------- deal_list


def test_deal_list_returns_only_the_tenants_deals(world_a, world_b):
    mine = DealFactory(tenant=world_a.tenant)
    DealFactory(tenant=world_b.tenant)

    assert list(selectors.deal_list(tenant=world_a.tenant)) == [mine]


def test_deal_list_of_no_tenant_is_empty(world_a):
    DealFactory(tenant=world_a.tenant)

    assert list(selectors.deal_list(tenant=None)) == []


def test_deal_list_sorts_ascending_with_ties_by_id_ascending(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant)
    b1, a1, b2, a2 = (DealFactory(tenant=world_a.tenant, deal_type=deal_type, name=n) for n in "BABA")

    assert list(selectors.deal_list(tenant=world_a.tenant, sort="name")) == [a1, a2, b1, b2]


def test_deal_list_sorts_descending_with_ties_by_id_descending(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant)
    small1, big1, small2, big2 = (
        DealFactory(tenant=world_a.tenant, deal_type=deal_type, amount=amount) for amount in (100, 900, 100, 900)
    )

    assert list(selectors.deal_list(tenant=world_a.tenant, sort="-amount")) == [big2, big1, small2, small1]


def test_deal_list_with_equal_keys_is_ordered_by_id_alone(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant)
    deals = [DealFactory(tenant=world_a.tenant, deal_type=deal_type, amount=500) for _ in range(5)]

    assert list(selectors.deal_list(tenant=world_a.tenant, sort="amount")) == deals
    assert list(selectors.deal_list(tenant=world_a.tenant, sort="-amount")) == deals[::-1]


def test_deal_list_sorts_by_billing_date(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant)
    june = DealFactory(tenant=world_a.tenant, deal_type=deal_type, expected_billing_date=date(2025, 6, 30))
    april = DealFactory(tenant=world_a.tenant, deal_type=deal_type, expected_billing_date=date(2025, 4, 30))

    assert list(selectors.deal_list(tenant=world_a.tenant, sort="billing")) == [april, june]
    assert list(selectors.deal_list(tenant=world_a.tenant, sort="-billing")) == [june, april]


def test_deals_without_a_billing_date_come_last_in_both_directions(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant)
    undated = DealFactory(tenant=world_a.tenant, deal_type=deal_type, expected_billing_date=None)
    june = DealFactory(tenant=world_a.tenant, deal_type=deal_type, expected_billing_date=date(2025, 6, 30))
    april = DealFactory(tenant=world_a.tenant, deal_type=deal_type, expected_billing_date=date(2025, 4, 30))

    assert list(selectors.deal_list(tenant=world_a.tenant, sort="billing")) == [april, june, undated]
    assert list(selectors.deal_list(tenant=world_a.tenant, sort="-billing")) == [june, april, undated]


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_every_sort_order_is_read_from_an_index_without_sorting(world_a, sort):
    """A page of a tenant with 100,000 deals must not sort them all: with sorting priced out of the
    planner's reach, the plan still has no Sort node only when an index gives exactly this order."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
    first_page = selectors.deal_list(tenant=world_a.tenant, sort=sort)[:50]
    filtered = selectors.deal_list(tenant=world_a.tenant).filter(freee_latest_status="settled")[:50]

    assert "Sort" not in first_page.explain()
    assert "Sort" not in filtered.explain()


def test_deal_list_with_an_unknown_sort_falls_back_to_most_recently_updated_first(world_a):
    deal_type = DealTypeFactory(tenant=world_a.tenant)
    older = DealFactory(tenant=world_a.tenant, deal_type=deal_type)
    newer = DealFactory(tenant=world_a.tenant, deal_type=deal_type)
    older.name = "後から更新"
    older.save()

    assert list(selectors.deal_list(tenant=world_a.tenant, sort="; DROP TABLE")) == [older, newer]


def test_deal_lines_are_in_position_order(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    second = DealLineFactory(deal=deal, position=1)
    first = DealLineFactory(deal=deal, position=0)

    assert list(selectors.deal_lines(deal=deal)) == [first, second]
