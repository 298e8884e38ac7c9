r"""CSV download of the deal list: Japanese headers, constant memory, in three encodings (issue 14 item 12):
UTF-8, UTF-8 with a BOM (what Excel needs to read UTF-8), and Shift_JIS (CP932) for older Excel.

PostgreSQL formats the rows (COPY ... TO STDOUT), which is what makes 100,000 deals take about as long as
`psql \copy`; Python only adds the header and streams the spooled result (transcoded chunk by chunk for CP932).

CP932 cannot hold every character: the download never fails for it. Characters CP932 spells with another code
point (〜 WAVE DASH is its ～, ¥ its ￥, — its ―, …) are written as CP932's own; anything else it lacks (emoji,
𠮷) becomes 〓, the geta mark Japanese print uses for a missing glyph, and the list page says so by the link.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    Func,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat, Left
from django.db.models.lookups import In
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import ApplicationError
from deals.models import Deal, FreeeLatestStatus

CHUNK_BYTES = 64 * 1024  # one chunk of the streamed response
SPOOL_IN_MEMORY = 8 * 2**20  # COPY output beyond this goes to a temporary file on disk
BOM = "\ufeff".encode()
GETA = "〓"  # what a character CP932 lacks becomes
# Characters CP932 has under another code point than the one the text carries. Python's cp932 codec already
# writes the JIS/Mac forms of the "wave dash problem" as CP932's own (〜 → 0x8160, − → 0x817C, ‖, ¢, £, ¬);
# these it refuses, so they are swapped for CP932's look-alike first instead of becoming 〓.
CP932_LOOK_ALIKES = {
    "\u00a5": "\uffe5",  # ¥ YEN SIGN → ￥ FULLWIDTH YEN SIGN
    "\u2014": "\u2015",  # — EM DASH → ― HORIZONTAL BAR
    "\u2013": "\u2010",  # – EN DASH → ‐ HYPHEN
    "\u00a6": "\uffe4",  # ¦ BROKEN BAR → ￤ FULLWIDTH BROKEN BAR
    "\u203e": "\uffe3",  # ‾ OVERLINE → ￣ FULLWIDTH MACRON
    "\u00a0": " ",  # NO-BREAK SPACE → space
    "\u2022": "\u30fb",  # • BULLET → ・ KATAKANA MIDDLE DOT
}
_LOOK_ALIKES = str.maketrans(CP932_LOOK_ALIKES)
codecs.register_error("deals_csv_geta", lambda error: (GETA, error.end))


@dataclass(frozen=True)
class CsvEncoding:
    """One downloadable variant: the `encoding` value that asks for it, its file-name tag and charset."""

    code: str
    tag: str
    charset: str
    bom: bool = False


ENCODINGS = {
    "utf-8": CsvEncoding("utf-8", "utf8", "utf-8"),
    "utf-8-sig": CsvEncoding("utf-8-sig", "utf8-bom", "utf-8", bom=True),
    "cp932": CsvEncoding("cp932", "sjis", "shift_jis"),
}


def csv_encoding_from(params: Mapping[str, str]) -> CsvEncoding:
    """The variant a request asks for: `encoding` (utf-8, utf-8-sig, cp932), or the older `bom=1` (utf-8-sig).

    Raises ApplicationError (400, code "invalid") for an unknown value, or for bom=1 with another encoding."""
    bom = params.get("bom") in {"1", "true"}
    code = params.get("encoding")
    if code is None:
        return ENCODINGS["utf-8-sig" if bom else "utf-8"]
    if code not in ENCODINGS:
        message = _("文字コード（encoding）は utf-8、utf-8-sig（Excel用BOM付き）、cp932（Shift_JIS）のいずれかを"
                    "指定してください。")
        raise ApplicationError(message, code="invalid", details={"encoding": [message]})
    if bom and code != "utf-8-sig":
        message = _("bom=1 は encoding=utf-8-sig と同じ指定です。encoding=%(code)s とは同時に指定できません。") % {
            "code": code}
        raise ApplicationError(message, code="invalid", details={"bom": [message]})
    return ENCODINGS[code]


def headers() -> list[str]:
    return [_("案件名"), _("案件タイプ"), _("フェーズ"), _("取引先"), _("金額"), _("受注予定日"), _("請求予定日"),
            _("担当者"), _("freee最新請求ステータス"), _("更新日時")]


def deal_csv_export(queryset: QuerySet[Deal], *, tenant, actor, encoding: CsvEncoding,
                    filters: str) -> StreamingHttpResponse:
    """The CSV response, recorded in the audit trail with the filters and the encoding it was made with."""
    audit.audit_record(tenant=tenant, actor=actor, action="csv.export", target_label=_("案件一覧"),
                       changes={"filters": [None, filters[:500]], "encoding": [None, encoding.code]})
    return deal_csv_response(queryset, encoding=encoding)


def deal_csv_response(queryset: QuerySet[Deal], *, encoding: CsvEncoding) -> StreamingHttpResponse:
    """The streamed download, named deals-YYYYMMDD-<utf8|utf8-bom|sjis>.csv (ASCII, so every browser keeps the
    name, and distinct per variant, so two downloads of one day never overwrite each other)."""
    chunks = copy_chunks(queryset, header=headers(), bom=encoding.bom)
    if encoding.code == "cp932":
        chunks = to_cp932(chunks)
    response = StreamingHttpResponse(chunks, content_type=f"text/csv; charset={encoding.charset}")
    filename = f"deals-{timezone.localdate():%Y%m%d}-{encoding.tag}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def to_cp932(utf8_chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Transcode streamed UTF-8 to CP932: an incremental decoder keeps a character cut between two chunks whole;
    look-alikes become CP932's own character and anything else CP932 lacks becomes 〓."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in utf8_chunks:
        if text := decoder.decode(chunk):
            yield text.translate(_LOOK_ALIKES).encode("cp932", errors="deals_csv_geta")
    if tail := decoder.decode(b"", final=True):
        yield tail.translate(_LOOK_ALIKES).encode("cp932", errors="deals_csv_geta")


# --------------------------------------------------------------------------- PostgreSQL COPY


def copy_chunks(queryset: QuerySet[Deal], *, header: list[str], bom: bool) -> Iterator[bytes]:
    """The same CSV as deal_csv_rows, formatted by PostgreSQL: COPY of the filtered, ordered query into a
    spooled temporary file (memory up to 8 MB, then disk), streamed out in 64 KB chunks. Labels, dates in
    the current time zone and the formula guard are SQL expressions, so no Python work is done per row."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the generator
    sql, params = _copy_query(queryset).query.sql_with_params()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's cursor: COPY ... TO STDOUT is not part of the DB-API
        raw.copy_expert(raw.mogrify(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params).decode(), spool)
    spool.seek(0)

    def chunks() -> Iterator[bytes]:
        with spool:
            if bom:
                yield BOM
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(header)
            yield buffer.getvalue().encode()
            while block := spool.read(CHUNK_BYTES):
                yield block

    return chunks()


def _copy_query(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    zone = timezone.get_current_timezone_name()
    owner = f"owner__{get_user_model().USERNAME_FIELD}"
    columns = {
        "c_name": _guarded(F("name")), "c_type": _guarded(F("deal_type__name")),
        "c_stage": _labelled("stage", Deal.Stage.choices), "c_partner": _guarded(F("partner_name")),
        "c_amount": F("amount"), "c_order": _to_char(F("expected_order_date"), "YYYY/MM/DD"),
        "c_billing": _to_char(F("expected_billing_date"), "YYYY/MM/DD"),
        "c_owner": _guarded(F(owner)),
        "c_status": _labelled("freee_latest_status", FreeeLatestStatus.choices),
        "c_updated": _to_char(Func(Value(zone), F("updated_at"), function="timezone"), "YYYY/MM/DD HH24:MI"),
    }
    return queryset.annotate(**columns).values_list(*columns)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _guarded(expression) -> Case:
    """Excel would run a cell starting with = + - @ (CSV injection): such text gets a leading quote."""
    return Case(When(In(Left(expression, 1), FORMULA_STARTS), then=Concat(Value("'"), expression)), default=expression,
                output_field=CharField())


def _labelled(field: str, choices) -> Case:
    return Case(*[When(**{field: value}, then=Value(str(label))) for value, label in choices], default=F(field),
                output_field=CharField())


def _to_char(expression, pattern: str) -> Func:
    return Func(expression, Value(pattern), function="to_char", output_field=CharField())
