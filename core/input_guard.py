"""Bad input refused at the edge, once: NUL bytes and lone surrogates, JSON nested too deep, bodies too large.

PostgreSQL cannot store a NUL character in text (psycopg refuses it) and a lone surrogate cannot be encoded
as UTF-8: either one reaching a query is a 500. Python's json recurses once per nesting level, so a body of
50,000 nested arrays is a RecursionError. The API's parsers (core.api.parsers), the page middleware
(core.middleware.BadInputMiddleware) and the views that parse JSON themselves (the sandbox, the LINE WORKS
callback) all go through the functions here, so every entry point refuses the same things the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext_lazy as _

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1  # PostgreSQL's bigint: every integer column of the project
MAX_JSON_DEPTH = 32  # our deepest body (a request with lines) is 3 levels; freee's and LINE WORKS' are < 10

BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# A JSON string literal (unrolled loop: linear, no backtracking) and everything that is not a bracket.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")

MESSAGES = {
    "bad_character": _("使用できない文字（NUL文字または不正なUnicode文字）が含まれています。"),
    "too_deep": _("JSONの入れ子が深すぎます（%(limit)s階層まで）。"),
    "too_large": _("リクエストが大きすぎます（%(limit)sバイトまで）。"),
    "not_json": _("リクエストの形式が正しくありません。JSONを確認してください。"),
}


class BadInput(ValueError):
    """Input refused at the edge: `code` for machines, a Japanese `message`, and where (`field`) if known.

    A ValueError, so the callers that already turned json.loads' ValueError into a 400 keep doing so."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def max_body_size() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def too_large() -> BadInput:
    return BadInput("too_large", str(MESSAGES["too_large"]) % {"limit": f"{max_body_size():,}"})


def has_bad_character(value: str) -> bool:
    """A NUL character or a surrogate code point (in a Python str every surrogate is a lone one)."""
    return BAD_CHARACTER.search(value) is not None


def bad_character(field: str | None = None) -> BadInput:
    return BadInput("bad_character", str(MESSAGES["bad_character"]), field)


def check_text(value: str, field: str | None = None) -> None:
    if has_bad_character(value):
        raise bad_character(field)


def check_pairs(pairs) -> None:
    """Keys and values of a QueryDict's lists() (GET, POST): the first bad one is refused, named by its key."""
    for key, values in pairs:
        check_text(key, "_key")
        for value in values:
            if isinstance(value, str):
                check_text(value, key if not has_bad_character(key) else None)


def json_too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays/objects nest deeper than `limit`, found without parsing (brackets inside strings don't
    count). Malformed JSON may be over-counted; json.loads refuses it anyway."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0) > limit


def _strings(value, path: str) -> Iterator[tuple[str, str]]:
    """Every string (keys too) of a parsed JSON value with its dotted path; the depth is already bounded."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield (f"{path}.{key}" if path else key), key
            yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


def _refuse_constant(token: str):
    raise ValueError(f"{token} is not valid JSON")


def loads(body: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, check_strings: bool = True):
    """json.loads with the edge's bounds: body size, nesting depth, and no NUL/surrogate in any string.

    Raises BadInput (a ValueError) for every refusal, and for text that is not JSON."""
    if len(body) > max_body_size():
        raise too_large()
    try:
        text = body.decode(settings.DEFAULT_CHARSET) if isinstance(body, bytes) else body
    except UnicodeDecodeError as error:
        raise BadInput("parse_error", str(MESSAGES["not_json"])) from error
    if json_too_deep(text, max_depth):
        raise BadInput("too_deep", str(MESSAGES["too_deep"]) % {"limit": max_depth})
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise BadInput("parse_error", str(MESSAGES["not_json"])) from error
    if check_strings:
        for path, value in _strings(data, ""):
            check_text(value, path or None)
    return data
