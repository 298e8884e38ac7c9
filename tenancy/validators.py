"""適格請求書発行事業者登録番号: T followed by 13 digits whose first digit is the check digit of the other twelve
(the 法人番号 rule of the National Tax Agency: 9 - (Σ digit × weight) mod 9, weights 1 and 2 alternating from
the right)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

REGISTRATION_NUMBER = re.compile(r"^T(\d{13})$")


def registration_check_digit(twelve: str) -> int:
    """The check digit of the 12 digits after it."""
    total = sum(int(digit) * (1 if position % 2 else 2) for position, digit in enumerate(reversed(twelve), start=1))
    return 9 - total % 9


def validate_registration_number(value: str) -> None:
    if not value:
        return
    match = REGISTRATION_NUMBER.match(value)
    if not match:
        raise ValidationError(_("登録番号は T と13桁の数字で入力してください（例: T1234567890123）。"), code="format")
    digits = match.group(1)
    if int(digits[0]) != registration_check_digit(digits[1:]):
        raise ValidationError(
            _(
                "登録番号のチェックディジットが一致しません。番号を確認してください"
                "（国税庁の適格請求書発行事業者公表サイトで確認できます）。"
            ),
            code="check_digit",
        )


def normalize_registration_number(value: str) -> str:
    """Full-width digits, a lower-case t, spaces and hyphens are what people type: keep only T and the digits."""
    value = value.translate(str.maketrans("０１２３４５６７８９ｔＴ", "0123456789TT")).strip()
    return re.sub(r"[\s\-ー－]", "", value).upper()
