"""The progress benchmark: dashboards, the progress API and their bare SQL, at 1x and 10x.

    .venv/bin/python bench/progress_bench.py [--db sqlite|postgres|both] [--scale 1 10]
                                             [--requests 20] [--reuse]

For each scale and database, in one run:

1. a database built by the real migrations, filled by ``generate.py --history``
   (12,000 staff × scale, five fiscal years from FY2024: about 150,000
   registrations and completions × scale) and every member given the policy's six
   targets scaled to its staff (``--reuse`` keeps a database already generated for
   that scale: the 10x generation takes minutes);
2. one gunicorn worker (sync, production settings) on loopback;
3. timed one after the other, each ``--requests`` times after two warm-up calls,
   one request at a time: the regional dashboard, Okayama City's dashboard, the
   progress API for Okayama City, and, in this process, the bare SQL aggregate the
   regional dashboard needs (the same counts with hand-written SQL, no ORM, no
   rendering);
4. the worker's peak resident memory (``VmHWM`` of its ``/proc`` status).

Printed and written to ``bench/results/progress-latest.txt``. Only 127.0.0.1 is
targeted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PY = str(ROOT / ".venv" / "bin" / "python")
SECRET_KEY = "bench-only-secret-key-not-for-production-4f2a9c"
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
FY = 2026
OKAYAMA = "331007"
AIM_MEDIAN_MS = {1: 100.0, 10: 1000.0}
AIM_RSS_MB = 300

sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
import run  # noqa: E402
from run import HOST, Report, Server, prepare_database, runtime_url  # noqa: E402

run.WORKERS = 1  # one worker: its latency and its peak memory are what we measure


def _env(url: str) -> dict:
    """``url`` is the owner's (migrations, generation); the application serves as the runtime
    role on PostgreSQL (production refuses the owner)."""
    env = dict(os.environ)
    if not url.startswith("sqlite"):
        env["MIGRATION_DATABASE_URL"] = url
        url = runtime_url(url)
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=SECRET_KEY,
        REGIONAL_ENV="production",
        SESSION_COOKIE_SECURE="0",
        MAIL_DELIVERY="deferred",
        PYTHONPATH=str(ROOT),
    )
    return env


def _upgrade(url: str) -> None:
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
        timeout=600,
    )


def _analyze(url: str) -> None:
    """Planner statistics, as a production database would have them after a day's work."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE"))
    engine.dispose()


def build(kind: str, scale: int, report: Report, reuse: bool) -> str:
    """The database for one scale: reused when asked and already generated, else fresh."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    marker = RESULTS / f"progress-{kind}-x{scale}.done"
    if kind == "sqlite":
        path = RESULTS / f"progress-x{scale}.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = PG_BASE + f"regional_bench_progress_x{scale}"
    if reuse and marker.exists():
        report(f"  reusing the generated database ({marker.read_text().strip()})")
        _upgrade(url)  # migrations added since it was generated
        return url
    marker.unlink(missing_ok=True)
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        prepare_database("postgres", url)
    env = _env(url)
    t0 = time.monotonic()
    _upgrade(url)
    out = subprocess.run(
        [PY, str(BENCH / "generate.py"), "--history", "--no-tokens", "--scale", str(scale)]
        + ["--out", str(RESULTS / f"progress-data-x{scale}"), "--targets"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=3600,
    ).stdout.strip()
    _analyze(url)
    summary = f"{out} (total {time.monotonic() - t0:.0f} s)"
    marker.write_text(summary + "\n")
    report(f"  {summary}")
    return url


def credentials(url: str) -> tuple[str, str, str]:
    """A session cookie for Okayama's regional administrator and Okayama's coordinator,
    and a bearer token for the administrator (signed like the app's, no HTTP sign-in)."""
    os.environ.update(_env(url))
    from sqlalchemy import select

    from regional import create_app
    from regional.auth.tokens import api_token
    from regional.extensions import db
    from regional.people.models import Role, User
    from tenants import all_tenants

    app = create_app()
    with app.app_context():
        with all_tenants(db.session):
            admin = db.session.scalar(
                select(User).where(User.role == Role.REGIONAL_ADMIN).order_by(User.id)
            )
            serializer = app.session_interface.get_signing_serializer(app)
            cookie = serializer.dumps({"_user_id": admin.get_id(), "_fresh": True})
            token = api_token(admin)[0]
        db.session.rollback()
        db.engine.dispose()
    return app.config.get("SESSION_COOKIE_NAME", "session"), cookie, token


def _get(url: str, headers: dict) -> float:
    req = urllib.request.Request(url, headers=headers)
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        body = resp.read()
        if resp.status != 200 or not body:
            raise RuntimeError(f"{url}: {resp.status}")
    return (time.perf_counter() - t0) * 1000


def timed(fn, n: int) -> list[float]:
    for _ in range(2):
        fn()
    return [fn() for _ in range(n)]


def stats(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return statistics.median(ms), p95


def worker_peak_rss_mb(master_pid: int) -> float:
    """The largest VmHWM among the master's children (the one worker)."""
    peak = 0
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak / 1024


def bare_sql(url: str, which: str = "tallies"):
    """A function running the regional dashboard's reads as hand-written SQL: what it reads
    now (``tallies``: the stored figures) or the from-scratch aggregate (``scratch``)."""
    from bare_progress import region_aggregate, region_tallies
    from sqlalchemy import create_engine

    engine = create_engine(url)
    work = region_tallies if which == "tallies" else region_aggregate

    def run() -> float:
        t0 = time.perf_counter()
        with engine.connect() as conn:
            work(conn, FY)
        return (time.perf_counter() - t0) * 1000

    return run, engine


def measure(kind: str, scale: int, url: str, n: int, report: Report) -> dict:
    name, cookie, token = credentials(url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    server = Server(
        f"app-{kind}-x{scale}",
        "wsgi:app",
        _env(url),
        RESULTS / f"progress-gunicorn-{kind}-x{scale}.log",
        ["--worker-class", "sync", "--timeout", "300"],
    )
    try:
        server.wait_ready("/livez")
        page = {"Cookie": f"{name}={cookie}"}
        api = {"Authorization": f"Bearer {token}"}
        base = server.url
        targets = {
            "region": lambda: _get(f"{base}/progress/region?fy={FY}", page),
            "municipality": lambda: _get(f"{base}/progress/m/{OKAYAMA}?fy={FY}", page),
            "api": lambda: _get(
                f"{base}/api/v1/municipalities/{OKAYAMA}/progress?fiscal_year={FY}", api
            ),
        }
        out = {}
        for label, fn in targets.items():
            out[label] = stats(timed(fn, n))
        for which in ("tallies", "scratch"):
            run, engine = bare_sql(url, which)
            try:
                out["bare" if which == "tallies" else "scratch"] = stats(timed(run, n))
            finally:
                engine.dispose()
        out["rss"] = worker_peak_rss_mb(server.proc.pid)
        return out
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="keep databases already generated")
    args = ap.parse_args(argv)
    if not 3 <= args.requests <= 500:
        ap.error("--requests must be between 3 and 500")
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    report = Report()
    load = os.getloadavg()[0]
    report(
        f"progress benchmark, FY{FY}, {args.requests} sequential requests per target, "
        f"load {load:.1f}, host {HOST}"
    )
    rows = []
    for scale in args.scale:
        for kind in kinds:
            report(f"[{kind} x{scale}] building")
            url = build(kind, scale, report, args.reuse)
            r = measure(kind, scale, url, args.requests, report)
            rows.append((kind, scale, r, os.getloadavg()[0]))
            report(
                f"[{kind} x{scale}] region {r['region'][0]:.0f}/{r['region'][1]:.0f} ms, "
                f"municipality {r['municipality'][0]:.0f}/{r['municipality'][1]:.0f} ms, "
                f"api {r['api'][0]:.0f}/{r['api'][1]:.0f} ms, "
                f"bare SQL {r['bare'][0]:.1f}/{r['bare'][1]:.1f} ms, "
                f"from-scratch SQL {r['scratch'][0]:.0f}/{r['scratch'][1]:.0f} ms (median/p95), "
                f"worker peak RSS {r['rss']:.0f} MB"
            )
    report("")
    report(
        "| database | scale | regional dashboard p50 / p95 | municipality p50 / p95 "
        "| progress API p50 / p95 | bare SQL (stored figures) p50 / p95 "
        "| from-scratch SQL p50 / p95 | region / bare | region / from-scratch "
        "| worker peak RSS | time aims met | load |"
    )
    report("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind, scale, r, ld in rows:
        ratio = r["region"][0] / r["bare"][0] if r["bare"][0] else float("inf")
        scratch = r["region"][0] / r["scratch"][0] if r["scratch"][0] else float("inf")
        aims = [r["region"][0] < AIM_MEDIAN_MS.get(scale, 1000.0), r["rss"] < AIM_RSS_MB]
        report(
            f"| {kind} | x{scale} | {r['region'][0]:.0f} / {r['region'][1]:.0f} ms "
            f"| {r['municipality'][0]:.0f} / {r['municipality'][1]:.0f} ms "
            f"| {r['api'][0]:.0f} / {r['api'][1]:.0f} ms "
            f"| {r['bare'][0]:.1f} / {r['bare'][1]:.1f} ms "
            f"| {r['scratch'][0]:.0f} / {r['scratch'][1]:.0f} ms | {ratio:.0f} | {scratch:.2f} "
            f"| {r['rss']:.0f} MB | {'yes' if all(aims) else 'NO'} | {ld:.1f} |"
        )
    report.save(RESULTS / "progress-latest.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
