"""Reading a CRM export: .csv (encoding and delimiter detected) or .xlsx (python-calamine), as a header and rows.

Japanese Excel saves CSV as Shift_JIS (CP932) by default, newer versions as UTF-8 with a BOM; Salesforce and
HubSpot export UTF-8. Every way a file can be unreadable is a FileRejected with a message the user can act on.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

MAX_BYTES = 30 * 1024 * 1024
MAX_ROWS = 100_000
DELIMITERS = ",\t;|"
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（BOM付き）", "cp932": "Shift_JIS（CP932）"}


class FileRejected(Exception):
    """The file cannot be imported; `message` says why, in words for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileFormat:
    """What detection found, saved with the upload so every later read decodes the same way."""

    kind: str  # "csv" | "xlsx"
    encoding: str = ""
    delimiter: str = ""


def detect(name: str, data: bytes) -> FileFormat:
    """The file's format, or FileRejected (empty, too large, another type renamed, broken, undecodable)."""
    if len(data) > MAX_BYTES:
        raise FileRejected(_("ファイルが大きすぎます（上限%(mb)sMB）。ファイルを分けてアップロードしてください。")
                           % {"mb": MAX_BYTES // (1024 * 1024)})
    if not data.strip():
        raise FileRejected(_("ファイルが空です。"))
    extension = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if extension == "xlsx":
        return _check_xlsx(data)
    if extension != "csv":
        raise FileRejected(_("CSV（.csv）またはExcel（.xlsx）のファイルを選んでください。"))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8")) or b"\x00" in data[:65536]:
        raise FileRejected(_("CSVファイルではありません（Excelや画像など別の形式のファイルの拡張子が .csv になっています）。"
                             "CRMから「CSV形式」で書き出したファイルを選んでください。"))
    encoding = _encoding_of(data)
    text = data.decode(encoding)
    return FileFormat("csv", encoding, _delimiter_of(text))


def _check_xlsx(data: bytes) -> FileFormat:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise zipfile.BadZipFile
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRejected(_("Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか、"
                             "Excelで開いて「.xlsx」形式で保存し直してください。")) from None
    return FileFormat("xlsx")


def _encoding_of(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    for encoding in ("utf-8", "cp932"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is not None:
        try:
            data.decode(best.encoding)
            return best.encoding
        except (UnicodeDecodeError, LookupError):  # its guess does not decode the whole file: refused below
            pass
    raise FileRejected(_("文字コードを判別できません。UTF-8またはShift_JISで保存したCSVを選んでください。"))


def _delimiter_of(text: str) -> str:
    sample = "\n".join(text[:65536].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


@dataclass
class Table:
    """The header and a fresh iterator of (row number as the user counts it, cells) for every data row."""

    header: list[str]
    rows: Iterator[tuple[int, list]]


def read(data: bytes, fmt: FileFormat) -> Table:
    """Open the file with its detected format; FileRejected when there is no header or too many rows to check."""
    raw = _csv_rows(data, fmt) if fmt.kind == "csv" else _xlsx_rows(data)
    try:
        header_cells = next(raw)
    except StopIteration:
        raise FileRejected(_("ファイルが空です。")) from None
    header = unique_header(header_cells)
    width = len(header)
    rows = ((number, _fit(cells, width)) for number, cells in enumerate(raw, start=2) if any(_filled(c) for c in cells))
    return Table(header, rows)


def inspect(data: bytes, fmt: FileFormat) -> tuple[list[str], int]:
    """The header and the number of data rows; FileRejected for a header-only file or too many rows."""
    table = read(data, fmt)
    count = 0
    for count, _row in enumerate(table.rows, start=1):  # noqa: B007
        if count > MAX_ROWS:
            raise FileRejected(_("行数が上限（%(max)s行）を超えています。ファイルを分けてアップロードしてください。")
                               % {"max": f"{MAX_ROWS:,}"})
    if count == 0:
        raise FileRejected(_("見出し行だけで、データの行がありません。"))
    return table.header, count


def unique_header(cells: list) -> list[str]:
    """Header names as text, blanks named 列N, repeats numbered, so every column has its own name."""
    seen: dict[str, int] = {}
    header = []
    for index, cell in enumerate(cells, start=1):
        name = str(cell).strip() if _filled(cell) else _("列%(n)s") % {"n": index}
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        header.append(name)
    return header


def _filled(cell) -> bool:
    return cell is not None and str(cell).strip() != ""


def _fit(cells: list, width: int) -> list:
    return cells[:width] + [""] * (width - len(cells)) if len(cells) != width else cells


def _csv_rows(data: bytes, fmt: FileFormat) -> Iterator[list]:
    text = data.decode(fmt.encoding)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter or ",")
    except csv.Error as error:
        raise FileRejected(_("CSVの形式が正しくありません（%(error)s）。") % {"error": error}) from None


def _xlsx_rows(data: bytes) -> Iterator[list]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception:  # noqa: BLE001 - calamine raises its own classes for every kind of broken workbook
        raise FileRejected(_("Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか、"
                             "Excelで開いて「.xlsx」形式で保存し直してください。")) from None
    for row in rows:
        yield [_xlsx_cell(cell) for cell in row]


def _xlsx_cell(cell):
    """Excel numbers come as floats (12.0): whole ones as integers in text; dates stay dates."""
    if isinstance(cell, datetime):
        return cell.date() if cell.hour == cell.minute == cell.second == 0 else cell
    if isinstance(cell, date):
        return cell
    if isinstance(cell, float):
        return str(int(cell)) if cell.is_integer() else repr(cell)
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return "" if cell is None else str(cell)
