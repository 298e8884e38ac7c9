"""Input checks shared by the request form (pages) and the API serializer, for rules the database enforces.

The services check each line; these check what only the lines together can break: the total's
`payreq_total_sane` check constraint (a draft may have 0-yen lines and large deduction lines).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from payment_requests.models import PaymentRequestLine

MIN_TOTAL = -99_999_999_999  # PaymentRequest's payreq_total_sane check constraint


def total_of(lines: Iterable[Mapping]) -> int:
    """支払金額 as the service computes it: 通常行 minus 控除・マイナス行 and 源泉所得税行."""
    return sum((line.get("amount") or 0) * (1 if line.get("line_type") == PaymentRequestLine.LineType.DEAL else -1)
               for line in lines)


def checked_total(lines: list[Mapping]) -> list[Mapping]:
    """The lines, if their total fits the database's range; a Japanese validation error otherwise."""
    if total_of(lines) < MIN_TOTAL:
        raise ValidationError(
            _("控除・マイナス行と源泉所得税行の合計が大きすぎます。支払金額（通常行の合計から控除・源泉所得税行を"
              "引いた額）が-99,999,999,999円以上になるように入力してください。"), code="total_out_of_range")
    return lines
