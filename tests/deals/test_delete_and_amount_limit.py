"""issue 14 item 9: the delete confirmation says up front that a deal with invoices cannot be deleted (and offers
no button); 金額 has a human limit (999,999,999,999円), the same in the form, the API and for the lines' total."""

import pytest

from deals.models import Deal
from tests.deals.test_views_deals import CREATE_URL, deal_post, delete_url, detail_url, edit_url, line_post
from tests.factories import DealFactory, DealTypeFactory, InvoiceFactory

LIMIT_MESSAGE = "金額は999,999,999,999円以下で入力してください。"
LINES_LIMIT_MESSAGE = "商品内訳の合計金額が上限（999,999,999,999円）を超えています。"
BIGINT_MAX_TEXT = "9223372036854775807"


@pytest.fixture
def deal_type_a(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="受託開発")


# --------------------------------------------------------------------------- delete confirmation


def test_the_delete_confirmation_of_a_deal_with_invoices_says_it_cannot_be_deleted(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="請求済みの案件")
    InvoiceFactory(deal=deal)

    response = world_a.client().get(delete_url(deal))

    page = response.content.decode()
    assert response.status_code == 200
    assert "案件「請求済みの案件」には請求書（1件）があるため、削除できません。" in page
    assert "削除する" not in page and 'class="danger"' not in page
    assert f'href="{detail_url(deal)}"' in page  # the way back instead of the button


def test_the_delete_confirmation_of_a_deal_without_invoices_still_offers_the_button(world_a):
    deal = DealFactory(tenant=world_a.tenant, name="未請求の案件")
    InvoiceFactory(deal=DealFactory(tenant=world_a.tenant))  # another deal's invoice does not count

    page = world_a.client().get(delete_url(deal)).content.decode()

    assert "削除する" in page and "削除できません" not in page


def test_posting_the_delete_of_a_deal_with_invoices_is_still_refused(world_a):
    deal = DealFactory(tenant=world_a.tenant)
    InvoiceFactory(deal=deal)

    response = world_a.client().post(delete_url(deal), follow=True)

    assert "請求書が発行されている案件は削除できません。" in response.content.decode()
    assert Deal.objects.filter(pk=deal.pk).exists()


# --------------------------------------------------------------------------- the amount's limit


def test_an_amount_above_the_limit_is_a_form_error_with_a_human_limit(world_a, deal_type_a):
    response = world_a.client().post(CREATE_URL, deal_post(deal_type_a, amount=str(10**12)))

    page = response.content.decode()
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [LIMIT_MESSAGE]
    assert BIGINT_MAX_TEXT not in page
    assert not Deal.objects.exists()


def test_the_largest_amount_is_accepted(world_a, deal_type_a):
    response = world_a.client().post(CREATE_URL, deal_post(deal_type_a, amount=str(10**12 - 1)))

    assert response.status_code == 302
    assert Deal.objects.get().amount == 999_999_999_999


def test_the_amount_field_says_its_limit_before_anything_is_sent(world_a):
    page = world_a.client().get(CREATE_URL).content.decode()

    assert 'max="999999999999"' in page and BIGINT_MAX_TEXT not in page


def test_the_api_refuses_an_amount_above_the_limit_with_the_same_message(world_a, deal_type_a):
    body = {"name": "上限超え", "deal_type": str(deal_type_a.public_id), "amount": 10**12}

    response = world_a.client().post("/api/v1/deals/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["amount"] == [LIMIT_MESSAGE]
    assert not Deal.objects.exists()


def test_lines_whose_total_exceeds_the_limit_are_a_form_error_not_a_500(world_a, deal_type_a):
    lines = [line_post(quantity="999999999", unit_price="999999999999")]  # 10**21: beyond bigint too

    response = world_a.client().post(CREATE_URL, deal_post(deal_type_a, lines=lines))

    assert response.status_code == 400
    assert LINES_LIMIT_MESSAGE in response.content.decode()
    assert not Deal.objects.exists()


def test_lines_whose_total_exceeds_the_limit_are_a_400_in_the_api(world_a, deal_type_a):
    body = {
        "name": "上限超え",
        "deal_type": str(deal_type_a.public_id),
        "lines": [{"description": "大量", "quantity": "1000", "unit_price": "1000000000"}],
    }  # 10**12

    response = world_a.client().post("/api/v1/deals/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["lines"] == [LINES_LIMIT_MESSAGE]
    assert not Deal.objects.exists()


def test_editing_a_deal_to_lines_above_the_limit_changes_nothing(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, amount=5000)
    data = deal_post(deal_type_a, name=deal.name, lines=[line_post(quantity="2", unit_price="999999999999")])

    response = world_a.client().post(edit_url(deal), data)

    assert response.status_code == 400 and LINES_LIMIT_MESSAGE in response.content.decode()
    deal.refresh_from_db()
    assert deal.amount == 5000 and not deal.lines.exists()
