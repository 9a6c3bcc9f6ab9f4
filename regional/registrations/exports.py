"""Registrant lists as CSV (UTF-8 with BOM, for Excel in Japan) and XLSX.

Column headers follow the language of the page (Japanese by default) and are
the same names the attendance upload understands, so a host can download the
list, fill in the 出欠 column (出席 or 欠席) and upload it again.

Formula injection (ASVS 1.2.10): a text cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so a name
such as ``=HYPERLINK(...)`` stays text in every spreadsheet program.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from regional.downloads import CSV_UTF8, XLSX
from regional.fiscal import to_local
from regional.seats.models import Registration

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text value made safe for a spreadsheet cell; numbers and empties pass through."""
    if isinstance(value, str) and value.startswith(DANGEROUS_FIRST):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    key: str
    ja: str
    en: str

    def title(self, locale: str) -> str:
        return self.en if locale == "en" else self.ja


#: The registrant list; header names double as the attendance upload's column names.
COLUMNS: tuple[Column, ...] = (
    Column("registration_id", "登録ID", "Registration ID"),
    Column("municipality_code", "市町村コード", "Municipality code"),
    Column("municipality", "市町村", "Municipality"),
    Column("employee_number", "職員番号", "Employee number"),
    Column("name", "氏名", "Name"),
    Column("email", "メールアドレス", "E-mail"),
    Column("org_unit", "所属", "Organisation unit"),
    Column("program_code", "研修コード", "Programme code"),
    Column("program", "研修名", "Programme"),
    Column("starts_at", "開催日時", "Starts"),
    Column("status", "状態", "Status"),
    Column("waitlist_position", "キャンセル待ち順位", "Waiting-list position"),
    Column("requested_at", "申込日時", "Requested"),
    Column("approved_at", "承認日時", "Approved"),
    Column("attended", "出欠", "Attended"),
)

ATTENDED_WORDS = {"ja": ("出席", "欠席"), "en": ("yes", "no")}


def _when(value) -> str:
    return "" if value is None else to_local(value).strftime("%Y-%m-%d %H:%M")


def registrant_rows(
    regs: Iterable[Registration],
    positions: dict[int, int],
    unit_paths: dict[tuple[int, int], str],
    locale: str,
) -> list[list[object]]:
    """One row per registration, in COLUMNS order."""
    yes, no = ATTENDED_WORDS["en" if locale == "en" else "ja"]
    rows = []
    for reg in regs:
        employee, ts = reg.employee, reg.session
        municipality = employee.municipality
        attended = "" if reg.attended is None else (yes if reg.attended else no)
        rows.append(
            [
                reg.id,
                municipality.code,
                municipality.name(locale),
                employee.employee_number or "",
                employee.name,
                employee.email,
                unit_paths.get((reg.municipality_id, employee.org_unit_id), ""),
                ts.program.code,
                ts.program.title(locale),
                _when(ts.starts_at),
                reg.status.label,
                positions.get(reg.id, ""),
                _when(reg.requested_at),
                _when(reg.approved_at),
                attended,
            ]
        )
    return rows


def header(locale: str) -> list[str]:
    return [c.title(locale) for c in COLUMNS]


def to_csv(head: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV with a byte-order mark and CRLF lines: Excel in Japan opens it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in head])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(head: Sequence[str], rows: Iterable[Sequence[object]], title: str) -> bytes:
    """One sheet, bold header, every text cell stored as text (never a formula)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Sheet1")
    bold = Font(bold=True)

    def cell(value: object, font: Font | None = None) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=neutralise(value))
        if isinstance(c.value, str):
            c.data_type = "s"  # openpyxl would otherwise take a leading "=" as a formula
        if font is not None:
            c.font = font
        return c

    ws.append([cell(h, bold) for h in head])
    for row in rows:
        ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


XLSX_MIMETYPE = XLSX
CSV_MIMETYPE = CSV_UTF8
