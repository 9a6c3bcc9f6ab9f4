"""Year-end close (年度締め): a fiscal year's figures frozen as they were reported.

A coordinator (for their member) or a regional administrator (for any member, or every
member at once) closes a fiscal year once it has ended. The close keeps every target's
figures (counted, plan line, status, trend), the coverage with the units and the people
behind it, and the people each figure counted. From then on the pages, the exports and
the API show that year as reported; a later correction (a late attendance, an imported
e-learning file, a withdrawn completion, a transfer) is shown beside it as 「締め後の修正」
with its effect, never merged. Regional administrators may re-open a year with a reason;
the close stays on record and the next close is a new one. Every step is audited.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regional import fiscal
from regional.audit import record_audit_across
from regional.audit.services import actor_label
from regional.errors import Conflict, DomainError
from regional.fiscal import now_utc
from regional.targets.models import YearClose
from regional.targets.progress import (
    Coverage,
    MunicipalityProgress,
    TargetProgress,
    UnitCover,
    UnitGap,
    counted_ids,
)
from tenants import all_tenants
from tenants.models import Municipality

FORMAT = 1  # the shape of ``YearClose.figures``; readers check it


# -- freezing and thawing ----------------------------------------------------------------


def _target_json(t: TargetProgress) -> dict:
    data = asdict(t)
    data["next_due_on"] = t.next_due_on.isoformat() if t.next_due_on else None
    data["plan_exact"] = str(t.plan_exact) if t.plan_exact is not None else None
    data["by_year"] = [list(pair) for pair in t.by_year]
    data.pop("achieved_now", None)
    return data


def _target_from(data: dict) -> TargetProgress:
    values = dict(data)
    values["next_due_on"] = date.fromisoformat(data["next_due_on"]) if data["next_due_on"] else None
    values["plan_exact"] = Fraction(data["plan_exact"]) if data["plan_exact"] else None
    values["by_year"] = [tuple(pair) for pair in data["by_year"]]
    return TargetProgress(**values)


def _coverage_json(c: Coverage) -> dict:
    return asdict(c)


def _coverage_from(data: dict) -> Coverage:
    def gaps(rows):
        return [UnitGap(**{**g, "candidates": [tuple(x) for x in g["candidates"]]}) for g in rows]

    return Coverage(
        divisions_total=data["divisions_total"],
        divisions_covered=data["divisions_covered"],
        sections_total=data["sections_total"],
        sections_covered=data["sections_covered"],
        uncovered_divisions=gaps(data["uncovered_divisions"]),
        uncovered_sections=gaps(data["uncovered_sections"]),
        covered=[UnitCover(**u) for u in data.get("covered", [])],
    )


def freeze(session: Session, mp: MunicipalityProgress) -> dict:
    """What a close keeps: the figures, the coverage and the people each figure counts."""
    people = {}
    for t in mp.targets:
        ids = session.scalars(counted_ids(session, mp.municipality_id, t.key, mp.fiscal_year))
        people[t.key] = sorted(set(ids))
    return {
        "format": FORMAT,
        "targets": [_target_json(t) for t in mp.targets],
        "coverage": _coverage_json(mp.coverage),
        "people": people,
    }


def thaw(close: YearClose, live: MunicipalityProgress) -> MunicipalityProgress:
    """The year as reported, with what has changed since beside it (``achieved_now``)."""
    figures = close.figures
    now = {t.key: t for t in live.targets}
    targets = []
    for data in figures["targets"]:
        t = _target_from(data)
        current = now.get(t.key)
        if current is not None and current.achieved != t.achieved:
            t = replace(t, achieved_now=current.achieved)
        targets.append(t)
    coverage = _coverage_from(figures["coverage"])
    moved = (
        live.coverage.divisions_covered != coverage.divisions_covered
        or live.coverage.sections_covered != coverage.sections_covered
        or live.coverage.divisions_total != coverage.divisions_total
        or live.coverage.sections_total != coverage.sections_total
    )
    return replace(
        live,
        targets=targets,
        coverage=coverage,
        closed=ClosedYear(close.id, close.closed_at, close.closed_by_label),
        coverage_now=live.coverage if moved else None,
    )


class ClosedYear:
    """Who closed a year and when (what the pages print beside its name)."""

    def __init__(self, close_id: int, at: datetime, by: str):
        self.id, self.at, self.by = close_id, at, by

    @property
    def day(self) -> date:
        return fiscal.local_date(self.at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClosedYear) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)


def closes_for(session: Session, municipality_ids, fiscal_year: int) -> dict[int, YearClose]:
    """The closes in force of FY for these members (None: every member), by member."""
    with all_tenants(session):
        stmt = select(YearClose).where(
            YearClose.fiscal_year == fiscal_year, YearClose.reopened_at.is_(None)
        )
        if municipality_ids is not None:
            stmt = stmt.where(YearClose.municipality_id.in_(list(municipality_ids)))
        return {c.municipality_id: c for c in session.scalars(stmt)}


def frozen_people(session: Session, municipality_id: int, key: str, fiscal_year: int):
    """The ids a closed year's figure counted, or None if that year is not closed."""
    close = closes_for(session, [municipality_id], fiscal_year).get(municipality_id)
    if close is None:
        return None
    return close.figures.get("people", {}).get(key, [])


# -- closing and re-opening ---------------------------------------------------------------


def _ended(fiscal_year: int) -> bool:
    return fiscal_year < fiscal.fiscal_year_of(fiscal.today())


def close_year(
    session: Session, municipality: Municipality, fiscal_year: int, actor: Any
) -> YearClose:
    """Freeze ``municipality``'s figures of ``fiscal_year`` as reported (audited)."""
    from regional.targets.progress import live_progress

    if not _ended(fiscal_year):
        raise DomainError(
            "year_not_over",
            _l("A fiscal year can be closed once it has ended (after 31 March)."),
        )
    if closes_for(session, [municipality.id], fiscal_year):
        raise Conflict("already_closed", _l("This fiscal year is already closed."))
    mp = live_progress(session, municipality.id, fiscal_year)
    with all_tenants(session):
        close = YearClose(
            municipality_id=municipality.id,
            fiscal_year=fiscal_year,
            closed_at=now_utc(),
            closed_by_id=getattr(actor, "id", None),
            closed_by_label=actor_label(actor)[:400],
            figures=freeze(session, mp),
        )
        try:
            with session.begin_nested():  # the unique index settles two closes at once
                session.add(close)
        except IntegrityError as exc:
            raise Conflict("already_closed", _l("This fiscal year is already closed.")) from exc
    record_audit_across(
        "year.close",
        municipality_id=municipality.id,
        subject_type="fiscal_year",
        subject_id=fiscal_year,
        subject_label=fiscal.fiscal_year_label(fiscal_year, "ja"),
        after={
            "targets": {t.key: t.achieved for t in mp.targets},
            "divisions_covered": mp.coverage.divisions_covered,
            "sections_covered": mp.coverage.sections_covered,
        },
        actor=actor,
    )
    return close


def reopen_year(
    session: Session, municipality: Municipality, fiscal_year: int, actor: Any, reason: str
) -> YearClose:
    """Re-open a closed year (regional administrators), with a reason; audited."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Say why the year is re-opened."), field="reason")
    close = closes_for(session, [municipality.id], fiscal_year).get(municipality.id)
    if close is None:
        raise Conflict("not_closed", _l("This fiscal year is not closed."))
    with all_tenants(session):
        close.reopened_at = now_utc()
        close.reopened_by_id = getattr(actor, "id", None)
        close.reopen_reason = reason[:2000]
        session.flush()
    record_audit_across(
        "year.reopen",
        municipality_id=municipality.id,
        subject_type="fiscal_year",
        subject_id=fiscal_year,
        subject_label=fiscal.fiscal_year_label(fiscal_year, "ja"),
        before={"closed_at": close.closed_at.isoformat()},
        detail={"reason": close.reopen_reason},
        actor=actor,
    )
    return close
