"""The rules in force on each day: what made a person count, kept as versions by day.

Achievement is a fact in time. A person reaches a persona on the first day on which the
rules *in force that day* are met (the track's programmes then current, the number of
them needed, the qualifications then counted); a completion counts for an annual key when
its skill area was one of the key's areas on the day it was completed. The rules are kept
in ``measure_versions``, one row per key and first day:

* a change of the catalogue (a programme added to a track, retired, reactivated, moved to
  another track), of a measure or of a qualification rule starts a new version *today*
  (:func:`sync`, called from the tallies' flush hook): what was reached before stays
  reached, and what a person still needs from now on follows the new rules;
* the first version of a key covers every day before the next one (set-up: the catalogue
  and measures the platform starts with define the past);
* an administrator may deliberately re-define a measure from a past day (``retroactive``):
  every version from that day takes the new rule, after a preview of its effect
  (``regional.targets.preview``) and with an audit entry.

Everything here reads and writes with Core on the caller's connection (the flush hooks
cannot load ORM objects), inside the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from regional.catalogue.models import Program
from regional.growth.models import QualificationPersona
from regional.targets.measures import need_for
from regional.targets.models import Measure, MeasureKind, MeasureVersion, PersonaRule

#: The first day of the first version of every key: before any record the platform holds.
EPOCH = date(2000, 4, 1)

versions_t = MeasureVersion.__table__


def _value(x: object) -> str | None:
    return None if x is None else str(getattr(x, "value", x))


@dataclass(frozen=True)
class Params:
    """A key's rules as they stand: compared with the latest version to see a change."""

    kind: str
    rule: str | None = None
    min_programs: int | None = None
    programs: tuple[int, ...] = ()
    exams: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()

    def row(self) -> dict:
        return {
            "kind": self.kind,
            "rule": self.rule,
            "min_programs": self.min_programs,
            "programs": list(self.programs),
            "exams": list(self.exams),
            "skill_areas": list(self.areas),
        }

    @classmethod
    def of_row(cls, row: Mapping) -> Params:
        return cls(
            kind=_value(row["kind"]) or "",
            rule=_value(row["rule"]),
            min_programs=row["min_programs"],
            programs=tuple(sorted(row["programs"] or ())),
            exams=tuple(sorted(row["exams"] or ())),
            areas=tuple(sorted(row["skill_areas"] or ())),
        )


@dataclass(frozen=True)
class Version:
    """The rules of one key over [start, end) (``end`` None: until further notice)."""

    key: str
    kind: str
    start: date
    end: date | None
    programs: frozenset[int]
    need: int | None
    exams: frozenset[str]
    areas: frozenset[str]

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    @property
    def persona(self) -> bool:
        return self.kind == MeasureKind.PERSONA.value


@dataclass(frozen=True)
class RuleBook:
    """Every key's versions in order of their first day."""

    versions: dict[str, tuple[Version, ...]]

    def keys(self, kind: MeasureKind) -> list[str]:
        return [k for k, vs in self.versions.items() if vs and vs[0].kind == kind.value]

    def current(self, key: str) -> Version | None:
        found = self.versions.get(key)
        return found[-1] if found else None

    def at(self, key: str, day: date) -> Version | None:
        """The version in force on ``day`` (the first one for days before it)."""
        found = self.versions.get(key) or ()
        chosen = found[0] if found else None
        for v in found:
            if v.start <= day:
                chosen = v
        return chosen

    def restrict(self, keys: Iterable[str]) -> RuleBook:
        wanted = set(keys)
        return RuleBook({k: v for k, v in self.versions.items() if k in wanted})


# -- reading ----------------------------------------------------------------------------


def current_params(conn: Connection) -> dict[str, Params]:
    """Each key's rules as the catalogue, the measures and the qualification rules stand now."""
    programs: dict[str, list[int]] = defaultdict(list)
    for pid, track in conn.execute(
        select(Program.id, Program.track).where(Program.active.is_(True)).order_by(Program.id)
    ):
        programs[_value(track) or ""].append(pid)
    exams: dict[str, set[str]] = defaultdict(set)
    for code, persona in conn.execute(
        select(QualificationPersona.exam_code, QualificationPersona.persona)
    ):
        exams[persona].add(code)
    found = {}
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
            found[key] = Params(kind=MeasureKind.ANNUAL.value, areas=tuple(sorted(areas or ())))
        else:
            found[key] = Params(
                kind=MeasureKind.PERSONA.value,
                rule=_value(rule) or PersonaRule.ALL_CURRENT.value,
                min_programs=min_programs,
                programs=tuple(programs.get(track or "", ())),
                exams=tuple(sorted(exams.get(key, ()))),
            )
    return found


def _stored(conn: Connection) -> dict[str, list[Mapping]]:
    rows: dict[str, list[Mapping]] = defaultdict(list)
    for row in conn.execute(
        select(versions_t).order_by(versions_t.c.key, versions_t.c.effective_from)
    ).mappings():
        rows[row["key"]].append(row)
    return rows


def _version(key: str, row: Mapping, end: date | None) -> Version:
    p = Params.of_row(row)
    return Version(
        key=key,
        kind=p.kind,
        start=row["effective_from"],
        end=end,
        programs=frozenset(p.programs),
        need=need_for(p.rule, p.min_programs, p.programs) if p.kind == "persona" else None,
        exams=frozenset(p.exams),
        areas=frozenset(p.areas),
    )


def read_book(conn: Connection) -> RuleBook:
    """Every key's versions (one statement)."""
    book = {}
    for key, rows in _stored(conn).items():
        ends = [r["effective_from"] for r in rows[1:]] + [None]
        book[key] = tuple(_version(key, r, end) for r, end in zip(rows, ends, strict=True))
    return RuleBook(book)


# -- the rules applied: one person ------------------------------------------------------


def reached_on(
    versions: Iterable[Version],
    firsts: Mapping[int, date],
    passes: Iterable[tuple[str, date]],
) -> date | None:
    """The first day a person met the rules in force that day, or None.

    ``firsts``: each programme's first completion day; ``passes``: (exam code, day passed)
    of verified qualifications. Within a version's days, the rules are met from the later of
    the version's first day and the day the person had enough (the ``need``-th distinct
    programme of the version, or a counted pass).
    """
    passes = list(passes)
    best: date | None = None
    for v in versions:
        candidates = []
        if v.need:
            days = sorted(day for pid, day in firsts.items() if pid in v.programs)
            if len(days) >= v.need:
                candidates.append(max(days[v.need - 1], v.start))
        passed = [day for code, day in passes if code in v.exams]
        if passed:
            candidates.append(max(min(passed), v.start))
        for day in candidates:
            if (v.end is None or day < v.end) and (best is None or day < best):
                best = day
    return best


def counts_for(book: RuleBook, key: str, area: str | None, day: date) -> bool:
    """Whether a completion of skill area ``area`` on ``day`` counts for annual ``key``."""
    v = book.at(key, day)
    return v is not None and area is not None and area in v.areas


# -- writing ----------------------------------------------------------------------------


def sync(
    conn: Connection,
    today: date,
    *,
    initial: bool = False,
    retroactive: Mapping[str, date] | None = None,
    reason: str = "catalogue",
) -> set[str]:
    """Start a version for every key whose rules changed; the keys that changed.

    A change today replaces a version begun today (several edits of one day are one
    version). ``initial``: the platform is being set up, so a key that has only its first
    version has it rewritten (the catalogue loaded at set-up defines the past). A key in
    ``retroactive`` takes its measure's rule from that day on, in every version from then.
    """
    now = current_params(conn)
    stored = _stored(conn)
    retroactive = dict(retroactive or {})
    changed: set[str] = set()
    for key, params in now.items():
        rows = stored.get(key, [])
        if key in retroactive:
            _redefine(conn, key, rows, params, retroactive[key])
            changed.add(key)
            rows = _stored(conn).get(key, [])
        latest = rows[-1] if rows else None
        if latest is not None and Params.of_row(latest) == params:
            continue
        changed.add(key)
        if latest is None:
            _insert(conn, key, EPOCH, params, "setup")
        elif initial and len(rows) == 1:
            _update(conn, latest["id"], params, "setup")
        elif latest["effective_from"] >= today:
            previous = rows[-2] if len(rows) > 1 else None
            if previous is not None and Params.of_row(previous) == params:
                conn.execute(delete(versions_t).where(versions_t.c.id == latest["id"]))
            else:
                _update(conn, latest["id"], params, latest["reason"] or reason)
        else:
            _insert(conn, key, today, params, reason)
    return changed


def _insert(conn: Connection, key: str, day: date, params: Params, reason: str) -> None:
    conn.execute(
        insert(versions_t).values(key=key, effective_from=day, reason=reason, **params.row())
    )


def _update(conn: Connection, version_id: int, params: Params, reason: str) -> None:
    conn.execute(
        update(versions_t)
        .where(versions_t.c.id == version_id)
        .values(reason=reason, **params.row())
    )


def _redefine(conn: Connection, key: str, rows: list[Mapping], params: Params, day: date) -> None:
    """The measure's rule (not the catalogue's programmes) from ``day`` on, in every version."""
    rule_part = {
        "rule": params.rule,
        "min_programs": params.min_programs,
        "skill_areas": list(params.areas),
    }
    in_force = None
    for row in rows:
        if row["effective_from"] <= day:
            in_force = row
    if in_force is None or in_force["effective_from"] != day:
        base = Params.of_row(in_force) if in_force is not None else params
        first = EPOCH if in_force is None else day
        conn.execute(
            insert(versions_t).values(
                key=key,
                effective_from=first,
                reason="retroactive",
                **{**base.row(), **rule_part},
            )
        )
    conn.execute(
        update(versions_t)
        .where(versions_t.c.key == key, versions_t.c.effective_from >= day)
        .values(reason="retroactive", **rule_part)
    )
