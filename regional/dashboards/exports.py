"""Council-report exports: an XLSX workbook an office worker can use as is, and CSV.

XLSX: one sheet per table with a Japanese (or English) name, column widths set,
the header row frozen and filterable, numbers and dates stored as numbers and
dates (never text), rates as percentages. CSV: UTF-8 with a byte-order mark and
CRLF, as Excel in Japan expects. Text cells get the same formula-injection guard
as the registrant lists (``regional.registrations.exports.neutralise``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from regional.registrations.exports import CSV_MIMETYPE, XLSX_MIMETYPE, neutralise

__all__ = [
    "CSV_MIMETYPE",
    "XLSX_MIMETYPE",
    "Col",
    "Sheet",
    "Table",
    "attachment",
    "to_csv",
    "to_xlsx",
]

#: How a column's values are stored: text, a whole number, a rate (0.0-1.0) or a date.
KINDS = ("text", "int", "rate", "date")
FORMATS = {"int": "#,##0", "rate": "0.0%", "date": "yyyy/mm/dd"}
#: Excel refuses these in sheet names; 31 characters at most.
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class Col:
    title: str
    kind: str = "text"
    #: Width in Excel's character units (a Japanese character counts about two).
    width: float = 14
    #: Wrap long text inside the cell (a status in words in a narrow column).
    wrap: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Table:
    """A further table on the same sheet, below the main one, under its own title."""

    title: str
    columns: Sequence[Col]
    rows: list[Sequence[object]] = field(default_factory=list)


@dataclass
class Sheet:
    title: str
    columns: Sequence[Col]
    rows: list[Sequence[object]] = field(default_factory=list)
    #: Lines written above the table (report title, fiscal year, date of the figures).
    heading: Sequence[str] = ()
    #: A row above the header naming groups of columns: (title, columns it spans), merged.
    groups: Sequence[tuple[str, int]] = ()
    #: Columns kept in view when scrolling sideways (a member's name beside its figures).
    freeze_columns: int = 0
    #: Further tables below the main one (one sheet, one printed page).
    more: Sequence[Table] = ()
    #: Lines below everything: footnotes such as the rule the figures follow.
    notes: Sequence[str] = ()
    #: Fit the whole sheet on one printed page, not only its width.
    one_page: bool = False


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\, at most 31 characters."""
    name = BAD_SHEET_CHARS.sub("・", title).strip("'") or "Sheet"
    name = name[:31]
    base, n = name, 2
    while name in taken:
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def _value(value: object, kind: str) -> object:
    if value is None or value == "":
        return None
    if kind == "int":
        return int(value)  # type: ignore[arg-type]
    if kind == "rate":
        return float(value)  # type: ignore[arg-type]
    if kind == "date":
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        if isinstance(value, date):
            return value
        raise TypeError(f"a date column holds dates, not {type(value).__name__}")
    return neutralise(str(value))


def _header(ws, row: int, columns: Sequence[Col], fill: PatternFill) -> None:
    for j, col in enumerate(columns, start=1):
        c = ws.cell(row=row, column=j, value=neutralise(col.title))
        c.data_type = "s"
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center")


def _rows(ws, first: int, columns: Sequence[Col], rows: Sequence[Sequence[object]]) -> None:
    for i, row in enumerate(rows, start=first):
        for j, (col, raw) in enumerate(zip(columns, row, strict=True), start=1):
            c = ws.cell(row=i, column=j, value=_value(raw, col.kind))
            if col.kind == "text" and isinstance(c.value, str):
                c.data_type = "s"  # openpyxl would otherwise take a leading "=" as a formula
            elif col.kind in FORMATS:
                c.number_format = FORMATS[col.kind]
            if col.wrap:
                c.alignment = Alignment(wrap_text=True, vertical="top")


def _text_width(text: str) -> float:
    """Excel's character units: a Japanese (wide) character counts about two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1.1 for ch in text)


def _note(ws, row: int, text: str, columns: int, width: float) -> None:
    """A footnote across the sheet's columns, wrapped, tall enough for its lines."""
    c = ws.cell(row=row, column=1, value=neutralise(text))
    c.data_type = "s"
    c.alignment = Alignment(wrap_text=True, vertical="top")
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    lines = max(1, -(-int(_text_width(text)) // max(int(width), 1)))
    ws.row_dimensions[row].height = 15 * lines


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook: each sheet with its heading lines, a bold frozen filterable header."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    head_fill = PatternFill("solid", fgColor="DDE6F2")
    for spec in sheets:
        ws = wb.create_sheet(sheet_name(spec.title, taken))
        for line in spec.heading:
            ws.append([neutralise(line)])
        if spec.heading:
            ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        first_header = len(spec.heading) + 2 if spec.heading else 1  # a blank line between
        header_row = first_header
        if spec.groups:
            column = 1
            for title, span in spec.groups:
                c = ws.cell(row=header_row, column=column, value=neutralise(title) or None)
                c.font = Font(bold=True)
                c.fill = head_fill
                c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
                if span > 1:
                    ws.merge_cells(
                        start_row=header_row,
                        start_column=column,
                        end_row=header_row,
                        end_column=column + span - 1,
                    )
                column += span
            header_row += 1
        _header(ws, header_row, spec.columns, head_fill)
        for j, col in enumerate(spec.columns, start=1):
            ws.column_dimensions[get_column_letter(j)].width = col.width
        _rows(ws, header_row + 1, spec.columns, spec.rows)
        last = get_column_letter(max(1, len(spec.columns)))
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1 + spec.freeze_columns)
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(spec.rows), 1)}"
        ws.print_title_rows = f"{first_header}:{header_row}"
        row = header_row + max(len(spec.rows), 1) + 2
        for table in spec.more:
            ws.cell(row=row, column=1, value=neutralise(table.title)).font = Font(bold=True)
            _header(ws, row + 1, table.columns, head_fill)
            for j, col in enumerate(table.columns, start=1):
                letter = get_column_letter(j)
                if j > len(spec.columns):
                    ws.column_dimensions[letter].width = col.width
            _rows(ws, row + 2, table.columns, table.rows)
            row += len(table.rows) + 3
        width = sum(c.width for c in spec.columns)
        for line in spec.notes:
            _note(ws, row, line, len(spec.columns), width)
            row += 1
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if spec.one_page else 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _csv_text(value: object, kind: str) -> object:
    if value is None or value == "":
        return ""
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "date":
        return value.isoformat()[:10]  # type: ignore[union-attr]
    if kind == "int":
        return int(value)  # type: ignore[arg-type]
    return neutralise(str(value))


def to_csv(sheet: Sheet) -> bytes:
    """One table as CSV with a byte-order mark and CRLF lines (a CSV file holds one table)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.title) for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_text(v, c.kind) for c, v in zip(sheet.columns, row, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def attachment(data: bytes, fmt: str, stem: str) -> Response:
    """A download named ``<stem>.<fmt>`` (xlsx or csv), never shown in the browser."""
    from regional.downloads import file_response

    return file_response(data, XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE, f"{stem}.{fmt}")
