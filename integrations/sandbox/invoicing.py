"""freee請求書 invoices: request validation and amount calculation (tax rounded once per rate per invoice)."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

REQUIRED = ["company_id", "billing_date", "tax_entry_method", "tax_fraction", "withholding_tax_entry_method",
            "partner_title", "lines"]
ENUMS = {
    "tax_entry_method": {"in", "out"},
    "tax_fraction": {"omit", "round_up", "round"},
    "line_amount_fraction": {"omit", "round_up", "round", None},
    "withholding_tax_entry_method": {"in", "out"},
    "partner_title": {"御中", "様", "(空白)", "（空白）"},
    "payment_type": {"transfer", "direct_debit", "card"},
    "partner_sending_method": {"email", "posting", "email_and_posting", None},
}
DATE_FIELDS = ["billing_date", "issue_date", "payment_date"]
MAX_LENGTHS = {"invoice_number": 255, "subject": 255, "invoice_note": 4000, "memo": 2000}
UNIT_PRICE = re.compile(r"^-?\d{1,13}(\.\d{1,3})?$")
RATE_KEYS = {(10, False): "10", (8, False): "8", (8, True): "8_reduced", (0, False): "0"}
WITHHOLDING_RATE, WITHHOLDING_HIGH_RATE, WITHHOLDING_THRESHOLD = Decimal("0.1021"), Decimal("0.2042"), 1_000_000


class InvoiceInvalid(Exception):
    """The request body breaks freee請求書's rules; `messages` are shown to the caller."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(messages)
        self.messages = messages


def round_amount(value: Decimal, fraction: str | None) -> Decimal:
    """freee's 端数処理: omit = 切り捨て, round_up = 切り上げ, round = 四捨五入 (away from zero)."""
    if fraction == "round_up":
        mode = ROUND_CEILING if value >= 0 else ROUND_FLOOR
    elif fraction == "round":
        mode = ROUND_HALF_UP
    else:
        mode = ROUND_DOWN
    return value.quantize(Decimal(1), rounding=mode)


def number(value: Decimal) -> int | float:
    """A JSON number: int when integral (freee sends 1000, not 1000.0)."""
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------- validation

def validate(body: dict, *, auto_numbering: bool) -> list[str]:
    """Every rule broken by the request body (empty when valid)."""
    errors = [f"{name} を入力してください。" for name in REQUIRED if body.get(name) in (None, "", [])]
    if not body.get("partner_id") and not body.get("partner_code"):
        errors.append("partner_id または partner_code のいずれかを指定してください。")
    errors += _enum_errors(body) + _date_errors(body) + _length_errors(body)
    errors += _numbering_errors(body, auto_numbering)
    if isinstance(body.get("lines"), list):
        for index, line in enumerate(body["lines"], start=1):
            errors += [f"lines[{index}]: {message}" for message in _line_errors(line)]
    elif body.get("lines") not in (None, ""):
        errors.append("lines は配列で指定してください。")
    return errors


def _enum_errors(body: dict) -> list[str]:
    return [f"{name} の値が不正です。" for name, allowed in ENUMS.items() if name in body and body[name] not in allowed]


def _date_errors(body: dict) -> list[str]:
    errors = []
    for name in DATE_FIELDS:
        if body.get(name) and not _is_date(body[name]):
            errors.append(f"{name} は不正な日付フォーマットです。入力例：2019-12-17")
    return errors


def _is_date(value: object) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)))


def _length_errors(body: dict) -> list[str]:
    return [f"{name} は{limit}文字以内で入力してください。" for name, limit in MAX_LENGTHS.items()
            if len(str(body.get(name) or "")) > limit]


def _numbering_errors(body: dict, auto_numbering: bool) -> list[str]:
    given = body.get("invoice_number") not in (None, "")
    if auto_numbering and given:
        return ["請求書番号の採番設定が「自動採番する」のため、invoice_number は指定できません。"]
    if not auto_numbering and not given:
        return ["請求書番号の採番設定が「自動採番しない」のため、invoice_number を入力してください。"]
    return []


def _line_errors(line: object) -> list[str]:
    if not isinstance(line, dict):
        return ["明細の形式が不正です。"]
    kind = line.get("type", "item")
    if kind not in ("item", "text"):
        return ["type の値が不正です。"]
    if kind == "text":
        return []
    errors = []
    if line.get("quantity") in (None, ""):
        errors.append("quantity を入力してください。")
    elif _decimal(line["quantity"]) is None or abs(_decimal(line["quantity"])) > Decimal("99999999.999"):
        errors.append("quantity の値が不正です。")
    if line.get("tax_rate") in (None, ""):
        errors.append("tax_rate を入力してください。")
    elif line["tax_rate"] not in (0, 8, 10):
        errors.append("tax_rate の値が不正です。")
    elif line.get("reduced_tax_rate") and line["tax_rate"] != 8:
        errors.append("reduced_tax_rate は tax_rate が 8 の場合のみ指定できます。")
    price = line.get("unit_price", "0")
    if not isinstance(price, str) or not UNIT_PRICE.match(price):
        errors.append("unit_price は文字列の数値（整数部13桁・小数部3桁以内）で指定してください。")
    if len(str(line.get("description") or "")) > 255:
        errors.append("description は255文字以内で入力してください。")
    return errors


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


# ---------------------------------------------------------------- amounts

def line_amount(line: dict, line_fraction: str | None) -> Decimal:
    """quantity × unit_price, rounded by line_amount_fraction (freee's default: 切り捨て)."""
    return round_amount(Decimal(str(line["quantity"])) * Decimal(line.get("unit_price") or "0"), line_fraction)


def rate_key(line: dict) -> str:
    return RATE_KEYS[(int(line["tax_rate"]), bool(line.get("reduced_tax_rate")) and int(line["tax_rate"]) == 8)]


def _rate(key: str) -> Decimal:
    return Decimal(10 if key == "10" else 8 if key.startswith("8") else 0)


def totals(lines: list[dict], *, tax_entry_method: str, tax_fraction: str, line_fraction: str | None) -> dict:
    """Per-rate sums, then tax computed ONCE per rate per invoice (the 適格請求書 rule), with tax_fraction."""
    sums: dict[str, Decimal] = {}
    for line in lines:
        if line.get("type", "item") == "item":
            key = rate_key(line)
            sums[key] = sums.get(key, Decimal(0)) + line_amount(line, line_fraction)
    result = {}
    for key in ("10", "8", "8_reduced", "0"):
        result[key] = _rate_amounts(sums[key], _rate(key), tax_entry_method, tax_fraction) if key in sums else None
    return result


def _rate_amounts(amount: Decimal, rate: Decimal, tax_entry_method: str, fraction: str) -> dict:
    if tax_entry_method == "out":
        tax = round_amount(amount * rate / 100, fraction)
        return {"excluding": amount, "tax": tax, "including": amount + tax}
    tax = round_amount(amount * rate / (100 + rate), fraction)
    return {"excluding": amount - tax, "tax": tax, "including": amount}


def withholding_amount(lines: list[dict], line_fraction: str | None) -> Decimal:
    """源泉徴収税額 on the 源泉対象 lines: 10.21% (20.42% above 1,000,000 yen), 切り捨て."""
    base = sum((line_amount(line, line_fraction) for line in lines
                if line.get("type", "item") == "item" and line.get("withholding")), Decimal(0))
    if base <= WITHHOLDING_THRESHOLD:
        return round_amount(base * WITHHOLDING_RATE, "omit")
    high = (base - WITHHOLDING_THRESHOLD) * WITHHOLDING_HIGH_RATE
    return round_amount(WITHHOLDING_THRESHOLD * WITHHOLDING_RATE + high, "omit")


def amount_fields(body: dict) -> dict:
    """Every amount_* field and total_amount of the invoice response."""
    lines, line_fraction = body["lines"], body.get("line_amount_fraction")
    per_rate = totals(lines, tax_entry_method=body["tax_entry_method"], tax_fraction=body["tax_fraction"],
                      line_fraction=line_fraction)
    fields: dict = {}
    for key, amounts in per_rate.items():
        for part in ("including", "excluding", "tax"):
            name = f"amount_tax_{key}" if part == "tax" else f"amount_{part}_tax_{key}"
            fields[name] = number(amounts[part]) if amounts else None
    present = [a for a in per_rate.values() if a]
    including = sum((a["including"] for a in present), Decimal(0))
    withholding = withholding_amount(lines, line_fraction)
    brought_forward = Decimal(int(body.get("amount_brought_forward") or 0))
    fields.update({
        "amount_including_tax": number(including),
        "amount_excluding_tax": number(sum((a["excluding"] for a in present), Decimal(0))),
        "amount_tax": number(sum((a["tax"] for a in present), Decimal(0))),
        "amount_withholding_tax": number(withholding),
        "amount_brought_forward": number(brought_forward),
        "total_amount": number(including - withholding
                               + (brought_forward if body.get("include_amount_brought_forward") else 0)),
    })
    return fields


def response_line(line: dict, line_id: int, *, tax_entry_method: str, line_fraction: str | None) -> dict:
    """A line as freee returns it: unit_price a string, quantity a number, amount_excluding_tax computed."""
    kind = line.get("type", "item")
    out = {"id": line_id, "type": kind, "description": line.get("description") or "",
           "sales_date": line.get("sales_date"), "unit": line.get("unit") or "",
           "withholding": bool(line.get("withholding")),
           "quantity": None, "unit_price": None, "tax_rate": None, "reduced_tax_rate": False,
           "amount_excluding_tax": None, "tag_ids": line.get("tag_ids") or []}
    for name in ("account_item_id", "tax_code", "item_id", "section_id", "segment_1_tag_id", "segment_2_tag_id",
                 "segment_3_tag_id"):
        out[name] = line.get(name)
    if kind == "item":
        amount = line_amount(line, line_fraction)
        rate = Decimal(int(line["tax_rate"]))
        excluding = amount if tax_entry_method == "out" else amount - round_amount(amount * rate / (100 + rate), "omit")
        out.update({"quantity": number(Decimal(str(line["quantity"]))), "unit_price": _price_text(line),
                    "tax_rate": int(line["tax_rate"]), "reduced_tax_rate": bool(line.get("reduced_tax_rate")),
                    "amount_excluding_tax": number(excluding)})
    return out


def _price_text(line: dict) -> str:
    price = Decimal(line.get("unit_price") or "0")
    return str(price.normalize()) if price != price.to_integral_value() else str(int(price))
