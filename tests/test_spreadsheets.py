"""The one spreadsheet reader: CSV and XLSX by content, and bounded against hostile files."""

from __future__ import annotations

import contextlib
import io
import zipfile

import pytest
from openpyxl import Workbook

from regional import spreadsheets
from regional.spreadsheets import SheetError, read_table


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@contextlib.contextmanager
def _openpyxl_never_opens():
    """Fail if the workbook reaches openpyxl (the refusal must come before parsing)."""
    import openpyxl

    real = openpyxl.load_workbook

    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("openpyxl was asked to open the workbook")

    openpyxl.load_workbook = refuse
    try:
        yield
    finally:
        openpyxl.load_workbook = real


def xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rezip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """The same workbook with some members replaced (how hostile files are made)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replace.pop(info.filename, src.read(info.filename)))
        for name, body in replace.items():
            dst.writestr(name, body)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_xml(rows: bytes, dimension: bytes = b"") -> bytes:
    dim = b'<dimension ref="' + dimension + b'"/>' if dimension else b""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
        + NS
        + b">"
        + dim
        + b"<sheetData>"
        + rows
        + b"</sheetData></worksheet>"
    )


def row(n: int, text: str = "1") -> bytes:
    return f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{text}</t></is></c></row>'.encode()


def test_csv_utf8_bom_and_cp932_are_read_alike():
    text = "氏名,職員番号\n岡山 花子,A-1\n"
    for data in (text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode(), text.encode("cp932")):
        table = read_table(data)
        assert table.header == ["氏名", "職員番号"]
        assert table.rows == [(2, ["岡山 花子", "A-1"])]


def test_xlsx_is_recognised_by_content_and_blank_rows_are_skipped():
    table = read_table(xlsx([["name", "n"], ["a", 1], [None, None], ["b", 2.0]]))
    assert table.header == ["name", "n"]
    assert table.rows == [(2, ["a", "1"]), (4, ["b", "2"])]


def test_a_csv_over_the_row_cap_is_refused():
    data = ("h\n" + "x\n" * 11).encode()
    assert len(read_table(data, max_rows=11).rows) == 11
    with pytest.raises(SheetError, match="more than 10 rows"):
        read_table(data, max_rows=10)


def test_an_xlsx_over_the_row_cap_is_refused():
    data = xlsx([["h"]] + [[i] for i in range(12)])
    with pytest.raises(SheetError, match="more than 10 rows"):
        read_table(data, max_rows=10)


def test_a_declared_dimension_too_large_is_refused_before_reading(monkeypatch):
    base = xlsx([["h"], ["x"]])
    data = rezip(base, {SHEET: sheet_xml(row(1) + row(2), b"A1:A7000000")})
    read = []
    real = spreadsheets._finish

    def spy(raw, max_rows):
        read.append(True)
        return real(raw, max_rows)

    monkeypatch.setattr(spreadsheets, "_finish", spy)
    with pytest.raises(SheetError, match="more than"):
        read_table(data)
    # refused while opening, before a single row was handed over
    with pytest.raises(SheetError):
        next(spreadsheets._xlsx_rows(data, spreadsheets.MAX_ROWS))


def test_too_many_declared_columns_are_refused():
    base = xlsx([["h"], ["x"]])
    data = rezip(base, {SHEET: sheet_xml(row(1) + row(2), b"A1:XFD2")})
    with pytest.raises(SheetError, match="columns"):
        read_table(data)


def test_a_dimension_declared_too_small_does_not_cut_rows_off():
    base = xlsx([["h"], ["x"]])
    data = rezip(base, {SHEET: sheet_xml(row(1, "h") + row(2) + row(3) + row(4), b"A1:A2")})
    assert [line for line, _ in read_table(data).rows] == [2, 3, 4]


def test_the_reported_attack_is_refused_quickly():
    """A small XLSX holding millions of tiny rows (no dimension): refused before parsing."""
    base = xlsx([["h"], ["x"]])
    tiny = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>'
    data = rezip(base, {SHEET: sheet_xml(tiny * 2_000_000)})
    assert len(data) < 500_000
    with _openpyxl_never_opens(), pytest.raises(SheetError, match="unpacks"):
        read_table(data)


def test_rows_are_streamed_and_reading_stops_at_the_cap(monkeypatch):
    """Even when the checks before parsing let a file through (a dimension declared
    falsely small), no more rows than the cap are read."""
    monkeypatch.setattr(spreadsheets, "MAX_RATIO", 10**9)
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 10**10)
    monkeypatch.setattr(spreadsheets, "_count_rows", lambda data, max_rows: None)
    base = xlsx([["h"], ["x"]])
    tiny = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>'
    data = rezip(base, {SHEET: sheet_xml(tiny * 1_000_000, b"A1:A1")})
    seen = []
    real = spreadsheets._xlsx_rows

    def counting(data, max_rows):  # noqa: ANN001, ANN202
        for item in real(data, max_rows):
            seen.append(item[0])
            yield item

    monkeypatch.setattr(spreadsheets, "_xlsx_rows", counting)
    with pytest.raises(SheetError, match="more than 100 rows"):
        read_table(data, max_rows=100)
    # The header, 100 data rows and the one that crossed the cap: nothing more was read.
    assert 0 < len(seen) <= 102


def test_a_sheet_of_many_rows_without_a_dimension_is_refused_before_openpyxl_sizes_it(
    monkeypatch,
):
    """openpyxl parses a whole undeclared sheet to size it: the tag count comes first."""
    monkeypatch.setattr(spreadsheets, "MAX_RATIO", 10**9)
    base = xlsx([["h"], ["x"]])
    tiny = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>'
    data = rezip(base, {SHEET: sheet_xml(tiny * 500_000)})
    with _openpyxl_never_opens(), pytest.raises(SheetError, match="more than 100 rows"):
        read_table(data, max_rows=100)


def test_rows_far_apart_are_not_filled_in_one_by_one(monkeypatch):
    """openpyxl yields an empty row for every missing row number: stop counting early."""
    base = xlsx([["h"], ["x"]])
    data = rezip(base, {SHEET: sheet_xml(row(1, "h") + row(1_000_000))})
    seen = []
    real = spreadsheets._xlsx_rows

    def counting(data, max_rows):  # noqa: ANN001, ANN202
        for item in real(data, max_rows):
            seen.append(item[0])
            yield item

    monkeypatch.setattr(spreadsheets, "_xlsx_rows", counting)
    with pytest.raises(SheetError, match="more than"):
        read_table(data)
    # Stopped within the cap and its allowance of blank lines, not at line 1,000,000.
    assert len(seen) <= spreadsheets.MAX_ROWS + spreadsheets.MAX_BLANK_LINES + 2


def test_a_workbook_that_unpacks_too_large_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 200_000)
    base = xlsx([["h"], ["x"]])
    data = rezip(base, {SHEET: sheet_xml(row(1, "h") + b"<!--" + b" " * 300_000 + b"-->")})
    with pytest.raises(SheetError, match="unpacks"):
        read_table(data)


def test_a_compression_bomb_is_refused_by_its_ratio():
    base = xlsx([["h"], ["x"]])
    data = rezip(base, {"xl/bomb.bin": b"\0" * (8 * 1024 * 1024)})
    assert len(data) < 100_000
    with pytest.raises(SheetError, match="unpacks"):
        read_table(data)


def test_xml_entities_are_refused():
    base = xlsx([["h"], ["x"]])
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<worksheet " + NS + b"><sheetData>" + row(1, "&b;") + b"</sheetData></worksheet>"
    )
    with pytest.raises(SheetError, match="not a readable XLSX"):
        read_table(rezip(base, {SHEET: evil}))


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 not a zip", b"\x00\x01binary", b"", b"PK\x03\x04" + b"\x00" * 100],
)
def test_files_that_are_not_spreadsheets_are_a_sheet_error(data):
    with pytest.raises(SheetError):
        read_table(data)
