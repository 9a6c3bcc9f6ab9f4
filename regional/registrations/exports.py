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
from datetime import datetime

from regional.downloads import CSV_UTF8, XLSX
from regional.fiscal import to_local
from regional.seats.models import Registration
from regional.workbooks import Col, Sheet, neutralise
from regional.workbooks import to_xlsx as workbook


@dataclass(frozen=True)
class Column:
    key: str
    ja: str
    en: str
    #: How the XLSX stores it (see :data:`regional.workbooks.KINDS`) and its width.
    kind: str = "text"
    width: float = 14

    def title(self, locale: str) -> str:
        return self.en if locale == "en" else self.ja


#: The registrant list; header names double as the attendance upload's column names.
COLUMNS: tuple[Column, ...] = (
    Column("registration_id", "登録ID", "Registration ID", "int", 10),
    Column("municipality_code", "市町コード", "Municipality code", "text", 11),
    Column("municipality", "市町", "Municipality", "text", 12),
    Column("employee_number", "職員番号", "Employee number", "text", 12),
    Column("name", "氏名", "Name", "text", 16),
    Column("email", "メールアドレス", "E-mail", "text", 30),
    Column("org_unit", "所属", "Organisation unit", "text", 30),
    Column("program_code", "研修コード", "Programme code", "text", 12),
    Column("program", "研修名", "Programme", "text", 30),
    Column("starts_at", "開催日時", "Starts", "datetime", 17),
    Column("status", "状態", "Status", "text", 14),
    Column("waitlist_position", "キャンセル待ち順位", "Waiting-list position", "int", 12),
    Column("requested_at", "申込日時", "Requested", "datetime", 17),
    Column("approved_at", "承認日時", "Approved", "datetime", 17),
    Column("attended", "出欠", "Attended", "text", 8),
)

ATTENDED_WORDS = {"ja": ("出席", "欠席"), "en": ("yes", "no")}


def _when(value) -> datetime | None:
    """Local time, as the pages show it (a spreadsheet knows no time zones)."""
    return None if value is None else to_local(value).replace(tzinfo=None)


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return neutralise(value)


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
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(locale: str, rows: list[list[object]], title: str) -> bytes:
    """One sheet through the platform's workbook helper: ids and positions as numbers,
    times as times, every text cell stored as text (never a formula)."""
    columns = [Col(c.title(locale), c.kind, c.width) for c in COLUMNS]
    return workbook([Sheet(title or "Sheet1", columns, rows)])


XLSX_MIMETYPE = XLSX
CSV_MIMETYPE = CSV_UTF8
