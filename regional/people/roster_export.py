"""The municipality's staff as a roster file that the import reads back unchanged.

Same columns as the import (Japanese or English headers by the page's
language), as CSV in CP932 (what Excel in Japan and most personnel systems
write) or UTF-8 with a BOM, or as XLSX. Only people the roster describes are
written: those with an employee number whose account is not disabled (a
disabled person in the file would be re-enabled by the import).

Cells are neutralised against formula injection like every export; the
import refuses formula-like values, so data that came from a roster never
needs it.
"""

from __future__ import annotations

from sqlalchemy import select

from regional.extensions import db
from regional.people.models import AccountStatus, User
from regional.people.roster import job_word
from regional.people.services import UnitTree
from regional.registrations.exports import to_csv, to_xlsx

COLUMNS = (
    ("職員番号", "employee_number"),
    ("氏名", "name"),
    ("氏名カナ", "name_kana"),
    ("メールアドレス", "email"),
    ("所属", "org_unit"),
    ("職種", "job_category"),
)


class NotEncodable(Exception):
    """A value has a character CP932 cannot hold (for example 𠮷); UTF-8 can."""

    def __init__(self, name: str, number: str):
        super().__init__(name)
        self.name, self.number = name, number


def header(locale: str) -> list[str]:
    return [en if locale == "en" else ja for ja, en in COLUMNS]


def roster_rows(locale: str) -> list[list[str]]:
    """One row per person in the roster, ordered by employee number."""
    tree = UnitTree()
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
            job_word(u.job_category, locale),
        ]
        for u in people
    ]


def as_csv(locale: str, encoding: str) -> bytes:
    """CRLF lines; ``cp932`` without a BOM, ``utf-8`` with one."""
    head, rows = header(locale), roster_rows(locale)
    if encoding != "cp932":
        return to_csv(head, rows)
    for row in rows:
        for value in row:
            try:
                value.encode("cp932")
            except UnicodeEncodeError as exc:
                raise NotEncodable(row[1], row[0]) from exc
    return to_csv(head, rows).decode("utf-8").removeprefix("\ufeff").encode("cp932")


def as_xlsx(locale: str, title: str) -> bytes:
    return to_xlsx(header(locale), roster_rows(locale), title)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
