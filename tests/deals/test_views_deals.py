"""Deal pages: list (filter, sort, paginate), detail, create and edit with product lines, delete, isolation."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from deals.models import Deal, DealLine
from tests.factories import DealFactory, DealLineFactory, DealTypeFactory, ProductFactory
from tests.isolation import assert_cross_tenant_404

LIST_URL = "/deals/"
CREATE_URL = "/deals/new/"
EMPTY_TEXT = "案件はまだありません"
NO_MATCH_TEXT = "条件に一致する案件はありません"
REQUIRED = "この項目は必須です。"
NOT_NEGATIVE = "この値は 0 以上でなければなりません。"
INVALID_CHOICE = "正しく選択してください。選択したものは候補にありません。"


def detail_url(deal) -> str:
    return f"/deals/{deal.public_id}/"


def edit_url(deal) -> str:
    return f"/deals/{deal.public_id}/edit/"


def delete_url(deal) -> str:
    return f"/deals/{deal.public_id}/delete/"


def listed_names(response) -> list[str]:
    """The deal names in the list table, in the order shown."""
    return [deal.name for deal in response.context["deals"]]


def deal_post(deal_type, *, lines=(), initial_forms=0, **fields) -> dict:
    """The POST body of the deal form with its product-line formset."""
    data = {
        "name": "新規案件",
        "deal_type": deal_type.pk,
        "stage": Deal.Stage.LEAD,
        "amount": "110000",
        "expected_order_date": "",
        "expected_billing_date": "",
        "owner": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial_forms),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    for index, line in enumerate(lines):
        data.update({f"lines-{index}-{key}": value for key, value in line.items()})
    return data


def line_post(**fields) -> dict:
    return {
        "product": "",
        "description": "品目",
        "quantity": "1",
        "unit": "式",
        "unit_price": "1000",
        "tax_rate": "10",
        **fields,
    }


@pytest.fixture
def deal_type_a(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="受託開発")


# --------------------------------------------------------------------------- list


def test_list_shows_only_the_tenants_deals(world_a, world_b):
    DealFactory(tenant=world_a.tenant, name="A社の案件")
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = world_a.client().get(LIST_URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "A社の案件" in body
    assert "B社の秘密案件" not in body


def test_list_of_a_tenant_without_deals_shows_the_empty_state(world_a, world_b):
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = world_a.client().get(LIST_URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert EMPTY_TEXT in body
    assert "B社の秘密案件" not in body


def test_list_with_a_filter_matching_nothing_says_so_instead_of_the_empty_state(world_a):
    DealFactory(tenant=world_a.tenant, name="案件X")

    body = world_a.client().get(LIST_URL, {"q": "存在しないキーワード"}).content.decode()

    assert NO_MATCH_TEXT in body
    assert EMPTY_TEXT not in body


def test_keyword_filter_matches_deal_name_and_partner_name(world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="基幹システム刷新", partner_name="山田商事")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="保守契約", partner_name="システム開発株式会社")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="備品購入", partner_name="鈴木物産")

    response = world_a.client().get(LIST_URL, {"q": "システム"})

    assert sorted(listed_names(response)) == sorted(["基幹システム刷新", "保守契約"])


def test_keyword_filter_ignores_case(world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="CRM導入")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="会計導入")

    assert listed_names(world_a.client().get(LIST_URL, {"q": "crm"})) == ["CRM導入"]


def test_keyword_filter_never_finds_another_tenants_deal(world_a, world_b):
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = world_a.client().get(LIST_URL, {"q": "秘密"})

    assert listed_names(response) == []
    assert "B社の秘密案件" not in response.content.decode()


def test_deal_type_filter_takes_the_public_id(world_a, deal_type_a):
    other_type = DealTypeFactory(tenant=world_a.tenant, name="物販")
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="開発案件")
    DealFactory(tenant=world_a.tenant, deal_type=other_type, name="物販案件")

    response = world_a.client().get(LIST_URL, {"deal_type": str(other_type.public_id)})

    assert listed_names(response) == ["物販案件"]


def test_deal_type_filter_offers_only_the_tenants_types(world_a, world_b, deal_type_a):
    DealTypeFactory(tenant=world_b.tenant, name="B社だけのタイプ")

    body = world_a.client().get(LIST_URL).content.decode()

    assert "受託開発" in body
    assert "B社だけのタイプ" not in body


def test_deal_type_filter_with_another_tenants_type_shows_no_foreign_deals(world_a, world_b):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")
    DealFactory(tenant=world_a.tenant, name="A社の案件")

    response = world_a.client().get(LIST_URL, {"deal_type": str(foreign.deal_type.public_id)})

    assert response.status_code == 200
    assert "B社の秘密案件" not in listed_names(response)
    assert "B社の秘密案件" not in response.content.decode()


def test_deal_type_filter_with_a_malformed_id_still_shows_the_page(world_a):
    DealFactory(tenant=world_a.tenant, name="A社の案件")

    response = world_a.client().get(LIST_URL, {"deal_type": "not-a-uuid"})

    assert response.status_code == 200
    assert response.context["filter"].errors


def test_stage_filter_shows_only_deals_in_that_stage(world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="受注した案件", stage=Deal.Stage.WON)
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="失注した案件", stage=Deal.Stage.LOST)

    response = world_a.client().get(LIST_URL, {"stage": "won"})

    assert listed_names(response) == ["受注した案件"]


def test_filters_combine(world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="保守A", stage=Deal.Stage.WON)
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="保守B", stage=Deal.Stage.LEAD)
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="開発C", stage=Deal.Stage.WON)

    response = world_a.client().get(LIST_URL, {"q": "保守", "stage": "won", "deal_type": str(deal_type_a.public_id)})

    assert listed_names(response) == ["保守A"]


@pytest.fixture
def three_deals(world_a, deal_type_a):
    """Three deals whose name, amount and billing-date orders all differ."""
    DealFactory(
        tenant=world_a.tenant, deal_type=deal_type_a, name="い案件", amount=300, expected_billing_date=date(2025, 1, 31)
    )
    DealFactory(
        tenant=world_a.tenant, deal_type=deal_type_a, name="あ案件", amount=100, expected_billing_date=date(2025, 3, 31)
    )
    DealFactory(
        tenant=world_a.tenant, deal_type=deal_type_a, name="う案件", amount=200, expected_billing_date=date(2025, 2, 28)
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["あ案件", "い案件", "う案件"]),
        ("-name", ["う案件", "い案件", "あ案件"]),
        ("amount", ["あ案件", "う案件", "い案件"]),
        ("-amount", ["い案件", "う案件", "あ案件"]),
        ("billing", ["い案件", "う案件", "あ案件"]),
        ("-billing", ["あ案件", "う案件", "い案件"]),
    ],
)
def test_list_sorts_by_the_chosen_column(world_a, three_deals, sort, expected):
    response = world_a.client().get(LIST_URL, {"sort": sort})

    assert response.context["sort"] == sort
    assert listed_names(response) == expected


def test_list_without_sort_shows_the_most_recently_updated_first(world_a, three_deals):
    touched = Deal.objects.get(name="あ案件")
    touched.save()

    response = world_a.client().get(LIST_URL)

    assert response.context["sort"] == "-updated"
    assert listed_names(response)[0] == "あ案件"


def test_an_unknown_sort_falls_back_to_most_recently_updated_first(world_a, three_deals):
    touched = Deal.objects.get(name="い案件")
    touched.save()

    response = world_a.client().get(LIST_URL, {"sort": "password"})

    assert response.status_code == 200
    assert response.context["sort"] == "-updated"
    assert listed_names(response)[0] == "い案件"


def test_sort_header_links_toggle_the_direction_and_keep_the_filters(world_a, three_deals):
    body = world_a.client().get(LIST_URL, {"sort": "amount", "q": "案件"}).content.decode()

    assert "q=%E6%A1%88%E4%BB%B6&amp;deal_type=&amp;stage=&amp;sort=-amount" in body
    assert "sort=name" in body


@pytest.fixture
def fifty_one_deals(world_a, deal_type_a):
    return DealFactory.create_batch(51, tenant=world_a.tenant, deal_type=deal_type_a)


def test_list_shows_fifty_deals_per_page(world_a, fifty_one_deals):
    response = world_a.client().get(LIST_URL)

    assert len(response.context["deals"]) == 50
    assert response.context["page_obj"].paginator.num_pages == 2
    assert "1 / 2 ページ（全 51 件）" in response.content.decode()


def test_the_second_page_has_the_fifty_first_deal(world_a, fifty_one_deals):
    first = world_a.client().get(LIST_URL, {"sort": "name"})
    second = world_a.client().get(LIST_URL, {"sort": "name", "page": "2"})

    assert len(second.context["deals"]) == 1
    assert set(listed_names(first)) | set(listed_names(second)) == {d.name for d in fifty_one_deals}


def test_a_page_beyond_the_end_shows_the_last_page(world_a, fifty_one_deals):
    response = world_a.client().get(LIST_URL, {"page": "999"})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 2
    assert len(response.context["deals"]) == 1


def test_a_page_that_is_not_a_number_shows_the_first_page(world_a, fifty_one_deals):
    response = world_a.client().get(LIST_URL, {"page": "abc"})

    assert response.status_code == 200
    assert response.context["page_obj"].number == 1


def test_pagination_links_keep_the_filters_and_sort(world_a, fifty_one_deals):
    body = world_a.client().get(LIST_URL, {"sort": "name", "stage": "lead"}).content.decode()

    assert re.search(r'href="\?[^"]*sort=name[^"]*page=2"', body)
    assert re.search(r'href="\?[^"]*stage=lead[^"]*page=2"', body)


def test_list_queries_do_not_grow_with_the_number_of_deals(world_a, deal_type_a, django_assert_max_num_queries):
    DealFactory.create_batch(20, tenant=world_a.tenant, deal_type=deal_type_a, owner=world_a.member)
    client = world_a.client()

    with django_assert_max_num_queries(12):
        client.get(LIST_URL)


# --------------------------------------------------------------------------- detail


def test_detail_shows_the_deal_and_its_lines_in_order(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="詳細を見る案件", partner_name="山田商事")
    DealLineFactory(deal=deal, position=1, description="二行目の品目")
    DealLineFactory(deal=deal, position=0, description="一行目の品目")

    response = world_a.client().get(detail_url(deal))

    assert response.status_code == 200
    body = response.content.decode()
    assert "詳細を見る案件" in body
    assert "山田商事" in body
    assert body.index("一行目の品目") < body.index("二行目の品目")


def test_detail_of_a_deal_without_lines_says_the_invoice_uses_the_amount(world_a):
    deal = DealFactory(tenant=world_a.tenant)

    body = world_a.client().get(detail_url(deal)).content.decode()

    assert "商品内訳はありません" in body


def test_detail_of_an_unknown_deal_is_404(world_a):
    response = world_a.client().get("/deals/00000000-0000-0000-0000-000000000000/")

    assert response.status_code == 404


# --------------------------------------------------------------------------- create


def test_create_page_shows_an_empty_form_with_one_line(world_a):
    response = world_a.client().get(CREATE_URL)

    assert response.status_code == 200
    assert "案件の追加" in response.content.decode()
    assert len(response.context["formset"].forms) == 1


def test_create_form_offers_only_the_tenants_deal_types_and_members(world_a, world_b, deal_type_a):
    DealTypeFactory(tenant=world_b.tenant, name="B社だけのタイプ")

    form = world_a.client().get(CREATE_URL).context["form"]

    assert list(form.fields["deal_type"].queryset) == [deal_type_a]
    assert set(form.fields["owner"].queryset) == {world_a.admin, world_a.member}


def test_create_with_a_line_saves_the_deal_and_the_line(world_a, deal_type_a):
    product = ProductFactory(tenant=world_a.tenant, name="クラウド利用料")
    data = deal_post(
        deal_type_a,
        name="新しい案件",
        stage="proposal",
        amount="220000",
        expected_billing_date="2025-04-30",
        owner=world_a.member.pk,
        lines=[
            line_post(
                product=product.pk, description="初期設定", quantity="2", unit_price="50000", tax_rate="8_reduced"
            )
        ],
    )

    response = world_a.client().post(CREATE_URL, data)

    deal = Deal.objects.get(name="新しい案件")
    assert response.status_code == 302
    assert response["Location"] == detail_url(deal)
    assert (deal.tenant, deal.deal_type, deal.stage, deal.amount, deal.owner) == (
        world_a.tenant,
        deal_type_a,
        "proposal",
        100000,  # with 商品内訳, 金額 is their total before tax (2 × 50,000), not the 220,000 typed (issue 14 item 2)
        world_a.member,
    )
    assert deal.expected_billing_date == date(2025, 4, 30)
    line = deal.lines.get()
    assert (line.tenant, line.position, line.product, line.description) == (world_a.tenant, 0, product, "初期設定")
    assert (line.quantity, line.unit_price, line.tax_rate) == (Decimal(2), Decimal(50000), "8_reduced")


def test_create_with_several_lines_numbers_them_in_form_order(world_a, deal_type_a):
    data = deal_post(
        deal_type_a,
        name="複数行の案件",
        lines=[line_post(description="一"), line_post(description="二"), line_post(description="三")],
    )

    world_a.client().post(CREATE_URL, data)

    deal = Deal.objects.get(name="複数行の案件")
    assert list(deal.lines.order_by("position").values_list("position", "description")) == [
        (0, "一"),
        (1, "二"),
        (2, "三"),
    ]


def test_create_ignores_the_blank_extra_line(world_a, deal_type_a):
    blank = {"product": "", "description": "", "quantity": "1", "unit": "", "unit_price": "0", "tax_rate": "10"}
    data = deal_post(deal_type_a, name="行なしの案件", lines=[blank])

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 302
    assert not Deal.objects.get(name="行なしの案件").lines.exists()


def test_create_shows_a_success_message_after_redirect(world_a, deal_type_a):
    response = world_a.client().post(CREATE_URL, deal_post(deal_type_a, name="メッセージ案件"), follow=True)

    assert "案件「メッセージ案件」を保存しました。" in response.content.decode()


def test_create_with_negative_amount_and_blank_name_answers_400_and_saves_nothing(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="", amount="-1", lines=[line_post(description="保存されない行")])

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 400
    body = response.content.decode()
    assert "入力内容に誤りがあります。" in body
    assert REQUIRED in body
    assert NOT_NEGATIVE in body
    form = response.context["form"]
    assert set(form.errors) == {"name", "amount"}
    assert not Deal.objects.exists()
    assert not DealLine.objects.exists()


def test_create_with_an_invalid_line_answers_400_and_saves_nothing(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="行が不正な案件", lines=[line_post(description="", quantity="-1")])

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 400
    assert REQUIRED in response.content.decode()
    assert not Deal.objects.exists()
    assert not DealLine.objects.exists()


def test_a_line_of_zero_units_is_refused_like_the_api_does(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="数量0の案件", lines=[line_post(description="保守", quantity="0")])

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 400
    assert "数量は0より大きい値を入力してください。" in response.content.decode()
    assert not Deal.objects.exists()


def test_create_with_another_tenants_deal_type_is_rejected_and_saves_nothing(world_a, world_b):
    foreign_type = DealTypeFactory(tenant=world_b.tenant, name="B社のタイプ")

    response = world_a.client().post(CREATE_URL, deal_post(foreign_type, name="乗っ取り案件"))

    assert response.status_code == 400
    assert "deal_type" in response.context["form"].errors
    assert INVALID_CHOICE in response.content.decode()
    assert not Deal.objects.filter(name="乗っ取り案件").exists()


def test_create_with_another_tenants_product_on_a_line_is_rejected(world_a, world_b, deal_type_a):
    foreign_product = ProductFactory(tenant=world_b.tenant)
    data = deal_post(deal_type_a, name="他社商品の案件", lines=[line_post(product=foreign_product.pk)])

    response = world_a.client().post(CREATE_URL, data)

    assert response.status_code == 400
    assert "product" in response.context["formset"].forms[0].errors
    assert not Deal.objects.exists()


def test_create_with_another_tenants_user_as_owner_is_rejected(world_a, world_b, deal_type_a):
    response = world_a.client().post(CREATE_URL, deal_post(deal_type_a, owner=world_b.member.pk))

    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    assert not Deal.objects.exists()


# --------------------------------------------------------------------------- edit


def test_edit_page_shows_the_deal_with_its_lines(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="編集する案件")
    DealLineFactory(deal=deal, description="既存の品目")

    response = world_a.client().get(edit_url(deal))

    assert response.status_code == 200
    body = response.content.decode()
    assert "案件の編集" in body
    assert "編集する案件" in body
    assert "既存の品目" in body


def test_edit_replaces_the_fields(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, name="古い名前", amount=1000, stage=Deal.Stage.LEAD)
    data = deal_post(deal_type_a, name="新しい名前", amount="5000", stage="won", expected_order_date="2025-05-01")

    response = world_a.client().post(edit_url(deal), data)

    assert response.status_code == 302
    assert response["Location"] == detail_url(deal)
    deal.refresh_from_db()
    assert (deal.name, deal.amount, deal.stage, deal.deal_type) == ("新しい名前", 5000, "won", deal_type_a)
    assert deal.expected_order_date == date(2025, 5, 1)
    assert Deal.objects.count() == 1


def test_edit_changes_an_existing_line_and_adds_a_new_one(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    line = DealLineFactory(deal=deal, description="変更前")
    data = deal_post(
        deal_type_a,
        initial_forms=1,
        lines=[
            line_post(id=line.pk, deal=deal.pk, description="変更後"),
            line_post(description="追加した行"),
        ],
    )

    response = world_a.client().post(edit_url(deal), data)

    assert response.status_code == 302
    assert list(deal.lines.order_by("position").values_list("pk", "position", "description")) == [
        (line.pk, 0, "変更後"),
        (deal.lines.get(description="追加した行").pk, 1, "追加した行"),
    ]


def test_edit_with_delete_checked_removes_the_line(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    removed = DealLineFactory(deal=deal, position=0, description="消す行")
    kept = DealLineFactory(deal=deal, position=1, description="残す行")
    data = deal_post(
        deal_type_a,
        initial_forms=2,
        lines=[
            line_post(id=removed.pk, deal=deal.pk, description="消す行", DELETE="on"),
            line_post(id=kept.pk, deal=deal.pk, description="残す行"),
        ],
    )

    response = world_a.client().post(edit_url(deal), data)

    assert response.status_code == 302
    assert not DealLine.objects.filter(pk=removed.pk).exists()
    assert list(deal.lines.values_list("pk", "position")) == [(kept.pk, 0)]


def test_edit_cannot_change_a_line_of_another_deal(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    other_deal = DealFactory(tenant=world_a.tenant)
    other_line = DealLineFactory(deal=other_deal, description="別案件の行")
    data = deal_post(
        deal_type_a, initial_forms=1, lines=[line_post(id=other_line.pk, deal=deal.pk, description="書き換え")]
    )

    world_a.client().post(edit_url(deal), data)

    other_line.refresh_from_db()
    assert (other_line.deal, other_line.description) == (other_deal, "別案件の行")
    assert not deal.lines.filter(pk=other_line.pk).exists()


def test_edit_cannot_delete_a_line_of_another_deal(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    other_deal = DealFactory(tenant=world_a.tenant)
    other_line = DealLineFactory(deal=other_deal, description="別案件の行")
    data = deal_post(
        deal_type_a,
        initial_forms=1,
        lines=[line_post(id=other_line.pk, deal=deal.pk, description="別案件の行", DELETE="on")],
    )

    world_a.client().post(edit_url(deal), data)

    other_line.refresh_from_db()
    assert (other_line.deal, other_line.description) == (other_deal, "別案件の行")


def test_edit_cannot_delete_a_line_of_another_tenant(world_a, world_b, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a)
    foreign_line = DealLineFactory(deal=DealFactory(tenant=world_b.tenant), description="B社の秘密品目")
    data = deal_post(
        deal_type_a, initial_forms=1, lines=[line_post(id=foreign_line.pk, deal=deal.pk, description="x", DELETE="on")]
    )

    response = world_a.client().post(edit_url(deal), data)

    assert DealLine.objects.filter(pk=foreign_line.pk).exists()
    assert "B社の秘密品目" not in response.content.decode()


def test_edit_with_another_tenants_deal_type_is_rejected_and_changes_nothing(world_a, world_b):
    deal = DealFactory(tenant=world_a.tenant, name="元の名前")
    original_type = deal.deal_type
    foreign_type = DealTypeFactory(tenant=world_b.tenant)

    response = world_a.client().post(edit_url(deal), deal_post(foreign_type, name="書き換え"))

    assert response.status_code == 400
    assert "deal_type" in response.context["form"].errors
    deal.refresh_from_db()
    assert (deal.name, deal.deal_type) == ("元の名前", original_type)


def test_edit_with_invalid_input_answers_400_and_changes_nothing(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="元の名前", amount=1000)
    line = DealLineFactory(deal=deal, description="元の行")
    data = deal_post(
        deal_type_a,
        name="",
        amount="-5",
        initial_forms=1,
        lines=[line_post(id=line.pk, deal=deal.pk, description="", DELETE="")],
    )

    response = world_a.client().post(edit_url(deal), data)

    assert response.status_code == 400
    assert NOT_NEGATIVE in response.content.decode()
    deal.refresh_from_db()
    line.refresh_from_db()
    assert (deal.name, deal.amount, line.description) == ("元の名前", 1000, "元の行")


# --------------------------------------------------------------------------- delete


def test_delete_page_asks_for_confirmation_and_deletes_nothing(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="消すかもしれない案件")

    response = world_a.client().get(delete_url(deal))

    assert response.status_code == 200
    assert "案件「消すかもしれない案件」と商品内訳を削除しますか？" in response.content.decode()
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_delete_by_post_removes_the_deal_and_its_lines(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="消す案件")
    DealLineFactory.create_batch(2, deal=deal)

    response = world_a.client().post(delete_url(deal))

    assert response.status_code == 302
    assert response["Location"] == reverse("deals:list")
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert not DealLine.objects.exists()


def test_delete_shows_a_message_on_the_list(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="消す案件")

    response = world_a.client().post(delete_url(deal), follow=True)

    assert "案件「消す案件」を削除しました。" in response.content.decode()


def test_detail_page_does_not_delete_on_post(world_a):
    deal = DealFactory(tenant=world_a.tenant)

    response = world_a.client().post(detail_url(deal))

    assert response.status_code == 405
    assert Deal.objects.filter(pk=deal.pk).exists()


# --------------------------------------------------------------------------- isolation and access


@pytest.mark.parametrize("url_of", [detail_url, edit_url, delete_url], ids=["detail", "edit", "delete"])
@pytest.mark.parametrize("who", ["member", "admin"])
def test_member_of_other_tenant_gets_404_for_each_deal_page(world_a, world_b, url_of, who):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")
    DealLineFactory(deal=foreign, description="B社の秘密品目")

    assert_cross_tenant_404(world_a.client(who), url_of(foreign), foreign_texts=("B社の秘密案件", "B社の秘密品目"))

    foreign.refresh_from_db()
    assert foreign.name == "B社の秘密案件"
    assert foreign.lines.count() == 1


def test_member_of_other_tenant_cannot_edit_the_deal_with_a_valid_form(world_a, world_b, deal_type_a):
    foreign = DealFactory(tenant=world_b.tenant, name="B社の秘密案件")

    response = world_a.client().post(edit_url(foreign), deal_post(deal_type_a, name="乗っ取り"))

    assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.name, foreign.tenant) == ("B社の秘密案件", world_b.tenant)


def test_member_of_other_tenant_cannot_delete_the_deal(world_a, world_b):
    foreign = DealFactory(tenant=world_b.tenant)

    response = world_a.client().post(delete_url(foreign))

    assert response.status_code == 404
    assert Deal.objects.filter(pk=foreign.pk).exists()


def test_other_tenants_deal_name_never_appears_in_the_list(world_a, world_b):
    DealFactory.create_batch(3, tenant=world_a.tenant)
    DealFactory(tenant=world_b.tenant, name="B社の秘密案件", partner_name="B社の秘密取引先")

    for params in ({}, {"sort": "name"}, {"sort": "-amount"}, {"q": "B社"}, {"page": "2"}):
        body = world_a.client().get(LIST_URL, params).content.decode()
        assert "B社の秘密案件" not in body
        assert "B社の秘密取引先" not in body


@pytest.mark.parametrize("path", [LIST_URL, CREATE_URL])
def test_anonymous_user_is_redirected_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert f"next={path}" in response["Location"].replace("%2F", "/")


@pytest.mark.parametrize("url_of", [detail_url, edit_url, delete_url], ids=["detail", "edit", "delete"])
def test_anonymous_user_is_redirected_to_login_from_a_deal_page(client, world_a, url_of):
    deal = DealFactory(tenant=world_a.tenant, name="ログインが必要な案件")

    response = client.get(url_of(deal))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert "ログインが必要な案件" not in response.content.decode()


def test_anonymous_post_to_delete_is_redirected_and_deletes_nothing(client, world_a):
    deal = DealFactory(tenant=world_a.tenant)

    response = client.post(delete_url(deal))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert Deal.objects.filter(pk=deal.pk).exists()


def test_anonymous_post_to_create_is_redirected_and_saves_nothing(client, world_a, deal_type_a):
    response = client.post(CREATE_URL, deal_post(deal_type_a))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Deal.objects.exists()


@pytest.mark.parametrize("path", [LIST_URL, CREATE_URL])
def test_user_of_no_tenant_is_refused(world_a, path):
    response = world_a.client("outsider").get(path)

    assert response.status_code == 403
    assert "どの事業所にも所属していません" in response.content.decode()


def test_the_deal_type_form_never_redirects_off_site(world_a):
    admin = world_a.client("admin")
    off_site = admin.post(reverse("deals:type_list"), {"linked": [], "next": "https://evil.example/steal"})
    assert off_site.status_code == 302 and off_site["Location"] == reverse("deals:type_list")
    settings_page = reverse("integrations:freee_settings")
    on_site = admin.post(reverse("deals:type_list"), {"linked": [], "next": settings_page})
    assert on_site["Location"] == settings_page
