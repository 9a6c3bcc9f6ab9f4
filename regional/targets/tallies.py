"""Progress figures kept up to date in the same transaction as the records they count.

Three derived tables (``regional.targets.models``), never edited by hand:

* ``persona_progress``: per person and persona, how many current programmes of the track
  they have completed and the day (and fiscal year) they reached it, under the rules in
  force that day (``regional.targets.rules``);
* ``annual_progress``: per annual key and fiscal year, the people who count (a completion
  of one of the key's skill areas as they stood on the day of the completion);
* ``progress_counts``: per member, key and fiscal year, the people counted: the rows of
  ``annual_progress``, and for a persona key the people who reached it that year.

The dashboards read these instead of every completion since FY2024, so a page costs the
same whatever the length of the history, and a drill-down lists exactly the people that
its figure counts.

How they stay right: a flush that adds, changes or removes a completion or a qualification
recomputes the people it touches (``after_flush``: their rows are read, computed again from
their records, and the counts moved by the difference). A flush that changes what counts (a
measure, a programme's ``active`` flag or track, a new programme, a qualification rule)
first starts new rule versions from today (:func:`regional.targets.rules.sync`) and then
recomputes the keys whose rules changed, for everyone: what was reached under the earlier
rules stays reached. Everything happens on the flush's connection, inside the caller's
transaction: a rollback takes the figures back with the records. A bulk load that does not
go through the ORM (the benchmark's generator) calls :func:`rebuild` itself. The tests
compare the tables with an independent count of the records (``tests/oracle.py``).

Concurrent transactions (PostgreSQL): a flush locks the people it recomputes before it
reads them, and a rebuild locks the counts against every such flush (:func:`_serialise`),
so two transactions changing the same person never count the same change twice
(``tests/test_tallies_concurrency.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from regional import fiscal
from regional.attendance.models import Completion
from regional.catalogue.models import Program
from regional.growth.models import Qualification, QualificationPersona, QualificationStatus
from regional.people.models import User
from regional.targets import rules
from regional.targets.models import (
    AnnualProgress,
    Measure,
    MeasureKind,
    PersonaProgress,
    ProgressCount,
)

#: Every statement here reads or writes across members (row-level security lifted).
ALL = {"all_tenants": True}
CHUNK = 500
_PEOPLE = "tallies_people"  # session.info: the people the flush touched
_FULL = "tallies_full"  # session.info: the flush changes what counts
_INITIAL = "tallies_rules_initial"  # session.info: set-up defines the first rules
_RETRO = "tallies_rules_retroactive"  # session.info: key -> day a measure is re-defined from

counts_t = ProgressCount.__table__
persona_t = PersonaProgress.__table__
annual_t = AnnualProgress.__table__

Person = tuple[int, int]  # (municipality id, employee id)


# -- one person's records and what they count for ---------------------------------------


@dataclass
class Records:
    #: programme id -> first completion day
    firsts: dict[int, date] = field(default_factory=dict)
    #: (skill area, day, fiscal year) of every completion
    completions: list[tuple[str | None, date, int]] = field(default_factory=list)
    #: (exam code, day passed) of verified qualifications
    passes: list[tuple[str, date]] = field(default_factory=list)


@dataclass
class State:
    #: (mid, eid, persona key) -> (done, reached day)
    persona: dict[tuple[int, int, str], tuple[int, date | None]]
    #: (mid, eid, annual key, fiscal year)
    annual: set[tuple[int, int, str, int]]


def read_records(conn: Connection, employee_ids: Iterable[int] | None) -> dict[Person, Records]:
    """Completions and verified passes of these people (None: everyone), as plain tuples."""
    found: dict[Person, Records] = defaultdict(Records)

    def chunks():
        if employee_ids is None:
            yield None
            return
        ids = sorted(set(employee_ids))
        for start in range(0, len(ids), CHUNK):
            yield ids[start : start + CHUNK]

    for chunk in chunks():
        stmt = select(
            Completion.municipality_id,
            Completion.employee_id,
            Completion.program_id,
            Completion.skill_area_key,
            Completion.completed_on,
            Completion.fiscal_year,
        )
        if chunk is not None:
            stmt = stmt.where(Completion.employee_id.in_(chunk))
        for mid, eid, pid, area, day, fy in conn.execute(stmt.execution_options(**ALL)):
            rec = found[(mid, eid)]
            rec.completions.append((area, day, fy))
            if pid not in rec.firsts or day < rec.firsts[pid]:
                rec.firsts[pid] = day
        stmt = select(
            Qualification.municipality_id,
            Qualification.employee_id,
            Qualification.exam_code,
            Qualification.passed_on,
        ).where(Qualification.status == QualificationStatus.VERIFIED)
        if chunk is not None:
            stmt = stmt.where(Qualification.employee_id.in_(chunk))
        for mid, eid, code, passed_on in conn.execute(stmt.execution_options(**ALL)):
            found[(mid, eid)].passes.append((code, passed_on))
    return found


def evaluate(book: rules.RuleBook, records: dict[Person, Records]) -> State:
    """What these people count for under the rules of each day."""
    persona_keys = book.keys(MeasureKind.PERSONA)
    annual_keys = book.keys(MeasureKind.ANNUAL)
    state = State({}, set())
    for (mid, eid), rec in records.items():
        for key in persona_keys:
            versions = book.versions[key]
            current = versions[-1]
            done = sum(1 for pid in rec.firsts if pid in current.programs)
            day = rules.reached_on(versions, rec.firsts, rec.passes)
            if done or day is not None:
                state.persona[(mid, eid, key)] = (done, day)
        for key in annual_keys:
            for area, day, fy in rec.completions:
                if rules.counts_for(book, key, area, day):
                    state.annual.add((mid, eid, key, fy))
    return state


# -- the stored rows ---------------------------------------------------------------------


def _stored_state(conn: Connection, employee_ids: list[int], keys: set[str]) -> State:
    state = State({}, set())
    for start in range(0, len(employee_ids), CHUNK):
        chunk = employee_ids[start : start + CHUNK]
        for mid, eid, key, done, day in conn.execute(
            select(
                persona_t.c.municipality_id,
                persona_t.c.employee_id,
                persona_t.c.key,
                persona_t.c.done,
                persona_t.c.reached_on,
            )
            .where(persona_t.c.employee_id.in_(chunk), persona_t.c.key.in_(keys))
            .execution_options(**ALL)
        ):
            state.persona[(mid, eid, key)] = (done, day)
        for row in conn.execute(
            select(
                annual_t.c.municipality_id,
                annual_t.c.employee_id,
                annual_t.c.key,
                annual_t.c.fiscal_year,
            )
            .where(annual_t.c.employee_id.in_(chunk), annual_t.c.key.in_(keys))
            .execution_options(**ALL)
        ):
            state.annual.add(tuple(row))
    return state


def _persona_row(k: tuple[int, int, str], v: tuple[int, date | None]) -> dict:
    (mid, eid, key), (done, day) = k, v
    return {
        "municipality_id": mid,
        "employee_id": eid,
        "key": key,
        "done": done,
        "reached_on": day,
        "reached_fy": None if day is None else fiscal.fiscal_year_of(day),
    }


def _annual_row(k: tuple[int, int, str, int]) -> dict:
    mid, eid, key, fy = k
    return {"municipality_id": mid, "employee_id": eid, "key": key, "fiscal_year": fy}


def _insert_many(conn: Connection, table, rows: list[dict]) -> None:
    for start in range(0, len(rows), 5000):
        conn.execute(insert(table).execution_options(**ALL), rows[start : start + 5000])


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


def refresh_people(conn: Connection, employee_ids: Iterable[int], book: rules.RuleBook) -> None:
    """Write these people's rows again and move the counts by what changed."""
    ids = sorted(set(employee_ids))
    keys = set(book.versions)
    before = _stored_state(conn, ids, keys)
    after = evaluate(book, read_records(conn, ids))
    deltas: dict[tuple[int, str, int], int] = defaultdict(int)
    for mid, _eid, key, fy in after.annual - before.annual:
        deltas[(mid, key, fy)] += 1
    for mid, _eid, key, fy in before.annual - after.annual:
        deltas[(mid, key, fy)] -= 1
    for (mid, _eid, key), (_done, day) in before.persona.items():
        if day is not None:
            deltas[(mid, key, fiscal.fiscal_year_of(day))] -= 1
    for (mid, _eid, key), (_done, day) in after.persona.items():
        if day is not None:
            deltas[(mid, key, fiscal.fiscal_year_of(day))] += 1
    gone = sorted(before.annual - after.annual)
    for start in range(0, len(gone), CHUNK):
        conn.execute(
            delete(annual_t)
            .where(
                tuple_(
                    annual_t.c.municipality_id,
                    annual_t.c.employee_id,
                    annual_t.c.key,
                    annual_t.c.fiscal_year,
                ).in_(gone[start : start + CHUNK])
            )
            .execution_options(**ALL)
        )
    _insert_many(conn, annual_t, [_annual_row(k) for k in sorted(after.annual - before.annual)])
    if before.persona != after.persona:
        for start in range(0, len(ids), CHUNK):
            conn.execute(
                delete(persona_t)
                .where(
                    persona_t.c.employee_id.in_(ids[start : start + CHUNK]),
                    persona_t.c.key.in_(keys),
                )
                .execution_options(**ALL)
            )
        _insert_many(
            conn, persona_t, [_persona_row(k, v) for k, v in sorted(after.persona.items())]
        )
    _upsert_counts(conn, deltas)


def rebuild(conn: Connection, keys: Iterable[str] | None = None) -> None:
    """The rows of ``keys`` (None: every key) again from the records, for every member."""
    _serialise(conn, None)
    book = rules.read_book(conn)
    if keys is not None:
        book = book.restrict(keys)
    chosen = list(book.versions)
    if keys is None:
        for table in (persona_t, annual_t, counts_t):
            conn.execute(delete(table).execution_options(**ALL))
    else:
        for table in (persona_t, annual_t, counts_t):
            conn.execute(delete(table).where(table.c.key.in_(chosen)).execution_options(**ALL))
    if not chosen:
        return
    state = evaluate(book, read_records(conn, None))
    _insert_many(conn, persona_t, [_persona_row(k, v) for k, v in sorted(state.persona.items())])
    _insert_many(conn, annual_t, [_annual_row(k) for k in sorted(state.annual)])
    cols = ["municipality_id", "key", "fiscal_year", "people"]
    conn.execute(
        insert(counts_t)
        .from_select(
            cols,
            select(annual_t.c.municipality_id, annual_t.c.key, annual_t.c.fiscal_year, func.count())
            .where(annual_t.c.key.in_(chosen))
            .group_by(annual_t.c.municipality_id, annual_t.c.key, annual_t.c.fiscal_year),
        )
        .execution_options(**ALL)
    )
    conn.execute(
        insert(counts_t)
        .from_select(
            cols,
            select(
                persona_t.c.municipality_id, persona_t.c.key, persona_t.c.reached_fy, func.count()
            )
            .where(persona_t.c.key.in_(chosen), persona_t.c.reached_fy.is_not(None))
            .group_by(persona_t.c.municipality_id, persona_t.c.key, persona_t.c.reached_fy),
        )
        .execution_options(**ALL)
    )


def stored(conn: Connection) -> tuple[dict, dict, set]:
    """(counts, persona rows, annual rows) as the tables hold them (zero counts left out)."""
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
        (mid, eid, key): (done, day)
        for mid, eid, key, done, day in conn.execute(
            select(
                persona_t.c.municipality_id,
                persona_t.c.employee_id,
                persona_t.c.key,
                persona_t.c.done,
                persona_t.c.reached_on,
            ).execution_options(**ALL)
        )
    }
    annual = {
        tuple(row)
        for row in conn.execute(
            select(
                annual_t.c.municipality_id,
                annual_t.c.employee_id,
                annual_t.c.key,
                annual_t.c.fiscal_year,
            ).execution_options(**ALL)
        )
    }
    return counts, persona, annual


# -- concurrency ------------------------------------------------------------------------


def _serialise(conn: Connection, employee_ids: Iterable[int] | None) -> None:
    """PostgreSQL: wait for concurrent transactions that move the same figures.

    A flush that recomputes people (``employee_ids``) takes the counts table in ROW
    EXCLUSIVE mode, then its people's rows FOR NO KEY UPDATE (in id order), before it reads
    their rows and records: another transaction changing the same person commits first, and
    this one then reads what it committed (else both would count the same change from the
    same "before"). A rebuild (``None``) takes SHARE ROW EXCLUSIVE, which waits for every
    such transaction and holds off new ones until it commits, so nobody applies differences
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


# -- the flush hooks -------------------------------------------------------------------


@contextmanager
def setting_up(session: Session):
    """Catalogue and measures loaded inside this block define the rules from the start.

    For set-up (``seed-region``, the demo, the tests' world): without it, a programme
    loaded today would count only from today, and the history entered after the fact
    (FY2024 on) would be judged by an empty catalogue.
    """
    session.info[_INITIAL] = session.info.get(_INITIAL, 0) + 1
    try:
        yield
    finally:
        session.info[_INITIAL] -= 1


def redefine_from(session: Session, key: str, day: date) -> None:
    """The next flush re-defines ``key``'s measure from ``day`` on (a deliberate act)."""
    session.info.setdefault(_RETRO, {})[key] = day


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _old_values(obj: Any, name: str) -> list:
    return [v for v in inspect(obj).attrs[name].history.deleted if v is not None]


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    people: set[int] = set(session.info.pop(_PEOPLE, ()))
    full = session.info.pop(_FULL, False)
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
    if full or session.info.get(_RETRO):
        session.info[_FULL] = True
    if people:
        session.info[_PEOPLE] = people


def _after_flush(session: Session, _context: Any) -> None:
    full = session.info.pop(_FULL, False)
    people = session.info.pop(_PEOPLE, None)
    if not full and not people:
        return
    conn = session.connection()
    changed: set[str] = set()
    if full:
        _serialise(conn, None)
        retro = session.info.pop(_RETRO, None) or {}
        changed = rules.sync(
            conn,
            fiscal.today(),
            initial=session.info.get(_INITIAL, 0) > 0,
            retroactive=retro,
            reason="retroactive" if retro else "catalogue",
        )
    book = rules.read_book(conn)
    if people:
        _serialise(conn, people)
        refresh_people(conn, people, book.restrict(set(book.versions) - changed))
    if changed:
        rebuild(conn, changed)


_installed = False


def install_tallies(session_class: Any = Session) -> None:
    """Keep the figures in step with every flush of ``session_class`` (the app factory)."""
    global _installed
    if _installed:
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    _installed = True
