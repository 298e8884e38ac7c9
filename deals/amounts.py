"""One rule for a deal's 金額 (issue 14 item 2): with 商品内訳, 金額 is the lines' total before tax; without lines,
it is what the user entered. Tax is never part of 金額; pages show it separately (an estimate: freee computes the
invoice's tax with the tenant's 請求書の設定)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.models import TaxRate

# 金額's limit, typed or the lines' total: 12 digits of yen, as a line's 単価 (max_digits 14, 2 decimals) and freee's
# largest invoice amounts (amount_brought_forward ±999,999,999,999); far inside PostgreSQL's bigint.
AMOUNT_MAX = 999_999_999_999
AMOUNT_LIMIT_MESSAGE = gettext_lazy("金額は999,999,999,999円以下で入力してください。")  # AMOUNT_MAX, with commas
RATE_PERCENT = {TaxRate.STANDARD_10: 10, TaxRate.REDUCED_8: 8, TaxRate.ZERO: 0}
ROUNDING = {"omit": ROUND_FLOOR, "round_up": ROUND_CEILING, "round": ROUND_HALF_UP}


# Whose 消費税の端数処理 the page's estimate follows: the invoices app registers the tenant's 請求書の設定 at start-up
# (imports point invoices → deals, so deals asks through this hook instead of importing invoices).
def _truncate(tenant) -> str:
    return "omit"


_tax_fraction_source: Callable[[object], str] = _truncate


def set_tax_fraction_source(source: Callable[[object], str]) -> None:
    global _tax_fraction_source
    _tax_fraction_source = source


def tax_fraction_for(tenant) -> str:
    """The tenant's 消費税の端数処理 ("omit" 切り捨て, "round_up" 切り上げ, "round" 四捨五入)."""
    return _tax_fraction_source(tenant)


def yen(value: Decimal) -> int:
    """A line total in whole yen: fractions of a yen are dropped (as 切り捨て, freee's default)."""
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def lines_subtotal(lines: Iterable) -> int:
    """The 金額 of a deal with these lines: Σ quantity × unit price, before tax, in whole yen."""
    return yen(sum((line.quantity * line.unit_price for line in lines), Decimal(0)))


@dataclass(frozen=True)
class DealTotals:
    subtotal: int
    tax: int
    from_lines: bool

    @property
    def total(self) -> int:
        return self.subtotal + self.tax


def deal_totals(amount: int, lines: list, *, tax_fraction: str = "omit") -> DealTotals:
    """金額（税抜）, 消費税（見込み, 外税, per tax rate as freee does) and 合計 of a deal.

    Without lines the invoice is one line of `amount` at 10%, so the estimate is too."""
    rounding = ROUNDING.get(tax_fraction, ROUND_FLOOR)
    if not lines:
        tax = (Decimal(amount) * 10 / 100).to_integral_value(rounding=rounding)
        return DealTotals(amount, int(tax), from_lines=False)
    by_rate: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        by_rate[line.tax_rate] += line.quantity * line.unit_price
    tax = sum(int((total * RATE_PERCENT.get(rate, 10) / 100).to_integral_value(rounding=rounding))
              for rate, total in by_rate.items())
    return DealTotals(lines_subtotal(lines), tax, from_lines=True)


def check_amount(amount: int, *, field: str = "amount") -> None:
    """金額, typed (field "amount") or derived from the lines (field "lines"), must be within 0 … AMOUNT_MAX: the
    form and the API check a typed one first with the same message; a lines' total is only known here."""
    from_lines = field == "lines"
    if amount < 0:
        raise ValidationError({field: _("商品内訳の合計金額が0円未満です。単価と数量を確認してください。") if from_lines
                               else _("金額は0円以上で入力してください。")})
    if amount > AMOUNT_MAX:
        raise ValidationError({field: _("商品内訳の合計金額が上限（%(limit)s円）を超えています。") % {"limit": f"{AMOUNT_MAX:,}"}
                               if from_lines else str(AMOUNT_LIMIT_MESSAGE)})
