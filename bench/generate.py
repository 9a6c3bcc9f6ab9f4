"""Realistic data for the registration benchmark: the region, its staff, and the sessions.

Run with the app's environment set (``DATABASE_URL``, ``SECRET_KEY``, ``REGIONAL_ENV``)
after ``flask --app wsgi db upgrade`` has built the schema::

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 SECRET_KEY=... \\
        .venv/bin/python bench/generate.py --employees 12000 --out bench/results/data

It loads the 13 members from ``tenants/data/okayama.toml`` and the policy's
catalogue, then spreads ``--employees`` staff over the municipalities by
population (about 12,000 staff region-wide is realistic), each in a section
(係) of a division (課) of a department (部/局). Everyone gets the same
password, hashed ONCE with the real Argon2id hasher (hashing 12,000 passwords
would take minutes); the string is reused for every row.

Staff rows are bulk-inserted with SQLAlchemy Core: this is a data generator,
not application code, so it sets ``municipality_id`` (and every other column)
explicitly instead of going through the tenant-scoped ORM session.

Sessions (all of CORE-DT-102, a classroom programme open to every job category,
each on its own day so that no two overlap for the same person):

* ``burst``: 40 seats, for the burst measurement;
* ``warm_app`` / ``warm_bare`` / ``warm_floor``: large, for warming the workers up before timing;
* ``app`` / ``bare`` / ``floor`` (the Flask floor): ``--sessions`` sessions each with a capacity no run can
  fill, so every timed request takes a real seat. Request ``i`` of a run uses
  employee ``i mod N`` and session ``i div N``: no (session, employee) pair
  repeats, so no request of a run is a 409.

With ``--history`` (``bench/history.py``): the ``--history-years`` fiscal years (default
five) ENDING with the fiscal year of ``--today``, up to that day (and the next 60 days'
sessions with their enrolled registrations), at ``--history-times`` K times the volume
per year for the same staff (K rounds of every planned take; per-person and per-member
indexes hold K times the rows). ``--today`` defaults to 31 March 2029 (FY2024..FY2028 on
record: the progress benchmark); the registration benchmark passes the real today so that
nothing lies beyond it but the next 60 days. No history session is put on a day of the
timed sessions, so a timed registration never meets an overlapping seat.

Outputs in ``--out``: ``coordinators.tsv`` (``user_id<TAB>municipality_id<TAB>code<TAB>token``,
one line per member's coordinator, for the fault runs' write paths), ``tokens.tsv`` (``employee_id<TAB>municipality_id<TAB>token``,
in a shuffled but fixed order that mixes municipalities) with bearer tokens
minted by ``regional.auth.tokens.api_token`` (no HTTP sign-in, no argon2 per
token), and ``plan.json`` with the session ids and counts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _p in (ROOT, ROOT / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

PASSWORD = "bench-password-okayama-2024"  # bench data only
PROGRAM_CODE = "CORE-DT-102"
BATCH = 2000
#: The history's reference day: the end of FY2028, so the five fiscal years from FY2024
#: (the whole plan period of every target) are on record. ``--today`` moves it; the
#: history is the ``--history-years`` fiscal years ending with the one of that day.
HISTORY_END = date(2029, 3, 31)
#: The timed sessions start this many days from now, one a day.
TIMED_FROM_DAYS = 30

SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "藤原",
    "岡田",
    "三宅",
    "難波",
    "藤井",
    "小野",
    "片山",
    "守屋",
    "原田",
]
GIVEN = [
    "太郎",
    "次郎",
    "健一",
    "誠",
    "翔太",
    "大輔",
    "直樹",
    "拓也",
    "和也",
    "浩二",
    "花子",
    "陽子",
    "美咲",
    "直美",
    "恵子",
    "由美",
    "彩",
    "真由美",
    "裕子",
    "智子",
    "愛",
    "舞",
    "優子",
    "亜希子",
    "健太",
    "亮",
    "隆",
    "修",
    "学",
    "聡",
]
JOBS = (
    ("administrative", 55),
    ("technical", 12),
    ("welfare", 9),
    ("medical", 4),
    ("firefighting", 8),
    ("education", 6),
    ("labor", 3),
    ("other", 3),
)


def _spread(total: int, populations: dict[int, int], minimum: int = 20) -> dict[int, int]:
    """Staff per municipality, proportional to population, at least ``minimum`` each."""
    pop = sum(populations.values())
    counts = {m: max(minimum, round(total * p / pop)) for m, p in populations.items()}
    largest = max(populations, key=populations.get)
    counts[largest] += total - sum(counts.values())
    return counts


def _org_units(conn, municipality_id: int, staff: int, rng: random.Random):
    """A realistic 部 > 課 > 係 tree sized to the staff (see ``orgtree.py``); returns it."""
    from orgtree import build_tree
    from sqlalchemy import func, insert, select

    from tenants.models import OrgUnit

    table = OrgUnit.__table__
    start = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
    counter = iter(range(start, 10**9))
    tree = build_tree(municipality_id, staff, lambda: next(counter), rng)
    for level in ("department", "division", "section"):  # parents before children
        rows = [r for r in tree.rows if r["level"] == level]
        for i in range(0, len(rows), BATCH):
            conn.execute(insert(table), rows[i : i + BATCH])
    return tree


def _insert_staff(
    n: int, password_hash: str, rng: random.Random
) -> tuple[dict[int, int], dict[int, list[tuple]]]:
    """Bulk-insert ``n`` employees (Core, explicit ids and municipality_id).

    Returns staff per member and, per member, (id, municipality_id, job, in an IT unit)
    for the history generator. About one in ten sits in a division directly (課長,
    課付), the others in a section.
    """
    from sqlalchemy import func, insert, select

    from regional.extensions import db
    from regional.fiscal import now_utc
    from regional.people.models import User
    from tenants.models import Municipality

    conn = db.session.connection()
    members = list(db.session.scalars(select(Municipality).order_by(Municipality.id)))
    counts = _spread(n, {m.id: m.population or 1000 for m in members})
    jobs, weights = zip(*JOBS, strict=True)
    table = User.__table__
    now = now_utc()
    next_id = (conn.scalar(select(func.max(table.c.id))) or 0) + 1
    staff: dict[int, list[tuple]] = {}
    for m in members:
        tree = _org_units(conn, m.id, counts[m.id], rng)
        domain = (m.email_domains or [f"{m.code}.lg.jp"])[0]
        rows: list[dict] = []
        staff[m.id] = []
        for k in range(counts[m.id]):
            role = "employee"
            if k == 0:
                role = "regional_admin" if m.coordinating else "coordinator"
            job = rng.choices(jobs, weights)[0]
            unit = rng.choice(tree.divisions if rng.random() < 0.1 else tree.sections)
            in_it = unit in tree.it_units
            rows.append(
                dict(
                    id=next_id,
                    municipality_id=m.id,
                    email=f"staff{k + 1:05d}@{domain}",
                    name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                    employee_number=f"{m.code[:2]}{k + 1:06d}",
                    job_category=job,
                    org_unit_id=unit,
                    role=role,
                    status="active",
                    system_duty=in_it or (job == "technical" and rng.random() < 0.3),
                    password_hash=password_hash,
                    session_version=1,
                    calendar_token=secrets.token_urlsafe(32),
                    locale="en" if rng.random() < 0.03 else None,
                    created_at=now,
                )
            )
            staff[m.id].append((next_id, m.id, job, in_it))
            next_id += 1
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(table), rows[start : start + BATCH])
    return counts, staff


def _history(
    staff: dict[int, list[tuple]],
    today: date,
    rng: random.Random,
    *,
    years: int,
    times: int,
    avoid: set[date],
) -> dict:
    """``years`` fiscal years of sessions, registrations and completions ending with the
    one of ``today``, ``times`` times over, none on a day of ``avoid`` (``history.py``)."""
    from history import generate_history, history_span, plan_takes, program_facts

    from regional.extensions import db

    conn = db.session.connection()
    first_fy, last_fy = history_span(today, years)
    okayama = max(len(v) for v in staff.values()) or 1
    scale = okayama / 7500  # the policy's numbers are Okayama City's, at ~7,500 staff
    takes: list[tuple] = []
    for people in staff.values():
        takes += plan_takes(people, len(people) / okayama * scale, rng, first_fy, years)
    counts = generate_history(
        conn, program_facts(conn), takes, today, rng, times=times, avoid=avoid
    )
    return dict(
        counts,
        first_fy=first_fy,
        last_fy=last_fy,
        today=today.isoformat(),
        years=years,
        times=times,
    )


def _targets(counts: dict[int, int]) -> int:
    """Every member gets the policy's six targets (Okayama City's, ``policy_targets.toml``),
    scaled by its staff over Okayama's ~7,500 (the ratio the policy's numbers assume)."""
    import tomllib

    from sqlalchemy import insert

    from regional.extensions import db
    from regional.fiscal import now_utc
    from regional.targets.measures import load_default_measures
    from regional.targets.models import Target

    load_default_measures(db.session)
    rows = tomllib.loads(
        (ROOT / "regional" / "targets" / "data" / "policy_targets.toml").read_text("utf-8")
    )["target"]
    out = []
    for mid, staff in counts.items():
        share = staff / 7500
        for r in rows:
            population = r.get("population")
            out.append(
                dict(
                    municipality_id=mid,
                    key=r["key"],
                    kind=r["kind"],
                    target=max(1, round(r["target"] * share)),
                    period_start_fy=r["period_start_fy"],
                    period_end_fy=r.get("period_end_fy"),
                    population=None if population is None else max(1, round(population * share)),
                    updated_at=now_utc(),
                )
            )
    db.session.execute(insert(Target.__table__), out)
    return len(out)


def _fix_sequences() -> None:
    """PostgreSQL: rows were inserted with explicit ids, so move the id sequences past them."""
    from sqlalchemy import text

    from regional.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in ("org_units", "users", "training_sessions", "registrations", "completions"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )


def _timed_starts(n_each: int) -> list:
    """When the timed sessions start (UTC, 09:30 in Tokyo): one a day from 30 days on.

    Computed once, before the history, so that the history can keep off their days
    (also when generating runs past midnight)."""
    from regional.fiscal import now_utc

    base = now_utc().replace(hour=0, minute=30, second=0, microsecond=0)
    base += timedelta(days=TIMED_FROM_DAYS)
    return [base + timedelta(days=k) for k in range(4 + 3 * n_each)]


def _timed_days(starts: list) -> set[date]:
    """The days (in Tokyo, where the history's days are) of the timed sessions."""
    from history import TOKYO

    return {s.astimezone(TOKYO).date() for s in starts}


def _sessions(n_each: int, timed_starts: list) -> dict[str, list[int]]:
    from sqlalchemy import select

    from regional.catalogue.models import Program
    from regional.extensions import db
    from regional.fiscal import now_utc
    from regional.sessions.models import TrainingSession

    program = db.session.scalar(select(Program).where(Program.code == PROGRAM_CODE))
    day = iter(timed_starts)

    def make(capacity: int) -> int:
        starts = next(day)
        ts = TrainingSession(
            program_id=program.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            venue="岡山市役所 本庁舎 第1会議室",
            capacity=capacity,
            registration_opens_at=now_utc() - timedelta(days=1),
            registration_closes_at=starts - timedelta(days=1),
            cancellation_deadline=starts - timedelta(days=3),
        )
        db.session.add(ts)
        db.session.flush()
        return ts.id

    big = 1_000_000  # no run fills it: every timed request takes a real seat
    return {
        "burst": [make(40)],
        "warm_app": [make(big)],
        "warm_bare": [make(big)],
        "app": [make(big) for _ in range(n_each)],
        "bare": [make(big) for _ in range(n_each)],
        # bench/flask_floor.py (issue 11): created last, so the ids of the others stay as they were
        "warm_floor": [make(big)],
        "floor": [make(big) for _ in range(n_each)],
    }


def _tokens(rng: random.Random) -> list[tuple[int, int, str]]:
    from sqlalchemy import select

    from regional.auth.tokens import api_token
    from regional.extensions import db
    from regional.people.models import Role, User
    from tenants import all_tenants

    with all_tenants(db.session):
        users = list(
            db.session.scalars(select(User).where(User.role == Role.EMPLOYEE).order_by(User.id))
        )
        out = [(u.id, u.municipality_id, api_token(u)[0]) for u in users]
    rng.shuffle(out)
    return out


def _coordinator_tokens() -> list[tuple[int, int, str, str]]:
    """(user id, municipality id, municipality code, token) of every member's coordinator(s)."""
    from sqlalchemy import select

    from regional.auth.tokens import api_token
    from regional.extensions import db
    from regional.people.models import Role, User
    from tenants import all_tenants
    from tenants.models import Municipality

    with all_tenants(db.session):
        codes = dict(db.session.execute(select(Municipality.id, Municipality.code)).all())
        users = db.session.scalars(
            select(User).where(User.role == Role.COORDINATOR).order_by(User.id)
        )
        return [(u.id, u.municipality_id, codes[u.municipality_id], api_token(u)[0]) for u in users]


def generate(
    employees: int,
    sessions: int,
    out: Path,
    seed: int = 20240401,
    *,
    with_history: bool = False,
    today: date | None = None,
    history_years: int = 5,
    history_times: int = 1,
    with_tokens: bool = True,
    with_targets: bool = False,
) -> dict:
    from regional import create_app
    from regional.auth.passwords import hash_password
    from regional.catalogue.services import load_policy_catalogue
    from regional.extensions import db
    from tenants.region import load_region

    rng = random.Random(seed)
    # Written as the tables' owner where there is one (explicit ids, then the sequences
    # moved past them): the data of a benchmark, not the served application.
    owner = os.environ.get("MIGRATION_DATABASE_URL")
    app = create_app(
        {"CHECK_DATABASE_ROLE": False, **({"SQLALCHEMY_DATABASE_URI": owner} if owner else {})}
    )
    t0 = time.monotonic()
    with app.app_context():
        load_region(db.session, ROOT / "tenants" / "data" / "okayama.toml")
        load_policy_catalogue()
        db.session.commit()
        password_hash = hash_password(PASSWORD)  # once, reused for every row
        counts, staff = _insert_staff(employees, password_hash, rng)
        timed_starts = _timed_starts(sessions)
        history = {}
        if with_history:
            history = _history(
                staff,
                today or HISTORY_END,
                rng,
                years=history_years,
                times=history_times,
                avoid=_timed_days(timed_starts),
            )
        if with_history:
            # The history went in with bulk inserts, past the ORM's flush hooks: the
            # progress figures (regional.targets.tallies) are computed once from it.
            from regional.targets.tallies import rebuild

            rebuild(db.session.connection())
        if with_targets:
            history["targets"] = _targets(counts)
        _fix_sequences()
        plan_sessions = _sessions(sessions, timed_starts)
        db.session.commit()
        tokens = _tokens(rng) if with_tokens else []
        coordinators = _coordinator_tokens() if with_tokens else []
        db.session.rollback()
        # Fresh planner statistics, as seed-region and seed-demo leave them (inline, so that
        # a --rev export of an older commit gets the same treatment).
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "tokens.tsv", "w") as fh:
        for uid, mid, token in tokens:
            fh.write(f"{uid}\t{mid}\t{token}\n")
    with open(out / "coordinators.tsv", "w") as fh:
        for uid, mid, code, token in coordinators:
            fh.write(f"{uid}\t{mid}\t{code}\t{token}\n")
    plan = {
        "employees": len(tokens) or sum(counts.values()),
        "staff_by_municipality_id": counts,
        "sessions": plan_sessions,
        "history": history,
        "password": PASSWORD,
        "seconds": round(time.monotonic() - t0, 1),
    }
    (out / "plan.json").write_text(json.dumps(plan, indent=1))
    return plan


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--employees", type=int, default=12_000)
    ap.add_argument("--sessions", type=int, default=8, help="timed sessions per target")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "data")
    ap.add_argument(
        "--history",
        action="store_true",
        help="also fiscal years of sessions, registrations and completions (history.py)",
    )
    ap.add_argument(
        "--history-years",
        type=int,
        default=None,
        help="fiscal years of history, ending with the one of --today (default 5; "
        "implies --history)",
    )
    ap.add_argument(
        "--history-times",
        type=int,
        default=None,
        help="K times the history's volume per year, same staff (default 1; implies --history)",
    )
    ap.add_argument(
        "--scale", type=int, default=1, help="multiply --employees (10: the x10 benchmark)"
    )
    ap.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the history's reference day (default 2029-03-31)",
    )
    ap.add_argument("--no-tokens", action="store_true", help="skip minting bearer tokens")
    ap.add_argument(
        "--targets", action="store_true", help="the policy's six targets for every member"
    )
    args = ap.parse_args(argv)
    from history import MAX_TIMES

    args.employees *= args.scale
    if args.history_years is not None or args.history_times is not None:
        args.history = True
    args.history_years = 5 if args.history_years is None else args.history_years
    args.history_times = 1 if args.history_times is None else args.history_times
    if not 1 <= args.history_years <= 20:
        ap.error("--history-years must be between 1 and 20")
    if not 1 <= args.history_times <= MAX_TIMES:
        ap.error(f"--history-times must be between 1 and {MAX_TIMES}")
    if not 600 <= args.employees <= 200_000:
        ap.error("--employees must be between 600 and 200000")
    if not 1 <= args.sessions <= 1000:
        ap.error("--sessions must be between 1 and 1000")
    plan = generate(
        args.employees,
        args.sessions,
        args.out,
        with_history=args.history,
        today=args.today,
        history_years=args.history_years,
        history_times=args.history_times,
        with_tokens=not args.no_tokens,
        with_targets=args.targets,
    )
    print(
        f"generated {plan['employees']} employees, "
        f"{sum(len(v) for v in plan['sessions'].values())} sessions, history {plan['history']} "
        f"in {plan['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
