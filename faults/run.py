"""Fault runs: nothing lost, nothing doubled, never a 500, when parts of the system fail.

    .venv/bin/python faults/run.py [kill-workers|database-outage|smtp-outage|sqlite-lock|all]
                                   [--db sqlite|postgres|both] [--repeat 3]

Each run is bounded in time, prints what happened and then checks the database (``make
faults`` runs them all three times on both databases). Every run starts from a fresh database
built by the real migrations and the benchmark's generator (``bench/generate.py``), with the
real app under gunicorn (4 workers, production settings) on 127.0.0.1.

kill-workers      SIGKILL one gunicorn worker every second during a burst of 500 registrations
                  for a 40-seat session, then during a sustained run of ``--duration`` seconds.
database-outage   PostgreSQL goes away in the middle of a sustained run: every connection of
                  the app is terminated and new ones are refused for ``--outage`` seconds
                  (``--outage-kind restart`` restarts the whole server instead, which also
                  breaks anybody else's use of it). Clients must see 503 with Retry-After, never
                  500, and the app must recover without a restart.
smtp-outage       The SMTP server down for ``--outage`` seconds while people register and a
                  cancellation promotes someone from the waiting list; then back, the outbox is
                  delivered by the cron command (``flask send-mail``, run until the messages
                  that failed during the outage have waited their back-off): every queued
                  message arrives exactly once, the promoted person's included, and none is
                  failed (an outage is a temporary refusal).
sqlite-lock       SQLite under write contention with a short busy timeout (another process keeps
                  taking the write lock): a "database is locked" answers 503 with Retry-After
                  (prints the rate), never 500.

The checks after each run (``check_registrations``): every reply that said 201 has its row;
no row exists whose request was answered with anything but 201 (a request whose connection
died with its worker may or may not have its row: it never got an answer); ``seats_taken``
equals the rows holding a seat and never exceeds the capacity; no duplicate (session,
employee); the waiting-list tickets of each session run 1, 2, 3... without a gap.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FAULTS = Path(__file__).resolve().parent
ROOT = FAULTS.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import run as bench  # noqa: E402  (bench/run.py: servers, databases, environment)
from burst import check_database, fire  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "faults"
#: The tables' owner on the cluster to use (``--pg-url`` or ``FAULTS_PG_URL``); the served
#: application connects as bench/run.py's runtime role, so row-level security is under test.
PG_URL = os.environ.get(
    "FAULTS_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/regional_bench_faults"
)
SCENARIOS = ("kill-workers", "database-outage", "smtp-outage", "sqlite-lock")
#: regional/config.py's MAIL_RETRY_FIRST_SECONDS: a message that failed once waits this long.
RETRY_FIRST_SECONDS = 60


def say(text: str = "") -> None:
    print(text, flush=True)
    with open(RESULTS / "latest.txt", "a") as fh:
        fh.write(text + "\n")


# -- set-up ----------------------------------------------------------------------------------


@dataclass
class Stage:
    kind: str
    db_url: str  # the application's (on PostgreSQL the runtime role, behind the wall)
    env: dict
    plan: dict
    tokens: list[tuple[int, int, str]]  # (user id, municipality id, bearer token)

    @property
    def check_url(self) -> str:
        """Where the checks read every member's rows: the tables' owner."""
        return self.env.get("MIGRATION_DATABASE_URL") or self.db_url


def prepare(kind: str, employees: int, sessions: int, env_extra: dict | None = None) -> Stage:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = RESULTS / "faults.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        db_url = f"sqlite:///{path}"
    else:
        db_url = bench.prepare_database("postgres", PG_URL)
    env = bench.server_env(db_url, bench.owner_url(db_url, PG_URL))
    env.update(env_extra or {})
    subprocess.run(
        [str(bench.VENV_BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    out = RESULTS / f"data-{kind}"
    subprocess.run(
        [
            bench.PY,
            str(ROOT / "bench" / "generate.py"),
            "--employees",
            str(employees),
            "--sessions",
            str(sessions),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    )
    plan = json.loads((out / "plan.json").read_text())
    tokens = []
    for line in (out / "tokens.tsv").read_text().splitlines():
        uid, mid, token = line.split("\t")
        tokens.append((int(uid), int(mid), token))
    return Stage(kind, db_url, env, plan, tokens)


def start_app(stage: Stage, name: str, env: dict | None = None) -> bench.Server:
    flags, _ = bench.gunicorn_flags(0)
    server = bench.Server(name, "wsgi:app", env or stage.env, RESULTS / f"{name}.log", flags)
    server.wait_ready()
    return server


def workers_of(server: bench.Server) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(server.proc.pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


# -- clients ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one request was told: a status and body, or that its connection died."""

    session_id: int
    employee_id: int
    status: int | None = None
    body: object = None
    retry_after: str | None = None
    error: str | None = None
    at: float = 0.0


def register(host: str, port: int, session_id: int, employee_id: int, token: str) -> Outcome:
    out = Outcome(session_id, employee_id, at=time.monotonic())
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.request(
            "POST",
            f"/api/v1/sessions/{session_id}/registrations",
            body=b"{}",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        raw = resp.read()
        out.status, out.retry_after = resp.status, resp.getheader("Retry-After")
        with contextlib.suppress(ValueError):
            out.body = json.loads(raw or b"null")
    except (OSError, http.client.HTTPException) as exc:
        out.error = type(exc).__name__
    finally:
        conn.close()
    return out


def sustained(
    url: str, stage: Stage, sessions: list[int], seconds: float, verdict: Verdict, threads: int = 16
) -> list[Outcome]:
    """Registrations from ``threads`` clients for ``seconds``; each (session, person) once.

    A run whose clients run out of (session, person) pairs before the end did not last
    its time (what was to happen late in it, a recovery, was never seen): ``verdict``
    fails it.
    """
    host, port = url.split("//")[1].split(":")
    pairs = [(s, uid, tok) for s in sessions for uid, _m, tok in stage.tokens]
    random.Random(7).shuffle(pairs)
    it = iter(pairs)
    lock = threading.Lock()
    results: list[Outcome] = []
    start = time.monotonic()
    stop = start + seconds
    dry: list[float] = []

    def client() -> None:
        while time.monotonic() < stop:
            with lock:
                pair = next(it, None)
            if pair is None:
                if time.monotonic() < stop - 1:
                    dry.append(time.monotonic() - start)
                return
            o = register(host, int(port), *pair)
            with lock:
                results.append(o)
            if o.status == 503 or o.error:
                time.sleep(0.2)  # a polite client backs off (a real one would honour Retry-After)

    pool = [threading.Thread(target=client, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=seconds + 120)
    verdict.check(
        not dry,
        f"the clients ran out of (session, person) pairs after {min(dry or [0]):.0f} of "
        f"{seconds:g} s: the run ended early (more sessions, or --employees)",
    )
    return results


def from_burst(records: list[dict], session_id: int) -> list[Outcome]:
    return [
        Outcome(
            session_id,
            r["employee_id"],
            status=r.get("status"),
            body=r.get("body"),
            error=r.get("error"),
        )
        for r in records
    ]


def tally(outcomes: list[Outcome]) -> Counter:
    c: Counter = Counter()
    for o in outcomes:
        if o.error:
            c["no answer (connection died)"] += 1
        elif o.status == 201 and isinstance(o.body, dict):
            c[f"201 {o.body.get('status')}"] += 1
        else:
            c[str(o.status)] += 1
    return c


# -- checks ----------------------------------------------------------------------------------


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_registrations(stage: Stage, outcomes: list[Outcome], verdict: Verdict) -> str:
    from sqlalchemy import create_engine, text

    sessions = sorted({o.session_id for o in outcomes})
    engine = create_engine(stage.check_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, session_id, employee_id, status FROM registrations "
                    "WHERE session_id IN (" + ",".join(str(int(s)) for s in sessions) + ")"
                )
            ).all()
    finally:
        engine.dispose()
    by_pair = {(r.session_id, r.employee_id): r for r in rows}
    told = {(o.session_id, o.employee_id): o for o in outcomes}
    lost = [o for o in outcomes if o.status == 201 and (o.session_id, o.employee_id) not in by_pair]
    wrong_id = [
        o
        for o in outcomes
        if o.status == 201
        and (row := by_pair.get((o.session_id, o.employee_id))) is not None
        and isinstance(o.body, dict)
        and o.body.get("id") != row.id
    ]
    unexplained = [
        pair
        for pair in by_pair
        if pair in told and told[pair].status is not None and told[pair].status != 201
    ]
    unasked = [pair for pair in by_pair if pair not in told]
    verdict.check(not lost, f"{len(lost)} replies said 201 but have no row")
    verdict.check(not wrong_id, f"{len(wrong_id)} replies named another row's id")
    verdict.check(not unexplained, f"{len(unexplained)} rows whose request was refused or failed")
    verdict.check(not unasked, f"{len(unasked)} rows nobody asked for")
    server_errors = [
        o for o in outcomes if o.status is not None and o.status >= 500 and o.status != 503
    ]
    verdict.check(not server_errors, f"{len(server_errors)} answers were 5xx other than 503")
    no_retry = [o for o in outcomes if o.status == 503 and not o.retry_after]
    verdict.check(not no_retry, f"{len(no_retry)} 503 answers without Retry-After")
    bad_sessions = []
    for s in sessions:
        db = check_database(stage.check_url, s)
        if db["duplicates"] or not db["seats_consistent"] or not db["tickets_ok"]:
            bad_sessions.append((s, db))
    verdict.check(not bad_sessions, f"sessions that disagree with themselves: {bad_sessions}")
    died = sum(1 for o in outcomes if o.error)
    kept_of_died = sum(1 for o in outcomes if o.error and (o.session_id, o.employee_id) in by_pair)
    return (
        f"{len(rows)} rows in {len(sessions)} session(s); {died} requests lost their connection, "
        f"{kept_of_died} of them committed before it died (their row stands, seats agree)"
    )


def report(title: str, outcomes: list[Outcome], extra: str, verdict: Verdict) -> bool:
    say(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(tally(outcomes).items())))
    say(f"    {extra}")
    say("    checks: " + ("all pass" if verdict.ok else "FAILED: " + "; ".join(verdict.problems)))
    return verdict.ok


# -- scenarios -------------------------------------------------------------------------------


def kill_workers(kind: str, args: argparse.Namespace) -> bool:
    stage = prepare(kind, args.employees, sessions=16)
    server = start_app(stage, f"{kind}-kill")
    killed = Counter()
    stop = threading.Event()

    def killer() -> None:
        rng = random.Random(11)
        while not stop.wait(1.0):
            pids = workers_of(server)
            if pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    killed["workers"] += 1

    ok = True
    try:
        t = threading.Thread(target=killer, daemon=True)
        t.start()
        burst_session = stage.plan["sessions"]["burst"][0]
        employees = [(uid, tok) for uid, _m, tok in stage.tokens[:500]]
        outcomes = from_burst(fire(server.url, burst_session, employees, procs=10), burst_session)
        v = Verdict()
        extra = check_registrations(stage, outcomes, v)
        ok &= report(
            f"burst of 500 for 40 seats, {killed['workers']} workers killed so far",
            outcomes,
            extra,
            v,
        )
        before = killed["workers"]
        v = Verdict()
        outcomes = sustained(server.url, stage, stage.plan["sessions"]["app"], args.duration, v)
        extra = check_registrations(stage, outcomes, v)
        ok &= report(
            f"sustained {args.duration:g} s, {killed['workers'] - before} workers killed",
            outcomes,
            extra,
            v,
        )
    finally:
        stop.set()
        server.stop()
    return ok


def _pg_block(dbname: str, block: bool) -> None:
    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://", 1).rsplit("/", 1)[0]
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS {"false" if block else "true"}')
        if block:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )


def database_outage(kind: str, args: argparse.Namespace) -> bool:
    if kind != "postgres":
        say("  (PostgreSQL only; SQLite has no server to lose: see sqlite-lock)")
        return True
    stage = prepare(kind, args.employees, sessions=16)
    server = start_app(stage, "postgres-outage")
    dbname = PG_URL.rsplit("/", 1)[1]
    down_at = args.duration / 3
    # The run goes on long enough to see the recovery: at least 15 s after the database returns.
    seconds = max(args.duration, down_at + args.outage + 15)
    window: dict[str, float] = {}

    def outage() -> None:
        time.sleep(down_at)
        window["down"] = time.monotonic()
        if args.outage_kind == "restart":
            version = sorted(os.listdir("/etc/postgresql"))[-1]
            subprocess.run(["pg_ctlcluster", version, "main", "stop", "-m", "fast"], check=True)
            time.sleep(args.outage)
            subprocess.run(["pg_ctlcluster", version, "main", "start"], check=True)
        else:
            _pg_block(dbname, True)
            time.sleep(args.outage)
            _pg_block(dbname, False)
        window["up"] = time.monotonic()

    ok = True
    try:
        t = threading.Thread(target=outage, daemon=True)
        t.start()
        v = Verdict()
        outcomes = sustained(server.url, stage, stage.plan["sessions"]["app"], seconds, v)
        t.join(timeout=args.outage + 120)
        extra = check_registrations(stage, outcomes, v)
        during = [o for o in outcomes if window["down"] + 0.5 <= o.at <= window["up"] - 0.5]
        after = [o for o in outcomes if o.at >= window["up"] + 5]
        v.check(any(o.status == 503 for o in during), "no 503 seen while the database was away")
        v.check(
            bool(after) and all(o.status == 201 for o in after),
            f"not every request 5 s after the database came back succeeded ({tally(after)})",
        )
        v.check(server.proc.poll() is None, "the app's master exited")
        extra += (
            f"; database away {window['up'] - window['down']:.1f} s ({args.outage_kind}); "
            f"during it: {dict(tally(during))}; from 5 s after: {dict(tally(after))}"
        )
        ok &= report(f"sustained {seconds:.0f} s with an outage", outcomes, extra, v)
    finally:
        with contextlib.suppress(Exception):
            _pg_block(dbname, False)
        server.stop()
    return ok


def smtp_outage(kind: str, args: argparse.Namespace) -> bool:
    from aiosmtpd.controller import Controller

    received: list[tuple[str, str]] = []
    lock = threading.Lock()

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            import email
            import email.policy

            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with lock:
                received.append((str(msg["To"]), str(msg["Subject"])))
            return "250 OK"

    port = bench.free_port()
    sink = Controller(Sink(), hostname="127.0.0.1", port=port)
    sink.start()
    mail_env = {"MAIL_DELIVERY": "immediate", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)}
    stage = prepare(kind, args.employees, sessions=2, env_extra=mail_env)
    server = start_app(stage, f"{kind}-smtp")
    host, sport = server.url.split("//")[1].split(":")
    seats_session = stage.plan["sessions"]["burst"][0]  # 40 seats: the 41st person waits
    ok = True
    try:
        people = stage.tokens[:60]
        before = [
            register(host, int(sport), seats_session, uid, tok) for uid, _m, tok in people[:20]
        ]
        sink.stop()
        down = time.monotonic()
        during = [
            register(host, int(sport), seats_session, uid, tok) for uid, _m, tok in people[20:45]
        ]
        # Someone enrolled cancels: the first on the waiting list takes the seat and is mailed.
        first = before[0]
        conn = http.client.HTTPConnection(host, int(sport), timeout=60)
        conn.request(
            "DELETE",
            f"/api/v1/registrations/{first.body['id']}",
            headers={"Authorization": f"Bearer {people[0][2]}"},
        )
        cancel_status = conn.getresponse().status
        conn.close()
        promoted = next(
            o for o in during if isinstance(o.body, dict) and o.body.get("status") == "waitlisted"
        )
        time.sleep(max(0.0, args.outage - (time.monotonic() - down)))
        sink = Controller(Sink(), hostname="127.0.0.1", port=port)
        sink.start()
        with lock:
            at_return = len(received)
        # The cron, every few seconds until the outbox is empty. A message whose try failed
        # during the outage waits its back-off (a minute after a first failure: the
        # MAIL_RETRY_FIRST_SECONDS of regional/config.py), so the wait is bounded by it.
        until = time.monotonic() + RETRY_FIRST_SECONDS + 30
        while True:
            subprocess.run(
                [str(bench.VENV_BIN / "flask"), "--app", "wsgi", "send-mail"],
                cwd=ROOT,
                env=server_env_with(stage, mail_env),
                check=True,
                timeout=120,
                capture_output=True,
            )
            if outbox_unsent(stage) == 0 or time.monotonic() > until:
                break
            time.sleep(5)
        time.sleep(1)
        outbox = outbox_rows(stage)
        v = Verdict()
        v.check(all(o.status == 201 for o in before + during), "a registration failed")
        v.check(cancel_status in (200, 204), f"the cancellation answered {cancel_status}")
        v.check(outbox_unsent(stage) == 0, "messages still unsent after the SMTP server returned")
        with lock:
            got = Counter(received)
        expected = Counter(outbox)
        v.check(
            got == expected,
            f"delivered {sum(got.values())} vs outbox {sum(expected.values())}: "
            f"missing {expected - got}, doubled {got - expected}",
        )
        promoted_addr = email_of(stage, promoted.employee_id)
        with lock:
            after_return = received[at_return:]
        v.check(
            any(to == promoted_addr for to, _s in after_return),
            "the person promoted during the outage got no mail after it",
        )
        extra = (
            f"SMTP down {args.outage:g} s; {len(expected)} messages in the outbox, "
            f"{sum(got.values())} received, {len(after_return)} of them after the server came back; "
            f"person promoted during the outage mailed: {promoted_addr in {t for t, _ in after_return}}"
        )
        ok &= report("registrations, a cancellation and a promotion", before + during, extra, v)
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            sink.stop()
    return ok


def server_env_with(stage: Stage, extra: dict) -> dict:
    env = dict(stage.env)
    env.update(extra)
    return env


def _scalar_rows(stage: Stage, sql: str) -> list:
    from sqlalchemy import create_engine, text

    engine = create_engine(stage.check_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)).all())
    finally:
        engine.dispose()


def outbox_unsent(stage: Stage) -> int:
    return _scalar_rows(stage, "SELECT count(*) FROM outbound_mail WHERE sent_at IS NULL")[0][0]


def outbox_rows(stage: Stage) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in _scalar_rows(stage, "SELECT to_addr, subject FROM outbound_mail")]


def email_of(stage: Stage, user_id: int) -> str:
    return _scalar_rows(stage, f"SELECT email FROM users WHERE id = {int(user_id)}")[0][0]


def sqlite_lock(kind: str, args: argparse.Namespace) -> bool:
    if kind != "sqlite":
        say("  (SQLite only)")
        return True
    ok = True
    for timeout_ms in args.busy_timeout_ms:
        ok &= _sqlite_lock(args, timeout_ms)
    return ok


def _sqlite_lock(args: argparse.Namespace, timeout_ms: int) -> bool:
    import sqlite3

    env_extra = {"SQLITE_BUSY_TIMEOUT_MS": str(timeout_ms)}
    stage = prepare("sqlite", args.employees, sessions=16, env_extra=env_extra)
    server = start_app(stage, "sqlite-lock")
    path = stage.db_url.removeprefix("sqlite:///")
    stop = threading.Event()
    held = Counter()

    def hog() -> None:
        """Another writer that keeps the write lock for 0.6 s of every second."""
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            held["times"] += 1
            time.sleep(0.6)
            conn.execute("COMMIT")
            time.sleep(0.4)
        conn.close()

    try:
        t = threading.Thread(target=hog, daemon=True)
        t.start()
        v = Verdict()
        outcomes = sustained(server.url, stage, stage.plan["sessions"]["app"], args.duration, v)
        stop.set()
        t.join(timeout=10)
        extra = check_registrations(stage, outcomes, v)
        n = len(outcomes)
        busy = sum(1 for o in outcomes if o.status == 503)
        v.check(
            n > 0 and all(o.status in (201, 503) for o in outcomes),
            f"answers other than 201 and 503: {tally(outcomes)}",
        )
        extra += (
            f"; the lock taken {held['times']} times by another writer; "
            f"503 rate {busy / max(1, n):.1%} ({busy} of {n})"
        )
        return report(
            f"sustained {args.duration:g} s under write contention, busy timeout {timeout_ms} ms",
            outcomes,
            extra,
            v,
        )
    finally:
        stop.set()
        server.stop()


RUNS = {
    "kill-workers": kill_workers,
    "database-outage": database_outage,
    "smtp-outage": smtp_outage,
    "sqlite-lock": sqlite_lock,
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default="all", choices=[*SCENARIOS, "all"])
    ap.add_argument("--db", default="both", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of a sustained run")
    ap.add_argument("--outage", type=float, default=60.0, help="seconds the database/SMTP is away")
    ap.add_argument("--outage-kind", choices=["terminate", "restart"], default="terminate")
    ap.add_argument("--employees", type=int, default=2000)
    ap.add_argument(
        "--busy-timeout-ms",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[200, 30_000],
        help="sqlite-lock: the busy timeouts to run with (a short one provokes 503s; the default "
        "30000 waits instead)",
    )
    ap.add_argument(
        "--pg-url",
        default=None,
        help="the tables' owner on the PostgreSQL cluster to use (database name regional_bench*); "
        "default FAULTS_PG_URL or the local cluster",
    )
    args = ap.parse_args(argv)
    if args.pg_url:
        global PG_URL
        PG_URL = args.pg_url
    if not 1 <= args.repeat <= 10 or not 5 <= args.duration <= 600 or not 1 <= args.outage <= 600:
        ap.error("--repeat 1-10, --duration 5-600, --outage 1-600")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.txt").write_text("")
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    say(
        f"fault runs at {time.strftime('%Y-%m-%d %H:%M:%S')}, {bench.describe_source(None)}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    passed: Counter = Counter()
    for rep in range(1, args.repeat + 1):
        for scenario in scenarios:
            for kind in kinds:
                say(f"\n== {scenario} on {kind}, run {rep} of {args.repeat} ==")
                t0 = time.monotonic()
                ok = RUNS[scenario](kind, args)
                say(f"  {'PASS' if ok else 'FAIL'} in {time.monotonic() - t0:.0f} s")
                passed[ok] += 1
    say(f"\n{passed[True]} passed, {passed[False]} failed")
    return 0 if not passed[False] else 1


if __name__ == "__main__":
    sys.exit(main())
