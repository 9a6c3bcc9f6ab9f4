"""Burst correctness: N distinct employees register for one small session at the same moment.

    .venv/bin/python bench/burst.py --url http://127.0.0.1:PORT --tokens DATA/tokens.tsv \\
        --session ID --seats 40 --n 500 --db-url DATABASE_URL

Several client PROCESSES (``--procs``, default 10) each open their share of
connections first (one thread and one TCP connection per employee, the
request already encoded), then every thread of every process waits on one
shared ``multiprocessing.Event``; when all have reported ready the parent
sets it and all ``--n`` requests leave together.

Counted from the replies: 201 enrolled, 201 waitlisted, 409, other 4xx, 5xx,
and connection errors. Then checked in the DATABASE: enrolled and waitlisted
rows of the session, duplicate (session, employee) rows, ``seats_taken``
against the seat-holding rows, and the waiting-list tickets (distinct and
consecutive from 1). Prints enrolled, waiting, duplicates and server errors;
exits 1 unless there are exactly SEATS enrolled, N - SEATS waiting, no
duplicate and no error (and the database agrees with itself).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import socket
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 10.0
IO_TIMEOUT = 120.0


def _request_bytes(host: str, port: int, session_id: int, token: str) -> bytes:
    body = b"{}"
    head = (
        f"POST /api/v1/sessions/{session_id}/registrations HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def _read_reply(sock: socket.socket) -> tuple[int, bytes]:
    chunks, total = [], 0
    while total < 1_000_000:  # bounded: a reply here is a few hundred bytes
        data = sock.recv(65536)
        if not data:
            break
        chunks.append(data)
        total += len(data)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        body = _dechunk(body)
    return status, body


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    for _ in range(10_000):
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


def _client_process(
    url: str,
    session_id: int,
    employees: list[tuple[int, str]],
    ready: mp.synchronize.Barrier,
    go: mp.synchronize.Event,
    out: mp.Queue,
) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    results: list[dict] = []
    lock = threading.Lock()
    local_ready = threading.Barrier(len(employees) + 1, timeout=60)

    def one(employee_id: int, token: str) -> None:
        payload = _request_bytes(host, port, session_id, token)
        rec: dict = {"employee_id": employee_id}
        sock = None
        try:
            sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
            sock.settimeout(IO_TIMEOUT)
        except OSError as exc:
            rec["error"] = f"connect: {exc}"
        try:
            local_ready.wait()
        except threading.BrokenBarrierError:
            rec.setdefault("error", "barrier broken")
        go.wait(timeout=120)
        if sock is not None and "error" not in rec:
            t0 = time.perf_counter()
            try:
                sock.sendall(payload)
                status, body = _read_reply(sock)
                rec["status"] = status
                try:
                    rec["body"] = json.loads(body or b"null")
                except ValueError:
                    rec["body"] = body[:200].decode("utf-8", "replace")
            except (OSError, ValueError, IndexError) as exc:
                rec["error"] = f"io: {exc}"
            rec["seconds"] = time.perf_counter() - t0
        if sock is not None:
            sock.close()
        with lock:
            results.append(rec)

    threads = [threading.Thread(target=one, args=e, daemon=True) for e in employees]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        local_ready.wait()
    ready.wait(timeout=120)
    for t in threads:
        t.join(timeout=IO_TIMEOUT + 30)
    out.put(results)


def fire(url: str, session_id: int, employees: list[tuple[int, str]], procs: int) -> list[dict]:
    """Send one registration per employee, all released together; returns one record each."""
    ctx = mp.get_context("fork")
    ready = ctx.Barrier(procs + 1, timeout=120)
    go = ctx.Event()
    out: mp.Queue = ctx.Queue()
    shares = [employees[i::procs] for i in range(procs)]
    workers = [
        ctx.Process(target=_client_process, args=(url, session_id, share, ready, go, out))
        for share in shares
    ]
    for w in workers:
        w.start()
    ready.wait()  # every connection of every process is open
    t0 = time.perf_counter()
    go.set()
    results: list[dict] = []
    for _ in workers:
        results.extend(out.get(timeout=IO_TIMEOUT + 60))
    elapsed = time.perf_counter() - t0
    for w in workers:
        w.join(timeout=30)
        if w.is_alive():
            w.kill()
    for r in results:
        r["wall"] = elapsed
    return results


def classify(results: list[dict]) -> Counter:
    c: Counter = Counter()
    for r in results:
        status = r.get("status")
        if "error" in r:
            c["connection_errors"] += 1
        elif status == 201 and isinstance(r.get("body"), dict):
            c[f"201_{r['body'].get('status')}"] += 1
        elif status == 409:
            c["409"] += 1
        elif status is not None and status >= 500:
            c["5xx"] += 1
        else:
            c[f"other_{status}"] += 1
    return c


def check_database(db_url: str, session_id: int) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            by_status = dict(
                conn.execute(
                    text(
                        "SELECT status, count(*) FROM registrations "
                        "WHERE session_id = :s GROUP BY status"
                    ),
                    {"s": session_id},
                ).all()
            )
            duplicates = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT session_id, employee_id FROM registrations "
                    "WHERE session_id = :s GROUP BY session_id, employee_id "
                    "HAVING count(*) > 1) d"
                ),
                {"s": session_id},
            ).scalar_one()
            seats_taken, capacity, seq = conn.execute(
                text(
                    "SELECT seats_taken, capacity, waitlist_seq FROM training_sessions "
                    "WHERE id = :s"
                ),
                {"s": session_id},
            ).one()
            tickets = list(
                conn.execute(
                    text(
                        "SELECT waitlist_ticket FROM registrations WHERE session_id = :s "
                        "AND status = 'waitlisted' ORDER BY waitlist_ticket"
                    ),
                    {"s": session_id},
                ).scalars()
            )
    finally:
        engine.dispose()
    holding = by_status.get("enrolled", 0) + by_status.get("pending", 0)
    return {
        "by_status": by_status,
        "enrolled": by_status.get("enrolled", 0),
        "waitlisted": by_status.get("waitlisted", 0),
        "duplicates": duplicates,
        "seats_taken": seats_taken,
        "capacity": capacity,
        "seats_consistent": seats_taken == holding and seats_taken <= capacity,
        "tickets_ok": tickets == list(range(1, len(tickets) + 1)) and seq == len(tickets),
        "waitlist_seq": seq,
    }


def outbox_count(db_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM outbound_mail")).scalar_one()
    finally:
        engine.dispose()


def run_burst(
    url: str, tokens_path: str, session_id: int, seats: int, n: int, procs: int, db_url: str
) -> tuple[bool, dict]:
    employees: list[tuple[int, str]] = []
    with open(tokens_path) as fh:
        for line in fh:
            uid, _mid, token = line.rstrip("\n").split("\t")
            employees.append((int(uid), token))
            if len(employees) == n:
                break
    if len(employees) < n or len({e for e, _ in employees}) != n:
        raise SystemExit(f"need {n} distinct employees in {tokens_path}")
    outbox_before = outbox_count(db_url)
    results = fire(url, session_id, employees, procs)
    counts = classify(results)
    db = check_database(db_url, session_id)
    db["outbox_rows"] = outbox_count(db_url) - outbox_before
    positions = sorted(
        r["body"]["waitlist_position"]
        for r in results
        if r.get("status") == 201 and r["body"].get("status") == "waitlisted"
    )
    reg_ids = [r["body"].get("id") for r in results if r.get("status") == 201]
    latencies = sorted(r["seconds"] for r in results if "seconds" in r)
    server_errors = counts["5xx"] + counts["connection_errors"]
    summary = {
        "requests": n,
        "seats": seats,
        "http": dict(counts),
        "enrolled": db["enrolled"],
        "waiting": db["waitlisted"],
        "duplicates": db["duplicates"] + (len(reg_ids) - len(set(reg_ids))),
        "server_errors": server_errors,
        "db": db,
        "positions_ok": positions == list(range(1, len(positions) + 1)),
        "wall_seconds": results[0]["wall"] if results else None,
        "slowest_seconds": latencies[-1] if latencies else None,
    }
    ok = (
        db["enrolled"] == seats
        and db["waitlisted"] == n - seats
        and counts["201_enrolled"] == seats
        and counts["201_waitlisted"] == n - seats
        and summary["duplicates"] == 0
        and server_errors == 0
        and sum(counts.values()) == n
        and db["seats_consistent"]
        and db["tickets_ok"]
    )
    summary["ok"] = ok
    return ok, summary


def format_summary(s: dict) -> str:
    db, http = s["db"], s["http"]
    lines = [
        f"  enrolled {s['enrolled']}   waiting {s['waiting']}   duplicates {s['duplicates']}   "
        f"server errors {s['server_errors']}   -> {'OK' if s['ok'] else 'FAILED'} "
        f"(expected {s['seats']} / {s['requests'] - s['seats']} / 0 / 0)",
        "  replies: " + ", ".join(f"{k} {v}" for k, v in sorted(http.items())),
        f"  database: seats_taken {db['seats_taken']}/{db['capacity']} "
        f"({'matches' if db['seats_consistent'] else 'DOES NOT match'} the seat-holding rows), "
        f"tickets 1..{db['waitlist_seq']} {'consecutive' if db['tickets_ok'] else 'NOT consecutive'}, "
        f"waiting-list positions in replies {'1..n each once' if s['positions_ok'] else 'NOT 1..n'}, "
        f"mails queued in the outbox {db['outbox_rows']}",
        f"  all {s['requests']} answered {s['wall_seconds']:.2f} s after release "
        f"(slowest reply {s['slowest_seconds']:.2f} s)"
        if s["wall_seconds"] is not None and s["slowest_seconds"] is not None
        else "  no timings",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="base URL of the app (loopback only)")
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--session", type=int, required=True)
    ap.add_argument("--seats", type=int, default=40)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--procs", type=int, default=10)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args(argv)
    if urlsplit(args.url).hostname != "127.0.0.1":
        ap.error("only 127.0.0.1 may be targeted")
    if not 1 <= args.n <= 5000 or not 1 <= args.procs <= 64:
        ap.error("--n must be 1..5000 and --procs 1..64")
    ok, summary = run_burst(
        args.url, args.tokens, args.session, args.seats, args.n, args.procs, args.db_url
    )
    print(json.dumps(summary) if args.json else format_summary(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
