"""Unit paths in a staff roster (所属): resolving them against the member's org units.

A path names units from the top (``総務局/デジタル推進課/企画係``); a missing unit is
planned with a level read from its name. The rules are those of the import page, listed
in :mod:`roster_plan`.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from regional.people.units import LEVEL_RANK, PATH_SEPARATOR
from tenants.models import OrgLevel, OrgUnit


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def split_path(path: str) -> list[str]:
    """The names of a unit path (NFKC, so '／' is a separator too); '' parts kept for checking."""
    return [part.strip() for part in _nfkc(path).split(PATH_SEPARATOR)]


@dataclass
class PlannedUnit:
    """An org unit the import creates; ``path`` is its names from the top."""

    path: tuple[str, ...]
    level: OrgLevel
    equivalent: bool
    #: Existing parent's id (None: top level, or a parent created by the same import).
    parent_id: int | None

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def path_text(self) -> str:
        return PATH_SEPARATOR.join(self.path)


@dataclass
class UnitRef:
    """Where a row places its person: an existing unit, a planned one, or none."""

    unit_id: int | None = None
    planned: tuple[str, ...] | None = None
    text: str = ""


def infer_level(name: str, parent_level: OrgLevel | None) -> tuple[OrgLevel, bool] | None:
    """A new unit's level and whether it is an equivalent (相当); None if it cannot sit there."""
    if name.endswith(("部", "局")):
        level, equivalent = OrgLevel.DEPARTMENT, False
    elif name.endswith("課"):
        level, equivalent = OrgLevel.DIVISION, False
    elif name.endswith("係"):
        level, equivalent = OrgLevel.SECTION, False
    else:
        equivalent = True
        if parent_level is None:
            level = OrgLevel.DEPARTMENT
        elif parent_level == OrgLevel.DEPARTMENT:
            level = OrgLevel.DIVISION
        elif parent_level == OrgLevel.DIVISION:
            level = OrgLevel.SECTION
        else:
            return None
    if parent_level is not None:
        rank, parent_rank = LEVEL_RANK[level], LEVEL_RANK[parent_level]
        if not (parent_rank < rank or parent_rank == rank == 0):
            return None
    return level, equivalent


class UnitResolver:
    """Resolves unit paths against the municipality's units, planning the missing ones."""

    def __init__(self, units: Iterable[OrgUnit]):
        self.units = {u.id: u for u in units}
        self.children: dict[tuple[int | None, str], list[OrgUnit]] = defaultdict(list)
        self.by_name: dict[str, list[OrgUnit]] = defaultdict(list)
        for u in self.units.values():
            self.children[(u.parent_id, _nfkc(u.name))].append(u)
            self.by_name[_nfkc(u.name)].append(u)
        self.planned: dict[tuple[str, ...], PlannedUnit] = {}
        self._seen: dict[str, UnitRef | str] = {}

    def path_of(self, unit_id: int | None) -> str:
        parts, seen = [], set()
        while unit_id is not None and unit_id in self.units and unit_id not in seen:
            seen.add(unit_id)
            parts.append(self.units[unit_id].name)
            unit_id = self.units[unit_id].parent_id
        return PATH_SEPARATOR.join(reversed(parts))

    def resolve(self, text: str) -> UnitRef | str:
        """The unit a path names (planning missing ones), or the reason it cannot be used."""
        if text not in self._seen:
            self._seen[text] = self._resolve(text)
        return self._seen[text]

    def _resolve(self, text: str) -> UnitRef | str:
        names = split_path(text)
        if any(not n for n in names):
            return _("The unit path has an empty part: write it as 局/課/係.")
        if any(len(n) > 100 for n in names):
            return _("A unit name is longer than 100 characters.")
        if len(names) > 6:
            return _("The unit path is deeper than 6 levels.")
        if len(names) == 1 and not self.children.get((None, names[0])):
            anywhere = self.by_name.get(names[0], [])
            if len(anywhere) > 1:
                return _(
                    "Several units are called %(name)s: give the whole path (局/課/係).",
                    name=names[0],
                )
            if len(anywhere) == 1:
                return self._existing(anywhere[0], text)
        parent: OrgUnit | None = None
        for depth, name in enumerate(names):
            found = self.children.get((parent.id if parent else None, name), [])
            if len(found) > 1:
                return _("The unit path %(path)s is ambiguous.", path=text)
            if not found:
                return self._plan(names, depth, parent)
            parent = found[0]
        return self._existing(parent, text)

    def _existing(self, unit: OrgUnit, text: str) -> UnitRef | str:
        if not unit.active:
            return _(
                "The unit %(path)s is out of use: bring it back into use on the units page first.",
                path=self.path_of(unit.id),
            )
        return UnitRef(unit_id=unit.id, text=self.path_of(unit.id))

    def _plan(self, names: list[str], depth: int, parent: OrgUnit | None) -> UnitRef | str:
        if parent is not None and not parent.active:
            return _("The unit %(path)s is out of use.", path=self.path_of(parent.id))
        prefix = tuple(self.path_of(parent.id).split(PATH_SEPARATOR)) if parent else ()
        parent_level = parent.level if parent else None
        path = prefix
        for name in names[depth:]:
            path = (*path, name)
            planned = self.planned.get(path)
            if planned is None:
                placed = infer_level(name, parent_level)
                if placed is None:
                    return _(
                        "%(name)s cannot be placed under %(parent)s (部 > 課 > 係).",
                        name=name,
                        parent=PATH_SEPARATOR.join(path[:-1]),
                    )
                planned = PlannedUnit(
                    path=path,
                    level=placed[0],
                    equivalent=placed[1],
                    parent_id=parent.id
                    if parent is not None and len(path) == len(prefix) + 1
                    else None,
                )
                self.planned[path] = planned
            parent_level = planned.level
        return UnitRef(planned=path, text=PATH_SEPARATOR.join(path))
