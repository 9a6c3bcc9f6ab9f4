"""An independent count of the progress figures, to check the stored ones against.

It shares no code with ``regional.targets`` (no rules, tallies or fiscal helpers): it reads
the raw rows with SQL text and walks each person's history day by day, asking on every day
that could change something (a completion, a pass, the first day of a rule version) whether
the rules in force that day are met. Slow and obvious on purpose.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tenants.rls import lift_wall


def _fy(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _list(value) -> list:
    return json.loads(value) if isinstance(value, str) else list(value or [])


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def expected(conn: Connection) -> tuple[dict, dict, set]:
    """(counts, persona rows, annual rows) as the tables should hold them."""
    # Every member's rows: the wall lifted in a savepoint that is rolled back afterwards.
    nested = conn.begin_nested()
    try:
        if conn.dialect.name == "postgresql":
            lift_wall(conn)
        rows = _read(conn)
    finally:
        nested.rollback()
    return _count(*rows)


def _read(conn: Connection):
    versions: dict[str, list[dict]] = defaultdict(list)
    for key, start, kind, rule, n, programs, exams, areas in conn.execute(
        text(
            "SELECT key, effective_from, kind, rule, min_programs, programs, exams, skill_areas "
            "FROM measure_versions ORDER BY key, effective_from"
        )
    ):
        versions[key].append(
            {
                "start": _day(start),
                "kind": kind,
                "rule": rule,
                "min": n,
                "programs": set(_list(programs)),
                "exams": set(_list(exams)),
                "areas": set(_list(areas)),
            }
        )

    done: dict[tuple, list[tuple[int, date]]] = defaultdict(list)
    areas_done: dict[tuple, list[tuple[str, date, int]]] = defaultdict(list)
    for mid, eid, pid, area, day, fy in conn.execute(
        text(
            "SELECT municipality_id, employee_id, program_id, skill_area_key, completed_on, "
            "fiscal_year FROM completions"
        )
    ):
        done[(mid, eid)].append((pid, _day(day)))
        areas_done[(mid, eid)].append((area, _day(day), fy))
    passes: dict[tuple, list[tuple[str, date]]] = defaultdict(list)
    for mid, eid, code, day in conn.execute(
        text(
            "SELECT municipality_id, employee_id, exam_code, passed_on FROM qualifications "
            "WHERE status = 'verified'"
        )
    ):
        passes[(mid, eid)].append((code, _day(day)))
    return versions, done, areas_done, passes


def _count(versions, done, areas_done, passes) -> tuple[dict, dict, set]:
    def in_force(key: str, day: date) -> dict:
        chosen = versions[key][0]
        for v in versions[key]:
            if v["start"] <= day:
                chosen = v
        return chosen

    persona: dict = {}
    annual: set = set()
    people = set(done) | set(passes)
    for mid, eid in people:
        for key, vs in versions.items():
            if vs[0]["kind"] == "persona":
                current = vs[-1]["programs"]
                ever = {pid for pid, _d in done[(mid, eid)]}
                n_done = len(ever & current)
                days = sorted(
                    {d for _p, d in done[(mid, eid)]}
                    | {d for _c, d in passes[(mid, eid)]}
                    | {v["start"] for v in vs}
                )
                reached = None
                for day in days:
                    v = in_force(key, day)
                    have = {pid for pid, d in done[(mid, eid)] if d <= day} & v["programs"]
                    if not v["programs"]:
                        need = None
                    elif v["rule"] == "at_least" and v["min"]:
                        need = v["min"]
                    else:
                        need = len(v["programs"])
                    by_course = need is not None and len(have) >= need
                    by_exam = any(c in v["exams"] and d <= day for c, d in passes[(mid, eid)])
                    if by_course or by_exam:
                        reached = day
                        break
                if n_done or reached is not None:
                    persona[(mid, eid, key)] = (n_done, reached)
            else:
                for area, day, fy in areas_done[(mid, eid)]:
                    if area in in_force(key, day)["areas"]:
                        annual.add((mid, eid, key, fy))
    counts: dict = defaultdict(int)
    for mid, _eid, key, fy in annual:
        counts[(mid, key, fy)] += 1
    for (mid, _eid, key), (_n, day) in persona.items():
        if day is not None:
            counts[(mid, key, _fy(day))] += 1
    return dict(counts), persona, annual
