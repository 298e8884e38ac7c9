"""Reading CRM exports (issue 17 items 1 and 7): encodings, delimiters, .xlsx, and every unreadable file."""

import pytest

from imports import parsers
from imports.parsers import FileRejected
from tests.imports.files import SALESFORCE_HEADER, csv_bytes, salesforce_rows, xlsx_bytes


def _read(name, data):
    fmt = parsers.detect(name, data)
    header, count = parsers.inspect(data, fmt)
    return fmt, header, count, list(parsers.read(data, fmt).rows)


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("cp932", "cp932")])
def test_the_encoding_is_detected(encoding, expected):
    fmt, header, count, rows = _read("deals.csv", csv_bytes(salesforce_rows(), encoding=encoding))
    assert fmt.encoding == expected
    assert header == SALESFORCE_HEADER and count == 6
    assert rows[0][1][1] == "株式会社サンプル1 導入"


def test_shift_jis_of_japanese_excel_with_its_own_characters_is_read():
    data = csv_bytes([["案件名", "金額"], ["①髙橋様 ㈱案件", "1"]], encoding="cp932")
    fmt, _header, _count, rows = _read("deals.csv", data)
    assert fmt.encoding == "cp932" and rows[0][1][0] == "①髙橋様 ㈱案件"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_the_delimiter_is_detected(delimiter):
    fmt, header, _count, _rows = _read("deals.csv", csv_bytes(salesforce_rows(), delimiter=delimiter))
    assert fmt.delimiter == delimiter and header == SALESFORCE_HEADER


def test_xlsx_is_read_with_numbers_as_text():
    fmt, header, count, rows = _read("deals.xlsx", xlsx_bytes([["案件ID", "金額"], ["A-1", 160000], ["A-2", 12.5]]))
    assert fmt.kind == "xlsx" and header == ["案件ID", "金額"] and count == 2
    assert [cells for _n, cells in rows] == [["A-1", "160000"], ["A-2", "12.5"]]


def test_row_numbers_count_the_header_as_row_one():
    _fmt, _header, _count, rows = _read("deals.csv", csv_bytes([["a"], ["1"], [""], ["2"]]))
    assert [number for number, _cells in rows] == [2, 4]


@pytest.mark.parametrize(("name", "data", "message"), [
    ("deals.csv", b"", "ファイルが空です"),
    ("deals.csv", b"  \r\n ", "ファイルが空です"),
    ("deals.csv", xlsx_bytes([["a"], ["b"]]), "CSVファイルではありません"),
    ("deals.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "CSVファイルではありません"),
    ("deals.xlsx", b"PK\x03\x04 this is not a workbook", "Excelファイル（.xlsx）として読み込めません"),
    ("deals.xlsx", "案件名\n".encode(), "Excelファイル（.xlsx）として読み込めません"),
    ("deals.pdf", b"%PDF-1.4", ".csv）またはExcel（.xlsx）"),
    ("deals.csv", "案件名,金額\r\n".encode(), "見出し行だけ"),
])
def test_unreadable_files_are_refused_with_a_reason(name, data, message):
    with pytest.raises(FileRejected) as refused:
        fmt = parsers.detect(name, data)
        parsers.inspect(data, fmt)
    assert message in refused.value.message


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(FileRejected) as refused:
        parsers.detect("big.csv", b"a" * (parsers.MAX_BYTES + 1))
    assert "大きすぎます" in refused.value.message


def test_a_file_over_the_row_limit_is_refused(monkeypatch):
    monkeypatch.setattr(parsers, "MAX_ROWS", 3)
    data = csv_bytes([["a"], *([str(n)] for n in range(4))])
    with pytest.raises(FileRejected) as refused:
        parsers.inspect(data, parsers.detect("d.csv", data))
    assert "上限（3行）" in refused.value.message


def test_blank_and_repeated_header_names_get_their_own_names():
    assert parsers.unique_header(["金額", "", "金額"]) == ["金額", "列2", "金額 (2)"]
