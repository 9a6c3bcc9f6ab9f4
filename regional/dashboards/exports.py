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

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from regional.registrations.exports import CSV_MIMETYPE, XLSX_MIMETYPE, neutralise

__all__ = ["CSV_MIMETYPE", "XLSX_MIMETYPE", "Col", "Sheet", "to_csv", "to_xlsx"]

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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class Sheet:
    title: str
    columns: Sequence[Col]
    rows: list[Sequence[object]] = field(default_factory=list)
    #: Lines written above the table (report title, fiscal year, date of the figures).
    heading: Sequence[str] = ()


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


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook: each sheet with its heading lines, a bold frozen filterable header."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE6F2")
    for spec in sheets:
        ws = wb.create_sheet(sheet_name(spec.title, taken))
        for line in spec.heading:
            ws.append([neutralise(line)])
        if spec.heading:
            ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        header_row = len(spec.heading) + 2 if spec.heading else 1  # a blank line between
        for j, col in enumerate(spec.columns, start=1):
            c = ws.cell(row=header_row, column=j, value=neutralise(col.title))
            c.data_type = "s"
            c.font = bold
            c.fill = head_fill
            c.alignment = Alignment(wrap_text=True, vertical="center")
            ws.column_dimensions[get_column_letter(j)].width = col.width
        for i, row in enumerate(spec.rows, start=header_row + 1):
            for j, (col, raw) in enumerate(zip(spec.columns, row, strict=True), start=1):
                c = ws.cell(row=i, column=j, value=_value(raw, col.kind))
                if col.kind == "text" and isinstance(c.value, str):
                    c.data_type = "s"  # openpyxl would otherwise take a leading "=" as a formula
                elif col.kind in FORMATS:
                    c.number_format = FORMATS[col.kind]
        last = get_column_letter(max(1, len(spec.columns)))
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(spec.rows), 1)}"
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
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
