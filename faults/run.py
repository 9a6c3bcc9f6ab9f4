"""Fault runs: nothing lost, nothing doubled, never a 500, when parts of the system fail.

    .venv/bin/python faults/run.py [kill-workers|database-outage|smtp-outage|sqlite-lock|
                                    write-paths|two-machines|all]
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
write-paths       A mix of the write paths (register and cancel, attendance, a target with
                  If-Match, a roster import, a scan upload, a certificate download) while the
                  app's connections are terminated every 20-150 ms (PostgreSQL) or SQLite's
                  write lock is held by another process; 503s are sent again, and a 503 whose
                  work was kept is accepted only where the retry tells it (faults/README.md).
two-machines      Two gunicorn instances on one PostgreSQL database, one's workers killed,
                  both running send-mail and send-reminders at once: each message sent once.

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

FAULTS = Path(__file__).resolve().parent
ROOT = FAULTS.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))  # fixtures_pdf: a small valid PDF

import run as bench  # noqa: E402  (bench/run.py: servers, databases, environment)
from burst import check_database, fire  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "faults"
#: The tables' owner on the cluster to use (``--pg-url`` or ``FAULTS_PG_URL``); the served
#: application connects as bench/run.py's runtime role, so row-level security is under test.
PG_URL = os.environ.get(
    "FAULTS_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/regional_bench_faults"
)
SCENARIOS = (
    "kill-workers",
    "database-outage",
    "smtp-outage",
    "sqlite-lock",
    "write-paths",
    "two-machines",
)
#: regional/config.py's MAIL_RETRY_FIRST_SECONDS: a message that failed once waits this long.
RETRY_FIRST_SECONDS = 60


#: (scenario, database, run) of the run under way, and one row per part of it reported:
#: the summary table printed at the end.
CURRENT: dict[str, object] = {}
SUMMARY: list[dict] = []


def summarise(title: str, answers: Counter, ok: bool) -> None:
    SUMMARY.append({**CURRENT, "part": title, "answers": answers, "ok": ok})


def summary_table() -> str:
    lines = [
        "| scenario | database | run | part | requests | answers by status | 503s | checks |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in SUMMARY:
        answers: Counter = r["answers"]
        lines.append(
            f"| {r['scenario']} | {r['kind']} | {r['rep']} | {r['part']} | "
            f"{sum(answers.values()):,} | "
            + ", ".join(f"{k} {n:,}" for k, n in sorted(answers.items(), key=str))
            + f" | {answers.get('503', 0) + answers.get(503, 0):,} | "
            + ("pass" if r["ok"] else "FAIL")
            + " |"
        )
    return "\n".join(lines)


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


def prepare(
    kind: str,
    employees: int,
    sessions: int,
    env_extra: dict | None = None,
    generate_args: tuple[str, ...] = (),
) -> Stage:
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
            *generate_args,
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
    url: str = ""


def register(host: str, port: int, session_id: int, employee_id: int, token: str) -> Outcome:
    out = Outcome(session_id, employee_id, at=time.monotonic(), url=f"http://{host}:{port}")
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
    url: str,
    stage: Stage,
    sessions: list[int],
    seconds: float,
    verdict: Verdict,
    threads: int = 16,
    urls: list[str] | None = None,
) -> list[Outcome]:
    """Registrations from ``threads`` clients for ``seconds``; each (session, person) once.

    A run whose clients run out of (session, person) pairs before the end did not last
    its time (what was to happen late in it, a recovery, was never seen): ``verdict``
    fails it.
    """
    servers = [u.split("//")[1].split(":") for u in (urls or [url])]
    pairs = [(s, uid, tok) for s in sessions for uid, _m, tok in stage.tokens]
    random.Random(7).shuffle(pairs)
    it = iter(pairs)
    lock = threading.Lock()
    results: list[Outcome] = []
    start = time.monotonic()
    stop = start + seconds
    dry: list[float] = []

    def client(k: int) -> None:
        host, port = servers[k % len(servers)]  # clients split over the machines
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

    pool = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(threads)]
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
    answers = Counter("died" if o.error else str(o.status) for o in outcomes)
    summarise(title.split(",")[0], answers, verdict.ok)
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


# -- write paths ------------------------------------------------------------------------------


@dataclass
class Call:
    """One write-path request as its client finally saw it, after retrying its 503s."""

    path: str
    tries: list[int | None] = field(default_factory=list)  # each try's status (None: no answer)
    no_retry_after: int = 0  # tries answered 503 without Retry-After
    body: object = None
    headers: dict = field(default_factory=dict)
    detail: dict = field(default_factory=dict)

    @property
    def status(self) -> int | None:
        return self.tries[-1] if self.tries else None

    @property
    def after_503(self) -> bool:
        """An earlier try of this request was answered 503 (it may have been kept after all)."""
        return 503 in self.tries[:-1]


#: How often a client sends a request again that was answered 503 (the answer says: nothing
#: was kept, send it again); the last answer is the request's.
WRITE_TRIES = 12


def http_call(
    host: str,
    port: int,
    method: str,
    path: str,
    token: str,
    *,
    body: bytes | None = None,
    content_type: str = "application/json",
    headers: dict | None = None,
    label: str,
    detail: dict | None = None,
) -> Call:
    """``method path`` with the bearer token, sent again after each 503 (a short pause first)."""
    call = Call(label, detail=detail or {})
    for attempt in range(WRITE_TRIES):
        if attempt:
            time.sleep(0.05 + 0.1 * random.random())
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            hdrs = {"Authorization": f"Bearer {token}", **(headers or {})}
            if body is not None:
                hdrs["Content-Type"] = content_type
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            call.tries.append(resp.status)
            call.headers = {k.lower(): v for k, v in resp.getheaders()}
            if resp.status == 503 and not resp.getheader("Retry-After"):
                call.no_retry_after += 1
            if resp.getheader("Content-Type", "").startswith("application/json"):
                with contextlib.suppress(ValueError):
                    call.body = json.loads(raw or b"null")
            else:
                call.body = raw
        except (OSError, http.client.HTTPException):
            call.tries.append(None)
        finally:
            conn.close()
        if call.tries[-1] not in (503, None):
            break
    return call


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple:
    boundary = f"faults{random.getrandbits(64):016x}"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, (filename, ctype, data) in files.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


@dataclass
class WriteStage:
    """What the write paths work on, beyond the registration benchmark's data."""

    coordinators: dict[int, tuple[int, str, str]]  # municipality id -> (user id, code, token)
    attendance_session: int
    unmarked: dict[int, list[int]]  # municipality id -> registrations of the started session
    employee_of: dict[int, int]  # registration id (started session) -> employee id
    files_dir: Path
    domains: dict[int, str]  # municipality id -> a staff domain of it (its coordinator's)


def prepare_write_paths(stage: Stage, out: Path, files_dir: Path) -> WriteStage:
    """Coordinators' tokens, and a session that has started with people enrolled in it.

    The started session is one of the generator's spare ones (``floor``, unused here) moved
    to an hour ago, with 40 enrolled people of each member inserted as the owner (the data
    of a test, as the generator's are): attendance can only be recorded once a session has
    started, and nobody can register for one that has.
    """
    from sqlalchemy import create_engine, text

    coordinators = {}
    for line in (out / "coordinators.tsv").read_text().splitlines():
        uid, mid, code, token = line.split("\t")
        coordinators[int(mid)] = (int(uid), code, token)
    session_id = stage.plan["sessions"]["floor"][0]
    per_member: dict[int, list[int]] = {}
    for uid, mid, _tok in stage.tokens:
        if mid in coordinators and len(per_member.setdefault(mid, [])) < 40:
            per_member[mid].append(uid)
    engine = create_engine(stage.check_url)
    unmarked: dict[int, list[int]] = {}
    employee_of: dict[int, int] = {}
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE training_sessions SET starts_at = :s, ends_at = :e, "
                    "registration_opens_at = :o, registration_closes_at = :c, "
                    "cancellation_deadline = :c WHERE id = :id"
                ),
                _started_times(session_id),
            )
            for mid, uids in per_member.items():
                for uid in uids:
                    rid = conn.execute(
                        text(
                            "INSERT INTO registrations (session_id, employee_id, municipality_id, "
                            "status, requested_at) VALUES (:s, :u, :m, 'enrolled', :now) "
                            "RETURNING id"
                        ),
                        {"s": session_id, "u": uid, "m": mid, "now": _utcnow()},
                    ).scalar_one()
                    unmarked.setdefault(mid, []).append(rid)
                    employee_of[rid] = uid
            conn.execute(
                text("UPDATE training_sessions SET seats_taken = :n WHERE id = :id"),
                {"n": len(employee_of), "id": session_id},
            )
            domains = {
                mid: email.split("@", 1)[1]
                for mid, email in conn.execute(
                    text(
                        "SELECT municipality_id, email FROM users WHERE id IN ("
                        + ",".join(str(uid) for uid, _c, _t in coordinators.values())
                        + ")"
                    )
                ).all()
            }
    finally:
        engine.dispose()
    for regs in unmarked.values():
        random.Random(3).shuffle(regs)
    return WriteStage(coordinators, session_id, unmarked, employee_of, files_dir, domains)


def _utcnow():
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)


def _started_times(session_id: int) -> dict:
    from datetime import timedelta

    now = _utcnow()
    return {
        "id": session_id,
        "s": now - timedelta(hours=1),
        "e": now + timedelta(hours=2),
        "o": now - timedelta(days=3),
        "c": now - timedelta(days=2),
    }


class WriteClients:
    """The mix of write paths, from ``threads`` clients for ``seconds``."""

    MIX = (
        ("register", 3),
        ("attendance", 2),
        ("target", 1),
        ("roster", 1),
        ("upload", 2),
        ("certificate", 2),
    )

    def __init__(self, url: str, stage: Stage, ws: WriteStage) -> None:
        from fixtures_pdf import plain

        host, port = url.split("//")[1].split(":")
        self.host, self.port = host, int(port)
        self.stage, self.ws = stage, ws
        self.pdf = plain()
        self.lock = threading.Lock()
        pairs = [
            (s, uid, tok) for s in stage.plan["sessions"]["app"] for uid, _m, tok in stage.tokens
        ]
        random.Random(7).shuffle(pairs)
        self.pairs = iter(pairs)
        self.employees = stage.tokens
        self.token_of = {uid: tok for uid, _m, tok in stage.tokens}
        self.domain_of: dict[int, str] = {}
        self.seq = iter(range(1, 10**9))
        self.completed: list[int] = []  # registrations whose attendance was recorded (200)
        self.calls: list[Call] = []
        self.registrations: list[Outcome] = []

    def _next(self) -> int:
        with self.lock:
            return next(self.seq)

    def _keep(self, call: Call) -> Call:
        with self.lock:
            self.calls.append(call)
        return call

    def call(self, method: str, path: str, token: str, **kw) -> Call:
        return self._keep(http_call(self.host, self.port, method, path, token, **kw))

    # each path

    def register(self, rng: random.Random) -> None:
        """An employee registers (a seat of a sustained session), then cancels."""
        with self.lock:
            pair = next(self.pairs, None)
        if pair is None:
            return
        session_id, uid, tok = pair
        reg = self.call(
            "POST",
            f"/api/v1/sessions/{session_id}/registrations",
            tok,
            body=b"{}",
            label="register",
        )
        outcome = Outcome(session_id, uid, status=reg.status, body=reg.body, at=time.monotonic())
        if reg.status == 409 and reg.after_503:
            # Kept by the try answered 503 (its commit went through, its answer did not): the
            # retry says so. Counted as a 201 whose id is unknown (its row must exist).
            outcome.status, outcome.body = 201, None
            reg.detail["kept_by_503"] = True
        outcome.retry_after = "5"  # its 503s are counted per try, in the calls
        with self.lock:
            self.registrations.append(outcome)
        if reg.status != 201 or not isinstance(reg.body, dict):
            return
        self.call(
            "DELETE",
            f"/api/v1/registrations/{reg.body['id']}",
            tok,
            label="cancel",
            detail={"registration_id": reg.body["id"]},
        )

    def attendance(self, rng: random.Random) -> None:
        """A coordinator records that one to three of their people attended."""
        mid = rng.choice(sorted(self.ws.unmarked))
        with self.lock:
            regs = self.ws.unmarked[mid]
            batch = [regs.pop() for _ in range(min(len(regs), rng.randint(1, 3)))]
        if not batch:
            return
        _uid, _code, token = self.ws.coordinators[mid]
        body = json.dumps([{"registration_id": r, "attended": True} for r in batch]).encode()
        call = self.call(
            "POST",
            f"/api/v1/sessions/{self.ws.attendance_session}/attendance",
            token,
            body=body,
            label="attendance",
            detail={"registrations": batch},
        )
        if call.status == 200:
            with self.lock:
                self.completed.extend(batch)

    def target(self, rng: random.Random) -> None:
        """A coordinator reads a target and puts a new figure with If-Match (or creates it)."""
        mid = rng.choice(sorted(self.ws.coordinators))
        _uid, code, token = self.ws.coordinators[mid]
        path = f"/api/v1/municipalities/{code}/targets/core_digital"
        got = http_call(self.host, self.port, "GET", path, token, label="target read")
        self._keep(got)
        period = {"period_start_fy": 2024, "period_end_fy": 2026}
        if got.status == 200 and isinstance(got.body, dict):
            cond = {"If-Match": got.headers.get("etag", "")}
            period = {k: got.body[k] for k in period}
        elif got.status == 404:
            cond = {"If-None-Match": "*"}
        else:
            return
        value = rng.randint(1, 5000)
        body = {"kind": "cumulative", "target": value, **period}
        self.call(
            "PUT",
            path,
            token,
            body=json.dumps(body).encode(),
            headers=cond,
            label="target",
            detail={"municipality_id": mid, "value": value},
        )

    def roster(self, rng: random.Random) -> None:
        """A coordinator imports a roster of two new people (all or nothing)."""
        mid = rng.choice(sorted(self.ws.coordinators))
        _uid, code, token = self.ws.coordinators[mid]
        domain = self.ws.domains[mid]
        people = []
        for _ in range(2):
            n = self._next()
            people.append((f"FW{n:07d}", f"障害 試験{n}", f"fw{n:07d}@{domain}"))
        csv = "職員番号,氏名,メールアドレス\n" + "".join(f"{a},{b},{c}\n" for a, b, c in people)
        data, ctype = _multipart({}, {"file": ("roster.csv", "text/csv", csv.encode())})
        self.call(
            "POST",
            f"/api/v1/municipalities/{code}/roster?commit=true",
            token,
            body=data,
            content_type=ctype,
            label="roster",
            detail={"municipality_id": mid, "numbers": [p[0] for p in people]},
        )

    def upload(self, rng: random.Random) -> None:
        """An employee records an exam passed, with the certificate's scan (a small PDF)."""
        uid, _mid, token = rng.choice(self.employees)
        number = f"FW-{self._next():08d}"
        data, ctype = _multipart(
            {"exam": "FE", "passed_on": "2025-04-20", "certificate_number": number},
            {"scan": ("scan.pdf", "application/pdf", self.pdf)},
        )
        self.call(
            "POST",
            "/api/v1/me/qualifications",
            token,
            body=data,
            content_type=ctype,
            label="upload",
            detail={"certificate_number": number, "employee_id": uid},
        )

    def certificate(self, rng: random.Random) -> None:
        """A person downloads the certificate of a completion recorded during the run."""
        with self.lock:
            if not self.completed:
                return
            rid = rng.choice(self.completed)
        token = self.token_of[self.ws.employee_of[rid]]
        self.call(
            "GET",
            f"/api/v1/registrations/{rid}/certificate",
            token,
            label="certificate",
            detail={"registration_id": rid},
        )

    def run(self, seconds: float, threads: int = 8) -> None:
        names = [name for name, weight in self.MIX for _ in range(weight)]
        stop = time.monotonic() + seconds

        def client(k: int) -> None:
            rng = random.Random(100 + k)
            while time.monotonic() < stop:
                getattr(self, rng.choice(names))(rng)

        pool = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=seconds + 300)


_FILES_VS_ROWS = """
import json
from regional import create_app
from regional.extensions import db
from regional.growth import files, upkeep
app = create_app({"CHECK_DATABASE_ROLE": False})
with app.app_context():
    rows = upkeep.file_rows()
    db.session.commit()
    named = {r.name for r in rows}
    keys = [o.key for o in files.storage().list()]
    print(json.dumps({
        "rows": len(rows),
        "stored": sorted(k for k in keys if upkeep._STORED.match(k)),
        "pending": sorted(k for k in keys if upkeep._PENDING.match(k)),
        "parts": sorted(k for k in keys if upkeep._PART.match(k)),
        "named": sorted(named),
        "missing": [[r.table, r.row_id] for r in upkeep.missing_files()],
    }))
"""


def files_vs_rows(stage: Stage, env: dict) -> dict:
    """The storage's files against the rows that name them (regional.growth.upkeep's view)."""
    run_env = dict(env)
    run_env["DATABASE_URL"] = stage.check_url  # every member's rows: the owner
    out = subprocess.run(
        [bench.PY, "-c", _FILES_VS_ROWS],
        cwd=ROOT,
        env=run_env,
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class _Reader:
    """Queries as the tables' owner (every member's rows), for the write paths' checks."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(url)
        self.conn = self.engine.connect()

    def __call__(self, sql: str, **params) -> list:
        from sqlalchemy import text

        return list(self.conn.execute(text(sql), params).all())

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def check_write_paths(
    stage: Stage, ws: WriteStage, clients: WriteClients, env: dict, v: Verdict
) -> str:
    """The write paths' own checks; returns what they found, for the report.

    A request answered 503 was sent again (at most WRITE_TRIES times) and its last answer is
    the one judged. Where a try answered 503 was kept after all (the commit went through,
    the answer did not), the retry says so, and that is accepted when the retry's answer is
    consistent with it: a cancellation then answers 409 ``not_active``, a registration 409
    ``already_registered``, a target 412 (its version moved), a roster import 200 with
    nothing created. An upload so kept would be doubled by its retry: that fails.
    """
    calls = clients.calls
    tries = [s for c in calls for s in c.tries]
    wrong = Counter(s for s in tries if s is not None and s >= 500 and s != 503)
    v.check(not wrong, f"answers 5xx other than 503: {dict(wrong)}")
    v.check(None not in tries, f"{tries.count(None)} requests got no answer")
    v.check(not sum(c.no_retry_after for c in calls), "503 answers without Retry-After")
    by: dict[str, list[Call]] = {}
    for c in calls:
        by.setdefault(c.path, []).append(c)
    kept: Counter = Counter()  # "503 but committed", told by the retry's answer
    kept["register"] = sum(1 for c in by.get("register", []) if c.detail.get("kept_by_503"))
    q = _Reader(stage.check_url)
    try:
        _check_cancels(q, by.get("cancel", []), v, kept)
        _check_attendance(q, ws, by.get("attendance", []), v, kept)
        _check_targets(by.get("target", []), v, kept)
        _check_rosters(q, by.get("roster", []), v, kept)
        _check_uploads(q, by.get("upload", []), v, kept)
        _check_downloads(by.get("certificate", []), v)
    finally:
        q.close()
    seats = check_database(stage.check_url, ws.attendance_session)
    v.check(
        not seats["duplicates"] and seats["seats_consistent"] and seats["tickets_ok"],
        f"the started session disagrees with itself: {seats}",
    )
    gave_up = sum(1 for c in calls if c.status == 503)
    return (
        "503 but kept (told by the retry): "
        + (", ".join(f"{k} {n}" for k, n in sorted(kept.items()) if n) or "none")
        + f"; {gave_up} requests still 503 after {WRITE_TRIES} tries; "
        + _check_files(stage, env, v)
    )


def _check_cancels(q: _Reader, calls: list[Call], v: Verdict, kept: Counter) -> None:
    """200, or 409 ``not_active`` when a try answered 503 had cancelled it: cancelled then."""
    for c in calls:
        row = q("SELECT status FROM registrations WHERE id = :i", i=c.detail["registration_id"])
        cancelled = bool(row) and row[0][0] == "cancelled"
        if c.status == 409 and c.after_503:
            kept["cancel"] += 1
            v.check(cancelled, f"cancel {c.detail} answered 503 then 409 but is not cancelled")
        elif c.status == 200:
            v.check(cancelled, f"cancel {c.detail} answered 200 but is not cancelled")
        elif c.status != 503:
            v.check(False, f"cancel {c.detail} answered {c.tries}: {c.body}")


def _check_attendance(
    q: _Reader, ws: WriteStage, calls: list[Call], v: Verdict, kept: Counter
) -> None:
    """Every mark answered 200 is kept, each attended with one completion and one certificate."""
    marked = {r for c in calls if c.status == 200 for r in c.detail["registrations"]}
    odd = [(c.tries, c.body) for c in calls if c.status not in (200, 503)]
    v.check(not odd, f"attendance answered {odd[:3]}")
    rows = q(
        "SELECT r.id, r.attended, count(DISTINCT c.id), count(DISTINCT k.id) "
        "FROM registrations r LEFT JOIN completions c ON c.registration_id = r.id "
        "LEFT JOIN certificates k ON k.completion_id = c.id "
        "WHERE r.session_id = :s GROUP BY r.id, r.attended",
        s=ws.attendance_session,
    )
    attended = {r[0] for r in rows if r[1]}
    v.check(marked <= attended, f"{len(marked - attended)} marks answered 200 not kept")
    v.check(
        all((r[2], r[3]) == ((1, 1) if r[1] else (0, 0)) for r in rows),
        "a registration of the started session whose completion or certificate "
        "disagrees with its attendance",
    )
    # A batch whose every try answered 503 may still have been kept (marks are idempotent:
    # recording them again changes nothing, so nothing tells it to the client).
    kept["attendance (kept, every try 503)"] += len(attended - marked)


def _check_targets(calls: list[Call], v: Verdict, kept: Counter) -> None:
    """200/201, 412 (another client's change came first, or a try answered 503 was kept)."""
    odd = [(c.tries, c.body) for c in calls if c.status not in (200, 201, 412, 503)]
    v.check(not odd, f"target answered {odd[:3]}")
    for c in calls:
        if c.status == 412 and c.after_503:
            current = (c.body or {}).get("error", {}).get("current") or {}
            if current.get("target") == c.detail["value"]:
                kept["target"] += 1


def _check_rosters(q: _Reader, calls: list[Call], v: Verdict, kept: Counter) -> None:
    """All or nothing; the retry of an import kept under a 503 creates nobody."""
    for c in calls:
        nums = c.detail["numbers"]
        found = q(
            "SELECT count(*) FROM users WHERE employee_number IN ("
            + ",".join(f"'{n}'" for n in nums)
            + ")"
        )[0][0]
        if c.status == 200:
            v.check(found == len(nums), f"roster {nums} answered 200, {found} people kept")
            if c.after_503 and isinstance(c.body, dict) and c.body.get("created") == 0:
                kept["roster"] += 1
        elif c.status == 503:
            v.check(found in (0, len(nums)), f"roster {nums} half kept ({found})")
        else:
            v.check(False, f"roster {nums} answered {c.tries}: {c.body}")


def _check_uploads(q: _Reader, calls: list[Call], v: Verdict, kept: Counter) -> None:
    """One row per 201; a 503 keeps nothing (its retry would record the pass twice)."""
    for c in calls:
        n = q(
            "SELECT count(*) FROM qualifications WHERE certificate_number = :n",
            n=c.detail["certificate_number"],
        )[0][0]
        if c.status == 201:
            v.check(n == 1, f"upload {c.detail} answered {c.tries}: {n} rows")
            if n > 1:
                kept["upload (doubled by its retry)"] += 1
        elif c.status == 503:
            v.check(n == 0, f"upload {c.detail} answered only 503 but has {n} rows")
        else:
            v.check(False, f"upload {c.detail} answered {c.tries}: {c.body}")


def _check_downloads(calls: list[Call], v: Verdict) -> None:
    for c in calls:
        if c.status != 503:
            v.check(
                c.status == 200 and isinstance(c.body, bytes) and c.body.startswith(b"%PDF"),
                f"certificate {c.detail} answered {c.tries}",
            )


def _check_files(stage: Stage, env: dict, v: Verdict) -> str:
    """No stored file without its row, no row without its file.

    Temporary files (``.pending``) whose row does not exist are what a rolled-back upload
    leaves; ``flask files sweep`` removes them once a day old (it cannot be told less than
    an hour), so they are counted, not failed. The same for a temporary file whose row
    committed but that was not moved yet (the sweep moves it).
    """
    listing = files_vs_rows(stage, env)
    named = set(listing["named"])
    orphans = [k for k in listing["stored"] if k not in named]
    pending_orphans = [k for k in listing["pending"] if k.split(".")[0] not in named]
    unfinished = [k for k in listing["pending"] if k.split(".")[0] in named]
    v.check(not orphans, f"{len(orphans)} stored files no row names: {orphans[:3]}")
    v.check(not listing["missing"], f"rows whose file is missing: {listing['missing'][:5]}")
    return (
        f"files: {listing['rows']} rows name a file, {len(listing['stored'])} stored, "
        f"{len(orphans)} without a row, {len(pending_orphans)} temporary files of rolled-back "
        f"uploads (the daily sweep's), {len(unfinished)} committed but not yet moved, "
        f"{len(listing['parts'])} partial writes"
    )


def _terminate_app_connections(dbname: str, stop: threading.Event, counts: Counter) -> None:
    """From the owner's connection: one of the app's connections ended every 20-150 ms."""
    import psycopg

    owner = PG_URL.replace("postgresql+psycopg://", "postgresql://", 1)
    rng = random.Random(19)
    with psycopg.connect(owner, autocommit=True) as conn:
        while not stop.wait(rng.uniform(0.020, 0.150)):
            row = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND usename = %s AND pid <> pg_backend_pid() "
                "ORDER BY random() LIMIT 1",
                (dbname, bench.RUNTIME_ROLE),
            ).fetchone()
            counts["terminated" if row and row[0] else "none to end"] += 1


def write_paths(kind: str, args: argparse.Namespace) -> bool:
    import shutil

    files_dir = RESULTS / f"files-{kind}"
    shutil.rmtree(files_dir, ignore_errors=True)
    files_dir.mkdir(parents=True)
    env_extra = {"GROWTH_FILES_DIR": str(files_dir), "FILES_STORAGE": "local"}
    if kind == "sqlite":
        env_extra["SQLITE_BUSY_TIMEOUT_MS"] = "200"
    stage = prepare(
        kind, args.employees, sessions=16, env_extra=env_extra, generate_args=("--targets",)
    )
    ws = prepare_write_paths(stage, RESULTS / f"data-{kind}", files_dir)
    server = start_app(stage, f"{kind}-write-paths")
    stop = threading.Event()
    counts: Counter = Counter()
    if kind == "postgres":
        fault = threading.Thread(
            target=_terminate_app_connections,
            args=(PG_URL.rsplit("/", 1)[1], stop, counts),
            daemon=True,
        )
        what = "app connections terminated every 20-150 ms"
    else:
        fault = threading.Thread(target=_hog_sqlite, args=(stage, stop, counts), daemon=True)
        what = "SQLite's write lock held 0.6 s of every second by another process (busy 200 ms)"
    ok = True
    try:
        fault.start()
        clients = WriteClients(server.url, stage, ws)
        clients.run(args.duration)
        stop.set()
        fault.join(timeout=10)
        v = Verdict()
        extra = check_registrations(stage, clients.registrations, v)
        extra += "; " + check_write_paths(stage, ws, clients, stage.env, v)
        v.check(server.proc.poll() is None, "the app's master exited")
        tries = Counter(s for c in clients.calls for s in c.tries)
        by_path = Counter(c.path for c in clients.calls)
        say(
            f"  {what}: {counts['terminated']} ended"
            if kind == "postgres"
            else f"  {what}: taken {counts['times']} times"
        )
        say(
            f"  {sum(tries.values())} requests ({', '.join(f'{k} {n}' for k, n in sorted(by_path.items()))})"
        )
        say("    answers: " + ", ".join(f"{k} {n}" for k, n in sorted(tries.items(), key=str)))
        say(f"    {extra}")
        say("    checks: " + ("all pass" if v.ok else "FAILED: " + "; ".join(v.problems)))
        summarise(
            "the write mix (every try)",
            Counter("died" if t is None else str(t) for c in clients.calls for t in c.tries),
            v.ok,
        )
        ok = v.ok
    finally:
        stop.set()
        server.stop()
    return ok


def _hog_sqlite(stage: Stage, stop: threading.Event, counts: Counter) -> None:
    """Another writer that keeps SQLite's write lock for 0.6 s of every second."""
    import sqlite3

    conn = sqlite3.connect(
        stage.db_url.removeprefix("sqlite:///"), isolation_level=None, timeout=30
    )
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        counts["times"] += 1
        time.sleep(0.6)
        conn.execute("COMMIT")
        time.sleep(0.4)
    conn.close()


# -- two machines ----------------------------------------------------------------------------


class MailSink:
    """An SMTP server (aiosmtpd) that keeps (To, Subject) of every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
                import email
                import email.policy

                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with sink.lock:
                    sink.received.append((str(msg["To"]), str(msg["Subject"])))
                return "250 OK"

        self.port = bench.free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.controller.stop()


def _cron(env: dict, *command: str) -> str:
    return subprocess.run(
        [str(bench.VENV_BIN / "flask"), "--app", "wsgi", *command],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    ).stdout


def two_machines(kind: str, args: argparse.Namespace) -> bool:
    """Two machines (two gunicorn instances, each with its own environment) on one database.

    Registrations go to both; one machine's workers are SIGKILLed every second; every two
    seconds both machines run ``flask send-mail`` and ``flask send-reminders`` at the same
    moment (each from its own crontab: the cron lock of regional/cronlock.py lets one run).
    """
    if kind != "postgres":
        say("  (PostgreSQL only: SQLite is a file of one machine)")
        return True
    import shutil

    sink = MailSink()
    shared = RESULTS / "files-two-machines"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir(parents=True)
    mail_env = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "GROWTH_FILES_DIR": str(shared),
    }
    stage = prepare(kind, args.employees, sessions=16, env_extra=mail_env)
    machines = [server_env_with(stage, {"MACHINE": name}) for name in ("a", "b")]
    servers = [start_app(stage, f"{kind}-machine-{m['MACHINE']}", m) for m in machines]
    stop = threading.Event()
    seen: Counter = Counter()

    def killer() -> None:
        rng = random.Random(13)
        while not stop.wait(1.0):
            pids = workers_of(servers[0])
            if pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    seen["workers killed"] += 1

    def crons() -> None:
        while not stop.wait(2.0):
            for command in (("send-mail",), ("send-reminders", "--days", "60")):
                with ThreadPoolExecutor(len(machines)) as pool:  # at the same moment
                    outs = list(pool.map(lambda e, c=command: _cron(e, *c), machines))
                seen[f"{command[0]} runs"] += len(outs)
                seen[f"{command[0]} found the other running"] += sum(
                    "another run is in progress" in o for o in outs
                )

    ok = True
    threads = [threading.Thread(target=f, daemon=True) for f in (killer, crons)]
    try:
        for t in threads:
            t.start()
        v = Verdict()
        outcomes = sustained(
            servers[0].url,
            stage,
            stage.plan["sessions"]["app"],
            args.duration,
            v,
            urls=[s.url for s in servers],
        )
        stop.set()
        for t in threads:
            t.join(timeout=600)
        extra = check_registrations(stage, outcomes, v)
        # The last runs: every reminder queued, then the outbox until empty (bounded).
        _cron(machines[1], "send-reminders", "--days", "60")
        until = time.monotonic() + 300
        while outbox_unsent(stage) and time.monotonic() < until:
            _cron(machines[1], "send-mail")
        time.sleep(1)
        v.check(outbox_unsent(stage) == 0, "messages still unsent")
        with sink.lock:
            got = Counter(sink.received)
        expected = Counter(outbox_rows(stage))
        v.check(
            got == expected,
            f"delivered {sum(got.values())} vs outbox {sum(expected.values())}: "
            f"missing {sum((expected - got).values())}, doubled {sum((got - expected).values())}",
        )
        reminded = _scalar_rows(
            stage, "SELECT count(*) FROM registrations WHERE reminded_at IS NOT NULL"
        )[0][0]
        reminders = _scalar_rows(
            stage, "SELECT count(*) FROM outbound_mail WHERE template = 'reminder'"
        )[0][0]
        v.check(reminded == reminders, f"{reminded} people reminded, {reminders} reminders")
        v.check(all(s.proc.poll() is None for s in servers), "a machine's master exited")
        by_machine = Counter(
            next(i for i, s in enumerate(servers) if s.url == o.url) for o in outcomes
        )
        extra += (
            f"; machine a / b served {by_machine[0]} / {by_machine[1]} requests; "
            + ", ".join(f"{k} {n}" for k, n in sorted(seen.items()))
            + f"; {sum(expected.values())} messages in the outbox ({reminders} reminders), "
            f"{sum(got.values())} received"
        )
        ok &= report(
            f"sustained {args.duration:g} s on two machines, machine a's workers killed",
            outcomes,
            extra,
            v,
        )
    finally:
        stop.set()
        for s in servers:
            s.stop()
        sink.stop()
    return ok


RUNS = {
    "kill-workers": kill_workers,
    "database-outage": database_outage,
    "smtp-outage": smtp_outage,
    "sqlite-lock": sqlite_lock,
    "write-paths": write_paths,
    "two-machines": two_machines,
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
                CURRENT.update(scenario=scenario, kind=kind, rep=rep)
                t0 = time.monotonic()
                ok = RUNS[scenario](kind, args)
                say(f"  {'PASS' if ok else 'FAIL'} in {time.monotonic() - t0:.0f} s")
                passed[ok] += 1
    say(f"\n{passed[True]} passed, {passed[False]} failed\n")
    say(summary_table())
    return 0 if not passed[False] else 1


if __name__ == "__main__":
    sys.exit(main())
