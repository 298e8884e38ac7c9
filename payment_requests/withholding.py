"""源泉徴収税額 on fees paid to individuals (報酬・料金), by the National Tax Agency's rule.

Up to 1,000,000 yen: amount x 10.21%. Above it: (amount - 1,000,000) x 20.42% + 102,100.
Fractions of a yen are cut off. Integer arithmetic only (rates as basis points of 1/10000).
"""

from __future__ import annotations

THRESHOLD = 1_000_000
AMOUNT_AT_THRESHOLD = 102_100  # 1,000,000 x 10.21%


def withholding_tax_amount(amount: int) -> int:
    """The withholding on a payment of `amount` yen (0 for nothing to pay)."""
    if amount <= 0:
        return 0
    if amount <= THRESHOLD:
        return amount * 1021 // 10000
    return (amount - THRESHOLD) * 2042 // 10000 + AMOUNT_AT_THRESHOLD
