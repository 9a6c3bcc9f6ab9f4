"""Every XLSX the platform sends, built one way: :func:`to_xlsx`.

An office worker opens the file and uses it as is: each sheet has a Japanese (or
English) name, column widths set, the header row bold, frozen and filterable,
numbers, dates and times stored as numbers, dates and times (never text), rates as
percentages, and an A4 print set-up (landscape, one page wide, the header repeated
on every page). The registrant lists, the staff roster and the progress and council
exports all go through it; ``tests/test_xlsx_exports.py`` opens each of them.

Formula injection (ASVS 1.2.10): a text cell beginning with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a leading apostrophe and is stored as text, so
a name such as ``=HYPERLINK(...)`` stays text in every spreadsheet program.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")

#: How a column's values are stored: text, a whole number, a rate (0.0-1.0), a mean (a
#: number shown with two decimals, or text saying why there is none), a date,
#: or a date and time (local, as the pages show it).
KINDS = ("text", "int", "rate", "mean", "date", "datetime")
FORMATS = {
    "int": "#,##0",
    "rate": "0.0%",
    "mean": "0.00",
    "date": "yyyy/mm/dd",
    "datetime": "yyyy/mm/dd hh:mm",
}
#: Excel refuses these in sheet names; 31 characters at most.
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
HEAD_FILL = "DDE6F2"


def neutralise(value: object) -> object:
    """A text value made safe for a spreadsheet cell; numbers and empties pass through."""
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


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
    if kind == "mean" and isinstance(value, int | float):
        return float(value)  # a mean (1-5); else the words saying why there is none
    if kind in ("date", "datetime"):
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)  # Excel knows no time zones: local time
        if isinstance(value, date):
            return value
        raise TypeError(f"a {kind} column holds dates, not {type(value).__name__}")
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


def text_width(text: str) -> float:
    """Excel's character units: a Japanese (wide) character counts about two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1.1 for ch in text)


def _note(ws, row: int, text: str, columns: int, width: float) -> None:
    """A footnote across the sheet's columns, wrapped, tall enough for its lines."""
    c = ws.cell(row=row, column=1, value=neutralise(text))
    c.data_type = "s"
    c.alignment = Alignment(wrap_text=True, vertical="top")
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    lines = max(1, -(-int(text_width(text)) // max(int(width), 1)))
    ws.row_dimensions[row].height = 15 * lines


def _heading(ws, spec: Sheet) -> int:
    """The lines above the table; the row of the first header line."""
    for i, line in enumerate(spec.heading, start=1):
        ws.cell(row=i, column=1, value=neutralise(line)).data_type = "s"
    if spec.heading:
        ws.cell(row=1, column=1).font = Font(bold=True, size=13)
        return len(spec.heading) + 2  # a blank line between
    return 1


def _groups(ws, row: int, groups: Sequence[tuple[str, int]], fill: PatternFill) -> None:
    column = 1
    for title, span in groups:
        c = ws.cell(row=row, column=column, value=neutralise(title) or None)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if span > 1:
            ws.merge_cells(
                start_row=row, start_column=column, end_row=row, end_column=column + span - 1
            )
        column += span


def _more(ws, row: int, spec: Sheet, fill: PatternFill) -> int:
    """The further tables below the main one; the next free row."""
    for table in spec.more:
        ws.cell(row=row, column=1, value=neutralise(table.title)).font = Font(bold=True)
        _header(ws, row + 1, table.columns, fill)
        for j, col in enumerate(table.columns, start=1):
            if j > len(spec.columns):
                ws.column_dimensions[get_column_letter(j)].width = col.width
        _rows(ws, row + 2, table.columns, table.rows)
        row += len(table.rows) + 3
    return row


def _print_setup(ws, one_page: bool) -> None:
    """A4 landscape, one page wide (and one page tall when asked)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _sheet(wb: Workbook, spec: Sheet, taken: set[str]) -> None:
    ws = wb.create_sheet(sheet_name(spec.title, taken))
    fill = PatternFill("solid", fgColor=HEAD_FILL)
    first_header = _heading(ws, spec)
    header_row = first_header
    if spec.groups:
        _groups(ws, header_row, spec.groups, fill)
        header_row += 1
    _header(ws, header_row, spec.columns, fill)
    for j, col in enumerate(spec.columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width
    _rows(ws, header_row + 1, spec.columns, spec.rows)
    last = get_column_letter(max(1, len(spec.columns)))
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1 + spec.freeze_columns)
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + max(len(spec.rows), 1)}"
    ws.print_title_rows = f"{first_header}:{header_row}"
    row = _more(ws, header_row + max(len(spec.rows), 1) + 2, spec, fill)
    width = sum(c.width for c in spec.columns)
    for line in spec.notes:
        _note(ws, row, line, len(spec.columns), width)
        row += 1
    _print_setup(ws, spec.one_page)


def to_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook: each sheet with its heading lines, a bold frozen filterable header."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for spec in sheets:
        _sheet(wb, spec, taken)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
