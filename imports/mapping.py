"""The field and value mapping from a source's columns to deal and 商品内訳 fields: suggestions from header names
(Japanese and English), presets for the standard exports of Mazrica, Salesforce, HubSpot and kintone, and the
parsing of every cell into a deals.upsert.DealInput.

A mapping is plain data (MappingConfig, saved as JSON by imports.models.ImportMapping), so a CRM connector
(integrations/<crm>/) maps its records' fields with the same config and the same RowMapper as a file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.models import Deal, TaxRate
from deals.upsert import DealInput, LineInput, deal_types_by_name
from tenancy.models import Membership, Tenant

GROUPED, SINGLE = "grouped", "single"
LINE_MODES = [(GROUPED, gettext_lazy("1行＝商品内訳1行（同じ外部IDの行を1件の案件にまとめる）")),
              (SINGLE, gettext_lazy("1行＝案件1件（商品内訳は1行まで）"))]

# target -> (label, header names that suggest it; compared after normalize())
DEAL_TARGETS: dict[str, tuple[object, tuple[str, ...]]] = {
    "external_id": (gettext_lazy("外部ID（CRMの案件ID）"),
                    ("外部id", "案件id", "商談id", "レコード番号", "recordid", "dealid", "opportunityid", "id", "案件番号")),
    "name": (gettext_lazy("案件名"), ("案件名", "商談名", "dealname", "opportunityname", "name", "件名")),
    "deal_type": (gettext_lazy("案件タイプ"), ("案件タイプ", "種別", "商談種別", "dealtype", "type", "案件種別")),
    "stage": (gettext_lazy("フェーズ"), ("フェーズ", "ステージ", "商談フェーズ", "dealstage", "stage", "進捗", "確度")),
    "amount": (gettext_lazy("金額"), ("金額", "受注金額", "見込金額", "amount", "dealamount", "合計金額")),
    "expected_order_date": (gettext_lazy("受注予定日"),
                            ("受注予定日", "完了予定日", "closedate", "見込み時期", "受注日", "expectedclosedate")),
    "expected_billing_date": (gettext_lazy("請求予定日"), ("請求予定日", "請求日", "billingdate", "invoicedate")),
    "owner": (gettext_lazy("担当者（メールアドレスまたは名前）"),
              ("担当者", "商談所有者", "所有者", "dealowner", "opportunityowner", "owner", "担当者メールアドレス", "営業担当")),
    "partner_name": (gettext_lazy("取引先名"),
                     ("取引先名", "取引先", "会社名", "顧客名", "accountname", "associatedcompany", "company", "companyname")),
    "partner_freee_id": (gettext_lazy("freee取引先ID"), ("freee取引先id", "freeepartnerid", "partnerid")),
}
LINE_TARGETS: dict[str, tuple[object, tuple[str, ...]]] = {
    "line_description": (gettext_lazy("商品内訳: 品名"), ("品名", "商品名", "製品名", "productname", "product", "lineitemname")),
    "line_quantity": (gettext_lazy("商品内訳: 数量"), ("数量", "quantity", "qty", "ユーザー数")),
    "line_unit": (gettext_lazy("商品内訳: 単位"), ("単位", "unit")),
    "line_unit_price": (gettext_lazy("商品内訳: 単価"), ("単価", "販売価格", "unitprice", "salesprice", "price")),
    "line_tax_rate": (gettext_lazy("商品内訳: 税率"), ("税率", "taxrate", "tax")),
}
TARGETS = {**DEAL_TARGETS, **LINE_TARGETS}
TEXT_TARGETS = {"external_id", "name", "partner_name", "line_description", "line_unit"}

# A CRM's phase names -> our フェーズ (compared after normalize()).
STAGE_SUGGESTIONS = {
    "won": ("受注", "成約", "closedwon", "won", "受注済み", "契約済み", "a"),
    "lost": ("失注", "closedlost", "lost", "不成立"),
    "negotiation": ("交渉", "交渉中", "negotiation", "negotiationreview", "contractsent", "decisionmakerboughtin",
                    "b", "見積提出"),
    "proposal": ("提案", "提案中", "proposal", "proposalpricequote", "presentationscheduled", "valueproposition",
                 "qualifiedtobuy", "c"),
    "lead": ("見込み", "見込", "リード", "lead", "prospecting", "qualification", "appointmentscheduled", "needsanalysis",
             "アポ", "初回訪問"),
}


@dataclass(frozen=True)
class Preset:
    """The standard export of one CRM: its header names (either language), phase names, and how lines come."""

    key: str
    label: str
    source: str
    columns: dict[str, tuple[str, ...]]
    line_mode: str = SINGLE


PRESETS = {preset.key: preset for preset in [
    Preset("mazrica", "Mazrica（旧Senses）案件エクスポート", "mazrica", {
        "external_id": ("案件ID",), "name": ("案件名",), "stage": ("フェーズ", "ステージ"), "amount": ("金額", "見込金額"),
        "expected_order_date": ("受注予定日", "見込み時期"), "owner": ("担当者", "担当ユーザー"),
        "partner_name": ("取引先", "取引先名"), "deal_type": ("案件タイプ",),
        "line_description": ("商品名",), "line_quantity": ("数量",), "line_unit_price": ("単価",)}, GROUPED),
    Preset("salesforce", "Salesforce 商談レポート（商品付き）", "salesforce", {
        "external_id": ("商談 ID", "商談ID", "Opportunity ID"), "name": ("商談名", "Opportunity Name"),
        "stage": ("フェーズ", "Stage"), "amount": ("金額", "Amount"), "expected_order_date": ("完了予定日", "Close Date"),
        "owner": ("商談 所有者", "商談所有者", "Opportunity Owner"), "partner_name": ("取引先名", "Account Name"),
        "deal_type": ("種別", "Type"), "line_description": ("商品名", "Product Name"),
        "line_quantity": ("数量", "Quantity"), "line_unit_price": ("販売価格", "Sales Price")}, GROUPED),
    Preset("hubspot", "HubSpot 取引エクスポート", "hubspot", {
        "external_id": ("Record ID", "レコードID"), "name": ("Deal Name", "取引名"), "stage": ("Deal Stage", "取引ステージ"),
        "amount": ("Amount", "金額"), "expected_order_date": ("Close Date", "クローズ日"),
        "owner": ("Deal owner", "Deal Owner", "取引担当者"), "partner_name": ("Associated Company", "関連付けられた会社"),
        "deal_type": ("Deal Type", "取引タイプ")}, SINGLE),
    Preset("kintone", "kintone 案件管理アプリ（レコード書き出し）", "kintone", {
        "external_id": ("レコード番号",), "name": ("案件名",), "partner_name": ("会社名", "顧客名"),
        "owner": ("担当者名", "担当者"), "stage": ("確度", "ステータス"), "expected_order_date": ("見込み時期", "受注予定日"),
        "amount": ("小計", "合計", "金額"), "line_description": ("製品名", "商品名"), "line_unit_price": ("単価",),
        "line_quantity": ("ユーザー数", "数量")}, GROUPED),
]}


@dataclass
class MappingConfig:
    """Which column feeds which field, how the CRM's phase and type names map to ours, and how lines come."""

    columns: dict[str, str] = field(default_factory=dict)  # target -> column (header name)
    stage_values: dict[str, str] = field(default_factory=dict)  # the CRM's value -> Deal.Stage
    type_values: dict[str, str] = field(default_factory=dict)  # the CRM's value -> 案件タイプ name ("" 標準)
    line_mode: str = SINGLE
    source: str = "file"  # external_source of the deals

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> MappingConfig:
        data = data or {}
        return cls(columns=dict(data.get("columns") or {}), stage_values=dict(data.get("stage_values") or {}),
                   type_values=dict(data.get("type_values") or {}), line_mode=data.get("line_mode") or SINGLE,
                   source=data.get("source") or "file")

    @property
    def has_lines(self) -> bool:
        return bool(self.columns.get("line_description"))


def column_name(config: MappingConfig, target: str) -> str:
    """The file's column mapped to `target` (as the report names it), else the field's label."""
    return config.columns.get(target) or str(TARGETS[target][0])


def normalize(text: str) -> str:
    """Compare header and value names loosely: width, case, spaces and punctuation do not matter."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"[\s_\-・:：()（）/.]+", "", text)


def suggest(header: list[str]) -> dict[str, str]:
    """target -> the column whose name fits it best (an exact synonym first, then a column containing one)."""
    normalized = {column: normalize(column) for column in header}
    chosen: dict[str, str] = {}
    for exact in (True, False):
        for target, (_label, names) in TARGETS.items():
            if target in chosen:
                continue
            for name in names:
                match = next((c for c, n in normalized.items() if c not in chosen.values()
                              and (n == name if exact else len(name) > 2 and name in n)), None)
                if match:
                    chosen[target] = match
                    break
    return chosen


def preset_config(key: str, header: list[str]) -> MappingConfig:
    """The preset's mapping for this file's header (the columns it has; suggestions fill the rest)."""
    preset = PRESETS[key]
    columns = {}
    by_name = {normalize(column): column for column in header}
    for target, names in preset.columns.items():
        column = next((by_name[normalize(n)] for n in names if normalize(n) in by_name), None)
        if column:
            columns[target] = column
    for target, column in suggest(header).items():
        if target not in columns and column not in columns.values():
            columns[target] = column
    return MappingConfig(columns=columns, line_mode=preset.line_mode, source=preset.source)


def suggest_stage(value: str) -> str:
    """Our フェーズ for the CRM's value, or "" when nothing fits (the user chooses)."""
    key = normalize(value)
    for stage, names in STAGE_SUGGESTIONS.items():
        if key in names:
            return stage
    return ""


# --------------------------------------------------------------------------- cells

FORMULA_STARTS = ("=", "+", "-", "@")
WAREKI = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_WAREKI_RE = re.compile(r"^(令和|平成|昭和|R|H|S)(元|\d{1,2})年?[./-]?(\d{1,2})月?[./-]?(\d{1,2})日?$")
_DATE_RE = re.compile(r"^(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})日?$")


class CellError(ValueError):
    """A cell that cannot become its field's value; the message says what to write instead."""


def parse_text(value) -> str:
    text = _text(value)
    if text.startswith(FORMULA_STARTS):
        raise CellError(_("数式として扱われるおそれのある値（=、+、-、@で始まる値）は取り込めません。先頭の記号を外してください。"))
    return text


def parse_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", _text(value))
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2})?$", "", text).replace(" ", "")  # a time of day after the date
    if not text:
        return None
    try:
        match = _DATE_RE.match(text)
        if match:
            return date(*(int(g) for g in match.groups()))
        match = _WAREKI_RE.match(text)
        if match:
            era, year, month, day = match.groups()
            return date(WAREKI[era] + (1 if year == "元" else int(year)), int(month), int(day))
    except ValueError:  # a date that does not exist (2026/02/30): the same message as an unreadable one
        pass
    raise CellError(_("日付として読めません（2026/12/03、2026-12-03、令和8年12月3日の形で入力してください）。"))


def parse_decimal(value, *, what: str) -> Decimal | None:
    text = unicodedata.normalize("NFKC", _text(value))
    text = re.sub(r"[¥\\,\s円]", "", text.replace("￥", "¥"))
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("%(what)sとして読めません（数字で入力してください）。") % {"what": what}) from None
    if not number.is_finite():
        raise CellError(_("%(what)sとして読めません（数字で入力してください）。") % {"what": what})
    return number


def parse_amount(value) -> int | None:
    number = parse_decimal(value, what=_("金額"))
    if number is None:
        return None
    if number < 0:
        raise CellError(_("金額にマイナスの値は使えません。"))
    if number != number.to_integral_value():
        raise CellError(_("金額は円単位の整数で入力してください。"))
    return int(number)


def parse_tax_rate(value) -> str | None:
    text = normalize(_text(value)).replace("%", "")
    if not text:
        return None
    rates = {"10": TaxRate.STANDARD_10, "0.1": TaxRate.STANDARD_10, "標準10": TaxRate.STANDARD_10,
             "8": TaxRate.REDUCED_8, "0.08": TaxRate.REDUCED_8, "軽減8": TaxRate.REDUCED_8, "8軽減": TaxRate.REDUCED_8,
             "0": TaxRate.ZERO, "非課税": TaxRate.ZERO, "対象外": TaxRate.ZERO, "不課税": TaxRate.ZERO}
    if text not in rates:
        raise CellError(_("税率として読めません（10%、軽減8%、0% のいずれかで入力してください）。"))
    return rates[text]


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# --------------------------------------------------------------------------- rows -> deals


class Members:
    """The tenant's members by e-mail, user name and full name, read once per import (担当者)."""

    def __init__(self, tenant: Tenant):
        users = get_user_model().objects.filter(
            pk__in=Membership.objects.for_tenant(tenant).values("user_id")).values_list(
            "pk", "email", "username", "last_name", "first_name")
        self.by_key: dict[str, int] = {}
        for pk, email, username, last, first in users:
            for key in (email, username, f"{last}{first}", f"{first}{last}", f"{last} {first}", f"{first} {last}"):
                if normalize(key):
                    self.by_key.setdefault(normalize(key), pk)

    def find(self, value: str) -> int:
        pk = self.by_key.get(normalize(value))
        if pk is None:
            raise CellError(_("担当者「%(name)s」はこの事業所のメンバーにいません（メールアドレスか名前で指定してください）。")
                            % {"name": value})
        return pk


@dataclass
class MappedRow:
    """One row as it will be saved, with the errors found in its cells (column -> message)."""

    number: int
    key: str
    deal: dict
    line: LineInput | None
    errors: list[tuple[str, str]]


class RowMapper:
    """Turn a table's rows into DealInputs with the config: one per row (SINGLE) or per run of rows sharing the
    external id (GROUPED). A key seen again after another key is a duplicate: reported, never merged."""

    def __init__(self, *, tenant: Tenant, config: MappingConfig, header: list[str]):
        self.config = config
        self.index = {target: header.index(column) for target, column in config.columns.items() if column in header}
        self.members = Members(tenant) if "owner" in self.index else None
        self.types = deal_types_by_name(tenant=tenant) if "deal_type" in self.index else {}
        self.stage_values = {normalize(k): v for k, v in config.stage_values.items()}
        self.type_values = {normalize(k): v for k, v in config.type_values.items()}

    def column(self, target: str) -> str:
        return column_name(self.config, target)

    def key_of(self, cells: list) -> str:
        position = self.index.get("external_id")
        return "" if position is None else _text(cells[position])

    def map_row(self, number: int, cells: list) -> MappedRow:
        errors: list[tuple[str, str]] = []
        deal: dict = {}
        for target in sorted(self.index, key=self.index.get):  # errors in the file's column order
            if target in DEAL_TARGETS and target != "external_id":
                self._cell(target, cells, deal, errors)
        line = self._line(cells, errors) if self.config.has_lines else None
        key = self.key_of(cells)
        try:
            parse_text(key)
        except CellError as error:
            errors.append((self.column("external_id"), str(error)))
        return MappedRow(number, key, deal, line, errors)

    def _cell(self, target: str, cells: list, deal: dict, errors: list) -> None:
        raw = cells[self.index[target]]
        try:
            value = self._parse(target, raw)
        except CellError as error:
            errors.append((self.column(target), str(error)))
            return
        if value is not _SKIP:
            deal[_FIELD.get(target, target)] = value

    def _parse(self, target: str, raw):
        if target in {"name", "partner_name"}:
            return parse_text(raw)
        if target == "amount":
            amount = parse_amount(raw)
            return _SKIP if amount is None else amount
        if target in {"expected_order_date", "expected_billing_date"}:
            return parse_date(raw)
        if target == "partner_freee_id":
            number = parse_decimal(raw, what=_("freee取引先ID"))
            if number is not None and (number != number.to_integral_value() or number <= 0):
                raise CellError(_("freee取引先IDは正の整数で入力してください。"))
            return None if number is None else int(number)
        if target == "owner":
            text = _text(raw)
            return self.members.find(text) if text else None
        if target == "stage":
            return self._stage(_text(raw))
        if target == "deal_type":
            return self._deal_type(_text(raw))
        raise AssertionError(target)

    def _stage(self, text: str):
        if not text:
            return _SKIP
        stage = self.stage_values.get(normalize(text)) or suggest_stage(text)
        if stage not in Deal.Stage.values:
            raise CellError(_("フェーズ「%(value)s」の対応先が決まっていません。値の対応づけで選んでください。") % {"value": text})
        return stage

    def _deal_type(self, text: str):
        if not text:
            return _SKIP
        name = self.type_values.get(normalize(text), text)
        if not name:
            return _SKIP  # mapped to 標準: the default type
        if name not in self.types:
            raise CellError(_("案件タイプ「%(value)s」はありません。値の対応づけで既存の案件タイプを選んでください。") % {"value": text})
        return self.types[name]

    def _line(self, cells: list, errors: list) -> LineInput | None:
        get = {target: cells[self.index[target]] if target in self.index else "" for target in LINE_TARGETS}
        if not any(_text(v) for v in get.values()):
            return None
        line = LineInput(description="")
        for target, attribute, parse in (
                ("line_description", "description", parse_text), ("line_unit", "unit", parse_text),
                ("line_quantity", "quantity", lambda v: parse_decimal(v, what=_("数量"))),
                ("line_unit_price", "unit_price", lambda v: parse_decimal(v, what=_("単価"))),
                ("line_tax_rate", "tax_rate", parse_tax_rate)):
            try:
                value = parse(get[target])
            except CellError as error:
                errors.append((self.column(target), str(error)))
                continue
            if value not in (None, ""):
                setattr(line, attribute, value)
        if not line.description:
            errors.append((self.column("line_description"), _("品名を入力してください。")))
        return line

    def deals(self, rows: Iterable[tuple[int, list]], *, seen: set[str]) -> Iterator[tuple[DealInput, int, int]]:
        """(DealInput, number of rows it took, its last row number) for every deal of `rows`, in file order.
        `seen` holds the keys of earlier deals (across batches and resumed runs): a key seen again is a duplicate."""
        group: list[MappedRow] = []
        for number, cells in rows:
            row = self.map_row(number, cells)
            if group and (self.config.line_mode == SINGLE or row.key != group[0].key or not row.key):
                yield self._deal_of(group, seen), len(group), group[-1].number
                group = []
            group.append(row)
        if group:
            yield self._deal_of(group, seen), len(group), group[-1].number

    def _deal_of(self, group: list[MappedRow], seen: set[str]) -> DealInput:
        first = group[0]
        errors = [(row.number, column, message) for row in group for column, message in row.errors]
        if not first.key:
            errors.insert(0, (first.number, self.column("external_id"), _("外部IDが空です。")))
        elif first.key in seen:
            errors.insert(0, (first.number, self.column("external_id"),
                              _("外部ID「%(id)s」がファイル内で重複しています（同じ案件の行は続けて並べてください）。")
                              % {"id": first.key}))
        seen.add(first.key)
        lines = [row.line for row in group if row.line is not None] if self.config.has_lines else None
        return DealInput(self.config.source, first.key, dict(first.deal), lines, ref=first.number, errors=errors)


_SKIP = object()
_FIELD = {"deal_type": "deal_type_id", "owner": "owner_id"}
