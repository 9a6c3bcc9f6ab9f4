"""The benchmark's history generator (bench/history.py): years, rounds and constraints.

No database: ``generate_history`` writes into a recording stand-in for the connection,
and the rows it would insert are checked against the constraints the schema enforces
(one registration per session and person, one completion per person, programme and
day, ``seats_taken`` equal to the enrolled rows) and against the timed sessions' days.
"""

from __future__ import annotations

import random
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import history  # noqa: E402

TODAY = date(2026, 11, 29)


def programs() -> dict:
    def facts(i: int, code: str, delivery: str) -> dict:
        return dict(
            id=i,
            revision=1,
            title_ja=code,
            title_en=code,
            tier="basic",
            track="core",
            area="security",
            hours=3.0,
            delivery=delivery,
        )

    codes = (
        history.SECURITY
        + history.LIT_REQUIRED
        + history.LIT_ELECTIVE
        + history.CORE_DT
        + history.CORE_PM
        + history.ADVANCED
    )
    elearning = set(history.SECURITY) | {history.LIT_REQUIRED[0]}
    return {
        c: facts(i, c, "elearning" if c in elearning else "classroom")
        for i, c in enumerate(codes, 1)
    }


class Recorder:
    """Stands in for a SQLAlchemy connection: keeps what would be inserted and updated."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.seats: dict[int, int] = {}

    def scalar(self, _stmt):
        return None

    def execute(self, stmt, params=None):
        if stmt.is_insert:
            self.rows[stmt.table.name] += params
        else:
            self.seats.update({p["sid"]: p["n"] for p in params})


def generate(times: int, avoid=frozenset(), years: int = 5, staff_n: int = 300):
    rng = random.Random(7)
    jobs = ("administrative", "technical", "welfare")
    staff = [(i, 1, jobs[i % 3], i % 20 == 0) for i in range(1, staff_n + 1)]
    first, _last = history.history_span(TODAY, years)
    takes = history.plan_takes(staff, staff_n / 7500, rng, first, years)
    conn = Recorder()
    counts = history.generate_history(conn, programs(), takes, TODAY, rng, times=times, avoid=avoid)
    return conn, counts


def test_the_years_end_with_todays_fiscal_year():
    assert history.history_span(date(2026, 11, 29)) == (2022, 2026)
    assert history.history_span(date(2027, 3, 31)) == (2022, 2026)
    assert history.history_span(date(2027, 4, 1)) == (2023, 2027)
    assert history.history_span(date(2029, 3, 31)) == (2024, 2028)  # the progress benchmark's
    assert history.history_span(date(2026, 11, 29), 1) == (2026, 2026)


def test_rounds_take_disjoint_weekdays_off_the_avoided_days():
    avoid = {date(2026, 6, 1) + timedelta(days=k) for k in range(30)}
    rounds = history._session_days(2026, 12, random.Random(1), rounds=10, avoid=avoid)
    assert len(rounds) == 10 and all(len(r) == 12 for r in rounds)
    for earlier, later in zip(rounds, rounds[1:], strict=False):
        assert max(earlier) < min(later)  # consecutive stretches: no day serves two rounds
    days = [d for r in rounds for d in r]
    assert all(d.weekday() < 5 and d not in avoid for d in days)
    assert all(date(2026, 5, 1) <= d <= date(2027, 2, 28) for d in days)
    assert history._elearning_days(2026, 3, {date(2026, 4, 11)}) == [
        date(2026, 4, 10),
        date(2026, 4, 12),
        date(2026, 4, 13),
    ]


@pytest.mark.parametrize("times", [1, 3])
def test_rows_keep_the_schemas_constraints(times):
    avoid = {TODAY + timedelta(days=30 + k) for k in range(20)}
    conn, counts = generate(times, avoid)
    sessions, regs, comps = (
        conn.rows[t] for t in ("training_sessions", "registrations", "completions")
    )
    assert (counts["sessions"], counts["registrations"], counts["completions"]) == (
        len(sessions),
        len(regs),
        len(comps),
    )
    assert len({r["id"] for r in regs}) == len(regs)
    assert not [
        k for k, n in Counter((r["session_id"], r["employee_id"]) for r in regs).items() if n > 1
    ]
    once_a_day = Counter(
        (c["municipality_id"], c["employee_id"], c["program_id"], c["completed_on"]) for c in comps
    )
    assert max(once_a_day.values()) == 1
    enrolled = Counter(r["session_id"] for r in regs if r["status"] == "enrolled")
    assert conn.seats == dict(enrolled)
    by_id = {s["id"]: s for s in sessions}
    assert all(r["session_id"] in by_id for r in regs)
    tokyo_days = {s["starts_at"].astimezone(history.TOKYO).date() for s in sessions}
    assert not tokyo_days & avoid
    horizon = TODAY + timedelta(days=history.UPCOMING_DAYS)
    assert max(tokyo_days) <= horizon
    assert all(c["completed_on"] < TODAY for c in comps)
    assert {c["fiscal_year"] for c in comps} <= set(range(2022, 2027))


def test_ten_times_the_history_is_ten_times_the_rows_for_the_same_people():
    one, counts1 = generate(1)
    ten, counts10 = generate(10)
    people = {r["employee_id"] for r in one.rows["registrations"]}
    assert {r["employee_id"] for r in ten.rows["registrations"]} == people
    for key in ("registrations", "completions"):
        assert 9 * counts1[key] <= counts10[key] <= 11 * counts1[key], key
