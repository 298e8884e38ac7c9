"""取引明細のCSV (seed 001 ③ CSVデータ連携): one row per trade line of the period's documents, for other
accounting software. UTF-8 with a BOM (Excel) or Shift_JIS (cp932, for software that only reads that);
streamed in batches, so memory stays flat whatever the period holds."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from journals.sync.documents import PaymentSpec, document_types, groups_for_plan

BATCH = 1000
KIND_LABELS = {"income": "収入", "expense": "支出"}


def headers() -> list[str]:
    return [_("取引日"), _("収支区分"), _("帳票"), _("連携キー"), _("取引先"), _("勘定科目"), _("税区分"),
            _("金額（税込）"), _("決済期日"), _("備考")]


def trade_line_rows(*, tenant, start: date, end: date, groups: list[str], closed_only: bool) -> Iterator[list]:
    """The rows, document type by document type, a batch of documents at a time."""
    allowed = set(groups) & set(groups_for_plan(tenant.plan))
    for doc_type in document_types():
        if doc_type.group not in allowed:
            continue
        ids = list(doc_type.in_period(tenant, start, end, closed_only))
        for offset in range(0, len(ids), BATCH):
            documents = doc_type.load(tenant, ids[offset:offset + BATCH])
            booked = [d for d in documents.values() if not d.canceled]  # 取消済み: booked nowhere
            ledger = doc_type.to_ledger(tenant, booked) if booked else {}
            for document_id, document in documents.items():
                yield from _rows(document, ledger.get(document_id), doc_type)


def _rows(document, entry, doc_type) -> Iterator[list]:
    if entry is None:
        return  # 0円 or canceled: never synced, never exported
    if isinstance(entry, PaymentSpec):
        payment = entry.payment
        yield [payment.date.isoformat(), _("決済"), document.label, f"{doc_type.code}:{document.id}",
               document.partner_name, getattr(payment.wallet, "name", ""), "", payment.amount, "", ""]
        return
    for detail in entry.details:
        yield [entry.issue_date.isoformat(), KIND_LABELS.get(entry.kind, entry.kind), document.label,
               entry.source_key, entry.partner_name, detail.account_item.name, detail.tax_code.name_ja,
               detail.amount, entry.due_date.isoformat() if entry.due_date else "", detail.description]


def _formula_safe(value) -> object:
    """Cells starting with = + - @ are formulas to spreadsheets: prefix them with a quote (numbers stay)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def encoded_chunks(rows: Iterator[list], *, encoding: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers())
    for count, row in enumerate(rows, start=1):
        writer.writerow([_formula_safe(v) for v in row])
        if count % 500 == 0:
            yield buffer.getvalue().encode(encoding, errors="replace")
            buffer.seek(0)
            buffer.truncate()
            encoding = "cp932" if encoding == "cp932" else "utf-8"  # the BOM only once
    yield buffer.getvalue().encode(encoding, errors="replace")


def trade_lines_csv_response(*, tenant, actor, start: date, end: date, groups: list[str], closed_only: bool,
                             encoding: str = "utf-8-sig") -> StreamingHttpResponse:
    """The streamed 取引明細 CSV, recorded in the audit trail with the options it was made with."""
    encoding = encoding if encoding in ("utf-8-sig", "cp932") else "utf-8-sig"
    audit.audit_record(tenant=tenant, actor=actor, action="csv.export", target_label=_("取引明細"),
                       changes={"start": [None, start.isoformat()], "end": [None, end.isoformat()],
                                "groups": [None, list(groups)], "closed_only": [None, closed_only],
                                "encoding": [None, encoding]})
    rows = trade_line_rows(tenant=tenant, start=start, end=end, groups=groups, closed_only=closed_only)
    charset = "shift_jis" if encoding == "cp932" else "utf-8"
    response = StreamingHttpResponse(encoded_chunks(rows, encoding=encoding), content_type=f"text/csv; charset={charset}")
    response["Content-Disposition"] = f'attachment; filename="trade-lines-{timezone.localdate():%Y%m%d}.csv"'
    response["Cache-Control"] = "no-store"
    return response
