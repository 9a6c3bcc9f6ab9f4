"""Staff roster import benchmark: 10,000 rows previewed and committed, then a 1,000-row update.

For each database (SQLite file, PostgreSQL) this builds a fresh schema from the
migrations and the region, writes a 10,000-person roster as Excel writes it
(CP932 CSV; departments, divisions and sections), and then, in a fresh worker
process, sends it through the real API route (``POST /api/v1/municipalities/
331007/roster`` via Flask's test client: multipart upload, reading, planning,
applying, audit, commit):

1. preview of the 10,000 rows (nothing exists yet: all created, ~1,000 units);
2. commit of the same file;
3. a 1,000-row update of that roster (500 people moved to another section,
   500 renamed), previewed and committed;
4. the floor: the same 10,000 people inserted bare (one Core ``INSERT ...
   executemany`` with the same columns, in a fresh member) and committed.

The worker prints its peak resident memory (``ru_maxrss``). Run:

    .venv/bin/python bench/roster.py                 # both databases
    .venv/bin/python bench/roster.py --db sqlite --rows 10000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/regional_bench_roster"
)
CODE, DOMAIN = "331007", "city.okayama.lg.jp"
BARE_CODE = "332038"

FAMILY = [
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
    "清水",
    "山崎",
]
GIVEN = [
    "太郎",
    "花子",
    "一郎",
    "恵子",
    "健",
    "真由美",
    "翔",
    "陽子",
    "大輔",
    "美咲",
    "亮",
    "愛",
    "誠",
    "彩",
    "拓也",
    "結衣",
]
DEPTS = [
    f"{n}部"
    for n in [
        "総務",
        "企画",
        "財政",
        "市民生活",
        "環境",
        "保健福祉",
        "子ども",
        "経済",
        "農林水産",
        "都市整備",
        "建設",
        "下水道",
        "教育",
        "消防",
        "水道",
    ]
]
DIVS = ["総務課", "企画課", "管理課", "事業課", "調整室"]
SECTS = ["庶務係", "企画係", "管理係", "推進担当"]
JOBS = ["行政職"] * 6 + ["技術職", "福祉職", "技能労務職", "消防職"]


def roster_rows(n: int, seed: int = 7) -> list[list[str]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        unit = f"{rnd.choice(DEPTS)}/{rnd.choice(DIVS)}/{rnd.choice(SECTS)}"
        name = f"{rnd.choice(FAMILY)} {rnd.choice(GIVEN)}"
        rows.append([f"{100000 + i:06d}", name, f"staff{i:05d}@{DOMAIN}", unit, rnd.choice(JOBS)])
    return rows


def to_cp932_csv(rows: list[list[str]]) -> bytes:
    lines = ["職員番号,氏名,メールアドレス,所属,職種"] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def updated(rows: list[list[str]], seed: int = 11) -> list[list[str]]:
    rnd = random.Random(seed)
    out = [list(r) for r in rows]
    for i in rnd.sample(range(len(out)), 1000)[:500]:
        out[i][3] = f"{rnd.choice(DEPTS)}/{rnd.choice(DIVS)}/{rnd.choice(SECTS)}"
    for i in rnd.sample(range(len(out)), 500):
        out[i][1] = out[i][1] + "（旧姓併記）"
    return out


# -- the worker (a fresh process: its peak memory is the import's) --------------------


def worker(db_url: str, rows_n: int) -> dict:
    os.environ.update(DATABASE_URL=db_url, REGIONAL_ENV="production", SECRET_KEY="bench-roster")
    os.environ["SESSION_COOKIE_SECURE"] = "0"
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert, select

    from regional import create_app
    from regional.auth.tokens import api_token
    from regional.extensions import db
    from regional.people.models import Role, User
    from tenants.models import Municipality
    from tenants.scoping import acting_as

    app = create_app({"MAIL_DELIVERY": "deferred"})
    rows = roster_rows(rows_n)
    first, second = to_cp932_csv(rows), to_cp932_csv(updated(rows))
    with app.app_context():
        muni = db.session.scalar(select(Municipality).where(Municipality.code == CODE))
        with acting_as(db.session, muni.id):
            admin = User(email=f"bench.admin@{DOMAIN}", name="計測 管理", role=Role.REGIONAL_ADMIN)
            db.session.add(admin)
            db.session.commit()
            token, _ = api_token(admin)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def post(data: bytes, **query) -> tuple[float, dict]:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        t0 = time.perf_counter()
        resp = client.post(
            f"/api/v1/municipalities/{CODE}/roster?{qs}",
            data={"file": (io.BytesIO(data), "roster.csv")},
            content_type="multipart/form-data",
            headers=headers,
        )
        elapsed = time.perf_counter() - t0
        body = resp.get_json()
        assert resp.status_code == 200 and not body["errors"], (resp.status_code, body)
        return elapsed, body

    out: dict = {"rows": rows_n, "bytes": len(first)}
    out["preview_s"], body = post(first)
    out["created"], out["units"] = body["created"], len(body["units_created"])
    out["commit_s"], _ = post(first, commit="true")
    out["update_preview_s"], body = post(second)
    out["update_changed"], out["update_moved"] = body["updated"], body["moved"]
    out["update_commit_s"], _ = post(second, commit="true")
    out["reimport_preview_s"], body = post(second)
    out["reimport_unchanged"] = body["unchanged"]
    with app.app_context():
        bare = db.session.scalar(select(Municipality).where(Municipality.code == BARE_CODE))
        values = [
            {
                "municipality_id": bare.id,
                "email": f"bare{i:05d}@city.tsuyama.lg.jp",
                "name": r[1],
                "employee_number": r[0],
                "job_category": "administrative",
                "role": "employee",
                "status": "active",
                "system_duty": False,
                "session_version": 1,
                "calendar_token": f"bare-{i:05d}-" + "x" * 20,
                "created_at": __import__("datetime").datetime.now(__import__("datetime").UTC),
            }
            for i, r in enumerate(rows)
        ]
        t0 = time.perf_counter()
        db.session.execute(insert(User.__table__), values)
        db.session.commit()
        out["bare_insert_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


# -- the driver ------------------------------------------------------------------------


def prepare(kind: str, pg_url: str) -> str:
    env = {**os.environ, "REGIONAL_ENV": "development"}
    if kind == "sqlite":
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / "roster.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        parsed = make_url(pg_url)
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
        url = pg_url
    env["DATABASE_URL"] = url
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for cmd in (["db", "upgrade"], ["seed-region"]):
        subprocess.run(flask + cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return url


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows)))
        return 0
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    lines = []
    for kind in kinds:
        url = prepare(kind, args.pg_url)
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", url, "--rows", str(args.rows)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        lines.append(
            f"{kind:8} {r['rows']} rows ({r['bytes'] / 1024:.0f} KB, {r['units']} new units): "
            f"preview {r['preview_s']:.2f} s, commit {r['commit_s']:.2f} s "
            f"(bare insert {r['bare_insert_s']:.2f} s); "
            f"1,000-row update: preview {r['update_preview_s']:.2f} s, "
            f"commit {r['update_commit_s']:.2f} s ({r['update_changed']} updated, "
            f"{r['update_moved']} moved); re-import preview {r['reimport_preview_s']:.2f} s "
            f"({r['reimport_unchanged']} unchanged); worker peak RSS {r['peak_rss_mb']:.0f} MB"
        )
        print(lines[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "roster.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
