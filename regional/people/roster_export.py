"""The municipality's staff as a roster file that the import reads back unchanged.

Same columns as the import (Japanese or English headers by the page's
language), as CSV in CP932 (what Excel in Japan and most personnel systems
write) or UTF-8 with a BOM, or as XLSX. Only people the roster describes are
written: those with an employee number whose account is not disabled (a
disabled person in the file would be re-enabled by the import).

Cells are neutralised against formula injection like every export; the
import refuses formula-like values, so data that came from a roster never
needs it.

CP932 cannot hold every name (𠮷, characters beyond JIS, variation selectors): the
Shift_JIS file writes each such character's nearest form (:func:`gaiji.cp932_form`:
𠮷 as 吉, 〓 where there is none) and ends with a note row (``※ …``) saying whose
names were written so; the import skips the note and keeps the registered names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select

from regional.downloads import XLSX
from regional.extensions import db
from regional.people import gaiji, roster_heads
from regional.people.job_categories import export_word
from regional.people.models import AccountStatus, User
from regional.people.roster_read import NOTE_MARK
from regional.people.units import UnitTree
from regional.workbooks import Col, Sheet, neutralise
from regional.workbooks import to_xlsx as workbook

COLUMNS = (
    ("職員番号", "employee_number"),
    ("氏名", "name"),
    ("氏名カナ", "name_kana"),
    ("メールアドレス", "email"),
    ("所属", "org_unit"),
    ("職種", "job_category"),
    ("役職", "job_title"),
    ("所属長", "head_of_unit"),
)
#: The XLSX's column widths, in COLUMNS order (Excel's units: a Japanese character is two).
WIDTHS = (12, 16, 18, 30, 36, 14, 14, 10)


#: Employee numbers named in the note row at most (the count is always whole).
NOTE_NUMBERS = 20


def to_csv(head: Sequence[str], rows: list[list[str]]) -> bytes:
    """UTF-8 with a BOM and CRLF lines, as Excel in Japan reads it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(head: Sequence[str], rows: list[list[str]], title: str) -> bytes:
    """One sheet through the platform's workbook helper; every cell stored as text
    (employee numbers keep their leading zeros, nothing becomes a formula)."""
    columns = [Col(h, "text", w) for h, w in zip(head, WIDTHS, strict=True)]
    return workbook([Sheet(title or "Sheet1", columns, rows)])


def header(locale: str) -> list[str]:
    return [en if locale == "en" else ja for ja, en in COLUMNS]


def roster_rows(locale: str) -> list[list[str]]:
    """One row per person in the roster, ordered by employee number."""
    tree = UnitTree()
    heads = roster_heads.current()
    people = db.session.scalars(
        select(User)
        .where(User.employee_number.is_not(None), User.status != AccountStatus.DISABLED)
        .order_by(User.employee_number, User.id)
    )
    return [
        [
            u.employee_number or "",
            u.name,
            u.name_kana or "",
            u.email,
            tree.path(u.org_unit_id),
            export_word(u.job_category, locale),
            u.job_title or "",
            roster_heads.export_flag(heads, u.id, u.org_unit_id),
        ]
        for u in people
    ]


def as_csv(locale: str, encoding: str) -> bytes:
    """CRLF lines; ``cp932`` without a BOM (nearest forms, and a note row when any were
    needed), ``utf-8`` with one (every name as registered)."""
    head, rows = header(locale), roster_rows(locale)
    if encoding != "cp932":
        return to_csv(head, rows)
    substituted: list[str] = []
    for row in rows:
        written = [gaiji.cp932_form(value) for value in row]
        if written != row:
            substituted.append(row[0])
            row[:] = written
    if substituted:
        rows.append([_note(substituted), *([""] * (len(head) - 1))])
    return to_csv(head, rows).decode("utf-8").removeprefix("\ufeff").encode("cp932")


def _note(numbers: list[str]) -> str:
    shown = "、".join(numbers[:NOTE_NUMBERS]) + ("…" if len(numbers) > NOTE_NUMBERS else "")
    text = _(
        "Shift_JIS (CP932) cannot hold some characters of these people's names (employee "
        "numbers %(numbers)s; %(n)d in all): they are written in the nearest form (吉 for "
        "つちよし, 土 over 口; 〓 where there is none). Importing this file keeps the "
        "registered names. The UTF-8 and XLSX files hold every name as registered.",
        n=len(numbers),
        numbers=shown,
    )
    return gaiji.cp932_form(f"{NOTE_MARK} {text}")


def as_xlsx(locale: str, title: str) -> bytes:
    return to_xlsx(header(locale), roster_rows(locale), title)


XLSX_MIMETYPE = XLSX
