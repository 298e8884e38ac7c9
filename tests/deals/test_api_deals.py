"""The deals API: list, filters, ordering, retrieve, create, update, delete, errors, auth and tenant choice."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from deals.models import Deal, FreeeLatestStatus
from tests.factories import (
    DealFactory,
    DealLineFactory,
    DealTypeFactory,
    MembershipFactory,
    ProductFactory,
    api_token_key,
)
from tests.isolation import assert_cross_tenant_404

DEALS_URL = "/api/v1/deals/"
DEAL_TYPES_URL = "/api/v1/deal-types/"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"


def deal_url(deal_or_id) -> str:
    return f"{DEALS_URL}{getattr(deal_or_id, 'public_id', deal_or_id)}/"


def post_json(client: Client, url: str, data, **extra):
    return client.post(url, data, content_type="application/json", **extra)


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is an API error in the one error format; returns its "error" object."""
    assert response.status_code == status, response.content.decode()
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def token_client(user, tenant=None) -> Client:
    """A client with no session: every request carries `Authorization: Token <key>` (and X-Tenant)."""
    headers = {"Authorization": f"Token {api_token_key(user)}"}
    if tenant is not None:
        headers["X-Tenant"] = str(tenant.public_id)
    return Client(headers=headers)


@pytest.fixture
def deal_type_a(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="受託開発")


@pytest.fixture
def api(world_a):
    return world_a.client()


# --------------------------------------------------------------------------- list


def test_list_is_paginated_and_shows_only_the_tenants_deals(api, world_a, world_b):
    DealFactory(tenant=world_a.tenant, name="A社の案件")
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = api.get(DEALS_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 1
    assert names(response) == ["A社の案件"]
    assert "B社の秘密案件" not in response.content.decode()


def test_list_row_shows_the_deal_fields_and_its_type_by_public_id(api, world_a, deal_type_a):
    deal = DealFactory(
        tenant=world_a.tenant,
        deal_type=deal_type_a,
        name="一覧の案件",
        amount=5500,
        owner=world_a.member,
        partner_name="山田商事",
        expected_billing_date=date(2025, 4, 30),
    )

    row = api.get(DEALS_URL).json()["results"][0]

    assert row["id"] == str(deal.public_id)
    assert row["deal_type"] == {"id": str(deal_type_a.public_id), "name": "受託開発", "linked_to_freee": True}
    assert (row["name"], row["amount"], row["owner"], row["partner_name"]) == (
        "一覧の案件",
        5500,
        "member_A",
        "山田商事",
    )
    assert row["expected_billing_date"] == "2025-04-30"
    assert "lines" not in row
    assert "tenant" not in row


def test_list_of_a_tenant_without_deals_is_empty(api, world_b):
    DealFactory(tenant=world_b.tenant)

    assert api.get(DEALS_URL).json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_pages_hold_fifty_deals(api, world_a, deal_type_a):
    DealFactory.create_batch(51, tenant=world_a.tenant, deal_type=deal_type_a)

    first = api.get(DEALS_URL).json()
    second = api.get(first["next"]).json()

    assert (first["count"], len(first["results"])) == (51, 50)
    assert first["previous"] is None
    assert len(second["results"]) == 1
    assert second["next"] is None
    assert {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]} == set(
        str(pid) for pid in Deal.objects.values_list("public_id", flat=True)
    )


def test_list_page_size_can_be_chosen(api, world_a, deal_type_a):
    DealFactory.create_batch(3, tenant=world_a.tenant, deal_type=deal_type_a)

    body = api.get(DEALS_URL, {"page_size": 2}).json()

    assert (body["count"], len(body["results"])) == (3, 2)


def test_list_page_beyond_the_end_is_404_in_the_error_format(api, world_a):
    DealFactory(tenant=world_a.tenant)

    assert_error(api.get(DEALS_URL, {"page": 999}), 404, "not_found")


def test_keyword_filter_matches_deal_name_and_partner_name(api, world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="基幹システム刷新", partner_name="山田商事")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="保守契約", partner_name="システム開発株式会社")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="備品購入", partner_name="鈴木物産")

    response = api.get(DEALS_URL, {"q": "システム"})

    assert sorted(names(response)) == sorted(["基幹システム刷新", "保守契約"])


def test_keyword_filter_never_finds_another_tenants_deal(api, world_b):
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    assert api.get(DEALS_URL, {"q": "秘密"}).json()["count"] == 0


def test_stage_filter_shows_only_deals_in_that_stage(api, world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="受注", stage=Deal.Stage.WON)
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="交渉中", stage=Deal.Stage.NEGOTIATION)

    assert names(api.get(DEALS_URL, {"stage": "won"})) == ["受注"]


def test_an_unknown_stage_is_400_in_the_error_format(api):
    error = assert_error(api.get(DEALS_URL, {"stage": "bogus"}), 400, "invalid")

    assert "stage" in error["details"]


def test_deal_type_filter_takes_the_public_id(api, world_a, deal_type_a):
    other_type = DealTypeFactory(tenant=world_a.tenant, name="物販")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="開発案件")
    DealFactory(tenant=world_a.tenant, deal_type=other_type, name="物販案件")

    assert names(api.get(DEALS_URL, {"deal_type": str(other_type.public_id)})) == ["物販案件"]


def test_deal_type_filter_with_a_malformed_id_is_400_in_the_error_format(api):
    error = assert_error(api.get(DEALS_URL, {"deal_type": "not-a-uuid"}), 400, "invalid")

    assert "deal_type" in error["details"]


def test_deal_type_filter_with_another_tenants_type_is_400_and_leaks_nothing(api, world_b):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = api.get(DEALS_URL, {"deal_type": str(foreign.deal_type.public_id)})

    error = assert_error(response, 400, "invalid")
    assert "deal_type" in error["details"]
    assert "B社の秘密案件" not in response.content.decode()


@pytest.fixture
def three_amounts(world_a, deal_type_a):
    for name, amount in (("中", 200), ("大", 300), ("小", 100)):
        DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name=name, amount=amount)


def test_ordering_by_amount_ascending(api, three_amounts):
    assert names(api.get(DEALS_URL, {"ordering": "amount"})) == ["小", "中", "大"]


def test_ordering_by_amount_descending(api, three_amounts):
    assert names(api.get(DEALS_URL, {"ordering": "-amount"})) == ["大", "中", "小"]


def test_ordering_combines_with_filters(api, world_a, deal_type_a, three_amounts):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="特大", amount=900, stage=Deal.Stage.WON)

    assert names(api.get(DEALS_URL, {"ordering": "-amount", "stage": "lead"})) == ["大", "中", "小"]


def test_without_ordering_the_most_recently_updated_comes_first(api, world_a, three_amounts):
    touched = Deal.objects.get(name="中")
    touched.save()

    assert names(api.get(DEALS_URL))[0] == "中"


def test_ordering_by_an_unlisted_field_is_ignored(api, world_a, three_amounts):
    touched = Deal.objects.get(name="大")
    touched.save()

    response = api.get(DEALS_URL, {"ordering": "tenant__name"})

    assert response.status_code == 200
    assert names(response)[0] == "大"


def test_ordering_breaks_ties_by_id_like_the_deal_list_page(api, world_a, deal_type_a):
    deals = DealFactory.create_batch(4, tenant=world_a.tenant, deal_type=deal_type_a, amount=1000)
    Deal.objects.filter(pk=deals[0].pk).update(name="改名した案件")  # moves the row in PostgreSQL's heap
    ids = [str(deal.public_id) for deal in deals]

    ascending = [row["id"] for row in api.get(DEALS_URL, {"ordering": "amount"}).json()["results"]]
    descending = [row["id"] for row in api.get(DEALS_URL, {"ordering": "-amount"}).json()["results"]]

    assert ascending == ids
    assert descending == ids[::-1]


def test_paging_through_deals_of_equal_amount_lists_each_deal_once_while_one_is_edited(api, world_a, deal_type_a):
    DealFactory.create_batch(5, tenant=world_a.tenant, deal_type=deal_type_a, amount=1000)
    params = {"ordering": "amount", "page_size": 2}

    first_page = api.get(DEALS_URL, {**params, "page": 1}).json()["results"]
    edited = api.patch(deal_url(first_page[0]["id"]), {"name": "編集された案件"}, content_type="application/json")
    later_pages = [api.get(DEALS_URL, {**params, "page": page}).json()["results"] for page in (2, 3)]

    assert edited.status_code == 200
    seen = [row["id"] for row in first_page + later_pages[0] + later_pages[1]]
    assert sorted(seen) == sorted(str(pid) for pid in Deal.objects.values_list("public_id", flat=True))


# --------------------------------------------------------------------------- retrieve


def test_retrieve_includes_the_lines_in_position_order(api, world_a):
    deal = DealFactory(tenant=world_a.tenant, name="詳細の案件")
    product = ProductFactory(tenant=world_a.tenant, name="クラウド利用料")
    second = DealLineFactory(deal=deal, position=1, description="二行目")
    first = DealLineFactory(deal=deal, position=0, description="一行目", product=product, unit="式")

    response = api.get(deal_url(deal))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(deal.public_id)
    assert body["name"] == "詳細の案件"
    assert [line["id"] for line in body["lines"]] == [str(first.public_id), str(second.public_id)]
    assert body["lines"][0] == {
        "id": str(first.public_id),
        "product": "クラウド利用料",
        "description": "一行目",
        "quantity": "2.000",
        "unit": "式",
        "unit_price": "5000.00",
        "tax_rate": "10",
    }
    assert body["lines"][1]["product"] is None


def test_retrieve_of_a_deal_without_lines_has_an_empty_list(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)

    assert api.get(deal_url(deal)).json()["lines"] == []


def test_unknown_id_is_404_in_the_error_format(api):
    assert_error(api.get(deal_url(UNKNOWN_ID)), 404, "not_found")


def test_an_id_that_is_not_a_uuid_is_404_in_the_error_format(api):
    assert_error(api.get(deal_url("not-a-uuid")), 404, "not_found")


# --------------------------------------------------------------------------- create


def test_create_with_a_deal_type_public_id_returns_201_and_the_deal(api, world_a, deal_type_a):
    data = {
        "name": "APIで作った案件",
        "deal_type": str(deal_type_a.public_id),
        "stage": "proposal",
        "amount": 330000,
        "expected_billing_date": "2025-06-30",
    }

    response = post_json(api, DEALS_URL, data)

    assert response.status_code == 201, response.content.decode()
    body = response.json()
    deal = Deal.objects.get(public_id=body["id"])
    assert (deal.tenant, deal.deal_type, deal.name, deal.stage, deal.amount, deal.owner) == (
        world_a.tenant,
        deal_type_a,
        "APIで作った案件",
        "proposal",
        330000,
        world_a.member,
    )
    assert deal.expected_billing_date == date(2025, 6, 30)
    assert body["deal_type"]["id"] == str(deal_type_a.public_id)
    assert body["owner"] == "member_A"
    assert body["lines"] == []


def test_create_uses_the_field_defaults(api, deal_type_a):
    response = post_json(api, DEALS_URL, {"name": "最小の案件", "deal_type": str(deal_type_a.public_id)})

    assert response.status_code == 201
    assert (response.json()["stage"], response.json()["amount"]) == ("lead", 0)


def test_create_with_another_tenants_deal_type_is_400_and_saves_nothing(api, world_b):
    foreign_type = DealTypeFactory(tenant=world_b.tenant, name="B社のタイプ")

    response = post_json(api, DEALS_URL, {"name": "乗っ取り案件", "deal_type": str(foreign_type.public_id)})

    error = assert_error(response, 400, "invalid")
    assert "deal_type" in error["details"]
    assert "B社のタイプ" not in response.content.decode()
    assert not Deal.objects.exists()


def test_create_with_missing_and_negative_fields_is_400_with_every_field_in_details(api):
    response = post_json(api, DEALS_URL, {"amount": -1, "stage": "bogus"})

    error = assert_error(response, 400, "invalid")
    assert {"name", "deal_type", "amount", "stage"} <= set(error["details"])
    assert not Deal.objects.exists()


def test_create_with_malformed_json_is_400_parse_error(api):
    response = api.post(DEALS_URL, '{"name": "壊れたJSON",', content_type="application/json")

    assert_error(response, 400, "parse_error")
    assert not Deal.objects.exists()


def test_create_ignores_read_only_and_unknown_fields(api, world_a, world_b, deal_type_a):
    data = {
        "name": "上書きを試みる案件",
        "deal_type": str(deal_type_a.public_id),
        "id": UNKNOWN_ID,
        "tenant": world_b.tenant.pk,
        "owner": "member_B",
        "partner_name": "偽の取引先",
    }

    response = post_json(api, DEALS_URL, data)

    assert response.status_code == 201
    deal = Deal.objects.get(name="上書きを試みる案件")
    assert str(deal.public_id) != UNKNOWN_ID
    assert (deal.tenant, deal.owner, deal.partner_name) == (world_a.tenant, world_a.member, "")


def test_create_with_a_form_body_is_accepted_too(api, deal_type_a):
    response = api.post(DEALS_URL, {"name": "フォーム送信", "deal_type": str(deal_type_a.public_id)})

    assert response.status_code == 201


def test_create_with_an_unsupported_content_type_is_415_in_the_error_format(api):
    response = api.post(DEALS_URL, "<deal/>", content_type="application/xml")

    assert_error(response, 415, "unsupported_media_type")


# --------------------------------------------------------------------------- update and delete


def test_patch_changes_only_the_given_fields(api, world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="元の名前", amount=1000)

    response = api.patch(deal_url(deal), {"amount": 2000}, content_type="application/json")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.deal_type) == ("元の名前", 2000, deal_type_a)
    assert response.json()["amount"] == 2000


def test_put_replaces_the_fields(api, world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, name="元の名前", stage=Deal.Stage.LEAD)
    data = {"name": "置き換え後", "deal_type": str(deal_type_a.public_id), "stage": "won", "amount": 5000}

    response = api.put(deal_url(deal), data, content_type="application/json")

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.name, deal.deal_type, deal.stage, deal.amount) == ("置き換え後", deal_type_a, "won", 5000)


def test_update_keeps_the_lines(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)
    DealLineFactory(deal=deal, description="残る行")

    response = api.patch(deal_url(deal), {"name": "名前だけ変更"}, content_type="application/json")

    assert response.status_code == 200
    assert [line["description"] for line in response.json()["lines"]] == ["残る行"]


def test_patch_with_another_tenants_deal_type_is_400_and_changes_nothing(api, world_a, world_b):
    deal = DealFactory(tenant=world_a.tenant)
    original_type = deal.deal_type

    response = api.patch(
        deal_url(deal),
        {"deal_type": str(DealTypeFactory(tenant=world_b.tenant).public_id)},
        content_type="application/json",
    )

    error = assert_error(response, 400, "invalid")
    assert "deal_type" in error["details"]
    deal.refresh_from_db()
    assert deal.deal_type == original_type


def test_put_with_a_blank_name_is_400_and_changes_nothing(api, world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, name="元の名前")

    response = api.put(
        deal_url(deal), {"name": "", "deal_type": str(deal_type_a.public_id)}, content_type="application/json"
    )

    assert "name" in assert_error(response, 400, "invalid")["details"]
    deal.refresh_from_db()
    assert deal.name == "元の名前"


def test_delete_removes_the_deal_and_its_lines(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)
    DealLineFactory(deal=deal)

    response = api.delete(deal_url(deal))

    assert response.status_code == 204
    assert not Deal.objects.exists()


def test_patch_of_an_unknown_id_is_404_in_the_error_format(api):
    response = api.patch(deal_url(UNKNOWN_ID), {"name": "x"}, content_type="application/json")

    assert_error(response, 404, "not_found")


# --------------------------------------------------------------------------- cross-tenant isolation


@pytest.mark.parametrize("who", ["member", "admin"])
def test_member_of_other_tenant_gets_404_for_every_method_on_a_deal(world_a, world_b, who):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件", amount=777)
    DealLineFactory(deal=foreign, description="B社の秘密品目")

    assert_cross_tenant_404(world_a.client(who), deal_url(foreign), foreign_texts=("B社の秘密案件", "B社の秘密品目"))

    foreign.refresh_from_db()
    assert (foreign.name, foreign.amount, foreign.tenant) == ("B社の秘密案件", 777, world_b.tenant)
    assert foreign.lines.count() == 1


def test_other_tenants_deal_is_404_in_the_error_format_even_with_a_valid_body(api, world_a, world_b, deal_type_a):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")
    valid = {"name": "乗っ取り", "deal_type": str(deal_type_a.public_id), "amount": 1}

    responses = [
        api.get(deal_url(foreign)),
        api.patch(deal_url(foreign), valid, content_type="application/json"),
        api.put(deal_url(foreign), valid, content_type="application/json"),
        api.delete(deal_url(foreign)),
    ]

    for response in responses:
        assert_error(response, 404, "not_found")
    foreign.refresh_from_db()
    assert (foreign.name, foreign.tenant, foreign.deal_type.tenant) == ("B社の秘密案件", world_b.tenant, world_b.tenant)


def test_other_tenants_deal_name_never_appears_in_the_list(api, world_a, world_b):
    DealFactory.create_batch(2, tenant=world_a.tenant)
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件", partner_name="B社の秘密取引先")

    for params in ({}, {"ordering": "-amount"}, {"q": "B社"}, {"page_size": 1, "page": 2}):
        body = api.get(DEALS_URL, params).content.decode()
        assert "B社の秘密案件" not in body
        assert "B社の秘密取引先" not in body


# --------------------------------------------------------------------------- deal types


def test_deal_types_lists_the_tenants_types_without_pagination(api, world_a, world_b):
    DealTypeFactory(tenant=world_a.tenant, name="物販", linked_to_freee=False)
    kaihatsu = DealTypeFactory(tenant=world_a.tenant, name="受託開発")
    DealTypeFactory(tenant=world_b.tenant, name="B社のタイプ")

    response = api.get(DEAL_TYPES_URL)

    assert response.status_code == 200
    body = response.json()
    assert [row["name"] for row in body] == ["受託開発", "物販"]
    assert body[0] == {"id": str(kaihatsu.public_id), "name": "受託開発", "linked_to_freee": True}


def test_deal_type_of_other_tenant_is_404(api, world_b):
    foreign_type = DealTypeFactory(tenant=world_b.tenant, name="B社の秘密タイプ")

    response = api.get(f"{DEAL_TYPES_URL}{foreign_type.public_id}/")

    assert_error(response, 404, "not_found")
    assert "B社の秘密タイプ" not in response.content.decode()


def test_deal_types_are_read_only(api, world_a):
    response = post_json(api, DEAL_TYPES_URL, {"name": "新タイプ"})

    assert_error(response, 405, "method_not_allowed")


# --------------------------------------------------------------------------- authentication and tenant choice


def test_token_authentication_lists_the_users_tenants_deals(world_a, world_b):
    DealFactory(tenant=world_a.tenant, name="A社の案件")
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = token_client(world_a.member).get(DEALS_URL)

    assert response.status_code == 200
    assert names(response) == ["A社の案件"]


def test_token_authentication_can_create_a_deal(world_a, deal_type_a):
    client = token_client(world_a.member)

    response = post_json(client, DEALS_URL, {"name": "トークンで作成", "deal_type": str(deal_type_a.public_id)})

    assert response.status_code == 201
    assert Deal.objects.get(name="トークンで作成").tenant == world_a.tenant


def test_an_invalid_token_is_401_in_the_error_format(world_a):
    client = Client(headers={"Authorization": "Token " + "0" * 40})

    assert_error(client.get(DEALS_URL), 401, "authentication_failed")


@pytest.fixture
def member_of_both(world_a, world_b):
    """world_a.member, also a member of tenant B (joined after A, so A is the default tenant)."""
    MembershipFactory(tenant=world_b.tenant, user=world_a.member)
    DealFactory(tenant=world_a.tenant, name="A社の案件")
    DealFactory(tenant=world_b.tenant, name="B社の案件")
    return world_a.member


def test_without_x_tenant_a_user_in_two_tenants_acts_on_the_first(member_of_both):
    assert names(token_client(member_of_both).get(DEALS_URL)) == ["A社の案件"]


def test_x_tenant_selects_the_tenant_for_a_token_user_in_two_tenants(member_of_both, world_b):
    response = token_client(member_of_both, tenant=world_b.tenant).get(DEALS_URL)

    assert response.status_code == 200
    assert names(response) == ["B社の案件"]


def test_x_tenant_selects_the_tenant_for_a_session_user_in_two_tenants(member_of_both, world_a, world_b):
    client = world_a.client()

    response = client.get(DEALS_URL, headers={"X-Tenant": str(world_b.tenant.public_id)})

    assert names(response) == ["B社の案件"]


def test_x_tenant_scopes_object_lookups_and_creation(member_of_both, world_a, world_b):
    deal_a = Deal.objects.get(name="A社の案件")
    type_b = DealTypeFactory(tenant=world_b.tenant)
    client = token_client(member_of_both, tenant=world_b.tenant)

    assert_error(client.get(deal_url(deal_a)), 404, "not_found")
    created = post_json(client, DEALS_URL, {"name": "B社で作成", "deal_type": str(type_b.public_id)})
    assert created.status_code == 201
    assert Deal.objects.get(name="B社で作成").tenant == world_b.tenant


def test_x_tenant_of_a_tenant_the_user_is_not_a_member_of_is_403(world_a, world_b):
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = token_client(world_a.member, tenant=world_b.tenant).get(DEALS_URL)

    assert_error(response, 403, "permission_denied")
    assert "B社の秘密案件" not in response.content.decode()


def test_x_tenant_of_another_tenant_is_403_even_with_a_session(world_a, world_b):
    response = world_a.client().get(DEALS_URL, headers={"X-Tenant": str(world_b.tenant.public_id)})

    assert_error(response, 403, "permission_denied")


def test_x_tenant_accepts_the_public_id_in_upper_case(member_of_both, world_b):
    """UUIDs are case-insensitive; Swift's UUID().uuidString and .NET clients send upper case."""
    client = token_client(member_of_both)

    response = client.get(DEALS_URL, headers={"X-Tenant": str(world_b.tenant.public_id).upper()})

    assert response.status_code == 200
    assert names(response) == ["B社の案件"]


def test_x_tenant_that_is_not_a_uuid_is_403(world_a):
    response = token_client(world_a.member).get(DEALS_URL, headers={"X-Tenant": "not-a-uuid"})

    assert_error(response, 403, "permission_denied")


def test_x_tenant_of_another_tenant_cannot_create_there(world_a, world_b):
    type_b = DealTypeFactory(tenant=world_b.tenant)

    response = post_json(
        token_client(world_a.member, tenant=world_b.tenant),
        DEALS_URL,
        {"name": "侵入", "deal_type": str(type_b.public_id)},
    )

    assert_error(response, 403, "permission_denied")
    assert not Deal.objects.exists()


@pytest.mark.parametrize("url", [DEALS_URL, DEAL_TYPES_URL])
def test_anonymous_user_is_refused_with_the_error_body(client, url):
    response = client.get(url)

    assert response.status_code in {401, 403}
    assert_error(response, response.status_code)
    assert response.json()["error"]["code"] in {"not_authenticated", "permission_denied"}


def test_anonymous_user_cannot_create_or_read_a_deal(client, world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, name="匿名には見えない案件")

    read = client.get(deal_url(deal))
    created = post_json(client, DEALS_URL, {"name": "匿名の案件", "deal_type": str(deal_type_a.public_id)})

    for response in (read, created):
        assert response.status_code in {401, 403}
        assert "error" in response.json()
    assert "匿名には見えない案件" not in read.content.decode()
    assert Deal.objects.count() == 1


@pytest.mark.parametrize("url", [DEALS_URL, DEAL_TYPES_URL])
def test_user_of_no_tenant_gets_403(world_a, url):
    DealFactory(tenant=world_a.tenant)

    response = world_a.client("outsider").get(url)

    error = assert_error(response, 403, "permission_denied")
    assert "どの事業所にも所属していない" in error["message"]


def test_user_of_no_tenant_with_a_token_gets_403(world_a, deal_type_a):
    response = post_json(
        token_client(world_a.outsider), DEALS_URL, {"name": "所属なし", "deal_type": str(deal_type_a.public_id)}
    )

    assert_error(response, 403, "permission_denied")
    assert not Deal.objects.exists()


def test_error_messages_are_japanese_and_not_escaped(api):
    response = api.get(deal_url(UNKNOWN_ID))

    assert response.json()["error"]["message"] == "見つかりません。"
    assert "見つかりません" in response.content.decode()
    assert json.loads(response.content)["error"]["details"] == {}


# --------------------------------------------------------------------------- freee最新請求ステータス


def test_list_rows_show_the_freee_latest_status_code_and_its_japanese_label(api, world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, freee_latest_status=FreeeLatestStatus.SETTLED)

    row = api.get(DEALS_URL).json()["results"][0]

    assert (row["freee_latest_status"], row["freee_latest_status_label"]) == ("settled", "決済済み")


def test_a_deal_without_invoices_reads_as_not_issued(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)

    body = api.get(deal_url(deal)).json()

    assert (body["freee_latest_status"], body["freee_latest_status_label"]) == ("", "未発行")


@pytest.fixture
def three_statuses(world_a, deal_type_a):
    for name, status in (("決済済みの案件", FreeeLatestStatus.SETTLED), ("送付済みの案件", FreeeLatestStatus.SENT),
                         ("未発行の案件", FreeeLatestStatus.NONE)):
        DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name=name, freee_latest_status=status)


def test_list_filters_by_freee_latest_status(api, three_statuses):
    assert names(api.get(DEALS_URL, {"freee_latest_status": "settled"})) == ["決済済みの案件"]
    assert names(api.get(DEALS_URL, {"freee_latest_status": "none"})) == ["未発行の案件"]


def test_the_status_filter_combines_with_the_others_and_never_shows_another_tenant(api, world_b, three_statuses):
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件", freee_latest_status=FreeeLatestStatus.SETTLED)

    response = api.get(DEALS_URL, {"freee_latest_status": "settled", "q": "案件", "ordering": "-amount"})

    assert names(response) == ["決済済みの案件"]
    assert "B社の秘密案件" not in response.content.decode()


def test_an_unknown_freee_latest_status_is_400_in_the_error_format(api):
    error = assert_error(api.get(DEALS_URL, {"freee_latest_status": "bogus"}), 400, "invalid")

    assert "freee_latest_status" in error["details"]


def test_the_export_applies_the_freee_latest_status_filter(world_a, three_statuses):
    response = world_a.client().get(f"{DEALS_URL}export/", {"freee_latest_status": "sent"})

    body = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert "送付済みの案件" in body and "決済済みの案件" not in body and "未発行の案件" not in body


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.parametrize("path", [DEALS_URL, f"{DEALS_URL}export/"])
def test_the_schema_lists_the_filters_of_the_deal_list_and_the_export(schema, path):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}

    assert {"q", "deal_type", "stage", "freee_latest_status", "ordering"} <= set(parameters)
    status_values = parameters["freee_latest_status"]["schema"]["enum"]
    assert {"none", "settled", "canceled", "needs_check"} <= set(status_values)
    assert set(parameters["stage"]["schema"]["enum"]) == set(Deal.Stage.values)


def test_the_schema_documents_the_latest_status_and_writable_lines(schema):
    components = schema["components"]["schemas"]
    assert {"freee_latest_status", "freee_latest_status_label"} <= set(components["Deal"]["properties"])
    lines = components["DealInputRequest"]["properties"]["lines"]
    assert lines["type"] == "array" and lines["items"] == {"$ref": "#/components/schemas/DealLineInputRequest"}
    assert "lines" not in components["DealInputRequest"].get("required", [])


# --------------------------------------------------------------------------- 商品内訳 (lines) written through the API


def line(description: str = "設計", **extra) -> dict:
    return {"description": description, "quantity": "2", "unit": "式", "unit_price": "50000", "tax_rate": "10",
            **extra}


def test_create_with_lines_saves_them_in_order(api, world_a, deal_type_a):
    product = ProductFactory(tenant=world_a.tenant, name="保守サポート")
    data = {"name": "内訳つき案件", "deal_type": str(deal_type_a.public_id),
            "lines": [line("設計"), line("保守", product=str(product.public_id), tax_rate="8_reduced", quantity="1.5")]}

    response = post_json(api, DEALS_URL, data)

    assert response.status_code == 201, response.content.decode()
    deal = Deal.objects.get(public_id=response.json()["id"])
    saved = [(x.position, x.description, x.product, x.quantity, x.tax_rate, x.tenant) for x in deal.lines.all()]
    assert saved == [(0, "設計", None, Decimal(2), "10", world_a.tenant),
                     (1, "保守", product, Decimal("1.5"), "8_reduced", world_a.tenant)]
    assert [row["product"] for row in response.json()["lines"]] == [None, "保守サポート"]


def test_put_with_lines_replaces_the_whole_set(api, world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    DealLineFactory(deal=deal, description="消える行1")
    DealLineFactory(deal=deal, description="消える行2")
    data = {"name": deal.name, "deal_type": str(deal_type_a.public_id), "lines": [line("新しい行")]}

    response = api.put(deal_url(deal), data, content_type="application/json")

    assert response.status_code == 200, response.content.decode()
    assert [x.description for x in deal.lines.all()] == ["新しい行"]
    assert [row["description"] for row in response.json()["lines"]] == ["新しい行"]


def test_patch_with_an_empty_list_removes_every_line(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)
    DealLineFactory(deal=deal)

    response = api.patch(deal_url(deal), {"lines": []}, content_type="application/json")

    assert response.status_code == 200
    assert not deal.lines.exists()


@pytest.mark.parametrize(("bad", "field"), [
    ({"quantity": "0"}, "quantity"), ({"quantity": "-1"}, "quantity"), ({"tax_rate": "5"}, "tax_rate"),
    ({"description": ""}, "description"), ({"unit_price": "abc"}, "unit_price"),
])
def test_an_invalid_line_is_400_like_the_form_and_changes_nothing(api, world_a, bad, field):
    deal = DealFactory(tenant=world_a.tenant)
    DealLineFactory(deal=deal, description="残る行")

    response = api.patch(deal_url(deal), {"lines": [line("正しい行"), line(**bad)]}, content_type="application/json")

    error = assert_error(response, 400, "invalid")
    assert field in error["details"]["lines"]["1"]
    assert [x.description for x in deal.lines.all()] == ["残る行"]


def test_more_than_a_hundred_lines_is_400(api, world_a):
    deal = DealFactory(tenant=world_a.tenant)

    response = api.patch(deal_url(deal), {"lines": [line()] * 101}, content_type="application/json")

    assert "lines" in assert_error(response, 400, "invalid")["details"]
    assert not deal.lines.exists()


def test_a_line_with_another_tenants_product_is_400_and_saves_nothing(api, world_a, world_b):
    deal = DealFactory(tenant=world_a.tenant)
    foreign = ProductFactory(tenant=world_b.tenant, name="B社の秘密商品")

    response = api.patch(deal_url(deal), {"lines": [line(product=str(foreign.public_id))]},
                         content_type="application/json")

    error = assert_error(response, 400, "invalid")
    assert "product" in error["details"]["lines"]["0"]
    assert "B社の秘密商品" not in response.content.decode()
    assert not deal.lines.exists()


def test_lines_of_another_tenants_deal_cannot_be_replaced(api, world_b):
    foreign = DealFactory(tenant=world_b.tenant)
    DealLineFactory(deal=foreign, description="B社の秘密品目")

    response = api.patch(deal_url(foreign), {"lines": [line("乗っ取り")]}, content_type="application/json")

    assert_error(response, 404, "not_found")
    assert [x.description for x in foreign.lines.all()] == ["B社の秘密品目"]


def test_whoever_may_edit_a_deal_may_edit_its_lines_even_with_profiles_on(world_a):
    world_a.tenant.uses_permission_profiles = True  # editing deals needs no profile permission
    world_a.tenant.save()
    deal = DealFactory(tenant=world_a.tenant)

    response = world_a.client("member").patch(deal_url(deal), {"lines": [line("メンバーの行")]},
                                              content_type="application/json")

    assert response.status_code == 200
    assert [x.description for x in deal.lines.all()] == ["メンバーの行"]


def test_lines_written_through_the_api_become_the_invoice_lines(api, world_a, deal_type_a):
    from integrations.models import FreeeConnection
    from invoices import services as invoice_services
    from tests.factories import InvoiceFactory

    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    api.patch(deal_url(deal), {"lines": [line("設計", tax_rate="8_reduced")]}, content_type="application/json")
    connection = FreeeConnection(tenant=world_a.tenant, invoice_numbering=FreeeConnection.Numbering.AUTO)

    body = invoice_services.invoice_body(InvoiceFactory(deal=deal), connection)

    assert [(x.description, x.tax_rate, x.reduced_tax_rate) for x in body.lines] == [("設計", 8, True)]
