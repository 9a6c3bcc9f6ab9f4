"""Council-report exports: a workbook usable as is, and CSV for Excel in Japan."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from regional.dashboards.exports import Col, Sheet, sheet_name, to_csv, to_xlsx


def _sheet(**kw) -> Sheet:
    return Sheet(
        title=kw.get("title", "育成目標"),
        heading=kw.get("heading", ("岡山市 育成状況", "令和8年度 / FY2026")),
        columns=(
            Col("目標", "text", 30),
            Col("人数", "int", 10),
            Col("達成率", "rate", 10),
            Col("期限", "date", 12),
        ),
        rows=kw.get(
            "rows",
            [
                ["高度デジタル人材", 21, 0.7, date(2027, 3, 31)],
                ['=HYPERLINK("http://x")', 1234, 0.125, None],
            ],
        ),
    )


def test_xlsx_has_japanese_sheet_names_widths_frozen_filterable_header():
    wb = load_workbook(io.BytesIO(to_xlsx([_sheet(), _sheet(title="課・係の充足")])))
    assert wb.sheetnames == ["育成目標", "課・係の充足"]
    ws = wb["育成目標"]
    assert ws["A1"].value == "岡山市 育成状況"
    assert [c.value for c in ws[4]] == ["目標", "人数", "達成率", "期限"]
    assert ws["A4"].font.b
    assert ws.freeze_panes == "A5"
    assert ws.auto_filter.ref == "A4:D6"
    assert ws.column_dimensions["A"].width == 30


def test_xlsx_numbers_and_dates_are_numbers_and_dates_not_text():
    ws = load_workbook(io.BytesIO(to_xlsx([_sheet()])))["育成目標"]
    assert ws["B5"].value == 21 and ws["B5"].data_type == "n"
    assert ws["B6"].number_format == "#,##0"
    assert ws["C5"].value == pytest.approx(0.7) and ws["C5"].number_format == "0.0%"
    assert ws["D5"].is_date and ws["D5"].value.date() == date(2027, 3, 31)
    assert ws["D6"].value is None


def test_xlsx_text_that_looks_like_a_formula_stays_text():
    ws = load_workbook(io.BytesIO(to_xlsx([_sheet()])))["育成目標"]
    assert ws["A6"].data_type == "s"
    assert ws["A6"].value.startswith("'=HYPERLINK")


def test_sheet_names_are_made_valid_and_unique():
    taken: set[str] = set()
    assert sheet_name("課/係:充足?", taken) == "課・係・充足・"
    long = "あ" * 40
    first = sheet_name(long, taken)
    second = sheet_name(long, taken)
    assert len(first) == 31 and len(second) == 31 and first != second


def test_csv_has_a_bom_crlf_and_plain_numbers():
    data = to_csv(_sheet())
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == "目標,人数,達成率,期限"
    assert lines[1] == "高度デジタル人材,21,70.0%,2027-03-31"
    assert lines[2].startswith("\"'=HYPERLINK")
    assert lines[2].endswith(",1234,12.5%,")


def test_a_date_column_refuses_text():
    with pytest.raises(TypeError):
        to_xlsx([_sheet(rows=[["x", 1, 0.1, "2027-03-31"]])])
