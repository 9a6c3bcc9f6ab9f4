"""Training history for the progress benchmark: five fiscal years of sessions, registrations
and completions from FY2024, as the policy's plan would produce them.

Who takes what (per fiscal year, from FY2024 to FY2028, only what has happened or
is about to happen by the reference day ``today``):

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

Every completion comes from a registration with recorded attendance (a session per
programme and fiscal year for e-learning, classroom sessions of 40 seats otherwise);
a few percent of registrations are cancelled or no-shows; sessions of the next
60 days carry enrolled registrations without attendance. Rows are bulk-inserted
with Core and explicit ids, a batch at a time (the ×10 scale never holds all rows
in memory); the counters ``seats_taken`` match the enrolled rows.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST_FY = 2024
YEARS = 5
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


def _track_plan(codes, years: int, cohort: int, people: list[int], rng) -> list[tuple]:
    """(person, code, fiscal year) for a cohort working through a track over ``years``."""
    takes = []
    chosen = rng.sample(people, min(cohort, len(people)))
    for person in chosen:
        start = FIRST_FY + rng.randrange(years)
        # One in four stops part-way: a candidate, not yet counted.
        n = len(codes) if rng.random() >= 0.25 else rng.randrange(1, len(codes))
        fy = start
        for code in codes[:n]:
            takes.append((person, code, fy))
            if rng.random() < 0.5:
                fy += 1
    return takes


def plan_takes(staff: list[tuple], share: float, rng: random.Random) -> list[tuple]:
    """Every (employee id, municipality id, programme code, fiscal year) someone takes.

    ``staff`` rows: (id, municipality_id, job_category, in_it_unit); ``share`` is the
    member's staff over Okayama City's ~7,500 (the policy's numbers are Okayama's).
    """
    takes: list[tuple] = []
    admin = [s for s in staff if s[2] == "administrative"]
    for fy in range(FIRST_FY, FIRST_FY + YEARS):
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
    for codes, years, aim, pool in (
        (CORE_DT, 4, 190, ids),
        (CORE_PM, 5, 240, ids),
        (ADVANCED, 3, 40, it),
    ):
        cohort = max(2, math.ceil(aim * share * 1.1))
        takes += [(p, mid, c, fy) for p, c, fy in _track_plan(codes, years, cohort, pool, rng)]
    return takes


def _session_days(fy: int, n: int, rng: random.Random) -> list[date]:
    """``n`` weekdays spread over the fiscal year (May to February)."""
    first, last = date(fy, 5, 1), date(fy + 1, 2, 28)
    span = (last - first).days
    days = []
    for k in range(n):
        d = first + timedelta(days=int(span * (k + rng.random()) / max(n, 1)))
        while d.weekday() >= 5:
            d += timedelta(days=1)
        days.append(d)
    return sorted(days)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), TOKYO).astimezone(UTC)


def generate_history(conn, programs: dict, takes: list[tuple], today: date, rng) -> dict:
    """Insert sessions, registrations and completions for ``takes``; returns counts.

    ``programs``: code -> dict(id, revision, title_ja, title_en, tier, track, area, hours,
    delivery). ``conn``: a SQLAlchemy connection in a transaction.
    """
    from sqlalchemy import func, insert, select, update

    from regional.registrations.models import Completion, Registration
    from regional.sessions.models import TrainingSession

    horizon = today + timedelta(days=60)
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

    def flush(final: bool = False) -> None:
        nonlocal session_rows, reg_rows, comp_rows
        if session_rows and (final or reg_rows):
            conn.execute(insert(sessions_t), session_rows)
            session_rows = []
        if reg_rows and (final or len(reg_rows) >= BATCH):
            conn.execute(insert(regs_t), reg_rows)
            reg_rows = []
            if comp_rows:
                conn.execute(insert(comps_t), comp_rows)
                comp_rows = []

    for (code, fy), group in sorted(by_key.items()):
        p = programs[code]
        rng.shuffle(group)
        elearning = p["delivery"] == "elearning"
        n_sessions = 1 if elearning else max(1, math.ceil(len(group) / (CLASS_SEATS - 5)))
        # An e-learning course is one session: a window open from April for the whole year.
        days = [date(fy, 4, 10)] if elearning else _session_days(fy, n_sessions, rng)
        days = [d for d in days if d <= horizon]
        # Far-off sessions are not scheduled yet; the year's people share the ones that are.
        seats_each = max(CLASS_SEATS, math.ceil(len(group) / max(len(days), 1)))
        sids = []
        for day in days:
            sid = next_session
            next_session += 1
            starts = _at(day, 10)
            session_rows.append(
                dict(
                    id=sid,
                    program_id=p["id"],
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=max(1, int(p["hours"]))),
                    venue="" if elearning else "岡山市役所 本庁舎 第1会議室",
                    online_url=None,
                    capacity=100_000 if elearning else seats_each,
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
            )
            sids.append((sid, day))
            counts["sessions"] += 1
        if not sids:
            continue
        for k, (employee_id, municipality_id, _code, _fy) in enumerate(group):
            sid, day = sids[k % len(sids)]
            if day > horizon:
                continue
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
                if elearning:  # taken any day of the year up to today
                    last = min(date(fy + 1, 3, 31), today - timedelta(days=1))
                    done = day + timedelta(days=rng.randrange(max(1, (last - day).days + 1)))
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
        flush()
    flush(final=True)
    for sid, n in seats.items():
        conn.execute(update(sessions_t).where(sessions_t.c.id == sid).values(seats_taken=n))
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
