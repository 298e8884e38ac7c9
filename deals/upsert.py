"""The batched upsert of deals by external reference (source, id): one pipeline for file imports, the upsert API
and the CRM connectors (integrations/<crm>/ hands its records here).

A batch costs a constant number of SQL statements whatever its size: read the deals it names and their lines
and open invoices (3), then write new deals, changed deals, the replaced lines (4), all in one transaction so a
deal and its lines are saved together or not at all. Every item is validated before anything is written; an
item with errors is reported and left out, never half-saved, and never stops the others.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.sql import insert_rows, update_rows
from deals import amounts
from deals.models import Deal, DealLine, DealType, TaxRate
from tenancy.models import Tenant

CREATED, UPDATED, UNCHANGED, SKIPPED, ERROR = "created", "updated", "unchanged", "skipped", "error"
OUTCOME_LABELS = {CREATED: "作成", UPDATED: "更新", UNCHANGED: "変更なし", SKIPPED: "スキップ", ERROR: "エラー"}
MAX_LINES = 100  # as the deal form and the deal API
# What the upsert may set on a deal (owner and deal type as ids, resolved by the caller inside the tenant).
DEAL_FIELDS = ("name", "deal_type_id", "stage", "amount", "expected_order_date", "expected_billing_date", "owner_id",
               "partner_name", "partner_freee_id")
LINE_FIELDS = ("description", "quantity", "unit", "unit_price", "tax_rate")
INVOICED_MESSAGE = "請求書発行済みのため更新していません"
_LIMITS = {"name": 200, "partner_name": 255}


@dataclass
class LineInput:
    """One 商品内訳 line as a source gives it."""

    description: str
    quantity: Decimal = Decimal(1)
    unit: str = ""
    unit_price: Decimal = Decimal(0)
    tax_rate: str = TaxRate.STANDARD_10

    def key(self) -> tuple:
        return (self.description, Decimal(self.quantity).normalize(), self.unit, Decimal(self.unit_price).normalize(),
                self.tax_rate)


@dataclass
class DealInput:
    """One deal by its external reference. `fields` holds only what the source sets (DEAL_FIELDS); `lines` None
    leaves the deal's lines as they are, a list replaces them. `ref` is the caller's (a row number, an index)."""

    external_source: str
    external_id: str
    fields: dict = field(default_factory=dict)
    lines: list[LineInput] | None = None
    ref: object = None
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field or column, message) found by the caller


@dataclass
class Outcome:
    """What happened to one item: created / updated / unchanged / skipped / error, with the reasons."""

    ref: object
    external_source: str
    external_id: str
    status: str
    deal_id: int | None = None
    public_id: uuid.UUID | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Plan:
    item: DealInput
    deal: Deal | None  # the existing deal, None to create
    values: dict
    lines: list[LineInput] | None
    replace_lines: bool = False


def deals_upsert(*, tenant: Tenant, actor, items: list[DealInput], dry_run: bool = False) -> list[Outcome]:
    """Create or update the items' deals by (external_source, external_id), in one transaction per batch.

    `dry_run` reads and validates exactly as a real run and writes nothing. A deal with an issued freee invoice
    that is not settled (nor canceled) keeps its 金額 and 商品内訳: such an item is skipped with INVOICED_MESSAGE."""
    outcomes: dict[int, Outcome] = {}
    valid = _first_of_each_ref(items, outcomes)
    existing = _existing(tenant, valid)
    lines_of = _lines_of(existing.values())
    invoiced = _invoiced(existing.values())
    plans: list[_Plan] = []
    default_type = _DefaultType(tenant)
    for index, item in valid:
        deal = existing.get((item.external_source, item.external_id))
        errors = list(item.errors) or _validate(item, deal)
        if errors:
            outcomes[index] = _outcome(item, ERROR, deal, errors)
            continue
        plan = _plan(default_type, item, deal, lines_of.get(deal.pk) if deal else None)
        status = _status(plan, invoiced)
        outcomes[index] = _outcome(item, status, deal, [("amount", _(INVOICED_MESSAGE))] if status == SKIPPED else [])
        if status in {CREATED, UPDATED}:
            plans.append(plan)
    if plans and not dry_run:
        _write(tenant, plans, outcomes, valid)
    return [outcomes[index] for index in range(len(items))]


def _first_of_each_ref(items: list[DealInput], outcomes: dict[int, Outcome]) -> list[tuple[int, DealInput]]:
    """The items to work on: a reference named twice in one call is an error on its second item."""
    seen: dict[tuple[str, str], object] = {}
    valid = []
    for index, item in enumerate(items):
        ref = (item.external_source, item.external_id)
        if not item.external_id or not item.external_source:
            outcomes[index] = _outcome(item, ERROR, None, [("external_id", _("外部IDが空です。"))])
        elif ref in seen:
            outcomes[index] = _outcome(item, ERROR, None, [("external_id", _("外部ID「%(id)s」が重複しています（%(first)s）。")
                                                            % {"id": item.external_id, "first": seen[ref]})])
        else:
            seen[ref] = item.ref if item.ref is not None else index + 1
            valid.append((index, item))
    return valid


def _existing(tenant: Tenant, valid: list[tuple[int, DealInput]]) -> dict[tuple[str, str], Deal]:
    by_source: dict[str, list[str]] = defaultdict(list)
    for _index, item in valid:
        by_source[item.external_source].append(item.external_id)
    found: dict[tuple[str, str], Deal] = {}
    for source, ids in by_source.items():  # one statement per source (a batch has one)
        # `external_id <> ''` repeats the partial unique index's condition, so PostgreSQL can use that index
        for deal in Deal.objects.for_tenant(tenant).filter(external_source=source, external_id__in=ids).exclude(
                external_id=""):
            found[(deal.external_source, deal.external_id)] = deal
    return found


def _lines_of(deals) -> dict[int, list[DealLine]]:
    ids = [deal.pk for deal in deals]
    lines: dict[int, list[DealLine]] = defaultdict(list)
    if ids:
        for line in DealLine.objects.filter(deal_id__in=ids).order_by("deal_id", "position", "id"):
            lines[line.deal_id].append(line)
    return lines


def _invoiced(deals) -> set[int]:
    """Deals with an issued freee invoice that is neither settled nor canceled (what freee is billing now).

    Read through the reverse relation so deals never imports invoices (imports point invoices → deals)."""
    ids = [deal.pk for deal in deals]
    if not ids:
        return set()
    if not any(rel.name == "invoices" for rel in Deal._meta.related_objects):
        return set()  # the invoices app is not installed
    invoice_model = Deal._meta.get_field("invoices").related_model
    return set(invoice_model.objects.filter(deal_id__in=ids, state="issued")
               .exclude(payment_status="settled").exclude(cancel_status="canceled")
               .values_list("deal_id", flat=True))


def _validate(item: DealInput, deal: Deal | None) -> list[tuple[str, str]]:
    """Model-level checks every source shares (cells were already parsed by the caller)."""
    errors = []
    values = item.fields
    if deal is None and not (values.get("name") or "").strip():
        errors.append(("name", _("案件名を入力してください。")))
    for name, limit in _LIMITS.items():
        if len(values.get(name) or "") > limit:
            errors.append((name, _("%(limit)s文字以内で入力してください。") % {"limit": limit}))
    if "stage" in values and values["stage"] not in Deal.Stage.values:
        errors.append(("stage", _("フェーズの値が正しくありません。")))
    amount = values.get("amount")
    if amount is not None and not item.lines and not 0 <= amount <= amounts.AMOUNT_MAX:
        errors.append(("amount", _("金額は0円以上で入力してください。") if amount < 0 else str(amounts.AMOUNT_LIMIT_MESSAGE)))
    errors += _validate_lines(item.lines or [])
    return errors


def _validate_lines(lines: list[LineInput]) -> list[tuple[str, str]]:
    errors = []
    if len(lines) > MAX_LINES:
        errors.append(("lines", _("商品内訳は%(max)s行までです。") % {"max": MAX_LINES}))
    for line in lines:
        if not line.description.strip():
            errors.append(("line_description", _("品名を入力してください。")))
        elif len(line.description) > 255:
            errors.append(("line_description", _("%(limit)s文字以内で入力してください。") % {"limit": 255}))
        if len(line.unit) > 20:
            errors.append(("line_unit", _("%(limit)s文字以内で入力してください。") % {"limit": 20}))
        if line.tax_rate not in TaxRate.values:
            errors.append(("line_tax_rate", _("税率の値が正しくありません。")))
        errors += _check_decimal(line.quantity, "line_quantity", digits=12, places=3, positive=True)
        errors += _check_decimal(line.unit_price, "line_unit_price", digits=14, places=2)
    if not errors and lines:
        total = amounts.lines_subtotal(lines)
        if not 0 <= total <= amounts.AMOUNT_MAX:
            errors.append(("lines", _("商品内訳の合計金額が0円未満です。単価と数量を確認してください。") if total < 0
                           else _("商品内訳の合計金額が上限（%(limit)s円）を超えています。") % {"limit": f"{amounts.AMOUNT_MAX:,}"}))
    return errors


def _check_decimal(value, name: str, *, digits: int, places: int, positive: bool = False) -> list[tuple[str, str]]:
    try:
        value = Decimal(value)
        exponent = value.as_tuple().exponent
    except (InvalidOperation, TypeError, ValueError):
        return [(name, _("数値を入力してください。"))]
    if not value.is_finite():
        return [(name, _("数値を入力してください。"))]
    if positive and value <= 0:
        return [(name, _("数量は0より大きい値を入力してください。"))]
    if isinstance(exponent, int) and -exponent > places:
        return [(name, _("小数点以下は%(places)s桁までです。") % {"places": places})]
    if abs(value) >= Decimal(10) ** (digits - places):
        return [(name, _("桁数が多すぎます。"))]
    return []


def _plan(default_type: _DefaultType, item: DealInput, deal: Deal | None, current_lines: list[DealLine] | None) -> _Plan:
    values = {name: item.fields[name] for name in DEAL_FIELDS if name in item.fields}
    lines = item.lines
    if lines:
        values["amount"] = amounts.lines_subtotal(lines)  # with 商品内訳, 金額 is their total (deals.amounts)
    elif lines is None and current_lines:
        values.pop("amount", None)  # the deal keeps its lines, so its 金額 stays their total
    if deal is None and not values.get("deal_type_id"):
        values["deal_type_id"] = default_type.pk
    replace = lines is not None and [line.key() for line in lines] != [_line_key(line) for line in current_lines or []]
    return _Plan(item, deal, values, lines, replace_lines=replace)


class _DefaultType:
    """The "標準" type for new deals whose source names no type: looked up (or created) once per batch."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self._pk: int | None = None

    @property
    def pk(self) -> int:
        if self._pk is None:
            from deals.services import deal_type_get_or_create_default

            self._pk = deal_type_get_or_create_default(tenant=self.tenant).pk
        return self._pk


def _line_key(line: DealLine) -> tuple:
    return (line.description, Decimal(line.quantity).normalize(), line.unit, Decimal(line.unit_price).normalize(),
            line.tax_rate)


def _status(plan: _Plan, invoiced: set[int]) -> str:
    deal = plan.deal
    if deal is None:
        return CREATED
    changed = {name for name, value in plan.values.items() if getattr(deal, name) != value}
    if not changed and not plan.replace_lines:
        return UNCHANGED
    if deal.pk in invoiced and ("amount" in changed or plan.replace_lines):
        return SKIPPED
    return UPDATED


def _outcome(item: DealInput, status: str, deal: Deal | None, errors) -> Outcome:
    return Outcome(item.ref, item.external_source, item.external_id, status,
                   deal.pk if deal else None, deal.public_id if deal else None, list(errors))


def _write(tenant: Tenant, plans: list[_Plan], outcomes: dict[int, Outcome], valid) -> None:
    """Write the batch in one transaction; should the database refuse it (a concurrent import created one of
    these references a moment ago), write item by item so that only the refused item fails."""
    index_of = {id(item): index for index, item in valid}
    try:
        with transaction.atomic():
            _write_batch(tenant, plans, outcomes, index_of)
    except IntegrityError:
        for plan in plans:
            try:
                with transaction.atomic():
                    _write_batch(tenant, [plan], outcomes, index_of)
            except IntegrityError:
                outcomes[index_of[id(plan.item)]] = _outcome(plan.item, ERROR, None, [
                    ("external_id", _("同時に別の取り込みがこの外部IDの案件を保存しました。もう一度お試しください。"))])


def _write_batch(tenant: Tenant, plans: list[_Plan], outcomes: dict[int, Outcome], index_of: dict[int, int]) -> None:
    now = timezone.now()
    new = [plan for plan in plans if plan.deal is None]
    changed = [plan for plan in plans if plan.deal is not None]
    created_ids = _insert_deals(tenant, new, now)
    for plan, (pk, public_id) in zip(new, created_ids, strict=True):
        outcome = outcomes[index_of[id(plan.item)]]
        outcome.deal_id, outcome.public_id = pk, public_id
    _update_deals(changed, now)
    pk_of = {id(plan): outcomes[index_of[id(plan.item)]].deal_id for plan in plans}
    replaced = [plan for plan in plans if plan.replace_lines or (plan.deal is None and plan.lines)]
    old = [pk_of[id(plan)] for plan in replaced if plan.deal is not None]
    if old:
        DealLine.objects.filter(deal_id__in=old)._raw_delete(DealLine.objects.db)  # one DELETE, no cascade to walk
    _insert_lines(tenant, [(pk_of[id(plan)], plan.lines or []) for plan in replaced], now)


_INSERT_FIELDS = ("tenant", "public_id", "created_at", "updated_at", "name", "deal_type", "stage", "amount",
                  "expected_order_date", "expected_billing_date", "owner", "partner_freee_id", "partner_name",
                  "partner_set_from_freee_at", "freee_latest_status", "external_source", "external_id")


def _insert_deals(tenant: Tenant, plans: list[_Plan], now) -> list[tuple[int, uuid.UUID]]:
    rows = []
    for plan in plans:
        v = plan.values
        rows.append((tenant.pk, uuid.uuid4(), now, now, v.get("name", ""), v["deal_type_id"],
                     v.get("stage", Deal.Stage.LEAD), v.get("amount", 0), v.get("expected_order_date"),
                     v.get("expected_billing_date"), v.get("owner_id"), v.get("partner_freee_id"),
                     v.get("partner_name", ""), None, "", plan.item.external_source, plan.item.external_id))
    return [(pk, uuid.UUID(str(public_id))) for pk, public_id in
            insert_rows(Deal, _INSERT_FIELDS, rows, returning="id, public_id")]


_UPDATE_FIELDS = ("name", "deal_type", "stage", "amount", "expected_order_date", "expected_billing_date", "owner",
                  "partner_freee_id", "partner_name", "partner_set_from_freee_at", "updated_at")


def _update_deals(plans: list[_Plan], now) -> None:
    rows = []
    for plan in plans:
        deal = plan.deal
        saved_partner = (deal.partner_freee_id, deal.partner_name)
        for name, value in plan.values.items():
            setattr(deal, name, value)
        if (deal.partner_freee_id, deal.partner_name) != saved_partner:
            deal.partner_set_from_freee_at = None  # 「freeeの取引先から設定」 ends when the partner changes
        deal.updated_at = now
        rows.append((deal.pk, *(getattr(deal, f"{name}_id" if name in {"deal_type", "owner"} else name)
                                for name in _UPDATE_FIELDS)))
    update_rows(Deal, _UPDATE_FIELDS, rows)


_LINE_INSERT_FIELDS = ("tenant", "public_id", "created_at", "updated_at", "deal", "position", "product", "description",
                       "quantity", "unit", "unit_price", "tax_rate")


def _insert_lines(tenant: Tenant, deals_lines: list[tuple[int, list[LineInput]]], now) -> None:
    rows = [(tenant.pk, uuid.uuid4(), now, now, deal_id, position, None, line.description, Decimal(line.quantity),
             line.unit, Decimal(line.unit_price), line.tax_rate)
            for deal_id, lines in deals_lines for position, line in enumerate(lines)]
    insert_rows(DealLine, _LINE_INSERT_FIELDS, rows)


def deal_types_by_name(*, tenant: Tenant) -> dict[str, int]:
    """The tenant's 案件タイプ by name, for sources that name a type (value mapping of files and connectors)."""
    return dict(DealType.objects.for_tenant(tenant).values_list("name", "pk"))

