"""The regional dashboard's aggregate in hand-written SQL: the floors the pages are compared with.

``region_tallies``: what the page reads now, the stored figures
(``regional.targets.tallies``: ``progress_counts`` per member, key and fiscal year) with
the targets, the measures and the session use of the year, no ORM and no rendering.

``region_aggregate``, the from-scratch floor (what the page needed before the stored
figures, and what ``tallies.rebuild`` computes): the same counts as ``regional.targets.progress.region_progress`` for every member
at once, with no ORM and no rendering: people per annual skill area and fiscal year;
people reaching each persona (the fiscal year of their n-th distinct current
programme of the track) per fiscal year; the reached people per org unit (coverage);
the people part-way through a track per unit (candidates); the active units.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text

ANNUAL_AREAS = ("literacy_required", "literacy_elective", "information_security")
TRACKS = {
    "advanced": "advanced_ict",
    "core_digital": "digital_tech",
    "core_pm": "project_management",
}
COVERAGE = ("core_digital", "core_pm")

ANNUAL = text(
    "SELECT municipality_id, fiscal_year, skill_area_key, count(DISTINCT employee_id) "
    "FROM completions WHERE skill_area_key IN :areas AND fiscal_year <= :fy "
    "GROUP BY municipality_id, fiscal_year, skill_area_key"
).bindparams(bindparam("areas", expanding=True))

REACHED = """
WITH firsts AS (
  SELECT municipality_id AS mid, employee_id AS eid, program_id AS pid, min(fiscal_year) AS fy
  FROM completions WHERE program_id IN :programs
  GROUP BY municipality_id, employee_id, program_id
), ranked AS (
  SELECT mid, eid, fy, row_number() OVER (PARTITION BY mid, eid ORDER BY fy, pid) AS rn
  FROM firsts
), reached AS (SELECT mid, eid, fy FROM ranked WHERE rn = :need)
"""
BY_YEAR = text(REACHED + "SELECT mid, fy, count(*) FROM reached GROUP BY mid, fy").bindparams(
    bindparam("programs", expanding=True)
)
BY_UNIT = text(
    REACHED + "SELECT u.municipality_id, u.org_unit_id, count(*) FROM reached r "
    "JOIN users u ON u.municipality_id = r.mid AND u.id = r.eid "
    "WHERE r.fy <= :fy AND u.status <> 'disabled' AND u.org_unit_id IS NOT NULL "
    "GROUP BY u.municipality_id, u.org_unit_id"
).bindparams(bindparam("programs", expanding=True))
PARTWAY = text(
    "SELECT u.municipality_id, u.org_unit_id, u.id, u.name, d.done FROM users u JOIN ("
    "  SELECT municipality_id AS mid, employee_id AS eid, count(DISTINCT program_id) AS done"
    "  FROM completions WHERE program_id IN :programs GROUP BY municipality_id, employee_id"
    ") d ON d.mid = u.municipality_id AND d.eid = u.id "
    "WHERE d.done < :need AND u.status = 'active' AND u.org_unit_id IS NOT NULL"
).bindparams(bindparam("programs", expanding=True))
UNITS = text(
    "SELECT municipality_id, id, parent_id, level, name FROM org_units WHERE active = :yes"
)
PROGRAMS = text("SELECT id, track FROM programs WHERE active = :yes")


def region_aggregate(conn, fiscal_year: int) -> dict:
    """Every row the regional dashboard needs, fetched; returns row counts per part."""
    out = {}
    programs: dict[str, list[int]] = {}
    for pid, track in conn.execute(PROGRAMS, {"yes": True}):
        programs.setdefault(track, []).append(pid)
    out["annual"] = len(
        conn.execute(ANNUAL, {"areas": list(ANNUAL_AREAS), "fy": fiscal_year}).all()
    )
    for key, track in TRACKS.items():
        ids = programs.get(track, [])
        if not ids:
            continue
        args = {"programs": ids, "need": len(ids), "fy": fiscal_year}
        out[key] = len(conn.execute(BY_YEAR, args).all())
        if key in COVERAGE:
            out[key + "_units"] = len(conn.execute(BY_UNIT, args).all())
            out[key + "_partway"] = len(conn.execute(PARTWAY, args).all())
    out["units"] = len(conn.execute(UNITS, {"yes": True}).all())
    return out


TALLIES = text(
    "SELECT municipality_id, key, fiscal_year, people FROM progress_counts WHERE people <> 0"
)
TARGETS = text(
    "SELECT municipality_id, key, kind, target, period_start_fy, period_end_fy, population "
    "FROM targets ORDER BY id"
)
MEASURES = text("SELECT key, kind, track, rule, min_programs FROM measures ORDER BY position")
SESSION_USE = text(
    "SELECT r.municipality_id, count(*), sum(CASE WHEN r.attended THEN 1 ELSE 0 END) "
    "FROM registrations r JOIN training_sessions s ON s.id = r.session_id "
    "WHERE r.status = 'enrolled' AND s.starts_at >= :start AND s.starts_at < :end "
    "GROUP BY r.municipality_id"
)


def region_tallies(conn, fiscal_year: int) -> dict:
    """The rows the regional dashboard reads now (stored figures), fetched."""
    from datetime import UTC, datetime

    start = datetime(fiscal_year, 3, 31, 15, tzinfo=UTC)  # 1 April 00:00 in Japan
    end = datetime(fiscal_year + 1, 3, 31, 15, tzinfo=UTC)
    return {
        "programs": len(conn.execute(PROGRAMS, {"yes": True}).all()),
        "measures": len(conn.execute(MEASURES).all()),
        "targets": len(conn.execute(TARGETS).all()),
        "tallies": len(conn.execute(TALLIES).all()),
        "session_use": len(conn.execute(SESSION_USE, {"start": start, "end": end}).all()),
    }
