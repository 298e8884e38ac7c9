"""issue 14 item 2: a deal with 商品内訳 has as 金額 their total before tax, everywhere (page, list, CSV, API);
tax is shown separately; existing deals are migrated."""

import csv
import importlib
import io
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from deals.models import Deal
from tests.deals.test_views_deals import CREATE_URL, deal_post, detail_url, edit_url, line_post
from tests.factories import DealFactory, DealLineFactory, DealTypeFactory


@pytest.fixture
def deal_type_a(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="受託開発")


def _new_deal_with_lines(world_a, deal_type_a) -> Deal:
    data = deal_post(deal_type_a, name="内訳のある案件", amount="0",
                     lines=[line_post(description="設計", quantity="2", unit_price="50000", tax_rate="10"),
                            line_post(description="書籍", quantity="3", unit_price="1000.50", tax_rate="8_reduced")])
    assert world_a.client().post(CREATE_URL, data).status_code == 302
    return Deal.objects.get(name="内訳のある案件")


def test_a_new_deal_with_lines_has_their_total_as_amount(world_a, deal_type_a):
    deal = _new_deal_with_lines(world_a, deal_type_a)
    assert deal.amount == 103001  # 100,000 + 3,001.50, the fraction of a yen dropped


def test_the_deal_page_shows_the_amount_and_the_tax_separately(world_a, deal_type_a):
    deal = _new_deal_with_lines(world_a, deal_type_a)
    page = world_a.client().get(detail_url(deal)).content.decode()
    assert 'id="deal-amount">103,001円' in page and "商品内訳の合計" in page
    # 10% of 100,000 + 8% of 3,001.5 (240.12, dropped to 240): the estimate per tax rate as freee computes it.
    assert 'id="deal-tax">10,240円' in page and 'id="deal-total">113,241円' in page


def test_a_deal_without_lines_keeps_its_typed_amount_and_estimates_10_percent(world_a, deal_type_a):
    world_a.client().post(CREATE_URL, deal_post(deal_type_a, name="金額だけの案件", amount="50000"))
    deal = Deal.objects.get(name="金額だけの案件")
    assert deal.amount == 50000
    page = world_a.client().get(detail_url(deal)).content.decode()
    assert 'id="deal-tax">5,000円' in page and "商品内訳の合計" not in page


def test_list_csv_and_api_show_the_amount_of_the_lines(world_a, deal_type_a):
    deal = _new_deal_with_lines(world_a, deal_type_a)
    client = world_a.client()
    assert "103,001円" in client.get("/deals/").content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(client.get("/deals/export.csv").streaming_content).decode())))
    assert rows[1][rows[0].index("金額")] == "103001"
    assert client.get(f"/api/v1/deals/{deal.public_id}/").json()["amount"] == 103001


def test_api_amount_follows_the_lines_on_create_and_on_update_without_lines(world_a, deal_type_a):
    client = world_a.client()
    body = {"name": "API案件", "deal_type": str(deal_type_a.public_id), "amount": 1,
            "lines": [{"description": "作業", "quantity": "4", "unit_price": "2500"}]}
    created = client.post("/api/v1/deals/", body, content_type="application/json").json()
    assert created["amount"] == 10000
    updated = client.patch(f"/api/v1/deals/{created['id']}/", {"amount": 999}, content_type="application/json")
    assert updated.status_code == 200 and updated.json()["amount"] == 10000


def test_removing_every_line_keeps_the_last_amount_editable(world_a, deal_type_a):
    deal = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, amount=0)
    line = DealLineFactory(deal=deal, quantity=Decimal(1), unit_price=Decimal(7000))
    data = deal_post(deal_type_a, name=deal.name, amount="8000", initial_forms=1,
                     lines=[line_post(id=line.pk, deal=deal.pk, DELETE="on", unit_price="7000")])
    assert world_a.client().post(edit_url(deal), data).status_code == 302
    deal.refresh_from_db()
    assert deal.amount == 8000 and not deal.lines.exists()


def test_lines_whose_total_is_negative_are_a_form_error_not_a_500(world_a, deal_type_a):
    data = deal_post(deal_type_a, name="値引きだけ", lines=[line_post(unit_price="-5000")])
    response = world_a.client().post(CREATE_URL, data)
    assert response.status_code == 400 and "商品内訳の合計金額が0円未満です" in response.content.decode()
    assert not Deal.objects.filter(name="値引きだけ").exists()


def test_the_migration_recomputes_existing_deals_with_lines(world_a, deal_type_a):
    stale = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, amount=0)
    DealLineFactory(deal=stale, quantity=Decimal("1.5"), unit_price=Decimal(1001))
    DealLineFactory(deal=stale, quantity=Decimal(1), unit_price=Decimal(500))
    without_lines = DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, amount=12345)
    updated_at = stale.updated_at
    migration = importlib.import_module("deals.migrations.0004_deal_amount_from_lines")
    migration.amounts_from_lines(django_apps, None)
    stale.refresh_from_db()
    without_lines.refresh_from_db()
    assert stale.amount == 2001 and without_lines.amount == 12345  # 1,501.5 + 500, fraction dropped
    assert stale.updated_at == updated_at  # a data fix, not a user's edit
