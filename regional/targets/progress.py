"""Progress against targets, counted right, in a small fixed number of SQL statements.

The figures are read from the stored tallies (``regional.targets.tallies``: people per
member, key and fiscal year, and each person's way to each persona), which move in the
same transaction as the records they count; no request reads the whole history. The
rules below are what those tallies hold (``tests/oracle.py`` counts them independently
from the records, and the tests compare the two).

Counting rules (see also ``measures.py`` for what makes a person count):

* **Distinct people.** A person is one account (``users`` row) of one
  municipality. Completions carry their municipality (the account's), so a
  person's history stays with the member they completed in; someone who moves
  to another member has a new account there and is counted there only for what
  they complete there. Nobody is counted twice in one member, and duplicate
  completions of a programme count once.
* **Fiscal year by the date in Japan.** A completion is dated by the local
  (Asia/Tokyo) day of its session (``regional.fiscal``), so a session at 08:00
  JST on 1 April belongs to the new fiscal year although it is 31 March in UTC.
* **Cumulative targets** count people who *reached* the persona within the
  period: on the first day the rules in force that day were met
  (``regional.targets.rules``); a later change of the catalogue or of a measure never
  lowers what was reached. ``achieved`` for fiscal year FY is the count reached from the
  period's start up to the end of ``min(FY, period end)``. Each person is counted once
  per target and period; people reaching it after a period count towards the next.
* **Annual targets** count distinct people with at least one completion in the
  measure's skill areas (as they stood on the day of the completion) within FY.
* **Plan periods**: a member may hold successive targets for one key; the figures of FY
  use the period that contains FY, else the last one that ended before it (status
  ``ended``: no current period), else the first one still to come.
* **expected_by_now** is the straight plan line rounded *up*: ``ceil(target × elapsed /
  length)`` where ``length`` is the number of days from the first day of the period
  (1 April of the start year) to its last day (31 March after the end year), and
  ``elapsed`` the days from the first day up to and including the *as-of day*: today in
  Japan, or the last day of FY when FY is over, capped to the period. So a target of 1 is
  due from the period's first day. Annual targets use the same line over the fiscal year
  itself. Before the period starts it is None. ``next_due_on`` is the day by which the
  straight line (unrounded) reaches one more person than counted.
* **status**: ``achieved`` once achieved ≥ target; else ``ended`` when the period (or
  the fiscal year, for annual targets) is over; else ``not_started`` while nobody is
  counted (or before the line starts); else ``behind`` below the line, ``on_track`` on
  or above it. The region's line is the same rule on the summed target.
* **Coverage** counts active divisions (課 and 課相当, level ``division``) with at
  least one ``core_digital`` person and active sections (係 and 係相当) with at
  least two ``core_pm`` people, reached by the end of FY, among accounts not
  disabled, by their *current* unit; people of a section count for its
  division too. Candidates for a gap are people of the unit part-way through
  the track (at least one required programme done, not yet reached).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import Select, and_, literal, or_, select
from sqlalchemy.orm import Session

from regional import fiscal
from regional.fiscal import fiscal_year_bounds
from regional.people.models import AccountStatus, UnitMembership, User
from regional.targets.measures import (
    PERSONA_KEYS,
    current_programs_by_track,
    measures_by_key,
    required_count,
)
from regional.targets.models import (
    AnnualProgress,
    Measure,
    MeasureKind,
    PersonaProgress,
    ProgressCount,
    Target,
    TargetKind,
)
from tenants import all_tenants
from tenants.models import Municipality, OrgLevel, OrgUnit

CANDIDATES_PER_UNIT = 5
COVERAGE_DIVISION = ("core_digital", 1)
COVERAGE_SECTION = ("core_pm", 2)


@dataclass(frozen=True)
class TargetProgress:
    key: str
    label: str
    kind: str  # "cumulative" | "annual"
    period_start_fy: int
    period_end_fy: int | None
    target: int
    achieved: int
    expected_by_now: int | None
    population: int | None
    status: str  # achieved | on_track | behind | not_started | ended
    by_year: list[tuple[int, int]]
    #: The day by which the straight line reaches one more person than counted (None: met,
    #: ended or not begun).
    next_due_on: date | None = None
    #: No period contains the fiscal year: these figures are of the last one that ended.
    no_current_period: bool = False
    #: The plan line before rounding (people), for the region's line on the summed target.
    plan_exact: Fraction | None = field(default=None, compare=False, repr=False)
    ended: bool = False
    #: A closed year: the count today when a correction after the close changed it.
    achieved_now: int | None = None


@dataclass(frozen=True)
class UnitGap:
    unit_id: int
    path: str
    level: str
    have: int
    need: int
    candidates: list[tuple[int, str]]


@dataclass(frozen=True)
class Coverage:
    divisions_total: int
    divisions_covered: int
    sections_total: int
    sections_covered: int
    uncovered_divisions: list[UnitGap]
    uncovered_sections: list[UnitGap]
    #: The covered units with the people who cover them (what a year-end close freezes).
    covered: list[UnitCover] = field(default_factory=list)


@dataclass(frozen=True)
class UnitCover:
    unit_id: int
    path: str
    level: str
    people: list[int]


@dataclass(frozen=True)
class MunicipalityProgress:
    municipality_id: int
    code: str
    name_ja: str
    name_en: str
    fiscal_year: int
    targets: list[TargetProgress]
    coverage: Coverage
    #: Set when the year is closed: these are its figures as reported (closing.ClosedYear).
    closed: Any = None
    #: A closed year: the coverage today when a correction after the close changed it.
    coverage_now: Coverage | None = None


#: Coverage not counted (``coverage=False``).
NO_COVERAGE = Coverage(0, 0, 0, 0, [], [], [])


@dataclass(frozen=True)
class RegionProgress:
    fiscal_year: int
    members: list[MunicipalityProgress]
    totals: list[TargetProgress]


# -- the plan line -------------------------------------------------------------------


def _period_days(start_fy: int, end_fy: int) -> tuple[date, date]:
    return fiscal_year_bounds(start_fy)[0], fiscal_year_bounds(end_fy)[1]


def plan_fraction(start_fy: int, end_fy: int, as_of: date) -> Fraction | None:
    """The share of the period elapsed at ``as_of`` (inclusive), or None before it starts."""
    first, last = _period_days(start_fy, end_fy)
    if as_of < first:
        return None
    length = (last - first).days + 1
    return Fraction(min((as_of - first).days + 1, length), length)


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def expected_on(target: int, start_fy: int, end_fy: int, as_of: date) -> int | None:
    """The straight plan line, rounded up, at ``as_of`` (None before the period starts)."""
    share = plan_fraction(start_fy, end_fy, as_of)
    return None if share is None else _ceil(target * share)


def next_due(target: int, achieved: int, start_fy: int, end_fy: int) -> date | None:
    """The day by which the straight line reaches ``achieved + 1`` people (None: met)."""
    if achieved >= target or target <= 0:
        return None
    first, last = _period_days(start_fy, end_fy)
    length = (last - first).days + 1
    days = _ceil(Fraction((achieved + 1) * length, target))
    return min(first + timedelta(days=days - 1), last)


def as_of_day(fiscal_year: int, today: date) -> date:
    """The day progress is judged at: today, or the last day of a fiscal year already over."""
    return min(today, fiscal_year_bounds(fiscal_year)[1])


def status_of(achieved: int, target: int, expected: int | None, ended: bool) -> str:
    """achieved | ended | not_started | behind | on_track (the rule the pages state)."""
    if achieved >= target:
        return "achieved"
    if ended:
        return "ended"
    if expected is None or achieved == 0:
        return "not_started"
    if achieved < expected:
        return "behind"
    return "on_track"


def needs_attention(tp: TargetProgress) -> bool:
    """Behind the line, or nobody yet while the line has started."""
    return tp.status in ("behind", "not_started") and bool(tp.expected_by_now)


# -- SQL -----------------------------------------------------------------------------


def _in(column, ids):
    return literal(True) if ids is None else column.in_(list(ids))


# -- computing -----------------------------------------------------------------------


@dataclass
class _Counts:
    #: key -> municipality -> fy -> people reached (persona) or completing (annual) that year
    by_year: dict[str, dict[int, dict[int, int]]]
    #: persona key -> municipality -> unit id -> people reached by the day, in that unit then
    by_unit: dict[str, dict[int, dict[int, int]]]
    #: persona key -> municipality -> unit id -> [(employee id, name, done)]
    partway: dict[str, dict[int, dict[int, list[tuple[int, str, int]]]]]
    need: dict[str, int | None]
    #: persona key -> municipality -> unit id -> [employee ids who reached it by the day]
    covering: dict[str, dict[int, dict[int, list[int]]]] = field(default_factory=dict)


def _count(
    session: Session,
    fiscal_year: int,
    municipality_ids,
    measures,
    *,
    day: date,
    coverage: bool = True,
) -> _Counts:
    """The figures from the derived tables (regional.targets.tallies): no completion is read."""
    current = current_programs_by_track(session)
    by_year: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    by_unit: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    partway: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    covering: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    need_of: dict[str, int | None] = {}
    for mid, key, fy, n in session.execute(
        select(
            ProgressCount.municipality_id,
            ProgressCount.key,
            ProgressCount.fiscal_year,
            ProgressCount.people,
        ).where(_in(ProgressCount.municipality_id, municipality_ids), ProgressCount.people != 0)
    ):
        if key in measures:
            by_year[key][mid][fy] = n
    for key, measure in measures.items():
        if measure.kind == MeasureKind.PERSONA:
            need_of[key] = required_count(measure, current.get(measure.track or "", []))
    if not coverage:
        return _Counts(by_year, by_unit, partway, need_of, covering)
    pp, um = PersonaProgress, UnitMembership
    placed = and_(
        um.municipality_id == pp.municipality_id,
        um.employee_id == pp.employee_id,
        um.valid_from <= day,
        or_(um.valid_to.is_(None), um.valid_to > day),
    )
    for key in (COVERAGE_DIVISION[0], COVERAGE_SECTION[0]):
        # People who had reached it by the day, in the unit they were in that day.
        for mid, unit_id, eid in session.execute(
            select(pp.municipality_id, um.org_unit_id, pp.employee_id)
            .join(um, placed)
            .where(
                pp.key == key,
                pp.reached_on <= day,
                _in(pp.municipality_id, municipality_ids),
            )
        ):
            by_unit[key][mid][unit_id] += 1
            covering[key][mid][unit_id].append(eid)
        for mid, unit_id, eid, name, n in session.execute(
            select(pp.municipality_id, um.org_unit_id, User.id, User.name, pp.done)
            .join(um, placed)
            .join(User, and_(User.municipality_id == pp.municipality_id, User.id == pp.employee_id))
            .where(
                pp.key == key,
                pp.done > 0,
                # Part-way: not reached yet (under any rules), working towards today's.
                pp.reached_on.is_(None),
                _in(pp.municipality_id, municipality_ids),
                User.status == AccountStatus.ACTIVE,
            )
            .order_by(pp.done.desc(), User.id)
        ):
            partway[key][mid][unit_id].append((eid, name, n))
    return _Counts(by_year, by_unit, partway, need_of, covering)


def choose_period(periods: list[Target], fiscal_year: int) -> tuple[Target, bool]:
    """The period whose figures FY shows: the one containing FY, else the last that ended
    before it (True: no current period), else the first still to come."""
    ordered = sorted(periods, key=lambda t: t.period_start_fy)
    for t in ordered:
        if t.covers(fiscal_year):
            return t, False
    before = [t for t in ordered if t.period_start_fy <= fiscal_year]
    if before:
        return before[-1], True
    return ordered[0], False


def _target_progress(
    periods: list[Target],
    measure: Measure | None,
    per_year: dict[int, int],
    fiscal_year: int,
    today: date,
    locale: str,
) -> TargetProgress:
    t, no_current = choose_period(periods, fiscal_year)
    label = measure.label(locale) if measure else t.key
    start, end = t.period_start_fy, t.period_end_fy
    first_fy = min(p.period_start_fy for p in periods)
    years = [(fy, per_year.get(fy, 0)) for fy in range(first_fy, fiscal_year + 1)]
    as_of = as_of_day(fiscal_year, today)
    if t.kind == TargetKind.CUMULATIVE:
        end = end if end is not None else start
        last = min(fiscal_year, end)
        achieved = sum(per_year.get(fy, 0) for fy in range(start, last + 1))
        share = plan_fraction(start, end, as_of) if fiscal_year >= start else None
        ended = today > _period_days(start, end)[1]
        line = (start, end)
    else:
        in_span = t.covers(fiscal_year)
        achieved = per_year.get(fiscal_year, 0) if in_span else 0
        share = plan_fraction(fiscal_year, fiscal_year, as_of) if in_span else None
        # Over: a fiscal year of the period that has ended, or a year after the last period.
        ended = (in_span and today > fiscal_year_bounds(fiscal_year)[1]) or no_current
        line = (fiscal_year, fiscal_year)
    exact = None if share is None else t.target * share
    expected = None if exact is None else _ceil(exact)
    status = status_of(achieved, t.target, expected, ended)
    due = None
    if status in ("not_started", "behind", "on_track") and share is not None:
        due = next_due(t.target, achieved, *line)
    return TargetProgress(
        key=t.key,
        label=label,
        kind=t.kind.value,
        period_start_fy=t.period_start_fy,
        period_end_fy=t.period_end_fy,
        target=t.target,
        achieved=achieved,
        expected_by_now=expected,
        population=t.population,
        status=status,
        by_year=years,
        next_due_on=due,
        no_current_period=no_current,
        plan_exact=exact,
        ended=ended,
    )


@dataclass(frozen=True)
class _Unit:
    """An org unit as a plain row (no ORM object: coverage walks hundreds of them)."""

    id: int
    municipality_id: int
    parent_id: int | None
    name: str
    level: OrgLevel
    active: bool


class _Tree:
    """One member's units: each unit's path, and the division and section it lies in."""

    def __init__(self, units: list[_Unit]):
        self.units = units
        self.by_id = {u.id: u for u in units}
        self._up: dict[int, tuple[str, int | None, int | None]] = {}

    def _walk(self, unit_id: int) -> tuple[str, int | None, int | None]:
        """(path, division id, section id) of a unit, computed once per unit."""
        if unit_id in self._up:
            return self._up[unit_id]
        chain, seen, u = [], set(), self.by_id.get(unit_id)
        while u is not None and u.id not in seen:
            seen.add(u.id)
            chain.append(u)
            u = self.by_id.get(u.parent_id) if u.parent_id else None
        division = next((x.id for x in chain if x.level == OrgLevel.DIVISION), None)
        section = next((x.id for x in chain if x.level == OrgLevel.SECTION), None)
        result = ("/".join(x.name for x in reversed(chain)), division, section)
        self._up[unit_id] = result
        return result

    def path(self, unit_id: int) -> str:
        return self._walk(unit_id)[0]

    def division_of(self, unit_id: int) -> int | None:
        return self._walk(unit_id)[1]

    def section_of(self, unit_id: int) -> int | None:
        return self._walk(unit_id)[2]


def _coverage(units: list[_Unit], counts: _Counts, municipality_id: int) -> Coverage:
    tree = _Tree(units)

    covered: list[UnitCover] = []

    def gaps(level: OrgLevel, key: str, need: int, to_level) -> tuple[int, int, list[UnitGap]]:
        have: dict[int, int] = defaultdict(int)
        who: dict[int, list[int]] = defaultdict(list)
        for unit_id, n in counts.by_unit[key][municipality_id].items():
            target = to_level(unit_id) if unit_id in tree.by_id else None
            if target is not None:
                have[target] += n
                who[target].extend(
                    counts.covering.get(key, {}).get(municipality_id, {}).get(unit_id, [])
                )
        # People part-way through the track, bucketed once by the unit they would cover.
        waiting: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        for unit_id, people in counts.partway[key][municipality_id].items():
            target = to_level(unit_id) if unit_id in tree.by_id else None
            if target is not None:
                waiting[target].extend(people)
        total = [u for u in units if u.level == level and u.active]
        uncovered = []
        for u in sorted(total, key=lambda u: tree.path(u.id)):
            if have.get(u.id, 0) >= need:
                covered.append(UnitCover(u.id, tree.path(u.id), u.level.value, sorted(who[u.id])))
                continue
            people = sorted(waiting.get(u.id, []), key=lambda p: (-p[2], p[0]))
            uncovered.append(
                UnitGap(
                    unit_id=u.id,
                    path=tree.path(u.id),
                    level=u.level.value,
                    have=have.get(u.id, 0),
                    need=need,
                    candidates=[(eid, name) for eid, name, _n in people[:CANDIDATES_PER_UNIT]],
                )
            )
        return len(total), len(total) - len(uncovered), uncovered

    d_total, d_cov, d_gaps = gaps(
        OrgLevel.DIVISION, COVERAGE_DIVISION[0], COVERAGE_DIVISION[1], tree.division_of
    )
    s_total, s_cov, s_gaps = gaps(
        OrgLevel.SECTION, COVERAGE_SECTION[0], COVERAGE_SECTION[1], tree.section_of
    )
    return Coverage(d_total, d_cov, s_total, s_cov, d_gaps, s_gaps, covered)


def _compute(
    session: Session,
    municipality_ids: list[int] | None,
    fiscal_year: int,
    today: date | None,
    *,
    coverage: bool = True,
    frozen: bool = True,
) -> list[MunicipalityProgress]:
    """Members' progress in FY; with ``frozen``, closed years as they were reported."""
    from regional.i18n import locale_code

    today = today or fiscal.today()
    locale = locale_code()
    with all_tenants(session):
        members = list(
            session.scalars(Municipality.ordered().where(_in(Municipality.id, municipality_ids)))
        )
        ids = [m.id for m in members]
        measures = measures_by_key(session)
        targets = list(
            session.scalars(
                select(Target).where(Target.municipality_id.in_(ids)).order_by(Target.id)
            )
        )
        # Coverage on the organisation as it stood on the day judged: today for the year
        # running, the last day (31 March) of a year that is over.
        day = as_of_day(fiscal_year, today)
        counts = _count(
            session, fiscal_year, municipality_ids, measures, day=day, coverage=coverage
        )
        units = (
            [
                _Unit(uid, mid, parent, name, level, start <= day and (end is None or day < end))
                for uid, mid, parent, name, level, start, end in session.execute(
                    select(
                        OrgUnit.id,
                        OrgUnit.municipality_id,
                        OrgUnit.parent_id,
                        OrgUnit.name,
                        OrgUnit.level,
                        OrgUnit.valid_from,
                        OrgUnit.retired_on,
                    ).where(OrgUnit.municipality_id.in_(ids))
                )
            ]
            if coverage
            else []
        )
    order = {k: i for i, k in enumerate(measures)}
    units_of: dict[int, list[_Unit]] = defaultdict(list)
    for u in units:
        units_of[u.municipality_id].append(u)
    targets_of: dict[int, dict[str, list[Target]]] = defaultdict(dict)
    for t in sorted(targets, key=lambda t: (order.get(t.key, 99), t.key, t.period_start_fy)):
        targets_of[t.municipality_id].setdefault(t.key, []).append(t)
    result = []
    for m in members:
        result.append(
            MunicipalityProgress(
                municipality_id=m.id,
                code=m.code,
                name_ja=m.name_ja,
                name_en=m.name_en,
                fiscal_year=fiscal_year,
                targets=[
                    _target_progress(
                        periods,
                        measures.get(key),
                        counts.by_year[key][m.id],
                        fiscal_year,
                        today,
                        locale,
                    )
                    for key, periods in targets_of[m.id].items()
                ],
                coverage=_coverage(units_of[m.id], counts, m.id) if coverage else NO_COVERAGE,
            )
        )
    return _as_reported(session, result, fiscal_year, coverage) if frozen else result


def live_progress(
    session: Session, municipality_id: int, fiscal_year: int, *, today: date | None = None
) -> MunicipalityProgress:
    """One member's progress in FY counted now from the records (even if the year is closed)."""
    found = _compute(session, [municipality_id], fiscal_year, today, frozen=False)
    if not found:
        raise LookupError(municipality_id)
    return found[0]


def municipality_progress(
    session: Session,
    municipality_id: int,
    fiscal_year: int,
    *,
    today: date | None = None,
    coverage: bool = True,
) -> MunicipalityProgress:
    """One member's progress in FY against each of its targets, with coverage (unless
    ``coverage=False``: ``NO_COVERAGE``); a closed year as it was reported, with any later
    correction beside it."""
    found = _compute(session, [municipality_id], fiscal_year, today, coverage=coverage)
    if not found:
        raise LookupError(municipality_id)
    return found[0]


def _as_reported(
    session: Session, members: list[MunicipalityProgress], fiscal_year: int, coverage: bool
) -> list[MunicipalityProgress]:
    """Each closed member's figures as reported, the live ones beside them."""
    from regional.targets.closing import closes_for, thaw

    closes = closes_for(session, [m.municipality_id for m in members], fiscal_year)
    if not closes:
        return members
    out = []
    for mp in members:
        close = closes.get(mp.municipality_id)
        if close is None:
            out.append(mp)
            continue
        frozen = thaw(close, mp)
        out.append(frozen if coverage else replace(frozen, coverage_now=None))
    return out


def _totals(members: Iterable[MunicipalityProgress]) -> list[TargetProgress]:
    """Regional totals per key: the members' numbers summed, and the plan line computed on
    the summed target (the members' unrounded lines added, then rounded up once)."""
    acc: dict[str, list[TargetProgress]] = {}
    for mp in members:
        for t in mp.targets:
            acc.setdefault(t.key, []).append(t)
    totals = []
    for key, rows in acc.items():
        target = sum(t.target for t in rows)
        achieved = sum(t.achieved for t in rows)
        lines = [t.plan_exact for t in rows if t.plan_exact is not None]
        exact = sum(lines, Fraction(0)) if lines else None
        expected = None if exact is None else _ceil(exact)
        ended = all(t.ended for t in rows)
        years: dict[int, int] = defaultdict(int)
        for t in rows:
            for fy, n in t.by_year:
                years[fy] += n
        ends = [t.period_end_fy for t in rows]
        populations = [t.population for t in rows if t.population is not None]
        totals.append(
            TargetProgress(
                key=key,
                label=rows[0].label,
                kind=rows[0].kind,
                period_start_fy=min(t.period_start_fy for t in rows),
                period_end_fy=None if None in ends else max(ends),
                target=target,
                achieved=achieved,
                expected_by_now=expected,
                population=sum(populations) if populations else None,
                status=status_of(achieved, target, expected, ended),
                by_year=sorted(years.items()),
                no_current_period=all(t.no_current_period for t in rows),
                plan_exact=exact,
                ended=ended,
            )
        )
    return totals


def region_progress(
    session: Session, fiscal_year: int, *, today: date | None = None, coverage: bool = True
) -> RegionProgress:
    """Every member's progress and the regional totals (the same fixed set of statements).

    ``coverage=False`` leaves each member's coverage out (``NO_COVERAGE``): the regional
    pages do not show it, and it is the one part that reads per-person rows.
    """
    members = _compute(session, None, fiscal_year, today, coverage=coverage)
    return RegionProgress(fiscal_year=fiscal_year, members=members, totals=_totals(members))


def behind_plan(
    session: Session, fiscal_year: int, *, today: date | None = None
) -> list[MunicipalityProgress]:
    """Members with a target behind the plan line in FY (or with nobody counted while the
    line has started), each with only those targets.

    The same fixed set of statements as :func:`region_progress`, without coverage
    (no units, no candidates): cheap enough for a home page.
    """
    members = _compute(session, None, fiscal_year, today, coverage=False)
    found = []
    for mp in members:
        behind = [t for t in mp.targets if needs_attention(t)]
        if behind:
            found.append(replace(mp, targets=behind))
    return found


# -- drill-down -------------------------------------------------------------------------


def _chosen_period(session: Session, municipality_id: int, key: str, fiscal_year: int):
    periods = list(
        session.scalars(
            select(Target).where(Target.municipality_id == municipality_id, Target.key == key)
        )
    )
    return choose_period(periods, fiscal_year)[0] if periods else None


def counted_ids(session: Session, municipality_id: int, key: str, fiscal_year: int) -> Select:
    """The ids of the people a figure counts: the same stored rows as the figure itself."""
    measure = session.scalar(select(Measure).where(Measure.key == key))
    if measure is None:
        return select(User.id).where(literal(False))
    t = _chosen_period(session, municipality_id, key, fiscal_year)
    if measure.kind == MeasureKind.ANNUAL:
        if t is not None and not t.covers(fiscal_year):
            return select(User.id).where(literal(False))
        ap = AnnualProgress
        return select(ap.employee_id).where(
            ap.municipality_id == municipality_id, ap.key == key, ap.fiscal_year == fiscal_year
        )
    start = t.period_start_fy if t is not None else 0
    end = min(fiscal_year, t.period_end_fy or t.period_start_fy) if t is not None else fiscal_year
    pp = PersonaProgress
    return select(pp.employee_id).where(
        pp.municipality_id == municipality_id,
        pp.key == key,
        pp.reached_fy >= start,
        pp.reached_fy <= end,
    )


def concerned(measure: Measure | None):
    """The people a measure's "not yet" list is about: active, and in its audience."""
    clause = User.status == AccountStatus.ACTIVE
    if measure is not None and measure.kind == MeasureKind.ANNUAL and measure.audience:
        clause = and_(clause, User.job_category.in_(list(measure.audience)))
    return clause


def reported_ids(session: Session, municipality_id: int, key: str, fiscal_year: int):
    """The people a figure of FY counts as shown: as reported for a closed year, else now."""
    from regional.targets.closing import frozen_people

    frozen = frozen_people(session, municipality_id, key, fiscal_year)
    if frozen is not None:
        return frozen
    return counted_ids(session, municipality_id, key, fiscal_year)


def people_counted(municipality_id: int, key: str, fiscal_year: int) -> Select:
    """The people who count for ``key`` in FY (Employee rows of that municipality)."""
    from regional.extensions import db

    ids = reported_ids(db.session, municipality_id, key, fiscal_year)
    return (
        select(User)
        .where(User.municipality_id == municipality_id, User.id.in_(ids))
        .order_by(User.employee_number, User.id)
    )


def people_not_yet(municipality_id: int, key: str, fiscal_year: int) -> Select:
    """People of the municipality concerned by ``key`` who do not count for it in FY yet."""
    from regional.extensions import db

    measure = db.session.scalar(select(Measure).where(Measure.key == key))
    ids = reported_ids(db.session, municipality_id, key, fiscal_year)
    return (
        select(User)
        .where(
            User.municipality_id == municipality_id,
            concerned(measure),
            User.id.not_in(ids),
        )
        .order_by(User.employee_number, User.id)
    )


__all__ = [
    "PERSONA_KEYS",
    "Coverage",
    "MunicipalityProgress",
    "RegionProgress",
    "TargetProgress",
    "UnitGap",
    "as_of_day",
    "expected_on",
    "municipality_progress",
    "people_counted",
    "people_not_yet",
    "region_progress",
]
