"""The registration benchmark: burst correctness and sustained throughput, SQLite and PostgreSQL.

    .venv/bin/python bench/run.py [--db sqlite|postgres|both] [--duration 15]
                                  [--employees 12000] [--repeat 1]

(``make bench`` runs it with the defaults.) For each database and each repeat:

1. a fresh database: a SQLite file under ``bench/results/`` or the PostgreSQL
   database ``regional_bench`` (dropped and created), schema by the real
   migrations (``flask --app wsgi db upgrade``);
2. realistic data (``bench/generate.py``): the 13 members, the catalogue,
   ``--employees`` staff spread by population, the sessions, and a bearer
   token per employee; with ``--history``, first the ``--history-years``
   fiscal years (default 5) ending today, ``--history-times`` K times over
   (``bench/history.py``);
3. three gunicorn servers with the same settings (4 sync workers, loopback):
   the app (``wsgi:app``, production config, mail left in the outbox), the
   Flask floor (``bench/flask_floor.py``: the app's bearer authentication and
   the bare transaction behind a minimal Flask view) and the bare-SQL floor
   (``bench/bare_app.py``);
4. a short warm-up of every target, then the BURST: ``--burst-n`` distinct
   employees released together at a ``--burst-seats`` session
   (``bench/burst.py``); must give exactly 40 enrolled, 460 waiting, no
   duplicate, no server error;
5. THROUGHPUT: ``wrk`` with ``bench/register.lua`` at ``--connections`` for
   ``--duration`` seconds against, one after the other, the trivial endpoint
   (``GET /livez``, no database), the registration endpoint, the Flask floor
   and the bare transaction; every registration request is a distinct (session, employee)
   pair, so each one takes a real seat;
6. the servers stopped (their whole process group, also on error).

Everything printed is also written to ``bench/results/latest.txt``.
Only 127.0.0.1 is ever targeted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
VENV_BIN = ROOT / ".venv" / "bin"
BENCH_FILES = (
    "generate.py",
    "history.py",
    "orgtree.py",
    "bare_app.py",
    "flask_floor.py",
    "burst.py",
    "register.lua",
)
#: Where the app runs from: this checkout, or an exported commit (--rev).
APP_ROOT = ROOT
PY = str(VENV_BIN / "python")
HOST = "127.0.0.1"
SECRET_KEY = "bench-only-secret-key-not-for-production-4f2a9c"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/regional_bench"
WORKERS = 4
AIM_RATIO = 0.5  # registration / bare
AIM_P99_MS = 250.0

sys.path.insert(0, str(BENCH))
from burst import format_summary, run_burst  # noqa: E402


class Report:
    """Prints as it goes and keeps a copy for bench/results/latest.txt."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n")


say = Report()


# -- servers ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn master and its workers, in their own process group."""

    def __init__(self, name: str, app: str, env: dict, log: Path, extra: list[str]) -> None:
        self.name, self.port = name, free_port()
        self.url = f"http://{HOST}:{self.port}"
        cmd = [str(VENV_BIN / "gunicorn"), *extra, "-w", str(WORKERS), "-b", f"{HOST}:{self.port}"]
        cmd.append(app)
        self.cmd = cmd
        self.log = open(log, "w")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            cmd,
            cwd=APP_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early (see {self.log.name})")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Workers that outlived their master (they share its group id).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()


def gunicorn_flags(max_requests: int) -> tuple[list[str], str]:
    """The project's gunicorn.conf.py when it has one; otherwise explicit flags.

    ``-w`` and ``-b`` on the command line win over the file. Worker recycling
    (``max_requests``) is off by default here: at a thousand requests a second
    the production setting (1,000) would restart every worker every few seconds
    and measure imports instead of requests.
    """
    recycle = f"max_requests={max_requests}" if max_requests else "no worker recycling"
    conf = APP_ROOT / "gunicorn.conf.py"
    flags = ["--max-requests", str(max_requests)]
    if max_requests:
        flags += ["--max-requests-jitter", str(max(1, max_requests // 10))]
    if conf.exists():
        return ["-c", str(conf), *flags], f"gunicorn.conf.py, {recycle}"
    return ["--worker-class", "sync", *flags], f"--worker-class sync (no conf file), {recycle}"


# -- databases ----------------------------------------------------------------


#: The role the served application connects as on PostgreSQL: owns nothing, no BYPASSRLS, so
#: row-level security is under the load and the faults (production refuses anything else).
RUNTIME_ROLE = "regional_bench_app"
RUNTIME_PASSWORD = "regional-bench-app"  # noqa: S105 (a loopback benchmark database)


def prepare_database(kind: str, pg_url: str) -> str:
    """A fresh, empty database; returns the SQLAlchemy URL the application serves with.

    PostgreSQL: ``pg_url``'s user owns the tables (migrations, data generation); the
    application connects as :data:`RUNTIME_ROLE` (``owner_url`` of the answer gives the
    owner's URL back).
    """
    if kind == "sqlite":
        path = RESULTS / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    if pg_url == PG_URL:
        subprocess.run([str(ROOT / "scripts" / "ensure-postgres")], check=True, timeout=120)
    dbname = pg_url.rsplit("/", 1)[1]
    if not dbname.startswith("regional_bench"):
        raise SystemExit("the PostgreSQL database's name must start with regional_bench")
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0]
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    return runtime_url(pg_url)


def runtime_url(pg_url: str) -> str:
    """The URL of :data:`RUNTIME_ROLE` on ``pg_url``'s database (the role made if missing and
    given the runtime grants there, by ``pg_url``'s user, the owner)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    sys.path.insert(0, str(ROOT))
    from tenants.rls import create_runtime_role, grant_runtime_role

    owner = create_engine(pg_url)
    try:
        with owner.begin() as conn:
            create_runtime_role(conn, RUNTIME_ROLE, RUNTIME_PASSWORD)
            grant_runtime_role(conn, RUNTIME_ROLE)
    finally:
        owner.dispose()
    url = make_url(pg_url).set(username=RUNTIME_ROLE, password=RUNTIME_PASSWORD)
    return url.render_as_string(hide_password=False)


def owner_url(db_url: str, pg_url: str) -> str:
    """The owner's URL for a database prepared by :func:`prepare_database` (SQLite: itself)."""
    return db_url if db_url.startswith("sqlite") else pg_url


def export_revision(rev: str) -> Path:
    """A clean copy of a commit (no half-written files of colleagues), with these bench files."""
    src = RESULTS / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True, timeout=120)
    (src / "bench").mkdir(exist_ok=True)
    for name in BENCH_FILES:
        shutil.copy2(BENCH / name, src / "bench" / name)
    return src


def describe_source(rev: str | None) -> str:
    def git(*a: str) -> str:
        return subprocess.run(
            ["git", *a], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    if rev:
        return f"commit {git('rev-parse', '--short', rev)} ({git('log', '-1', '--format=%s', rev)})"
    dirty = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
    return f"working tree at {git('rev-parse', '--short', 'HEAD')}" + (
        f" with {dirty} uncommitted changed files" if dirty else ""
    )


def server_env(db_url: str, migration_url: str | None = None) -> dict:
    """The served application's environment; ``migration_url``: the tables' owner (PostgreSQL)."""
    env = dict(os.environ)
    if migration_url and migration_url != db_url:
        env["MIGRATION_DATABASE_URL"] = migration_url
    env.update(
        REGIONAL_ENV="production",
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=db_url,
        MAIL_DELIVERY="deferred",
        SESSION_COOKIE_SECURE="0",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TEST_DATABASE_URL", None)
    return env


# -- load ----------------------------------------------------------------------


def wrk(
    url: str,
    mode: str,
    tokens: Path,
    sessions: list[int],
    duration: float,
    connections: int,
    threads: int,
    raw_log: Path | None = None,
    layout: str = "hot",
) -> dict:
    cmd = [
        shutil.which("wrk") or "/usr/bin/wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration:g}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "register.lua"),
        url,
        "--",
        mode,
        str(tokens),
        ",".join(map(str, sessions)) or "0",
        str(threads),
        layout,
    ]
    load_before = os.getloadavg()[0]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 90, check=True)
    if raw_log is not None:
        with open(raw_log, "a") as fh:
            fh.write(f"$ {' '.join(cmd)}\n{out.stdout}{out.stderr}\n")
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("BENCH_JSON ") :])
    seconds = result["duration_us"] / 1e6
    ok = result["n201"] if mode != "get" else result["requests"] - result["n4xx"] - result["n5xx"]
    result.update(
        seconds=seconds,
        rps=result["requests"] / seconds,
        ok_rps=ok / seconds,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=result["err_connect"] + result["err_read"] + result["err_write"],
        timeouts=result["err_timeout"],
        load_before=load_before,
    )
    return result


def drain(result: dict, connections: int) -> None:
    """Let the server finish what wrk left in its queue (sync workers go on after wrk stops)."""
    time.sleep(min(15.0, 1.0 + connections / max(result["ok_rps"], 5.0)))


def endpoint_exists(app_url: str, tokens: Path, session_id: int) -> tuple[bool, str]:
    """Whether POST /api/v1/sessions/<id>/registrations is routed (not the generic 404/405)."""
    token = tokens.read_text().splitlines()[-1].split("\t")[2]
    req = urllib.request.Request(
        f"{app_url}/api/v1/sessions/{session_id}/registrations",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return True, f"{resp.status} {resp.read()[:200].decode()}"
    except urllib.error.HTTPError as exc:
        body = exc.read()[:300].decode("utf-8", "replace")
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = ""
        routed = exc.code not in (404, 405) or code not in ("not_found", "method_not_allowed", "")
        return routed, f"{exc.code} {body}"


def db_consistency(db_url: str, session_ids: list[int]) -> str:
    """After the throughput run: seats_taken equals the enrolled rows in every timed session."""
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT s.id, s.seats_taken, (SELECT count(*) FROM registrations r "
                    "WHERE r.session_id = s.id AND r.status IN ('enrolled', 'pending')) "
                    "FROM training_sessions s WHERE s.id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": session_ids},
            ).all()
            dup = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM registrations GROUP BY session_id, "
                    "employee_id HAVING count(*) > 1) d"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    bad = [r for r in rows if r[1] != r[2]]
    total = sum(r[2] for r in rows)
    verdict = "consistent" if not bad and dup == 0 else f"INCONSISTENT: {bad}, duplicates {dup}"
    return f"{total} seats taken in the timed sessions, counters {verdict}"


# -- one database -------------------------------------------------------------


def history_args(args: argparse.Namespace) -> list[str]:
    """generate.py's history flags: the --history-years fiscal years ending today (the
    current one up to today), --history-times over. The generator keeps its history off
    the timed sessions' days, so no timed registration meets an overlapping seat."""
    if not args.history:
        return []
    return [
        "--history",
        "--today",
        args.today,
        "--history-years",
        str(args.history_years),
        "--history-times",
        str(args.history_times),
    ]


def describe_history(args: argparse.Namespace) -> str:
    if not args.history:
        return "history: none (empty apart from the staff and the timed sessions)"
    from datetime import date

    today = date.fromisoformat(args.today)
    last = today.year if today.month >= 4 else today.year - 1
    return (
        f"history: {args.history_years} fiscal years FY{last - args.history_years + 1}..FY{last}"
        f" up to {args.today}, x{args.history_times} (--history-years {args.history_years}"
        f" --history-times {args.history_times})"
    )


def run_one(kind: str, args: argparse.Namespace, rep: int) -> dict:
    label = {"sqlite": "SQLite (file, WAL)", "postgres": "PostgreSQL"}[kind]
    say(f"\n=== {label}, run {rep} of {args.repeat} ===")
    RESULTS.mkdir(parents=True, exist_ok=True)
    db_url = prepare_database(kind, args.pg_url)
    env = server_env(db_url, owner_url(db_url, args.pg_url))
    check_url = owner_url(db_url, args.pg_url)  # the checks read every member's rows
    t0 = time.monotonic()
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=APP_ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    data = RESULTS / f"data-{kind}"
    # Enough timed sessions that no (session, employee) pair repeats even at 4,000 req/s.
    n_sessions = math.ceil(4000 * args.duration / max(1, args.employees - 50)) + 1
    if args.spread:
        n_sessions = max(n_sessions, 32)  # at least as many sessions as connections in flight
    gen = subprocess.run(
        [PY, str(APP_ROOT / "bench" / "generate.py"), "--employees", str(args.employees)]
        + ["--sessions", str(n_sessions), "--out", str(data), *history_args(args)],
        cwd=APP_ROOT,
        env=env,
        check=True,
        timeout=900 + 300 * (args.history_times if args.history else 0),
        capture_output=True,
        text=True,
    )
    plan = json.loads((data / "plan.json").read_text())
    tokens = data / "tokens.tsv"
    say(
        f"data: {plan['employees']} employees over 13 municipalities, "
        f"schema by migrations + generator in {time.monotonic() - t0:.1f} s ({gen.stdout.strip()})"
    )
    flags, flags_note = gunicorn_flags(args.max_requests)
    app_flags = [*flags, "--pythonpath", args.app_pythonpath] if args.app_pythonpath else flags
    app = Server("app", args.app, env, RESULTS / f"{kind}-app.log", app_flags)
    bare = Server(
        "bare", "bare_app:app", env, RESULTS / f"{kind}-bare.log", [*flags, "--pythonpath", "bench"]
    )
    floor = Server(
        "flask floor",
        "flask_floor:app",
        env,
        RESULTS / f"{kind}-flask-floor.log",
        [*flags, "--pythonpath", "bench"],
    )
    raw = RESULTS / f"{kind}-wrk-raw.txt"
    raw.write_text("")
    result: dict = {"kind": kind, "label": label, "rep": rep}
    try:
        app.wait_ready()
        bare.wait_ready()
        floor.wait_ready()
        say(
            f"servers: gunicorn {WORKERS} workers, {flags_note}; app {app.url}, "
            f"flask floor {floor.url}, bare {bare.url}"
        )
        sessions = plan["sessions"]
        routed, answer = endpoint_exists(app.url, tokens, sessions["warm_app"][0])
        if not routed:
            say(f"the registration endpoint does not exist yet: {answer}")
            result["missing_endpoint"] = answer
            return result
        # Warm-up: every worker imports, compiles templates and opens its connection.
        warm = min(3.0, args.duration)
        common = dict(connections=args.connections, threads=args.threads, raw_log=raw)
        timed = dict(common, layout="spread" if args.spread else "hot")
        drain(wrk(app.url + "/livez", "get", tokens, [], warm, **common), args.connections)
        drain(wrk(app.url, "app", tokens, sessions["warm_app"], warm, **common), args.connections)
        drain(
            wrk(floor.url, "app", tokens, sessions["warm_floor"], warm, **common), args.connections
        )
        drain(
            wrk(bare.url, "bare", tokens, sessions["warm_bare"], warm, **common), args.connections
        )

        if not args.skip_burst:
            say(
                f"\nBurst: {args.burst_n} distinct employees released together "
                f"for a {args.burst_seats}-seat session"
            )
            ok, summary = run_burst(
                app.url,
                str(tokens),
                sessions["burst"][0],
                args.burst_seats,
                args.burst_n,
                args.burst_procs,
                check_url,
            )
            say(format_summary(summary))
            result["burst"] = summary

        if not args.skip_throughput:
            layout = (
                f"spread over {len(sessions['app'])} sessions"
                if args.spread
                else "one session at a time (a hot row)"
            )
            say(
                f"\nThroughput: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
                f"one target after the other; registrations {layout}"
            )
            runs = {}
            for name, url, mode, sess in (
                ("trivial", app.url + "/livez", "get", []),
                ("registration", app.url, "app", sessions["app"]),
                ("floor", floor.url, "app", sessions["floor"]),
                ("bare", bare.url, "bare", sessions["bare"]),
            ):
                runs[name] = wrk(url, mode, tokens, sess, args.duration, **timed)
                drain(runs[name], args.connections)
            result["throughput"] = runs
            say(throughput_table(runs))
            say(
                "  "
                + db_consistency(check_url, sessions["app"] + sessions["floor"] + sessions["bare"])
            )
    finally:
        app.stop()
        floor.stop()
        bare.stop()
    return result


# -- tables --------------------------------------------------------------------


TARGETS = (
    ("trivial", "trivial  GET /livez (no DB)"),
    ("registration", "register POST /api/v1/sessions/<id>/registrations"),
    ("floor", "flask floor, same route (bench/flask_floor.py)"),
    ("bare", "bare SQL POST /register (bench/bare_app.py)"),
)


def throughput_table(runs: dict) -> str:
    head = (
        f"  {'target':<52} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'2xx':>7} "
        f"{'409':>5} {'4xx':>5} {'5xx':>5} {'sock':>5} {'load':>5}"
    )
    lines = [head]
    for key, name in TARGETS:
        r = runs[key]
        ok = r["n201"] if key != "trivial" else r["requests"] - r["n4xx"] - r["n5xx"]
        lines.append(
            f"  {name:<52} {r['ok_rps']:8.1f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {ok:7d} "
            f"{r['n409']:5d} {r['n4xx']:5d} {r['n5xx']:5d} {r['errors'] + r['timeouts']:5d} "
            f"{r['load_before']:5.2f}"
        )
    t, g, b = (runs[k]["ok_rps"] for k in ("trivial", "registration", "bare"))
    f = runs["floor"]["ok_rps"]
    reg_bare = g / b if b else 0.0
    lines.append(
        f"  ratios: registration/trivial {g / t:.2f}   bare/trivial {b / t:.2f}   "
        f"registration/bare {reg_bare:.2f}"
    )
    lines.append(
        f"          registration/flask floor {g / f if f else 0.0:.2f}   "
        f"flask floor/bare {f / b if b else 0.0:.2f}"
    )
    p99 = runs["registration"]["p99_ms"]
    lines.append(
        f"  aim: registration >= {AIM_RATIO:.1f} x bare: {'met' if reg_bare >= AIM_RATIO else 'MISSED'}"
        f"; registration p99 < {AIM_P99_MS:.0f} ms: {'met' if p99 < AIM_P99_MS else 'MISSED'}"
    )
    lines.append(
        "  (ok/s: 200s for the trivial target, 201 registrations for the others; "
        "load: 1-min load average before the run)"
    )
    return "\n".join(lines)


def summary_table(results: list[dict]) -> str:
    lines = ["", "=== Summary ==="]
    for r in results:
        tag = f"{r['label']} run {r['rep']}"
        if "missing_endpoint" in r:
            lines.append(f"{tag}: registration endpoint missing")
            continue
        if "burst" in r:
            b = r["burst"]
            lines.append(
                f"{tag}: burst enrolled {b['enrolled']}, waiting {b['waiting']}, duplicates "
                f"{b['duplicates']}, server errors {b['server_errors']} -> "
                f"{'OK' if b['ok'] else 'FAILED'}"
            )
        if "throughput" in r:
            t = r["throughput"]
            triv, reg, bare = (t[k] for k in ("trivial", "registration", "bare"))
            floor = t["floor"]
            lines.append(
                f"{tag}: trivial {triv['ok_rps']:.0f}/s p99 {triv['p99_ms']:.0f} ms | "
                f"registration {reg['ok_rps']:.0f}/s p50 {reg['p50_ms']:.0f} p99 "
                f"{reg['p99_ms']:.0f} ms | flask floor {floor['ok_rps']:.0f}/s p99 "
                f"{floor['p99_ms']:.0f} ms | bare {bare['ok_rps']:.0f}/s p99 {bare['p99_ms']:.0f} ms"
                f" | reg/triv {reg['ok_rps'] / triv['ok_rps']:.2f} bare/triv "
                f"{bare['ok_rps'] / triv['ok_rps']:.2f} reg/bare "
                f"{reg['ok_rps'] / bare['ok_rps']:.2f} reg/floor "
                f"{reg['ok_rps'] / floor['ok_rps']:.2f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--duration", type=float, default=15.0, help="seconds per throughput target")
    ap.add_argument("--employees", type=int, default=12_000)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--repeat", type=int, default=1, help="independent runs per database")
    ap.add_argument("--burst-n", type=int, default=500)
    ap.add_argument("--burst-seats", type=int, default=40)
    ap.add_argument("--burst-procs", type=int, default=10)
    ap.add_argument(
        "--spread",
        action="store_true",
        help="spread timed registrations over the sessions instead of one hot session at a time",
    )
    ap.add_argument(
        "--history",
        action="store_true",
        help="load the fiscal years of history ending today first (generate.py --history)",
    )
    ap.add_argument(
        "--history-years",
        type=int,
        default=None,
        help="fiscal years of history, the current one up to today included "
        "(default 5; implies --history)",
    )
    ap.add_argument(
        "--history-times",
        type=int,
        default=None,
        help="K times the history's volume per year, same staff (default 1; implies --history)",
    )
    ap.add_argument("--skip-burst", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--pg-url", default=PG_URL)
    ap.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="gunicorn worker recycling (0: off; production uses 1000)",
    )
    ap.add_argument(
        "--rev", default=None, help="run the app of this commit (exported), not the working tree"
    )
    ap.add_argument(
        "--app", default="wsgi:app", help="gunicorn app (another only to test the harness)"
    )
    ap.add_argument("--app-pythonpath", default=None, help="extra gunicorn --pythonpath for --app")
    args = ap.parse_args(argv)
    if not 1 <= args.duration <= 600:
        ap.error("--duration must be 1..600 seconds")
    if not 1 <= args.repeat <= 10:
        ap.error("--repeat must be 1..10")
    if not 1 <= args.connections <= 1024 or not 1 <= args.threads <= 16:
        ap.error("--connections must be 1..1024 and --threads 1..16")
    if args.employees < args.burst_n + 100:
        ap.error("--employees must exceed --burst-n by at least 100")
    if "@127.0.0.1" not in args.pg_url:
        ap.error("only a PostgreSQL server on 127.0.0.1 may be used")
    if args.history_years is not None or args.history_times is not None:
        args.history = True
    args.history_years = 5 if args.history_years is None else args.history_years
    args.history_times = 1 if args.history_times is None else args.history_times
    if not 1 <= args.history_years <= 20 or not 1 <= args.history_times <= 50:
        ap.error("--history-years must be 1..20 and --history-times 1..50")
    args.today = time.strftime("%Y-%m-%d")

    global APP_ROOT
    if args.rev:
        APP_ROOT = export_revision(args.rev)
    say(
        f"Registration benchmark, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, "
        f"{os.cpu_count()} CPUs, loopback; load average {os.getloadavg()[0]:.2f} at start"
    )
    say(f"app: {describe_source(args.rev)}")
    say(describe_history(args))
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results, status = [], 0
    try:
        for rep in range(1, args.repeat + 1):
            for kind in kinds:
                r = run_one(kind, args, rep)
                results.append(r)
                if "missing_endpoint" in r:
                    status = 3
                elif "burst" in r and not r["burst"]["ok"]:
                    status = 1
        say(summary_table(results))
    finally:
        say.save(RESULTS / "latest.txt")
    return status


if __name__ == "__main__":
    sys.exit(main())
