"""Column and value mapping (issue 17 item 2) and the cells of bad input (item 7)."""

from datetime import date
from decimal import Decimal

import pytest

from imports import mapping
from imports.mapping import GROUPED, SINGLE, CellError, MappingConfig, RowMapper, preset_config, suggest
from tests.factories import DealTypeFactory
from tests.imports.files import SALESFORCE_HEADER


def test_suggestions_come_from_japanese_and_english_headers():
    assert suggest(["商談名", "金額", "完了予定日", "取引先名"]) == {
        "name": "商談名", "amount": "金額", "expected_order_date": "完了予定日", "partner_name": "取引先名"}
    english = suggest(["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Deal owner"])
    assert english == {"external_id": "Record ID", "name": "Deal Name", "stage": "Deal Stage", "amount": "Amount",
                       "expected_order_date": "Close Date", "owner": "Deal owner"}


@pytest.mark.parametrize(("preset", "header", "expected"), [
    ("salesforce", SALESFORCE_HEADER, {"external_id": "商談 ID", "name": "商談名", "owner": "商談 所有者",
                                       "line_unit_price": "販売価格", "line_description": "商品名"}),
    ("salesforce", ["Opportunity ID", "Opportunity Name", "Stage", "Amount", "Close Date", "Account Name"],
     {"external_id": "Opportunity ID", "name": "Opportunity Name", "stage": "Stage"}),
    ("hubspot", ["Record ID", "Deal Name", "Deal Stage", "Amount", "Associated Company"],
     {"external_id": "Record ID", "partner_name": "Associated Company"}),
    ("mazrica", ["案件ID", "案件名", "フェーズ", "見込金額", "取引先", "担当ユーザー"],
     {"external_id": "案件ID", "amount": "見込金額", "owner": "担当ユーザー", "partner_name": "取引先"}),
    ("kintone", ["レコード番号", "案件名", "会社名", "確度", "製品名", "単価", "ユーザー数", "小計"],
     {"external_id": "レコード番号", "partner_name": "会社名", "stage": "確度", "line_quantity": "ユーザー数"}),
])
def test_presets_map_the_standard_exports(preset, header, expected):
    config = preset_config(preset, header)
    assert expected.items() <= config.columns.items()
    assert config.source == preset


def test_the_crms_phase_names_are_suggested():
    assert [mapping.suggest_stage(v) for v in ("受注", "Closed Won", "closedwon", "失注", "Negotiation/Review", "謎")] == [
        "won", "won", "won", "lost", "negotiation", ""]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026/12/03", date(2026, 12, 3)), ("2026-12-03", date(2026, 12, 3)), ("令和8年12月3日", date(2026, 12, 3)),
    ("2026年12月3日", date(2026, 12, 3)), ("R8.12.3", date(2026, 12, 3)), ("２０２６／１２／０３", date(2026, 12, 3)),
    ("2026-12-03 10:00:00", date(2026, 12, 3)), ("", None)])
def test_dates_are_read_in_the_usual_forms(text, expected):
    assert mapping.parse_date(text) == expected


@pytest.mark.parametrize("text", ["2026/13/03", "12/03/2026", "来月"])
def test_an_unreadable_date_says_which_forms_work(text):
    with pytest.raises(CellError, match="令和8年12月3日"):
        mapping.parse_date(text)


@pytest.mark.parametrize(("text", "expected"), [("¥1,234,567", 1234567), ("￥160,000", 160000), ("1,000円", 1000),
                                                ("１２３", 123), ("", None)])
def test_amounts_with_yen_and_commas_are_read(text, expected):
    assert mapping.parse_amount(text) == expected


@pytest.mark.parametrize(("text", "message"), [("-5,000", "マイナス"), ("¥-1", "マイナス"), ("12.5", "整数"),
                                               ("abc", "金額として読めません")])
def test_bad_amounts_are_explained(text, message):
    with pytest.raises(CellError, match=message):
        mapping.parse_amount(text)


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+81-3", "-cmd", "@SUM(A1)"])
def test_formula_like_text_is_refused(text):
    with pytest.raises(CellError, match="数式"):
        mapping.parse_text(text)


def _mapper(tenant, header, line_mode=SINGLE, **config):
    columns = {target: column for target, column in suggest(header).items()}
    return RowMapper(tenant=tenant, config=MappingConfig(columns=columns, line_mode=line_mode, source="crm", **config),
                     header=header)


HEADER = ["案件ID", "案件名", "フェーズ", "金額", "担当者", "品名", "数量", "単価"]


@pytest.mark.django_db
def test_grouped_rows_become_one_deal_with_its_lines(world_a):
    mapper = _mapper(world_a.tenant, HEADER, GROUPED)
    rows = [(2, ["A", "案件A", "受注", "", "member_A@example.com", "導入", "1", "100,000"]),
            (3, ["A", "案件A", "受注", "", "member_A@example.com", "保守", "12", "5,000"]),
            (4, ["B", "案件B", "Closed Lost", "", "admin_A", "", "", ""])]
    deals = list(mapper.deals(rows, seen=set()))
    assert [(d.external_id, count, last) for d, count, last in deals] == [("A", 2, 3), ("B", 1, 4)]
    first = deals[0][0]
    assert first.fields["stage"] == "won" and first.fields["owner_id"] == world_a.member.pk
    assert [(line.description, line.quantity, line.unit_price) for line in first.lines] == [
        ("導入", Decimal(1), Decimal(100000)), ("保守", Decimal(12), Decimal(5000))]
    assert deals[1][0].fields["owner_id"] == world_a.admin.pk and deals[1][0].lines == []


@pytest.mark.django_db
def test_single_line_mode_reports_a_repeated_key_as_a_duplicate(world_a):
    mapper = _mapper(world_a.tenant, HEADER, SINGLE)
    rows = [(2, ["A", "案件A", "", "1", "", "", "", ""]), (3, ["A", "案件A'", "", "2", "", "", "", ""])]
    first, second = [d for d, _c, _l in mapper.deals(rows, seen=set())]
    assert not first.errors
    assert second.errors == [(3, "案件ID", "外部ID「A」がファイル内で重複しています（同じ案件の行は続けて並べてください）。")]


@pytest.mark.django_db
def test_a_key_that_comes_back_later_is_a_duplicate_even_when_grouped(world_a):
    mapper = _mapper(world_a.tenant, HEADER, GROUPED)
    rows = [(2, ["A", "x", "", "", "", "", "", ""]), (3, ["B", "y", "", "", "", "", "", ""]),
            (4, ["A", "z", "", "", "", "", "", ""])]
    deals = [d for d, _c, _l in mapper.deals(rows, seen=set())]
    assert "重複" in deals[2].errors[0][2]


@pytest.mark.django_db
def test_unknown_owner_phase_and_type_are_explained_per_cell(world_a):
    DealTypeFactory(tenant=world_a.tenant, name="新規")
    header = ["案件ID", "案件名", "フェーズ", "担当者", "案件タイプ"]
    mapper = _mapper(world_a.tenant, header, type_values={"New Business": "新規"})
    good = mapper.map_row(2, ["1", "ok", "受注", "member_A", "New Business"])
    assert not good.errors and good.deal["deal_type_id"]
    bad = mapper.map_row(3, ["1", "ok", "謎の段階", "nobody@example.com", "謎の種別"])
    assert [column for column, _m in bad.errors] == ["フェーズ", "担当者", "案件タイプ"]
    assert "nobody@example.com" in bad.errors[1][1]


@pytest.mark.django_db
def test_the_value_mapping_wins_over_suggestions(world_a):
    mapper = _mapper(world_a.tenant, ["案件ID", "案件名", "フェーズ"], stage_values={"受注": "negotiation"})
    assert mapper.map_row(2, ["1", "x", "受注"]).deal["stage"] == "negotiation"
