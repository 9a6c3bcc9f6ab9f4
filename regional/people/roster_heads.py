"""A roster's 所属長 column: who becomes head of unit (所属長) or deputy (代理) of their unit.

A flagged row makes its person head (or deputy) of the unit of that row (the 所属 cell, or
the person's unit on record when the file has no 所属 column). An empty cell changes
nothing: a personnel export often leaves the column empty, so a head is removed on the
heads page (/heads/setup), never by a file. Two heads (or two deputies) for one unit in
one file are an error on both rows; so is a deputy for a unit that would have no head.

Who heads what is the heads package's (``regional.heads``, above this one): it installs
the :class:`HeadBook` that reads and writes it (:func:`install`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _

from regional.people.roster_read import DEFAULT_NAMES, DEPUTY, HEAD, PersonRow
from regional.people.roster_units import UnitRef
from regional.spreadsheets import RowError

#: A unit as the plan knows it: ("u", id) on record, or ("p", path) created by the import.
UnitKey = tuple[str, object]
#: A person: ("u", id) on record, or ("n", employee number) created by the import.
PersonKey = tuple[str, object]


@dataclass(frozen=True)
class HeadBook:
    """Who heads what, as the heads package keeps it (installed by it)."""

    #: unit id -> (head id, deputy id or None), for the current municipality.
    read: Callable[[], dict[int, tuple[int, int | None]]]
    #: Make (head, deputy) head and deputy of a unit (no audit: the import's entry says it).
    write: Callable[[int, int, int | None], None]


_book: HeadBook | None = None


def install(book: HeadBook | None) -> None:
    """Install who reads and writes the heads of unit (``regional.heads`` does, at start)."""
    global _book
    _book = book


def current() -> dict[int, tuple[int, int | None]]:
    """unit id -> (head id, deputy id) of the current municipality (none when not installed)."""
    return _book.read() if _book is not None else {}


@dataclass
class HeadChange:
    """One unit's head and deputy before and after the import, as the preview shows them."""

    unit: UnitKey
    path: str
    lines: list[int]
    before: tuple[int | None, int | None]
    after: tuple[PersonKey | None, PersonKey | None]
    #: Names as the preview shows them: (head, deputy) before and after.
    names_before: tuple[str, str] = ("", "")
    names_after: tuple[str, str] = ("", "")

    def digest_data(self) -> list:
        return [list(self.unit), [list(p) if p else None for p in self.after]]


@dataclass
class _Flagged:
    row: PersonRow
    person: PersonKey
    unit: UnitKey | None
    path: str


@dataclass
class HeadPlanner:
    """Collects the flagged rows of a file, then works out each unit's change."""

    heads: dict[str, str]
    #: person id -> (name, unit id on record)
    people: dict[int, tuple[str, int | None]]
    path_of: Callable[[int | None], str]
    flagged: list[_Flagged] = field(default_factory=list)

    def add(self, row: PersonRow) -> None:
        """Note an importable row whose 所属長 cell says head or deputy."""
        if row.head is None:
            return
        person: PersonKey = ("u", row.user_id) if row.user_id is not None else ("n", row.number)
        ref = row.unit
        if ref is None and row.user_id is not None:
            ref = UnitRef(self.people[row.user_id][1])
        if ref is None or (ref.unit_id is None and ref.planned is None):
            unit, path = None, ""
        elif ref.planned is not None:
            unit, path = ("p", ref.planned), "/".join(ref.planned)
        else:
            unit, path = ("u", ref.unit_id), self.path_of(ref.unit_id)
        self.flagged.append(_Flagged(row, person, unit, path))

    def plan(self, current: dict[int, tuple[int, int | None]]) -> tuple[list, list[RowError]]:
        """The changes of head and deputy, unit by unit, and the rows' errors."""
        errors: list[RowError] = []
        column = self.heads.get("head", DEFAULT_NAMES["head"])
        by_unit: dict[UnitKey, dict[str, list[_Flagged]]] = defaultdict(lambda: defaultdict(list))
        for f in self.flagged:
            if f.unit is None:
                errors.append(
                    RowError(f.row.line, column, _("A head of unit needs a unit (所属) to head."))
                )
            else:
                by_unit[f.unit][f.row.head].append(f)
        changes = []
        for unit, roles in by_unit.items():
            change = self._unit_change(unit, roles, current, column, errors)
            if change is not None:
                changes.append(change)
        return changes, errors

    def _unit_change(self, unit, roles, current, column, errors) -> HeadChange | None:
        doubled = False
        for role, found in roles.items():
            if len(found) > 1:
                doubled = True
                lines = ", ".join(str(f.row.line) for f in found)
                message = (
                    _(
                        "Two heads of the same unit (%(unit)s) on lines %(lines)s: keep one.",
                        unit=found[0].path,
                        lines=lines,
                    )
                    if role == HEAD
                    else _(
                        "Two deputies of the same unit (%(unit)s) on lines %(lines)s: keep one.",
                        unit=found[0].path,
                        lines=lines,
                    )
                )
                errors.extend(RowError(f.row.line, column, message) for f in found)
        if doubled:
            return None
        head_f, deputy_f = (roles.get(r, [None])[0] for r in (HEAD, DEPUTY))
        before = current.get(unit[1], (None, None)) if unit[0] == "u" else (None, None)
        on_record = tuple(("u", i) if i is not None else None for i in before)
        head = head_f.person if head_f else on_record[0]
        deputy = deputy_f.person if deputy_f else on_record[1]
        if head_f is not None and deputy == head:
            deputy = None  # the deputy became head
        if deputy_f is not None and head is None:
            errors.append(
                RowError(
                    deputy_f.row.line,
                    column,
                    _(
                        "A deputy needs a head of unit: name the head in the file or on the heads page."
                    ),
                )
            )
            return None
        if deputy_f is not None and deputy == head:
            errors.append(
                RowError(
                    deputy_f.row.line,
                    column,
                    _("This person is the head of the unit, not its deputy."),
                )
            )
            return None
        if (head, deputy) == on_record:
            return None
        any_f = head_f or deputy_f
        return HeadChange(
            unit=unit,
            path=any_f.path,
            lines=sorted(f.row.line for f in (head_f, deputy_f) if f),
            before=before,
            after=(head, deputy),
            names_before=tuple(self._name(p, roles) for p in on_record),
            names_after=(self._name(head, roles), self._name(deputy, roles)),
        )

    def _name(self, person: PersonKey | None, roles) -> str:
        if person is None:
            return ""
        for found in roles.values():
            for f in found:
                if f.person == person:
                    return f.row.name
        return self.people.get(person[1], ("", None))[0] if person[0] == "u" else ""


def apply(
    changes: list[HeadChange],
    unit_ids: dict[tuple[str, ...], int],
    created: dict[str, int],
) -> list[dict]:
    """Write the changes (after the import's units and people exist); the trail's lines."""
    if changes and _book is None:
        raise RuntimeError("the heads of unit are not installed")

    def person_id(p: PersonKey | None) -> int | None:
        if p is None:
            return None
        return p[1] if p[0] == "u" else created[p[1]]  # type: ignore[return-value,index]

    lines = []
    for change in changes:
        kind, key = change.unit
        unit_id = key if kind == "u" else unit_ids[key]  # type: ignore[index]
        head, deputy = (person_id(p) for p in change.after)
        _book.write(unit_id, head, deputy)  # type: ignore[union-attr,arg-type]
        lines.append(
            {
                "org_unit_id": unit_id,
                "org_unit": change.path,
                "before": {"head_id": change.before[0], "deputy_id": change.before[1]},
                "after": {"head_id": head, "deputy_id": deputy},
            }
        )
    return lines


def export_flag(
    book: dict[int, tuple[int, int | None]], person_id: int, unit_id: int | None
) -> str:
    """The 所属長 cell the export writes: 所属長 or 代理 of the person's own unit, else empty
    (heading another unit is not a roster's to say, and an empty cell changes nothing)."""
    head, deputy = book.get(unit_id, (None, None)) if unit_id is not None else (None, None)
    if head == person_id:
        return "所属長"
    if deputy == person_id:
        return "代理"
    return ""
