"""案件一覧: the freee最新請求ステータス column and filter, and the CSV download of the filtered list."""

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deals.models import FreeeLatestStatus
from tenancy.permissions import CSV_EXPORT
from tests.factories import DealFactory, DealTypeFactory, PermissionProfileFactory

LIST_URL = "/deals/"
CSV_URL = "/deals/export.csv"
BOM = b"\xef\xbb\xbf"
HEADERS = ["案件名", "案件タイプ", "フェーズ", "取引先", "金額", "受注予定日", "請求予定日", "担当者",
           "freee最新請求ステータス", "更新日時"]


def listed_names(response) -> list[str]:
    return sorted(deal.name for deal in response.context["deals"])


def download(client, **params) -> tuple[bytes, list[list[str]]]:
    response = client.get(CSV_URL, params)
    assert response.status_code == 200 and response.streaming
    raw = b"".join(response.streaming_content)
    text = raw.removeprefix(BOM).decode("utf-8")
    return raw, list(csv.reader(io.StringIO(text)))


@pytest.fixture
def deal_type_a(world_a):
    return DealTypeFactory(tenant=world_a.tenant, name="標準")


@pytest.fixture
def statuses(world_a, deal_type_a):
    """One deal per status of interest."""
    return {
        "settled": DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="決済済みの案件",
                               freee_latest_status=FreeeLatestStatus.SETTLED),
        "unsettled": DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="決済待ちの案件",
                                 freee_latest_status=FreeeLatestStatus.UNSETTLED),
        "none": DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="未発行の案件"),
    }


# --------------------------------------------------------------------------- column and filter


def test_the_list_shows_the_latest_status_column(world_a, statuses):
    body = world_a.client().get(LIST_URL).content.decode()
    assert "<th>freee最新請求ステータス</th>" in body
    assert ">決済済み<" in body and ">決済待ち<" in body and ">未発行<" in body


def test_the_filter_sits_with_the_others_and_offers_every_status_and_all(world_a):
    body = world_a.client().get(LIST_URL).content.decode()
    assert 'name="freee_latest_status"' in body
    assert '<option value="" selected>すべて</option>' in body
    assert '<option value="none">未発行</option>' in body and '<option value="canceled">取消</option>' in body


def test_filtering_by_status_shows_only_those_deals(world_a, statuses):
    response = world_a.client().get(LIST_URL, {"freee_latest_status": "settled"})
    assert listed_names(response) == ["決済済みの案件"]


def test_filtering_by_not_issued_shows_deals_without_invoices(world_a, statuses):
    response = world_a.client().get(LIST_URL, {"freee_latest_status": "none"})
    assert listed_names(response) == ["未発行の案件"]


def test_all_is_no_filter_and_an_unknown_value_is_ignored(world_a, statuses):
    client = world_a.client()
    assert len(listed_names(client.get(LIST_URL, {"freee_latest_status": ""}))) == 3
    assert len(listed_names(client.get(LIST_URL, {"freee_latest_status": "bogus"}))) == 3


def test_sort_links_keep_the_status_filter(world_a, statuses):
    body = world_a.client().get(LIST_URL, {"freee_latest_status": "settled"}).content.decode()
    assert "sort=name&amp;freee_latest_status=settled" in body


def _list_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL, params or {}).status_code == 200
    return len(queries)


def test_the_list_makes_the_same_number_of_queries_for_few_and_many_deals(world_a, deal_type_a):
    client = world_a.client()
    DealFactory.create_batch(3, tenant=world_a.tenant, deal_type=deal_type_a, owner=world_a.member,
                             freee_latest_status=FreeeLatestStatus.SENT)
    few = _list_queries(client, {"freee_latest_status": "sent"})
    DealFactory.create_batch(30, tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant),
                             owner=world_a.admin, freee_latest_status=FreeeLatestStatus.SENT)
    assert _list_queries(client, {"freee_latest_status": "sent"}) == few <= 12


# --------------------------------------------------------------------------- CSV


def test_csv_has_japanese_headers_and_one_row_per_deal(world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="ホームページ制作", stage="won",
                partner_name="山田商事", amount=330000, expected_order_date=date(2026, 10, 1),
                expected_billing_date=date(2026, 11, 30), owner=world_a.member,
                freee_latest_status=FreeeLatestStatus.SETTLED)

    raw, rows = download(world_a.client())

    assert rows[0] == HEADERS
    assert rows[1][:9] == ["ホームページ制作", "標準", "受注", "山田商事", "330000", "2026/10/01", "2026/11/30",
                           "member_A", "決済済み"]
    assert len(rows) == 2 and len(rows[1][9]) == len("2026/01/01 00:00")
    assert not raw.startswith(BOM)


def test_csv_response_is_utf8_and_named_with_the_date_in_ascii(world_a):
    response = world_a.client().get(CSV_URL)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="deals-') and disposition.endswith('.csv"')
    assert disposition.isascii()


def test_the_bom_is_there_only_with_bom_1(world_a, statuses):
    client = world_a.client()
    with_bom, _rows = download(client, bom="1")
    without, _rows = download(client, bom="0")
    assert with_bom.startswith(BOM) and with_bom.count(BOM) == 1
    assert not without.startswith(BOM)
    assert with_bom[len(BOM):] == without


def test_csv_applies_the_current_filters(world_a, statuses, deal_type_a):
    client = world_a.client()
    _raw, rows = download(client, freee_latest_status="none")
    assert [row[0] for row in rows[1:]] == ["未発行の案件"]
    _raw, rows = download(client, q="決済", sort="name")
    assert [row[0] for row in rows[1:]] == sorted(["決済済みの案件", "決済待ちの案件"])
    _raw, rows = download(client, stage="won")
    assert rows[1:] == []


def test_csv_never_contains_another_tenants_deals(world_a, world_b, statuses):
    DealFactory(tenant=world_b.tenant, name="他テナントの秘密案件", freee_latest_status=FreeeLatestStatus.SETTLED)
    raw, rows = download(world_a.client(), freee_latest_status="settled")
    assert "他テナントの秘密案件" not in raw.decode()
    assert [row[0] for row in rows[1:]] == ["決済済みの案件"]


def test_csv_cells_that_excel_would_run_as_formulas_are_quoted(world_a, deal_type_a):
    DealFactory(tenant=world_a.tenant, deal_type=deal_type_a, name="=HYPERLINK(\"http://evil\")", partner_name="@x")
    _raw, rows = download(world_a.client())
    assert rows[1][0].startswith("'=") and rows[1][3] == "'@x"


def _csv_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CSV_URL)
        b"".join(response.streaming_content)
    return len(queries)


def test_csv_makes_the_same_number_of_queries_for_few_and_many_deals(world_a, deal_type_a):
    client = world_a.client()
    DealFactory.create_batch(2, tenant=world_a.tenant, deal_type=deal_type_a, owner=world_a.member)
    few = _csv_queries(client)
    DealFactory.create_batch(40, tenant=world_a.tenant, deal_type=DealTypeFactory(tenant=world_a.tenant),
                             owner=world_a.admin)
    assert _csv_queries(client) == few


def test_csv_streams_in_chunks_for_many_deals(world_a, deal_type_a, monkeypatch):
    from deals import csv_export

    monkeypatch.setattr(csv_export, "CHUNK_BYTES", 256)
    DealFactory.create_batch(25, tenant=world_a.tenant, deal_type=deal_type_a)
    response = world_a.client().get(CSV_URL, {"bom": "1"})
    chunks = list(response.streaming_content)
    assert chunks[0] == BOM and len(chunks) >= 4 and all(len(chunk) <= 256 for chunk in chunks[2:])
    assert b"".join(chunks).count(b"\n") == 26


def test_the_list_links_to_both_downloads_with_its_filters(world_a):
    body = world_a.client().get(LIST_URL, {"stage": "won", "freee_latest_status": "none"}).content.decode()
    assert f'href="{CSV_URL}?stage=won&amp;freee_latest_status=none"' in body
    assert f'href="{CSV_URL}?stage=won&amp;freee_latest_status=none&amp;bom=1"' in body
    assert "Excel用（BOM付き）" in body


def test_csv_is_for_members_only(client, world_a):
    assert client.get(CSV_URL).status_code == 302
    assert world_a.client("outsider").get(CSV_URL).status_code == 403


def test_with_profiles_on_only_holders_of_csv_export_see_and_get_the_download(world_a, statuses):
    world_a.tenant.uses_permission_profiles = True
    world_a.tenant.save()
    member = world_a.client("member")
    assert CSV_URL not in member.get(LIST_URL).content.decode()
    assert member.get(CSV_URL).status_code == 403
    world_a.member_membership.permission_profile = PermissionProfileFactory(tenant=world_a.tenant,
                                                                            permissions=[CSV_EXPORT])
    world_a.member_membership.save()
    assert CSV_URL in member.get(LIST_URL).content.decode()
    assert member.get(CSV_URL).status_code == 200
