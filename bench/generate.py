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
* ``warm_app`` / ``warm_bare``: large, for warming the workers up before timing;
* ``app`` / ``bare``: ``--sessions`` sessions each with a capacity no run can
  fill, so every timed request takes a real seat. Request ``i`` of a run uses
  employee ``i mod N`` and session ``i div N``: no (session, employee) pair
  repeats, so no request of a run is a 409.

Outputs in ``--out``: ``tokens.tsv`` (``employee_id<TAB>municipality_id<TAB>token``,
in a shuffled but fixed order that mixes municipalities) with bearer tokens
minted by ``regional.auth.tokens.api_token`` (no HTTP sign-in, no argon2 per
token), and ``plan.json`` with the session ids and counts.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-okayama-2024"  # noqa: S105  (bench data only)
PROGRAM_CODE = "CORE-DT-102"
BATCH = 2000

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
DEPARTMENTS = [
    "総務局",
    "財政局",
    "市民生活局",
    "保健福祉局",
    "子ども未来局",
    "環境局",
    "産業観光局",
    "都市整備局",
    "下水道河川局",
    "教育委員会事務局",
    "消防局",
    "水道局",
    "会計課",
    "議会事務局",
]
DIVISIONS = ["総務課", "企画課", "デジタル推進課", "管理課", "事業課", "調整課"]
SECTIONS = ["庶務係", "企画係", "管理係", "事業係"]
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


def _org_units(municipality_id: int, staff: int) -> list[int]:
    """Departments, divisions and sections sized to the staff; returns the section ids."""
    from regional.extensions import db
    from tenants.models import OrgLevel, OrgUnit
    from tenants.scoping import acting_as

    n_depts = max(2, min(len(DEPARTMENTS), staff // 400 + 2))
    sections: list[OrgUnit] = []
    with acting_as(db.session, municipality_id):
        for dname in DEPARTMENTS[:n_depts]:
            dept = OrgUnit(municipality_id=municipality_id, name=dname, level=OrgLevel.DEPARTMENT)
            db.session.add(dept)
            db.session.flush()
            for vname in DIVISIONS[: 3 if staff < 300 else 6]:
                div = OrgUnit(
                    municipality_id=municipality_id,
                    name=vname,
                    level=OrgLevel.DIVISION,
                    parent_id=dept.id,
                )
                db.session.add(div)
                db.session.flush()
                for sname in SECTIONS[: 2 if staff < 300 else 4]:
                    sec = OrgUnit(
                        municipality_id=municipality_id,
                        name=sname,
                        level=OrgLevel.SECTION,
                        parent_id=div.id,
                    )
                    db.session.add(sec)
                    sections.append(sec)
        db.session.flush()
    return [s.id for s in sections]


def _insert_staff(n: int, password_hash: str, rng: random.Random) -> dict[int, int]:
    """Bulk-insert ``n`` employees (Core, explicit municipality_id); returns staff per member."""
    from sqlalchemy import insert, select

    from regional.extensions import db
    from regional.fiscal import now_utc
    from regional.people.models import User
    from tenants.models import Municipality

    members = list(db.session.scalars(select(Municipality).order_by(Municipality.id)))
    counts = _spread(n, {m.id: m.population or 1000 for m in members})
    jobs, weights = zip(*JOBS, strict=True)
    table = User.__table__
    now = now_utc()
    rows: list[dict] = []
    for m in members:
        sections = _org_units(m.id, counts[m.id])
        domain = (m.email_domains or [f"{m.code}.lg.jp"])[0]
        for k in range(counts[m.id]):
            role = "employee"
            if k == 0:
                role = "regional_admin" if m.coordinating else "coordinator"
            job = rng.choices(jobs, weights)[0]
            rows.append(
                dict(
                    municipality_id=m.id,
                    email=f"staff{k + 1:05d}@{domain}",
                    name=f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                    employee_number=f"{m.code[:2]}{k + 1:06d}",
                    job_category=job,
                    org_unit_id=rng.choice(sections),
                    role=role,
                    status="active",
                    system_duty=job == "technical" and rng.random() < 0.3,
                    password_hash=password_hash,
                    session_version=1,
                    calendar_token=secrets.token_urlsafe(32),
                    locale="en" if rng.random() < 0.03 else None,
                    created_at=now,
                )
            )
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start : start + BATCH])
    return counts


def _sessions(n_each: int) -> dict[str, list[int]]:
    from sqlalchemy import select

    from regional.catalogue.models import Program
    from regional.extensions import db
    from regional.fiscal import now_utc
    from regional.sessions.models import TrainingSession

    program = db.session.scalar(select(Program).where(Program.code == PROGRAM_CODE))
    base = now_utc().replace(hour=0, minute=30, second=0, microsecond=0) + timedelta(days=30)
    day = iter(range(10_000))

    def make(capacity: int) -> int:
        starts = base + timedelta(days=next(day))
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


def generate(employees: int, sessions: int, out: Path, seed: int = 20240401) -> dict:
    from regional import create_app
    from regional.auth.passwords import hash_password
    from regional.catalogue.services import load_policy_catalogue
    from regional.extensions import db
    from tenants.region import load_region

    rng = random.Random(seed)
    app = create_app()
    t0 = time.monotonic()
    with app.app_context():
        load_region(db.session, ROOT / "tenants" / "data" / "okayama.toml")
        load_policy_catalogue()
        db.session.commit()
        password_hash = hash_password(PASSWORD)  # once, reused for every row
        counts = _insert_staff(employees, password_hash, rng)
        plan_sessions = _sessions(sessions)
        db.session.commit()
        tokens = _tokens(rng)
        db.session.rollback()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "tokens.tsv", "w") as fh:
        for uid, mid, token in tokens:
            fh.write(f"{uid}\t{mid}\t{token}\n")
    plan = {
        "employees": len(tokens),
        "staff_by_municipality_id": counts,
        "sessions": plan_sessions,
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
    args = ap.parse_args(argv)
    if not 600 <= args.employees <= 200_000:
        ap.error("--employees must be between 600 and 200000")
    if not 1 <= args.sessions <= 1000:
        ap.error("--sessions must be between 1 and 1000")
    plan = generate(args.employees, args.sessions, args.out)
    print(  # noqa: T201
        f"generated {plan['employees']} employees, "
        f"{sum(len(v) for v in plan['sessions'].values())} sessions in {plan['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
