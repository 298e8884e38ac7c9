"""源泉徴収税額: the NTA rule at and around its boundary."""

import pytest

from payment_requests.withholding import withholding_tax_amount


@pytest.mark.parametrize(("amount", "expected"), [
    (0, 0), (1, 0), (9, 0), (10, 1), (100, 10), (10_000, 1_021), (99_999, 10_209),
    (999_999, 102_099),  # 102,099.8979 cut off
    (1_000_000, 102_100),
    (1_000_001, 102_100),  # 0.2042 cut off
    (1_000_005, 102_101),  # 1.021 cut off
    (1_500_000, 204_200),  # 500,000 x 20.42% + 102,100
    (2_000_000, 306_300),
])
def test_withholding_follows_the_nta_rule(amount, expected):
    assert withholding_tax_amount(amount) == expected
