"""Training history for the benchmarks: fiscal years of sessions, registrations and
completions, as the policy's plan would produce them.

Which years: the ``years`` fiscal years (default five) ENDING with the fiscal year of the
reference day ``today`` (:func:`history_span`), and of those only what has happened or is
about to happen by ``today``. The progress benchmark takes ``today`` = 31 March 2029, so
FY2024..FY2028, the policy's whole plan period, are on record; the registration benchmark
takes the real today, so the history ends now and the current year is part-way.

Who takes what (per fiscal year):

* information security (GEN-SEC-101): about 60 % of all staff a year, e-learning;
  a further fifth of them also GEN-SEC-102;
* digital literacy basics, required (GEN-LIT-101/102): about half the
  administrative staff a year; the elective (GEN-LIT-201/202/203): about 8 %;
* core digital technology: a cohort of about 190 × (staff / 7,500) people per
  member takes the five CORE-DT programmes over four years; one in four stops
  part-way (the candidates who could close a gap);
* core project management: a cohort of about 240 × (staff / 7,500) over five years
  takes the four CORE-PM programmes, the same way;
* advanced: about 40 × (staff / 7,500) IT-division staff take ADV-101..103.

(A new cohort of each track starts every five years when ``years`` is more than five.)

``times`` K (default 1) multiplies the volume per year without adding people: every
planned take is taken K times, in K rounds of the (programme, year), each round with its
own sessions on its own days (classroom: the year's weekdays cut into K consecutive
stretches; e-learning: K windows and completions in K disjoint stretches of the year), so
one person never holds two seats of one programme on one day and the completions keep
their one-per-(person, programme, day) constraint. Every per-person and per-member
index then holds K times the rows of a realistic history.

Days listed in ``avoid`` (the days of the benchmark's timed sessions) never carry a history
session, so a timed registration never meets an overlapping seat.

Every completion comes from a registration with recorded attendance (a session per
programme and fiscal year for e-learning, classroom sessions of 40 seats otherwise);
a few percent of registrations are cancelled or no-shows; sessions of the next
60 days carry enrolled registrations without attendance. Rows are bulk-inserted
with Core and explicit ids, ``BATCH`` at a time (only the plan, one row per take, is
held whole; at ×10 the rows never are); the counters ``seats_taken`` match the
enrolled rows.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
#: The fiscal years of history by default (the policy's plan period is five years).
YEARS = 5
#: Rounds per (programme, year) at most: each needs weekdays of its own.
MAX_TIMES = 50
#: Days ahead of ``today`` whose sessions already carry (unattended) registrations.
UPCOMING_DAYS = 60
BATCH = 5000
CLASS_SEATS = 40

SECURITY = ("GEN-SEC-101", "GEN-SEC-102")
LIT_REQUIRED = ("GEN-LIT-101", "GEN-LIT-102")
LIT_ELECTIVE = ("GEN-LIT-201", "GEN-LIT-202", "GEN-LIT-203")
CORE_DT = ("CORE-DT-101", "CORE-DT-102", "CORE-DT-201", "CORE-DT-202", "CORE-DT-301")
CORE_PM = ("CORE-PM-101", "CORE-PM-102", "CORE-PM-201", "CORE-PM-301")
ADVANCED = ("ADV-101", "ADV-102", "ADV-103")


def _fy_of(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def history_span(today: date, years: int = YEARS) -> tuple[int, int]:
    """(first, last) fiscal year of a history of ``years`` fiscal years ending with today's."""
    if years < 1:
        raise ValueError("at least one fiscal year of history")
    last = _fy_of(today)
    return last - years + 1, last


def _track_plan(codes, years: int, cohort: int, people: list[int], first_fy: int, rng):
    """(person, code, fiscal year) for a cohort starting from ``first_fy`` over ``years``."""
    takes = []
    chosen = rng.sample(people, min(cohort, len(people)))
    for person in chosen:
        start = first_fy + rng.randrange(years)
        # One in four stops part-way: a candidate, not yet counted.
        n = len(codes) if rng.random() >= 0.25 else rng.randrange(1, len(codes))
        fy = start
        for code in codes[:n]:
            takes.append((person, code, fy))
            if rng.random() < 0.5:
                fy += 1
    return takes


def plan_takes(
    staff: list[tuple],
    share: float,
    rng: random.Random,
    first_fy: int = 2024,
    years: int = YEARS,
) -> list[tuple]:
    """Every (employee id, municipality id, programme code, fiscal year) someone takes,
    in the ``years`` fiscal years from ``first_fy``.

    ``staff`` rows: (id, municipality_id, job_category, in_it_unit); ``share`` is the
    member's staff over Okayama City's ~7,500 (the policy's numbers are Okayama's).
    Track cohorts may run on past the last year; ``generate_history`` keeps only what
    lies before its horizon.
    """
    takes: list[tuple] = []
    admin = [s for s in staff if s[2] == "administrative"]
    for fy in range(first_fy, first_fy + years):
        for s in staff:
            if rng.random() < 0.6:
                takes.append((s[0], s[1], SECURITY[0], fy))
                if rng.random() < 0.2:
                    takes.append((s[0], s[1], SECURITY[1], fy))
        for s in admin:
            if rng.random() < 0.5:
                takes.append((s[0], s[1], LIT_REQUIRED[0], fy))
                if rng.random() < 0.7:
                    takes.append((s[0], s[1], LIT_REQUIRED[1], fy))
            if rng.random() < 0.08:
                takes.append((s[0], s[1], rng.choice(LIT_ELECTIVE), fy))
    if not staff:
        return takes
    mid = staff[0][1]
    ids = [s[0] for s in staff]
    it = [s[0] for s in staff if s[3]] or ids[:5]
    for period_start in range(first_fy, first_fy + years, 5):  # a cohort per plan period
        for codes, span, aim, pool in (
            (CORE_DT, 4, 190, ids),
            (CORE_PM, 5, 240, ids),
            (ADVANCED, 3, 40, it),
        ):
            cohort = max(2, math.ceil(aim * share * 1.1))
            plan = _track_plan(codes, span, cohort, pool, period_start, rng)
            takes += [(p, mid, c, fy) for p, c, fy in plan]
    return takes


def _session_days(
    fy: int, n: int, rng: random.Random, rounds: int = 1, avoid=frozenset()
) -> list[list[date]]:
    """Per round, ``n`` weekdays spread over its stretch of the fiscal year (May to
    February, cut into ``rounds`` consecutive stretches, so no day serves two rounds);
    never a day in ``avoid``."""
    first, last = date(fy, 5, 1), date(fy + 1, 2, 28)
    weekdays = [
        d
        for d in (first + timedelta(days=i) for i in range((last - first).days + 1))
        if d.weekday() < 5 and d not in avoid
    ]
    if len(weekdays) < rounds:
        raise ValueError(f"FY{fy} has {len(weekdays)} free weekdays for {rounds} rounds")
    out = []
    for j in range(rounds):
        stretch = weekdays[len(weekdays) * j // rounds : len(weekdays) * (j + 1) // rounds]
        out.append(sorted(stretch[int(len(stretch) * (k + rng.random()) / n)] for k in range(n)))
    return out


def _elearning_days(fy: int, rounds: int, avoid=frozenset()) -> list[date]:
    """The opening day of each round's e-learning window: from 10 April, one day each."""
    days, d = [], date(fy, 4, 10)
    while len(days) < rounds:
        if d not in avoid:
            days.append(d)
        d += timedelta(days=1)
    return days


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TOKYO).astimezone(UTC)


def generate_history(
    conn,
    programs: dict,
    takes: list[tuple],
    today: date,
    rng,
    *,
    times: int = 1,
    avoid=frozenset(),
) -> dict:
    """Insert sessions, registrations and completions for ``takes``, each ``times`` times
    (in rounds, see the module's notes), no session on a day of ``avoid``; returns counts.

    ``programs``: code -> dict(id, revision, title_ja, title_en, tier, track, area, hours,
    delivery). ``conn``: a SQLAlchemy connection in a transaction.
    """
    from sqlalchemy import bindparam, func, insert, select, update

    from regional.attendance.models import Completion
    from regional.seats.models import Registration
    from regional.sessions.models import TrainingSession

    if not 1 <= times <= MAX_TIMES:
        raise ValueError(f"times must be 1..{MAX_TIMES}")
    avoid = frozenset(avoid)
    horizon = today + timedelta(days=UPCOMING_DAYS)
    by_key: dict[tuple[str, int], list[tuple]] = defaultdict(list)
    for t in takes:
        by_key[(t[2], t[3])].append(t)

    sessions_t = TrainingSession.__table__
    regs_t = Registration.__table__
    comps_t = Completion.__table__
    next_session = (conn.scalar(select(func.max(sessions_t.c.id))) or 0) + 1
    next_reg = (conn.scalar(select(func.max(regs_t.c.id))) or 0) + 1
    now = datetime.now(UTC)
    counts = defaultdict(int)
    session_rows: list[dict] = []
    reg_rows: list[dict] = []
    comp_rows: list[dict] = []
    seats: dict[int, int] = defaultdict(int)

    def flush() -> None:
        """Sessions, then registrations, then completions (each refers to the one before)."""
        nonlocal session_rows, reg_rows, comp_rows
        for table, rows in ((sessions_t, session_rows), (regs_t, reg_rows), (comps_t, comp_rows)):
            if rows:
                conn.execute(insert(table), rows)
        session_rows, reg_rows, comp_rows = [], [], []

    def session_row(sid: int, p: dict, day: date, capacity: int, elearning: bool) -> dict:
        starts = _at(day, 10)
        return dict(
            id=sid,
            program_id=p["id"],
            starts_at=starts,
            ends_at=starts + timedelta(hours=max(1, int(p["hours"]))),
            venue="" if elearning else "岡山市役所 本庁舎 第1会議室",
            online_url=None,
            capacity=100_000 if elearning else capacity,
            seats_taken=0,
            reserved_unclaimed=0,
            waitlist_seq=0,
            registration_opens_at=starts - timedelta(days=45),
            registration_closes_at=starts - timedelta(days=2),
            cancellation_deadline=starts - timedelta(days=3),
            requires_approval=False,
            open_to_all=True,
            host_municipality_id=None,
            status="scheduled",
            cancel_reason=None,
            notes="",
            created_at=starts - timedelta(days=60),
            created_by_id=None,
        )

    for (code, fy), group in sorted(by_key.items()):
        p = programs[code]
        group = list(dict.fromkeys(group))  # a person takes a programme once a year (a round)
        rng.shuffle(group)
        elearning = p["delivery"] == "elearning"
        n_sessions = 1 if elearning else max(1, math.ceil(len(group) / (CLASS_SEATS - 5)))
        if elearning:
            # An e-learning course is one session a round: a window open from April for the
            # whole year. Round j's completions fall in the j-th stretch of the days from the
            # last window's opening to today (or, when there are fewer such days than rounds,
            # on the window's first day), so one person's days stay distinct.
            openings = _elearning_days(fy, times, avoid)
            rounds = [[d] for d in openings]
            last = min(date(fy + 1, 3, 31), today - timedelta(days=1))
            span = (last - openings[-1]).days + 1
        else:
            rounds = _session_days(fy, n_sessions, rng, times, avoid)
        for j, round_days in enumerate(rounds):
            # Far-off sessions are not scheduled yet; the year's people share the ones that are.
            days = [d for d in round_days if d <= horizon]
            if not days:
                continue
            seats_each = max(CLASS_SEATS, math.ceil(len(group) / len(days)))
            sids = []
            for day in days:
                session_rows.append(session_row(next_session, p, day, seats_each, elearning))
                sids.append((next_session, day))
                next_session += 1
                counts["sessions"] += 1
            for k, (employee_id, municipality_id, _code, _fy) in enumerate(group):
                sid, day = sids[k % len(sids)]
                past = day < today
                r = rng.random()
                status = "cancelled" if r < 0.03 else "enrolled"
                attended = None
                if past and status == "enrolled":
                    attended = r >= 0.06
                reg_id = next_reg
                next_reg += 1
                starts = _at(day, 10)
                reg_rows.append(
                    dict(
                        id=reg_id,
                        municipality_id=municipality_id,
                        session_id=sid,
                        employee_id=employee_id,
                        status=status,
                        waitlist_ticket=None,
                        seat_allocation_id=None,
                        requested_at=starts - timedelta(days=20),
                        approved_at=None,
                        approved_by_id=None,
                        cancelled_at=starts - timedelta(days=10) if status == "cancelled" else None,
                        cancelled_by_id=None,
                        registered_by_id=None,
                        skip_note=None,
                        attended=attended,
                        attendance_recorded_at=starts + timedelta(days=1)
                        if attended is not None
                        else None,
                        reminded_at=None,
                    )
                )
                counts["registrations"] += 1
                if status == "enrolled":
                    seats[sid] += 1
                if attended:
                    done = day
                    if elearning and span >= times:  # taken any day of its stretch
                        lo = openings[-1] + timedelta(days=span * j // times)
                        length = span * (j + 1) // times - span * j // times
                        done = lo + timedelta(days=rng.randrange(length))
                    comp_rows.append(
                        dict(
                            municipality_id=municipality_id,
                            employee_id=employee_id,
                            program_id=p["id"],
                            program_revision=p["revision"],
                            program_code=code,
                            title_ja=p["title_ja"],
                            title_en=p["title_en"],
                            tier=p["tier"],
                            track=p["track"],
                            skill_area_key=p["area"],
                            hours=p["hours"],
                            session_id=sid,
                            registration_id=reg_id,
                            completed_on=done,
                            fiscal_year=_fy_of(done),
                            source="attendance",
                            recorded_by_id=None,
                            recorded_at=now,
                        )
                    )
                    counts["completions"] += 1
                if len(reg_rows) >= BATCH:
                    flush()
    flush()
    if seats:
        conn.execute(
            update(sessions_t)
            .where(sessions_t.c.id == bindparam("sid"))
            .values(seats_taken=bindparam("n")),
            [{"sid": sid, "n": n} for sid, n in seats.items()],
        )
    return dict(counts)


def program_facts(conn) -> dict:
    """code -> the columns a completion copies, read from the catalogue."""
    from sqlalchemy import select

    from regional.catalogue.models import Program, SkillArea

    rows = conn.execute(
        select(
            Program.id,
            Program.code,
            Program.revision,
            Program.title_ja,
            Program.title_en,
            Program.tier,
            Program.track,
            Program.hours,
            Program.delivery,
            SkillArea.key,
        ).join(SkillArea, SkillArea.id == Program.skill_area_id)
    )
    out = {}
    for r in rows:
        out[r.code] = dict(
            id=r.id,
            revision=r.revision,
            title_ja=r.title_ja,
            title_en=r.title_en,
            tier=str(r.tier.value if hasattr(r.tier, "value") else r.tier),
            track=str(r.track.value if hasattr(r.track, "value") else r.track),
            hours=r.hours,
            delivery=str(r.delivery.value if hasattr(r.delivery, "value") else r.delivery),
            area=r.key,
        )
    return out
