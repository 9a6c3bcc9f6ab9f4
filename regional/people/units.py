"""Org units (部 > 課 > 係) of one municipality: the tree, and its writes.

Every function works inside the current municipality, flushes, and leaves the
commit to the caller; a refusal is a :class:`DomainError`.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from regional.audit import audited, record_audit_across
from regional.errors import Conflict, DomainError
from regional.extensions import db
from regional.people.history import effective_day
from regional.people.models import User
from tenants.models import OrgLevel, OrgUnit, OrgUnitEvent, OrgUnitEventKind

log = logging.getLogger("regional.audit")

#: 部 > 課 > 係: a unit sits below a unit of a higher rank (a 部 may also sit in a 局).
LEVEL_RANK = {OrgLevel.DEPARTMENT: 0, OrgLevel.DIVISION: 1, OrgLevel.SECTION: 2}

PATH_SEPARATOR = "/"


class UnitTree:
    """The current municipality's units loaded once: paths, depth and sub-units without N+1."""

    def __init__(self, units: list[OrgUnit] | None = None):
        self.units = {u.id: u for u in (units or db.session.scalars(select(OrgUnit)).all())}
        self.children: dict[int | None, list[OrgUnit]] = {}
        for u in self.units.values():
            parent = u.parent_id if u.parent_id in self.units else None
            self.children.setdefault(parent, []).append(u)
        for kids in self.children.values():
            kids.sort(key=lambda u: (LEVEL_RANK[u.level], u.name))

    def path(self, unit_id: int | None) -> str:
        parts, seen = [], set()
        while unit_id is not None and unit_id in self.units and unit_id not in seen:
            seen.add(unit_id)
            parts.append(self.units[unit_id].name)
            unit_id = self.units[unit_id].parent_id
        return PATH_SEPARATOR.join(reversed(parts))

    def descendants(self, unit_id: int) -> set[int]:
        found, todo = set(), [unit_id]
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child.id not in found:
                    found.add(child.id)
                    todo.append(child.id)
        return found

    def walk(self) -> list[tuple[OrgUnit, int]]:
        """Every unit with its depth, parents before children (the page's tree order)."""
        rows: list[tuple[OrgUnit, int]] = []
        seen: set[int] = set()

        def visit(parent: int | None, depth: int) -> None:
            for u in self.children.get(parent, []):
                if u.id not in seen:
                    seen.add(u.id)
                    rows.append((u, depth))
                    visit(u.id, depth + 1)

        visit(None, 0)
        return rows

    def choices(self, *, include_inactive: bool = False, exclude: set[int] | None = None):
        """(id, path) pairs in path order, for a select."""
        rows = [
            (u.id, self.path(u.id))
            for u in self.units.values()
            if (include_inactive or u.active) and u.id not in (exclude or set())
        ]
        return sorted(rows, key=lambda r: r[1])


@dataclass
class UnitData:
    name: str
    level: OrgLevel
    parent_id: int | None = None
    equivalent: bool = False


def _check_placement(data: UnitData, unit: OrgUnit | None) -> OrgUnit | None:
    parent = None
    if data.parent_id is not None:
        parent = db.session.scalar(select(OrgUnit).where(OrgUnit.id == data.parent_id))
        if parent is None:
            raise DomainError("unknown_org_unit", _l("The parent unit was not found."))
        if unit is not None and (
            parent.id == unit.id or parent.id in UnitTree().descendants(unit.id)
        ):
            raise DomainError(
                "unit_cycle", _l("A unit cannot be moved under itself or one of its sub-units.")
            )
        if not parent.active:
            raise DomainError("parent_inactive", _l("The parent unit is no longer in use."))
        rank, parent_rank = LEVEL_RANK[data.level], LEVEL_RANK[parent.level]
        if not (parent_rank < rank or parent_rank == rank == 0):
            raise DomainError(
                "level_order",
                _l("A unit must sit below a unit of a higher level (部 > 課 > 係)."),
            )
    if unit is not None:
        children = db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id)).all()
        rank = LEVEL_RANK[data.level]
        if any(
            not (rank < LEVEL_RANK[c.level] or rank == LEVEL_RANK[c.level] == 0) for c in children
        ):
            raise DomainError(
                "level_order",
                _l("Its sub-units would no longer sit below a unit of a higher level."),
            )
    sibling = select(OrgUnit.id).where(
        func.lower(OrgUnit.name) == data.name.strip().lower(),
        OrgUnit.parent_id.is_(None) if parent is None else OrgUnit.parent_id == parent.id,
    )
    if unit is not None:
        sibling = sibling.where(OrgUnit.id != unit.id)
    # The database's UNIQUE cannot see top-level names (NULL parents differ), so ask here.
    if db.session.scalar(select(exists(sibling))):
        raise Conflict("unit_name_taken", _l("A unit of this name already exists there."))
    return parent


def _flush_unit(unit: OrgUnit) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(unit)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("unit_name_taken", _l("A unit of this name already exists there.")) from exc


def note_event(unit: OrgUnit, kind: OrgUnitEventKind, detail: dict | None = None) -> None:
    """Record what happened to a unit, on the day changes take effect."""
    db.session.add(
        OrgUnitEvent(unit_id=unit.id, kind=kind, on=effective_day(db.session), detail=detail or {})
    )


def _trail(unit: OrgUnit) -> dict:
    """What the audit trail keeps of a unit: its name, level, place and whether in use."""
    parent = None
    if unit.parent_id is not None:
        found = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit.parent_id))
        parent = found.path() if found is not None else None
    return {
        "name": unit.name,
        "level": unit.level,
        "equivalent": unit.equivalent,
        "parent": parent,
        "active": unit.active,
    }


def _label(unit: OrgUnit) -> str:
    return PATH_SEPARATOR.join(p for p in (_trail(unit)["parent"], unit.name) if p)


def _audit_unit(action: str, unit: OrgUnit, actor: User, after: dict) -> None:
    """A unit added to the member's org tree, in its trail."""
    record_audit_across(
        action,
        municipality_id=unit.municipality_id,
        subject_type="org_unit",
        subject_id=unit.id,
        subject_label=_label(unit),
        after=after,
        actor=actor,
    )


def _unit_change(action: str, unit: OrgUnit, actor: User, **what):  # noqa: ANN003
    """A change of the member's org tree, audited in its trail (``audited``: what changed)."""
    return audited(
        action,
        target=unit,
        across=True,
        municipality_id=unit.municipality_id,
        subject_type="org_unit",
        subject_label=_label,
        actor=actor,
        **what,
    )


def create_unit(data: UnitData, actor: User) -> OrgUnit:
    """Add a 部, 課 or 係 (or an equivalent) to the current municipality, from today (or the
    day a roster import gives): it counts in coverage from then on."""
    parent = _check_placement(data, None)
    unit = OrgUnit(
        name=data.name.strip(),
        level=data.level,
        parent_id=parent.id if parent else None,
        equivalent=data.equivalent,
        active=True,
        valid_from=effective_day(db.session),
    )
    _flush_unit(unit)
    note_event(unit, OrgUnitEventKind.CREATED)
    _audit_unit("unit.create", unit, actor, _trail(unit))
    log.info("org unit added unit=%s by=%s", unit.id, actor.id)
    return unit


def update_unit(unit: OrgUnit, data: UnitData, actor: User) -> OrgUnit:
    """Rename, re-level or move a unit within its municipality (a rename keeps the unit:
    its people and its coverage in past years stay with it)."""
    parent = _check_placement(data, unit)
    old_name = unit.name
    with _unit_change("unit.update", unit, actor, snapshot=_trail):
        unit.name, unit.level, unit.equivalent = data.name.strip(), data.level, data.equivalent
        unit.parent_id = parent.id if parent else None
        _flush_unit(unit)
        if unit.name != old_name:
            note_event(unit, OrgUnitEventKind.RENAMED, {"from": old_name, "to": unit.name})
    log.info("org unit changed unit=%s by=%s", unit.id, actor.id)
    return unit


def deactivate_unit(
    unit: OrgUnit,
    actor: User,
    *,
    kind: OrgUnitEventKind = OrgUnitEventKind.RETIRED,
    detail: dict | None = None,
) -> OrgUnit:
    """Retire a unit after a reorganisation (from the day changes take effect); its people
    keep it until they are moved. ``kind`` says how: retired, or merged or split ``into``."""
    if not unit.active:
        raise Conflict("unit_inactive", _l("This unit is already out of use."))
    active_child = select(OrgUnit.id).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True))
    if db.session.scalar(select(exists(active_child))):
        raise DomainError(
            "unit_has_children", _l("First take the sub-units of this unit out of use.")
        )
    with _unit_change("unit.deactivate", unit, actor, fields=("active",)) as trail:
        unit.active = False
        unit.retired_on = max(effective_day(db.session), unit.valid_from)
        db.session.flush()
        note_event(unit, kind, detail)
        trail.after = {"active": False, "retired_on": unit.retired_on, "how": kind.value}
    log.info("org unit deactivated unit=%s kind=%s by=%s", unit.id, kind.value, actor.id)
    return unit


def reactivate_unit(unit: OrgUnit, actor: User) -> OrgUnit:
    """Bring a retired unit back into use (its parent must be in use)."""
    if unit.active:
        raise Conflict("unit_active", _l("This unit is already in use."))
    if unit.parent is not None and not unit.parent.active:
        raise DomainError("parent_inactive", _l("The parent unit is no longer in use."))
    # Undoes the retirement: the unit counts as having been in use all along.
    with _unit_change("unit.reactivate", unit, actor, fields=("active",)):
        unit.active, unit.retired_on = True, None
        db.session.flush()
        note_event(unit, OrgUnitEventKind.REACTIVATED)
    log.info("org unit reactivated unit=%s by=%s", unit.id, actor.id)
    return unit


def find_unit_by_path(path: str, *, active_only: bool = True) -> OrgUnit | None:
    """The current municipality's unit named by a path such as ``総務局/デジタル推進課/企画係``."""
    names = [unicodedata.normalize("NFKC", p).strip() for p in path.split(PATH_SEPARATOR)]
    names = [n for n in names if n]
    if not names:
        return None
    units = db.session.scalars(select(OrgUnit)).all()
    by_parent: dict[int | None, dict[str, OrgUnit]] = {}
    for u in units:
        if active_only and not u.active:
            continue
        by_parent.setdefault(u.parent_id, {})[unicodedata.normalize("NFKC", u.name)] = u
    parent_id: int | None = None
    found = None
    for name in names:
        found = by_parent.get(parent_id, {}).get(name)
        if found is None:
            return None
        parent_id = found.id
    return found
