"""Required training (必須研修): who still has to complete what this fiscal year.

One definition, read from the measures (an annual measure marked *required*, with the
job categories it concerns) and from the stored figures (``annual_progress``): the home
page's worklist, its reminder mail and the drill-down's "not yet" list of a required key
all count with :func:`missing_stmt`, so a number shown in two places is the same number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from regional.people.models import User
from regional.targets.models import AnnualProgress, Measure, MeasureKind, Target
from regional.targets.progress import concerned

LIST_LIMIT = 8


def required_measures(session: Session) -> list[Measure]:
    """The annual measures marked as required training, in the measures' order."""
    return [
        m for m in session.scalars(Measure.ordered()) if m.kind == MeasureKind.ANNUAL and m.required
    ]


def _not_counted(key: str, fiscal_year: int):
    ap = AnnualProgress
    return ~(
        select(ap.employee_id)
        .where(
            ap.municipality_id == User.municipality_id,
            ap.employee_id == User.id,
            ap.key == key,
            ap.fiscal_year == fiscal_year,
        )
        .exists()
    )


def missing_stmt(measure: Measure, fiscal_year: int) -> Select:
    """The current municipality's people concerned by ``measure`` not counted for it in FY."""
    return select(User).where(concerned(measure), _not_counted(measure.key, fiscal_year))


def missing_any_stmt(measures: list[Measure], fiscal_year: int) -> Select:
    """People missing at least one of ``measures`` in FY (each person once)."""
    if not measures:
        return select(User).where(User.id.is_(None))
    return select(User).where(
        or_(*(concerned(m) & _not_counted(m.key, fiscal_year) for m in measures))
    )


def count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


@dataclass
class StaffGap:
    person: User
    #: keys of the required measures the person has not completed in the year
    keys: list[str]


@dataclass
class RequiredWork:
    """The coordinator's worklist item: how many, per measure and in all, and the first few."""

    fiscal_year: int
    measures: list[Measure]
    per_measure: dict[str, int]
    total: int
    gaps: list[StaffGap]
    #: keys the member has a target for (their drill-down lists the same people)
    with_target: set[str]


def missing_for_person(session: Session, person: User, fiscal_year: int) -> list[Measure]:
    """The required measures that concern this person and that they lack in FY."""
    measures = [m for m in required_measures(session) if m.concerns(person.job_category)]
    if not measures:
        return []
    done = set(
        session.scalars(
            select(AnnualProgress.key).where(
                AnnualProgress.municipality_id == person.municipality_id,
                AnnualProgress.employee_id == person.id,
                AnnualProgress.fiscal_year == fiscal_year,
            )
        )
    )
    return [m for m in measures if m.key not in done]


def staff_gaps(session: Session, fiscal_year: int, limit: int | None = LIST_LIMIT) -> RequiredWork:
    """The current municipality's staff missing required training in FY."""
    measures = required_measures(session)
    stmt = missing_any_stmt(measures, fiscal_year)
    page = stmt.order_by(User.employee_number, User.id)
    people = list(session.scalars(page if limit is None else page.limit(limit)))
    done: dict[int, set[str]] = defaultdict(set)
    if people:
        for employee_id, key in session.execute(
            select(AnnualProgress.employee_id, AnnualProgress.key).where(
                AnnualProgress.employee_id.in_([p.id for p in people]),
                AnnualProgress.fiscal_year == fiscal_year,
            )
        ):
            done[employee_id].add(key)
    gaps = [
        StaffGap(
            p,
            [m.key for m in measures if m.concerns(p.job_category) and m.key not in done[p.id]],
        )
        for p in people
    ]
    return RequiredWork(
        fiscal_year=fiscal_year,
        measures=measures,
        per_measure={m.key: count(session, missing_stmt(m, fiscal_year)) for m in measures},
        total=count(session, stmt),
        gaps=gaps,
        with_target=set(
            session.scalars(
                select(Target.key).where(Target.key.in_([m.key for m in measures])).distinct()
            )
        ),
    )
