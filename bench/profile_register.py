"""The cost of one registration in counts that do not drift with the machine's load.

    .venv/bin/python bench/profile_register.py [--rev REV] [--history] [--n 200]
        [--history-years 5] [--history-times 1]

On a fresh SQLite file (schema by the migrations of the app measured, data by
``generate.py``, with ``--history`` the ``--history-years`` fiscal years ending
today, ``--history-times`` K times over, as ``run.py --history`` loads them), one
process registers ``--n`` distinct employees for one session through the
Flask test client and the real API route, and reports per registration:

* **Python function calls** (cProfile's total), a proxy for CPU time;
* **SQL statements** sent (``before_cursor_execute``);
* **SQLite VM steps** (the progress handler, every 100 instructions): the
  database's own work, which is where an index that fits the query shows.

Wall-clock throughput (``run.py``) on two shared cores moves with everyone
else's load; these counts repeat exactly. ``--rev`` measures a clean export of a
commit (into a temporary folder, with that commit's own generator; the history
options need a commit whose generator knows them); every
database gets ``ANALYZE`` before the measurement (``--no-analyze``: its
statistics are dropped instead, as on a database that never had any).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PY = str(ROOT / ".venv" / "bin" / "python")
FLASK = str(ROOT / ".venv" / "bin" / "flask")

MEASURE = r"""
import collections, cProfile, json, pstats, sys
sys.path.insert(0, ".")
from sqlalchemy import event
from wsgi import app
from regional.extensions import db

data, n = sys.argv[1], int(sys.argv[2])
plan = json.load(open(f"{data}/plan.json"))
tokens = [line.rstrip("\n").split("\t") for line in open(f"{data}/tokens.tsv")]
session_id = plan["sessions"]["app"][0]
warm_id = plan["sessions"]["warm_app"][0]
client = app.test_client()

def post(sid, token):
    return client.post(
        f"/api/v1/sessions/{sid}/registrations", json={},
        headers={"Authorization": f"Bearer {token}"},
    ).status_code

for _uid, _mid, token in tokens[:5]:
    post(warm_id, token)  # imports, templates, the connection: not counted
with app.app_context():
    engine = db.engine
statements, steps = [0], [0]

def on_statement(*_a):
    statements[0] += 1

def on_step():
    steps[0] += 100
    return 0

def on_checkout(dbapi_conn, *_a):
    dbapi_conn.set_progress_handler(on_step, 100)

event.listen(engine, "before_cursor_execute", on_statement)
event.listen(engine.pool, "checkout", on_checkout)
codes = collections.Counter()
prof = cProfile.Profile()
prof.enable()
for _uid, _mid, token in tokens[5 : 5 + n]:
    codes[post(session_id, token)] += 1
prof.disable()
calls = pstats.Stats(prof).total_calls
print(json.dumps({
    "n": n, "codes": dict(codes), "calls": calls / n,
    "statements": statements[0] / n, "vm_steps": steps[0] / n,
}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", default=None, help="measure this commit (a clean export)")
    ap.add_argument(
        "--history", action="store_true", help="the fiscal years of history ending today"
    )
    ap.add_argument(
        "--history-years",
        type=int,
        default=None,
        help="fiscal years of history, ending with today's (default 5; implies --history)",
    )
    ap.add_argument(
        "--history-times",
        type=int,
        default=None,
        help="K times the history's volume per year (default 1; implies --history)",
    )
    ap.add_argument("--n", type=int, default=200, help="registrations measured")
    ap.add_argument(
        "--no-analyze", action="store_true", help="no planner statistics (drop sqlite_stat1)"
    )
    ap.add_argument("--employees", type=int, default=12_000)
    args = ap.parse_args(argv)
    if not 10 <= args.n <= 2000:
        ap.error("--n must be 10..2000")
    if args.history_years is not None or args.history_times is not None:
        args.history = True
    history = []
    if args.history:
        history = ["--history", "--today", time.strftime("%Y-%m-%d")]
        if args.history_years is not None:
            history += ["--history-years", str(args.history_years)]
        if args.history_times is not None:
            history += ["--history-times", str(args.history_times)]
    tmp = Path(tempfile.mkdtemp(prefix="regional-profile-"))
    try:
        src = ROOT
        if args.rev:
            src = tmp / "src"
            src.mkdir()
            archive = subprocess.run(
                ["git", "archive", "--format=tar", args.rev],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True, timeout=120)
        env = dict(os.environ)
        env.update(
            REGIONAL_ENV="production",
            SECRET_KEY="bench-only-secret-key-not-for-production-4f2a9c",
            DATABASE_URL=f"sqlite:///{tmp / 'profile.sqlite3'}",
            MAIL_DELIVERY="deferred",
            SESSION_COOKIE_SECURE="0",
        )
        env.pop("TEST_DATABASE_URL", None)
        t0 = time.monotonic()
        subprocess.run(
            [FLASK, "--app", "wsgi", "db", "upgrade"],
            cwd=src,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        gen = subprocess.run(
            [PY, "bench/generate.py", "--employees", str(args.employees), "--sessions", "2"]
            + ["--out", str(tmp / "data"), *history],
            cwd=src,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=900 + 300 * (args.history_times or 1 if args.history else 0),
        )
        # Planner statistics for every commit alike (older generators did not refresh them),
        # or none at all (--no-analyze: as a database that never had them).
        with sqlite3.connect(tmp / "profile.sqlite3") as conn:
            conn.execute("DROP TABLE IF EXISTS sqlite_stat1" if args.no_analyze else "ANALYZE")
        out = subprocess.run(
            [PY, "-c", MEASURE, str(tmp / "data"), str(args.n)],
            cwd=src,
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=900,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        what = args.rev or "working tree"
        print(
            f"{what}{' + history' if args.history else ''}{''.join(' ' + a for a in history[3:])}"
            f"{', no statistics' if args.no_analyze else ''}: {gen.stdout.strip()}\n"
            f"  per registration ({result['n']} measured, replies {result['codes']}): "
            f"{result['calls']:,.0f} Python calls, {result['statements']:.1f} SQL statements, "
            f"{result['vm_steps']:,.0f} SQLite VM steps ({time.monotonic() - t0:.0f} s in all)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
