"""CSV download of the deal list: streamed row by row in constant memory, Japanese headers, UTF-8 (BOM on request).

Rows come from one server-side cursor (`iterator(chunk_size=...)`) over plain values, not model instances:
no query per row, and memory stays flat however many deals the tenant has.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Deal, FreeeLatestStatus

CHUNK_SIZE = 2000
ROWS_PER_WRITE = 500  # rows buffered into one chunk of the response
BOM = "\ufeff".encode()
# Excel runs a cell starting with one of these as a formula (CSV injection); such text gets a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def headers() -> list[str]:
    return [_("案件名"), _("案件タイプ"), _("フェーズ"), _("取引先"), _("金額"), _("受注予定日"), _("請求予定日"),
            _("担当者"), _("freee最新請求ステータス"), _("更新日時")]


def _columns() -> list[str]:
    owner = f"owner__{get_user_model().USERNAME_FIELD}"
    return ["name", "deal_type__name", "stage", "partner_name", "amount", "expected_order_date",
            "expected_billing_date", owner, "freee_latest_status", "updated_at"]


def deal_csv_rows(queryset: QuerySet[Deal]) -> Iterator[list]:
    """One list of cell values per deal, in the list's order.

    Labels and the time zone are read now: the rows are produced after the view has returned.
    """
    stages = {value: str(label) for value, label in Deal.Stage.choices}
    statuses = {value: str(label) for value, label in FreeeLatestStatus.choices}
    zone = timezone.get_current_timezone()
    values = queryset.values_list(*_columns())

    def rows() -> Iterator[list]:
        for (name, type_name, stage, partner, amount, order_date, billing_date, owner, status,
             updated) in values.iterator(chunk_size=CHUNK_SIZE):
            yield [_text(name), _text(type_name), stages.get(stage, stage), _text(partner), amount,
                   _date(order_date), _date(billing_date), _text(owner or ""), statuses.get(status, status),
                   _datetime(updated, zone)]

    return rows()


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _datetime(value: datetime, zone) -> str:
    return value.astimezone(zone).strftime("%Y/%m/%d %H:%M")


def csv_chunks(rows: Iterable[list], *, header: list[str], bom: bool) -> Iterator[bytes]:
    """UTF-8 bytes of the CSV, a few hundred rows per chunk (CRLF line ends, as Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    pending = 1
    if bom:
        yield BOM
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= ROWS_PER_WRITE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def deal_csv_response(queryset: QuerySet[Deal], *, bom: bool) -> StreamingHttpResponse:
    """The streamed download, named deals-YYYYMMDD.csv (ASCII, so every browser keeps the name)."""
    response = StreamingHttpResponse(csv_chunks(deal_csv_rows(queryset), header=headers(), bom=bom),
                                     content_type="text/csv; charset=utf-8")
    filename = f"deals-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
