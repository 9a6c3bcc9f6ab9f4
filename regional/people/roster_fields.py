"""The fields of a person's record that a roster row may change: one table.

Each field says how a row is compared with the record (the change as the preview shows
it, before and after), how the change is written on the account, what the preview calls
it, and what the trail keeps (the account's own code, or the preview's text). The
table's order is the order of a row's changes in the preview, the plan's digest and the
trail.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.people.roster_read import Change, PersonRow

#: The import's new units: path -> id (see :meth:`PersonRow.unit_id_in`).
UnitIds = dict[tuple[str, ...], int]


@dataclass
class Recorded:
    """A person of the municipality as the plan compares them with a row."""

    id: int
    number: str | None
    email: str
    name: str
    name_kana: str | None
    org_unit_id: int | None
    job_category: JobCategory
    status: AccountStatus
    role: Role
    job_title: str | None = None


@dataclass(frozen=True)
class Comparing:
    """What a comparison needs beyond the row and the record."""

    #: The keys the file has a column for (a missing column leaves its field as it is).
    columns: Collection[str]
    #: A unit's path as the preview writes it.
    path_of: Callable[[int | None], str]


#: (before, after) as the preview shows them, or None: the row leaves the field as it is.
Compare = Callable[[PersonRow, Recorded, Comparing], "tuple[str, str] | None"]


@dataclass(frozen=True)
class RosterField:
    key: str
    #: What the preview calls a change of this field.
    label: object
    compare: Compare
    #: The account's attribute that the change writes, and the row's value for it.
    attribute: str
    value: Callable[[PersonRow, UnitIds], object]
    #: What the trail keeps, read off the account before and after: its code (None: the
    #: preview's text, e.g. a unit's path).
    code: Callable[[User], object] | None = None


def _email(row: PersonRow, person: Recorded, _c: Comparing) -> tuple[str, str] | None:
    return (person.email, row.email) if row.email != person.email else None


def _name(row: PersonRow, person: Recorded, _c: Comparing) -> tuple[str, str] | None:
    return (person.name, row.name) if row.name != person.name else None


def _name_kana(row: PersonRow, person: Recorded, c: Comparing) -> tuple[str, str] | None:
    if "name_kana" in c.columns and (row.name_kana or None) != (person.name_kana or None):
        return person.name_kana or "", row.name_kana or ""
    return None


def _job_title(row: PersonRow, person: Recorded, c: Comparing) -> tuple[str, str] | None:
    if "job_title" in c.columns and (row.job_title or None) != (person.job_title or None):
        return person.job_title or "", row.job_title or ""
    return None


def _employee_number(row: PersonRow, person: Recorded, _c: Comparing) -> tuple[str, str] | None:
    return ("", row.number) if not person.number else None


def _job_category(row: PersonRow, person: Recorded, _c: Comparing) -> tuple[str, str] | None:
    if row.job_category is not None and row.job_category != person.job_category:
        return person.job_category.label, row.job_category.label
    return None


def _org_unit(row: PersonRow, person: Recorded, c: Comparing) -> tuple[str, str] | None:
    if row.unit is not None and (
        row.unit.planned is not None or row.unit.unit_id != person.org_unit_id
    ):
        return c.path_of(person.org_unit_id), row.unit.text
    return None


def _status(_row: PersonRow, person: Recorded, _c: Comparing) -> tuple[str, str] | None:
    if person.status == AccountStatus.DISABLED:
        return person.status.label, AccountStatus.ACTIVE.label
    return None


#: Every field a roster changes, in the order of the preview, the digest and the trail.
FIELDS: dict[str, RosterField] = {
    f.key: f
    for f in (
        RosterField("email", _l("E-mail address"), _email, "email", lambda r, _u: r.email),
        RosterField("name", _l("Name"), _name, "name", lambda r, _u: r.name),
        RosterField(
            "name_kana", _l("Name in kana"), _name_kana, "name_kana", lambda r, _u: r.name_kana
        ),
        RosterField(
            "employee_number",
            _l("Employee number"),
            _employee_number,
            "employee_number",
            lambda r, _u: r.number,
        ),
        RosterField(
            "job_category",
            _l("Job category"),
            _job_category,
            "job_category",
            lambda r, _u: r.job_category,
            code=lambda user: user.job_category,
        ),
        RosterField(
            "job_title", _l("Job title"), _job_title, "job_title", lambda r, _u: r.job_title
        ),
        RosterField(
            "org_unit", _l("Moved"), _org_unit, "org_unit_id", lambda r, ids: r.unit_id_in(ids)
        ),
        RosterField(
            "status",
            _l("Enabled again"),
            _status,
            "status",
            lambda _r, _u: AccountStatus.ACTIVE,
            code=lambda user: user.status,
        ),
    )
}


def changes(row: PersonRow, person: Recorded, comparing: Comparing) -> list[Change]:
    """What ``row`` changes on the person's record, field by field in the table's order."""
    found = []
    for f in FIELDS.values():
        texts = f.compare(row, person, comparing)
        if texts is not None:
            found.append(Change(f.key, *texts))
    return found


def apply(user: User, row: PersonRow, unit_ids: UnitIds) -> None:
    """Write each of the row's changes on the account."""
    for change in row.changes:
        f = FIELDS[change.field]
        setattr(user, f.attribute, f.value(row, unit_ids))


def trail_value(user: User, change: Change, *, after: bool) -> object:
    """A changed field's value for the trail: the account's code where the preview shows a
    label (read before or after the change), else the preview's text (a unit's path)."""
    code = FIELDS[change.field].code
    if code is not None:
        return code(user)
    return (change.after if after else change.before) or None


def preview_labels() -> dict[str, str]:
    """What the preview calls each field's change, in the reader's language."""
    return {key: str(f.label) for key, f in FIELDS.items()}
