"""Progress figures kept up to date in the same transaction as the records they count.

Two derived tables (``regional.targets.models``), never edited by hand:

* ``persona_progress``: per person and persona, how many current programmes of the
  track they have completed and the fiscal year they reached it (courses or a verified
  qualification, the earlier), by the rules of ``progress.py``;
* ``progress_counts``: per member, key and fiscal year, the people counted: for an
  annual key the distinct people who completed a programme of its skill areas that
  year, for a persona key the people who reached it that year.

The dashboards read these instead of every completion since FY2024, so a page costs
the same whatever the length of the history.

How they stay right: a flush that adds, changes or removes a completion or a
qualification recomputes the people it touches (``before_flush`` notes their annual
years as they were, ``after_flush`` computes them again, writes their persona rows and
moves the counts by the difference). A flush that changes what counts (a measure, a
programme's ``active`` flag or track, a new or removed programme, a qualification rule)
rebuilds both tables from the records. Everything happens on the flush's connection,
inside the caller's transaction: a rollback takes the figures back with the records.
Every write to those records goes through the ORM; a bulk load that does not (the
benchmark's generator) calls :func:`rebuild` itself. ``tests/test_tallies.py`` compares
the tables with :func:`from_scratch` after random sequences of operations.

Concurrent transactions (PostgreSQL): a flush locks the people it recomputes before it
reads them, and a rebuild locks the counts against every such flush (:func:`_serialise`),
so two transactions changing the same person never count the same change twice
(``tests/test_tallies_concurrency.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    case,
    cast,
    delete,
    event,
    extract,
    func,
    insert,
    inspect,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from regional.catalogue.models import Program
from regional.growth.models import Qualification, QualificationPersona, QualificationStatus
from regional.people.models import User
from regional.registrations.models import Completion
from regional.targets.measures import need_for
from regional.targets.models import Measure, MeasureKind, PersonaProgress, ProgressCount

#: Every statement here reads or writes across members (row-level security lifted).
ALL = {"all_tenants": True}
CHUNK = 500
_PENDING = "tallies_pending"  # session.info: the flush's people and their annual years before
_FULL = "tallies_full"  # session.info: the flush changes what counts

counts_t = ProgressCount.__table__
persona_t = PersonaProgress.__table__


# -- the rules, read with Core (a flush cannot load ORM objects) -----------------------


@dataclass(frozen=True)
class Rules:
    #: annual key -> skill area keys
    annual: dict[str, frozenset[str]]
    #: persona key -> (current programme ids of the track, programmes needed or None)
    persona: dict[str, tuple[tuple[int, ...], int | None]]
    #: persona key -> exam codes whose verified pass counts towards it
    exams: dict[str, frozenset[str]] = field(default_factory=dict)


def _value(x: Any) -> str:
    return str(getattr(x, "value", x))


def read_rules(conn: Connection) -> Rules:
    """The measures, the current programmes per track and the qualification rules."""
    current: dict[str, list[int]] = defaultdict(list)
    for pid, track in conn.execute(
        select(Program.id, Program.track).where(Program.active.is_(True)).order_by(Program.id)
    ):
        current[_value(track)].append(pid)
    exams: dict[str, set[str]] = defaultdict(set)
    for code, persona in conn.execute(
        select(QualificationPersona.exam_code, QualificationPersona.persona)
    ):
        exams[persona].add(code)
    annual, persona = {}, {}
    for key, kind, track, rule, min_programs, areas in conn.execute(
        select(
            Measure.key,
            Measure.kind,
            Measure.track,
            Measure.rule,
            Measure.min_programs,
            Measure.skill_areas,
        )
    ):
        if _value(kind) == MeasureKind.ANNUAL.value:
            annual[key] = frozenset(areas or [])
        else:
            programs = tuple(current.get(track or "", []))
            persona[key] = (programs, need_for(rule, min_programs, programs))
    return Rules(annual, persona, {k: frozenset(v) for k, v in exams.items()})


# -- the rules in SQL: the from-scratch computation -----------------------------------


def _fy_of_day(column):
    """The fiscal year of a calendar date in Japan: its year, less one before April."""
    year = cast(extract("year", column), Integer)
    month = cast(extract("month", column), Integer)
    return case((month < 4, year - 1), else_=year)


def _in(column, ids):
    return literal(True) if ids is None else column.in_(list(ids))


def reached_by_courses(programs: Iterable[int], need: int, municipality_ids=None) -> Select:
    """(mid, eid, fy): the fiscal year of the need-th distinct programme's first completion."""
    firsts = (
        select(
            Completion.municipality_id.label("mid"),
            Completion.employee_id.label("eid"),
            Completion.program_id.label("pid"),
            func.min(Completion.fiscal_year).label("fy"),
        )
        .where(
            Completion.program_id.in_(list(programs)),
            _in(Completion.municipality_id, municipality_ids),
        )
        .group_by(Completion.municipality_id, Completion.employee_id, Completion.program_id)
        .subquery("firsts")
    )
    ranked = select(
        firsts.c.mid,
        firsts.c.eid,
        firsts.c.fy,
        func.row_number()
        .over(partition_by=(firsts.c.mid, firsts.c.eid), order_by=(firsts.c.fy, firsts.c.pid))
        .label("rn"),
    ).subquery("ranked")
    return select(
        ranked.c.mid.label("mid"), ranked.c.eid.label("eid"), ranked.c.fy.label("fy")
    ).where(ranked.c.rn == need)


def reached_by_qualification(persona: str, municipality_ids=None) -> Select:
    """(mid, eid, fy) of the first verified pass that counts towards ``persona``."""
    counted = select(QualificationPersona.exam_code).where(QualificationPersona.persona == persona)
    return (
        select(
            Qualification.municipality_id.label("mid"),
            Qualification.employee_id.label("eid"),
            cast(func.min(_fy_of_day(Qualification.passed_on)), Integer).label("fy"),
        )
        .where(
            Qualification.status == QualificationStatus.VERIFIED,
            Qualification.exam_code.in_(counted),
            _in(Qualification.municipality_id, municipality_ids),
        )
        .group_by(Qualification.municipality_id, Qualification.employee_id)
    )


def reached(persona: str, programs, need: int, municipality_ids=None) -> Select:
    """(mid, eid, fy reached): the earlier of courses and qualification."""
    either = union_all(
        reached_by_courses(programs, need, municipality_ids),
        reached_by_qualification(persona, municipality_ids),
    ).subquery("either")
    return select(
        either.c.mid.label("mid"), either.c.eid.label("eid"), func.min(either.c.fy).label("fy")
    ).group_by(either.c.mid, either.c.eid)


def _persona_rows(key: str, programs, need: int) -> Select:
    """(mid, eid, key, done, reached fy) of everyone with progress towards ``key``."""
    done = (
        select(
            Completion.municipality_id.label("mid"),
            Completion.employee_id.label("eid"),
            func.count(func.distinct(Completion.program_id)).label("done"),
            cast(null(), Integer).label("fy"),
        )
        .where(Completion.program_id.in_(list(programs)))
        .group_by(Completion.municipality_id, Completion.employee_id)
    )
    got = reached(key, programs, need).subquery("got")
    both = union_all(done, select(got.c.mid, got.c.eid, literal(0), got.c.fy)).subquery("both")
    return select(
        both.c.mid, both.c.eid, literal(key), func.max(both.c.done), func.min(both.c.fy)
    ).group_by(both.c.mid, both.c.eid)


def _annual_counts(key: str, areas: Iterable[str]) -> Select:
    return (
        select(
            Completion.municipality_id,
            literal(key),
            Completion.fiscal_year,
            func.count(func.distinct(Completion.employee_id)),
        )
        .where(Completion.skill_area_key.in_(sorted(areas)))
        .group_by(Completion.municipality_id, Completion.fiscal_year)
    )


def _persona_counts() -> Select:
    p = PersonaProgress
    return (
        select(p.municipality_id, p.key, p.reached_fy, func.count())
        .where(p.reached_fy.is_not(None))
        .group_by(p.municipality_id, p.key, p.reached_fy)
    )


def _serialise(conn: Connection, employee_ids: Iterable[int] | None) -> None:
    """PostgreSQL: wait for concurrent transactions that move the same figures.

    A flush that recomputes people (``employee_ids``) takes the counts table in ROW
    EXCLUSIVE mode, then its people's rows FOR NO KEY UPDATE (in id order), before it reads
    their records: another transaction changing the same person commits first, and this
    one then reads what it committed (else both would count the same change from the same
    "before"). A rebuild (``None``) takes SHARE ROW EXCLUSIVE, which waits for every such
    transaction and holds off new ones until it commits, so nobody applies differences
    under rules that have just changed. SQLite needs nothing: one writer at a time.
    """
    if conn.dialect.name != "postgresql":
        return
    if employee_ids is None:
        conn.exec_driver_sql("LOCK TABLE progress_counts IN SHARE ROW EXCLUSIVE MODE")
        return
    conn.exec_driver_sql("LOCK TABLE progress_counts IN ROW EXCLUSIVE MODE")
    ids = sorted(set(employee_ids))
    for start in range(0, len(ids), CHUNK):
        conn.execute(
            select(User.id)
            .where(User.id.in_(ids[start : start + CHUNK]))
            .order_by(User.id)
            .with_for_update(key_share=True)
            .execution_options(**ALL)
        ).all()


def rebuild(conn: Connection, rules: Rules | None = None) -> None:
    """Both tables again from the records (every member), in the caller's transaction."""
    _serialise(conn, None)
    rules = rules or read_rules(conn)
    conn.execute(delete(persona_t).execution_options(**ALL))
    conn.execute(delete(counts_t).execution_options(**ALL))
    persona_cols = ["municipality_id", "employee_id", "key", "done", "reached_fy"]
    count_cols = ["municipality_id", "key", "fiscal_year", "people"]
    for key, (programs, need) in rules.persona.items():
        if need is None:
            continue
        conn.execute(
            insert(persona_t)
            .from_select(persona_cols, _persona_rows(key, programs, need))
            .execution_options(**ALL)
        )
    for key, areas in rules.annual.items():
        if areas:
            conn.execute(
                insert(counts_t)
                .from_select(count_cols, _annual_counts(key, areas))
                .execution_options(**ALL)
            )
    conn.execute(
        insert(counts_t).from_select(count_cols, _persona_counts()).execution_options(**ALL)
    )


def from_scratch(conn: Connection) -> tuple[dict, dict]:
    """(counts, persona rows) computed from the records, as the tables should hold them."""
    rules = read_rules(conn)
    persona: dict = {}
    for key, (programs, need) in rules.persona.items():
        if need is None:
            continue
        for mid, eid, k, done, fy in conn.execute(
            _persona_rows(key, programs, need).execution_options(**ALL)
        ):
            persona[(mid, eid, k)] = (done, fy)
    counts: dict = defaultdict(int)
    for key, areas in rules.annual.items():
        if areas:
            for mid, k, fy, n in conn.execute(_annual_counts(key, areas).execution_options(**ALL)):
                counts[(mid, k, fy)] = n
    for (mid, _eid, key), (_done, fy) in persona.items():
        if fy is not None:
            counts[(mid, key, fy)] += 1
    return dict(counts), persona


def stored(conn: Connection) -> tuple[dict, dict]:
    """(counts, persona rows) as the tables hold them (zero counts left out)."""
    counts = {
        (mid, key, fy): n
        for mid, key, fy, n in conn.execute(
            select(
                counts_t.c.municipality_id,
                counts_t.c.key,
                counts_t.c.fiscal_year,
                counts_t.c.people,
            )
            .where(counts_t.c.people != 0)
            .execution_options(**ALL)
        )
    }
    persona = {
        (mid, eid, key): (done, fy)
        for mid, eid, key, done, fy in conn.execute(
            select(
                persona_t.c.municipality_id,
                persona_t.c.employee_id,
                persona_t.c.key,
                persona_t.c.done,
                persona_t.c.reached_fy,
            ).execution_options(**ALL)
        )
    }
    return counts, persona


# -- one person at a time: the incremental way -----------------------------------------


def _fy_of(day: date) -> int:
    return day.year - 1 if day.month < 4 else day.year


@dataclass
class PeopleState:
    #: (mid, eid) -> annual key -> fiscal years the person counts in
    annual: dict[tuple[int, int], dict[str, set[int]]]
    #: (mid, eid, persona key) -> (done, reached fy)
    persona: dict[tuple[int, int, str], tuple[int, int | None]]


def people_state(conn: Connection, employee_ids: Iterable[int], rules: Rules) -> PeopleState:
    """What the records say about these people, computed in Python from their rows."""
    ids = sorted(set(employee_ids))
    areas_of: dict[str, list[str]] = defaultdict(list)  # skill area -> annual keys
    for key, areas in rules.annual.items():
        for area in areas:
            areas_of[area].append(key)
    annual: dict = defaultdict(lambda: defaultdict(set))
    firsts: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    passes: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for mid, eid, pid, area, fy in conn.execute(
            select(
                Completion.municipality_id,
                Completion.employee_id,
                Completion.program_id,
                Completion.skill_area_key,
                Completion.fiscal_year,
            )
            .where(Completion.employee_id.in_(chunk))
            .distinct()
            .execution_options(**ALL)
        ):
            for key in areas_of.get(area or "", ()):
                annual[(mid, eid)][key].add(fy)
            seen = firsts[(mid, eid)]
            seen[pid] = min(fy, seen.get(pid, fy))
        for mid, eid, code, passed_on in conn.execute(
            select(
                Qualification.municipality_id,
                Qualification.employee_id,
                Qualification.exam_code,
                Qualification.passed_on,
            )
            .where(
                Qualification.employee_id.in_(chunk),
                Qualification.status == QualificationStatus.VERIFIED,
            )
            .execution_options(**ALL)
        ):
            passes[(mid, eid)].append((code, _fy_of(passed_on)))
    persona: dict = {}
    for person in set(firsts) | set(passes):
        for key, (programs, need) in rules.persona.items():
            if need is None:
                continue
            got = firsts.get(person, {})
            years = sorted(got[p] for p in programs if p in got)
            by_courses = years[need - 1] if len(years) >= need else None
            exams = rules.exams.get(key, frozenset())
            by_exam = min(
                (fy for code, fy in passes.get(person, ()) if code in exams), default=None
            )
            fy = min((y for y in (by_courses, by_exam) if y is not None), default=None)
            if years or fy is not None:
                persona[(person[0], person[1], key)] = (len(years), fy)
    return PeopleState({k: dict(v) for k, v in annual.items()}, persona)


def _upsert_counts(conn: Connection, deltas: dict[tuple[int, str, int], int]) -> None:
    rows = [
        {"municipality_id": mid, "key": key, "fiscal_year": fy, "people": d}
        for (mid, key, fy), d in sorted(deltas.items())
        if d
    ]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    stmt = upsert(counts_t)
    stmt = stmt.on_conflict_do_update(
        index_elements=["municipality_id", "key", "fiscal_year"],
        set_={"people": counts_t.c.people + stmt.excluded.people},
    )
    # Rows in a fixed order: two transactions moving the same counts lock them alike.
    for row in rows:
        conn.execute(stmt.values(**row).execution_options(**ALL))


def refresh_people(
    conn: Connection, employee_ids: Iterable[int], before: PeopleState, rules: Rules
) -> None:
    """Write these people's persona rows again and move the counts by what changed."""
    ids = sorted(set(employee_ids))
    after = people_state(conn, ids, rules)
    deltas: dict[tuple[int, str, int], int] = defaultdict(int)
    for person in set(before.annual) | set(after.annual):
        old, new = before.annual.get(person, {}), after.annual.get(person, {})
        for key in set(old) | set(new):
            for fy in new.get(key, set()) - old.get(key, set()):
                deltas[(person[0], key, fy)] += 1
            for fy in old.get(key, set()) - new.get(key, set()):
                deltas[(person[0], key, fy)] -= 1
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = conn.execute(
            select(persona_t.c.municipality_id, persona_t.c.key, persona_t.c.reached_fy)
            .where(persona_t.c.employee_id.in_(chunk))
            .execution_options(**ALL)
        ).all()
        for mid, key, fy in rows:
            if fy is not None:
                deltas[(mid, key, fy)] -= 1
        conn.execute(
            delete(persona_t).where(persona_t.c.employee_id.in_(chunk)).execution_options(**ALL)
        )
    new_rows = [
        {"municipality_id": mid, "employee_id": eid, "key": key, "done": done, "reached_fy": fy}
        for (mid, eid, key), (done, fy) in sorted(after.persona.items())
    ]
    for (mid, _eid, key), (_done, fy) in after.persona.items():
        if fy is not None:
            deltas[(mid, key, fy)] += 1
    if new_rows:
        conn.execute(insert(persona_t).execution_options(**ALL), new_rows)
    _upsert_counts(conn, deltas)


# -- the flush hooks -------------------------------------------------------------------


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_values(obj: Any, name: str) -> list:
    return [v for v in inspect(obj).attrs[name].history.deleted if v is not None]


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_FULL, None)
    people: set[int] = set()
    full = False
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, (Completion, Qualification)):
            if obj.employee_id is not None:
                people.add(obj.employee_id)
            people.update(_old_values(obj, "employee_id"))
        elif isinstance(obj, (Measure, QualificationPersona)):
            full = full or obj not in session.dirty or session.is_modified(obj)
        elif isinstance(obj, Program) and (
            obj not in session.dirty or _changed(obj, "active", "track")
        ):
            full = True
    if full:
        session.info[_FULL] = True
    elif people:
        conn = session.connection()
        _serialise(conn, people)
        rules = read_rules(conn)
        session.info[_PENDING] = (people, people_state(conn, people, rules), rules)


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.pop(_FULL, False):
        session.info.pop(_PENDING, None)
        rebuild(session.connection())
        return
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        people, before, rules = pending
        refresh_people(session.connection(), people, before, rules)


_installed = False


def install_tallies(session_class: Any = Session) -> None:
    """Keep the figures in step with every flush of ``session_class`` (the app factory)."""
    global _installed
    if _installed:
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    _installed = True
