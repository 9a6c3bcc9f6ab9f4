"""A head's units against the member's targets: how many of their people count.

The member's figure and the people behind it come from one place
(:func:`regional.targets.progress.municipality_progress` and
:func:`~regional.targets.progress.reported_ids`: the dashboard's figure and its drill-down
"who counts"); this module only keeps those of the head's units (and the units below
them), by the unit each person is in now, among active accounts (the people the page
lists). A closed year shows the people its figure counted as reported.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from regional.extensions import db
from regional.people.models import AccountStatus, User
from regional.people.units import UnitTree
from regional.targets.progress import TargetProgress, municipality_progress, reported_ids


@dataclass(frozen=True)
class UnitRow:
    unit_id: int
    path: str
    people: int
    #: People counted for each target, in the order of ``HeadProgress.targets``.
    achieved: list[int]


@dataclass(frozen=True)
class HeadProgress:
    fiscal_year: int
    #: The member's targets and figures (as its dashboard shows them).
    targets: list[TargetProgress]
    #: People of the head's units counted for each target (same order).
    achieved: list[int]
    people: int
    units: list[UnitRow]


def units_progress(municipality_id: int, unit_ids: set[int], fiscal_year: int) -> HeadProgress:
    """The member's targets of FY, each with how many people of ``unit_ids`` it counts,
    in all and unit by unit (current municipality)."""
    mp = municipality_progress(db.session, municipality_id, fiscal_year, coverage=False)
    ours = (User.org_unit_id.in_(unit_ids), User.status == AccountStatus.ACTIVE)
    staff = Counter(db.session.scalars(select(User.org_unit_id).where(*ours)))
    per_target: list[Counter] = []
    for t in mp.targets:
        counted = reported_ids(db.session, municipality_id, t.key, fiscal_year)
        per_target.append(
            Counter(db.session.scalars(select(User.org_unit_id).where(*ours, User.id.in_(counted))))
        )
    tree = UnitTree()
    shown = [u for u in unit_ids if u in tree.units and (tree.units[u].active or staff[u])]
    units = sorted(
        (UnitRow(u, tree.path(u), staff[u], [c[u] for c in per_target]) for u in shown),
        key=lambda row: row.path,
    )
    return HeadProgress(
        fiscal_year=fiscal_year,
        targets=mp.targets,
        achieved=[sum(c.values()) for c in per_target],
        people=sum(staff.values()),
        units=units,
    )
