"""freee's posting rules (seed 002) as pure functions: trade → balanced journal lines. No database access.

- income: details go to the credit side; the settled part debits the wallet's account, the unsettled part
  debits the trade's counterpart account (売掛金). expense mirrors it (debit details, credit wallet / 買掛金・未払金).
- a payment registered later posts the clearing entry: 入金口座 / 売掛金 (income) or 買掛金 / 出金口座 (expense).
- tax-exclusive books (税抜経理): the consumption tax is computed ONCE per trade per tax rate from the
  tax-inclusive total with the tenant's rounding (unless the document states its own tax: an invoice's
  per-rate tax is booked as is), split to 仮受消費税 (sales codes) / 仮払消費税 (purchase codes)
  and allocated back to the details (largest remainder) only to show each detail's share.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from journals.models import Side, TaxAccounting, TaxRounding


@dataclass(frozen=True)
class PostedLine:
    side: str
    account_item_id: int
    amount: int
    tax_code_id: int | None = None
    description: str = ""


@dataclass(frozen=True)
class TaxRow:
    """One taxable row: its tax-inclusive amount and its tax code's rate and direction."""

    amount: int
    rate: int
    reduced: bool
    tax_account_id: int | None  # 仮受消費税 or 仮払消費税 for this row's tax code
    stated_tax: int | None = None  # the tax its document states (an invoice's per-rate tax): used as is


def consumption_tax(*, inclusive_total: int, rate: int, rounding: str) -> int:
    """The tax contained in a tax-inclusive total: total × rate / (100 + rate), rounded once."""
    numerator, denominator = inclusive_total * rate, 100 + rate
    if rounding == TaxRounding.CEIL:
        return -(-numerator // denominator)
    if rounding == TaxRounding.ROUND:  # 四捨五入 (half away from zero; totals here are positive)
        return (2 * numerator + denominator) // (2 * denominator)
    return numerator // denominator


def split_tax(rows: list[TaxRow], *, rounding: str) -> tuple[list[int], dict[tuple, int]]:
    """Tax per (rate, reduced, tax account) group computed once, and each row's allocated share.

    Negative rows (マイナス明細) form their own group per rate, computed once on their absolute total; the
    group totals are signed, so a tax total below zero is posted on the opposite side."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row.rate > 0 and row.tax_account_id is not None and row.amount:
            groups[(row.rate, row.reduced, row.tax_account_id, row.amount < 0, row.stated_tax is not None)].append(index)
    shares = [0] * len(rows)
    totals: dict[tuple, int] = defaultdict(int)
    for (rate, reduced, account_id, negative, stated), indexes in groups.items():
        sign = -1 if negative else 1
        if stated:  # the document's own tax: neither recomputed nor reallocated
            for i in indexes:
                shares[i] = rows[i].stated_tax
                totals[(rate, reduced, account_id)] += rows[i].stated_tax
            continue
        weights = [abs(rows[i].amount) for i in indexes]
        tax = consumption_tax(inclusive_total=sum(weights), rate=rate, rounding=rounding)
        totals[(rate, reduced, account_id)] += sign * tax
        for i, share in zip(indexes, _allocate(tax, weights), strict=True):
            shares[i] = sign * share
    return shares, dict(totals)


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder, ties to the earlier row)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights)
    exact = [total * w for w in weights]
    shares = [e // weight_sum for e in exact]
    left = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] % weight_sum), i))
    for i in by_remainder[:left]:
        shares[i] += 1
    return shares


@dataclass(frozen=True)
class TradeRows:
    """What posting needs of a trade, already resolved to account ids."""

    kind: str  # "income" | "expense"
    details: list[tuple[int, int | None, int, str]]  # (account_item_id, tax_code_id, amount, description)
    tax_rows: list[TaxRow]
    counterpart_id: int
    immediate_payments: list[tuple[int, int]]  # (wallet account_item_id, amount) posted in the trade entry
    amount: int


def trade_lines(rows: TradeRows, *, accounting: str, rounding: str) -> tuple[list[PostedLine], list[int]]:
    """The trade's own entry (compound when several details) and the tax each detail includes.

    Under 税込経理 the tax stays inside each detail's amount (no 仮受/仮払消費税 line); its share is still worked
    out, to show the tax included (消費税額)."""
    detail_side, other_side = _sides(rows.kind)
    shares, totals = split_tax(rows.tax_rows, rounding=rounding)
    exclusive = accounting == TaxAccounting.EXCLUSIVE
    posted_shares = shares if exclusive else [0] * len(shares)
    tax_lines = [PostedLine(detail_side if tax > 0 else other_side, account_id, abs(tax), None,
                            f"消費税 {rate}%{'（軽）' if reduced else ''}")
                 for (rate, reduced, account_id), tax in totals.items() if tax] if exclusive else []
    # A negative detail (控除, 源泉所得税 to 預り金) posts on the other side.
    lines = [PostedLine(detail_side if amount - share > 0 else other_side, account_id, abs(amount - share),
                        tax_code_id, description)
             for (account_id, tax_code_id, amount, description), share in zip(rows.details, posted_shares,
                                                                               strict=True)
             if amount - share]
    lines += tax_lines
    lines += [PostedLine(other_side, account_id, amount, None, "") for account_id, amount in rows.immediate_payments]
    unsettled_in_entry = rows.amount - sum(amount for _id, amount in rows.immediate_payments)
    if unsettled_in_entry > 0:
        lines.append(PostedLine(other_side, rows.counterpart_id, unsettled_in_entry, None, ""))
    return lines, shares


def clearing_lines(*, kind: str, wallet_account_id: int, counterpart_id: int, amount: int) -> list[PostedLine]:
    """A payment registered after the trade: 入金口座 / 売掛金, or 買掛金 / 出金口座."""
    if kind == "income":
        return [PostedLine(Side.DEBIT, wallet_account_id, amount), PostedLine(Side.CREDIT, counterpart_id, amount)]
    return [PostedLine(Side.DEBIT, counterpart_id, amount), PostedLine(Side.CREDIT, wallet_account_id, amount)]


def manual_lines(lines: list[tuple[str, int, int | None, int, str]], tax_rows: list[TaxRow], *, accounting: str,
                 rounding: str) -> list[PostedLine]:
    """振替伝票 lines; with tax-exclusive books the tax is split once per side and rate."""
    if accounting != TaxAccounting.EXCLUSIVE:
        return [PostedLine(side, account_id, amount, tax_code_id, text)
                for side, account_id, tax_code_id, amount, text in lines]
    posted: list[PostedLine] = []
    for side in (Side.DEBIT, Side.CREDIT):
        indexes = [i for i, line in enumerate(lines) if line[0] == side]
        shares, totals = split_tax([tax_rows[i] for i in indexes], rounding=rounding)
        for i, share in zip(indexes, shares, strict=True):
            _side, account_id, tax_code_id, amount, text = lines[i]
            if amount - share > 0:
                posted.append(PostedLine(side, account_id, amount - share, tax_code_id, text))
        posted += [PostedLine(side, account_id, tax, None, f"消費税 {rate}%{'（軽）' if reduced else ''}")
                   for (rate, reduced, account_id), tax in totals.items() if tax > 0]
    return posted


def is_balanced(lines: list[PostedLine]) -> bool:
    debit = sum(line.amount for line in lines if line.side == Side.DEBIT)
    credit = sum(line.amount for line in lines if line.side == Side.CREDIT)
    return debit == credit and all(line.amount > 0 for line in lines) and bool(lines)


def _sides(kind: str) -> tuple[str, str]:
    return (Side.CREDIT, Side.DEBIT) if kind == "income" else (Side.DEBIT, Side.CREDIT)
