"""The floor of the registration work: the same transaction in bare SQL, behind bare WSGI.

ONLY A MEASURING FLOOR, never to be deployed: it has no authentication at all
(the employee is named by ``employee_id`` in the query string), no tenant
wall, no eligibility rules, no mail rendering. It does exactly the database
work of one self-registration on the platform's real schema, so that the
benchmark can tell what the framework and the application add on top:

1. begin the write transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: lock
   the session row with ``SELECT ... FOR UPDATE``);
2. look up the employee's municipality and address;
3. refuse (409) if the employee already has a registration row for the session
   (the app would reopen a cancelled one; the benchmark never meets that case);
4. take a seat with a conditional update
   (``... SET seats_taken = seats_taken + 1 WHERE id = ? AND seats_taken +
   reserved_unclaimed < capacity``); if none is left, draw the next
   waiting-list ticket (``waitlist_seq + 1``) and count the place in line;
5. insert the registration (enrolled, or waitlisted with its ticket);
6. insert the notification into the outbox (a fixed text of the usual size);
7. commit, and answer 201 with the same JSON fields as the API.

Served by gunicorn with the same settings as the app::

    DATABASE_URL=... gunicorn -w 4 --worker-class sync -b 127.0.0.1:PORT \\
        --pythonpath bench bare_app:app

``POST /register?session_id=S&employee_id=E``; ``GET /healthz`` for readiness.
One connection per worker process (a sync worker serves one request at a time).
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

#: The floor has no tenant wall: on PostgreSQL it connects as the tables' owner.
DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL", "")

# A notification of the size the app renders (subject line, body, calendar file).
MAIL_SUBJECT = "【研修ポータル】受講登録が完了しました：自治体クラウド・標準化システム"
MAIL_BODY = (
    "次の研修の受講登録が完了しました。\n\n"
    "研修：自治体クラウドと標準準拠システム（CORE-DT-102）\n"
    "日時：2026年12月26日（土）9:30〜12:30\n"
    "会場：岡山市役所 本庁舎 第1会議室\n\n"
    "取消しは開催3日前までに研修ポータルから行えます。\n"
    "http://127.0.0.1:5000/sessions/1\n"
) * 2
MAIL_ICS = (
    b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nPRODID:-//Okayama Regional Alliance//Training//JA\r\n"
    b"VERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:CORE-DT-102\r\nDTSTART:20261226T003000Z\r\n"
    b"DTEND:20261226T033000Z\r\nUID:registration-1@regional-training\r\nSEQUENCE:1\r\n"
    b"STATUS:CONFIRMED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)

_conn = None  # per worker process, opened on first use (after gunicorn forks)


class _Refused(Exception):
    def __init__(self, status: str, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


def _is_sqlite() -> bool:
    return DATABASE_URL.startswith("sqlite")


def _connect():
    global _conn
    if _conn is not None:
        return _conn
    if _is_sqlite():
        path = DATABASE_URL.split(":///", 1)[1]
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    else:
        import psycopg

        conninfo = DATABASE_URL.replace("postgresql+psycopg://", "postgresql://", 1)
        conn = psycopg.connect(conninfo, autocommit=False)
    _conn = conn
    return conn


def _now(sqlite: bool):
    now = datetime.now(UTC)
    # SQLAlchemy keeps SQLite times as naive UTC text; PostgreSQL takes the aware value.
    return now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if sqlite else now


def register(session_id: int, employee_id: int) -> dict:
    """One self-registration, as one transaction; raises _Refused for 404/409."""
    sqlite = _is_sqlite()
    conn = _connect()
    p = "?" if sqlite else "%s"
    cur = conn.cursor()
    try:
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(
            f"SELECT id FROM training_sessions WHERE id = {p}" + ("" if sqlite else " FOR UPDATE"),
            (session_id,),
        )
        if cur.fetchone() is None:
            raise _Refused("404 Not Found", "session_not_found")
        cur.execute(
            "SELECT u.municipality_id, u.email, m.code FROM users u "
            f"JOIN municipalities m ON m.id = u.municipality_id WHERE u.id = {p}",
            (employee_id,),
        )
        row = cur.fetchone()
        if row is None:
            raise _Refused("404 Not Found", "employee_not_found")
        municipality_id, email, municipality_code = row
        cur.execute(
            f"SELECT status FROM registrations WHERE session_id = {p} AND employee_id = {p}",
            (session_id, employee_id),
        )
        if cur.fetchone() is not None:
            raise _Refused("409 Conflict", "already_registered")
        cur.execute(
            "UPDATE training_sessions SET seats_taken = seats_taken + 1 "
            f"WHERE id = {p} AND seats_taken + reserved_unclaimed < capacity",
            (session_id,),
        )
        position = ticket = None
        if cur.rowcount == 1:
            status = "enrolled"
        else:
            status = "waitlisted"
            cur.execute(
                "UPDATE training_sessions SET waitlist_seq = waitlist_seq + 1 "
                f"WHERE id = {p} RETURNING waitlist_seq",
                (session_id,),
            )
            ticket = cur.fetchone()[0]
        now = _now(sqlite)
        cur.execute(
            "INSERT INTO registrations (session_id, employee_id, municipality_id, status, "
            "waitlist_ticket, requested_at, registered_by_id) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) RETURNING id",
            (session_id, employee_id, municipality_id, status, ticket, now, employee_id),
        )
        reg_id = cur.fetchone()[0]
        if ticket is not None:
            cur.execute(
                "SELECT count(*) FROM registrations "
                f"WHERE session_id = {p} AND status = 'waitlisted' AND waitlist_ticket < {p}",
                (session_id, ticket),
            )
            position = cur.fetchone()[0] + 1
        cur.execute(
            "INSERT INTO outbound_mail (municipality_id, to_addr, subject, body, ics, "
            f"created_at, attempts) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, 0)",
            (municipality_id, email, MAIL_SUBJECT, MAIL_BODY, MAIL_ICS, now),
        )
        if sqlite:
            cur.execute("COMMIT")
        else:
            conn.commit()
    except BaseException:
        if sqlite:
            if conn.in_transaction:
                cur.execute("ROLLBACK")
        else:
            conn.rollback()
        raise
    finally:
        cur.close()
    return {
        "id": reg_id,
        "session_id": session_id,
        "employee_id": employee_id,
        "municipality_code": municipality_code,
        "status": status,
        "waitlist_position": position,
    }


def _reply(start_response, status: str, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "GET")
    if path == "/healthz":
        return _reply(start_response, "200 OK", {"status": "ok"})
    if path != "/register" or method != "POST":
        return _reply(start_response, "404 Not Found", {"error": {"code": "not_found"}})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(min(length, 4096))
    query = parse_qs(urlsplit("?" + environ.get("QUERY_STRING", "")).query)
    try:
        session_id = int(query["session_id"][0])
        employee_id = int(query["employee_id"][0])
    except (KeyError, ValueError, IndexError):
        return _reply(start_response, "400 Bad Request", {"error": {"code": "malformed"}})
    try:
        result = register(session_id, employee_id)
    except _Refused as exc:
        return _reply(start_response, exc.status, {"error": {"code": exc.code}})
    except (sqlite3.IntegrityError, _integrity_errors()):
        return _reply(start_response, "409 Conflict", {"error": {"code": "already_registered"}})
    return _reply(start_response, "201 Created", result)


def _integrity_errors() -> type[Exception]:
    if _is_sqlite():
        return sqlite3.IntegrityError
    import psycopg

    return psycopg.errors.IntegrityError
