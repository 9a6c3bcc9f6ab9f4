"""Cron commands that two machines run at once: one run at a time, each message sent once.

Run A is a separate process (``flask send-mail`` / ``flask send-reminders``, as cron on
one machine starts it) whose delivery the mail server holds up; while it holds its lock,
run B (the other machine's) starts, says another run is in progress, exits 0 and sends
nothing. Then A finishes: every message arrived exactly once. On PostgreSQL the lock is
an advisory lock of the server; on SQLite a lock on a file beside the database.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import fcntl
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from regional.cronlock import COMMAND_KEYS, PLATFORM_KEY, lock_file
from regional.extensions import db
from regional.mail.services import queue_mail
from tenants.rls import lift_wall
from tests import factories
from tests.conftest import CODE_A, CODE_ADMIN, CODE_B, PASSWORD
from tests.fixtures_databases import own_database
from tests.fixtures_registrations import register

pytestmark = [pytest.mark.real_commits, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
LOCKED = "another run is in progress; nothing done"


class HeldMailbox:
    """An SMTP server that keeps the first message waiting until ``release()``."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.first = threading.Event()
        self.gate = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.first.is_set():
            self.first.set()
            waited = 0.0
            while not self.gate.is_set() and waited < 8:  # under the client's 10 s time-out
                await asyncio.sleep(0.05)
                waited += 0.05
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(msg)
        return "250 OK"

    def release(self) -> None:
        self.gate.set()

    def sent(self) -> Counter:
        return Counter((m["To"], m["Subject"]) for m in self.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def held_mailbox():
    box = HeldMailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    box.release()
    controller.stop()


@pytest.fixture
def database(owner_database_url, tmp_path, held_mailbox):
    """A database of its own, with the world, mail deferred to cron and the held server."""
    _, port = held_mailbox
    with own_database(
        owner_database_url,
        tmp_path,
        "cronlock",
        MAIL_DELIVERY="deferred",
        MAIL_PORT=port,
    ) as (app, owner):
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
            db.session.commit()
            db.session.remove()
        yield app, world, tmp_path


def _start(app, tmp_path: Path, port: int, *args: str) -> subprocess.Popen:
    """The command in a process of its own, as cron on another machine would start it."""
    env = {
        **os.environ,
        "REGIONAL_ENV": "production",
        "SECRET_KEY": app.config["SECRET_KEY"],  # the settings the database was migrated with
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DELIVERY": "deferred",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "GROWTH_FILES_DIR": app.config["GROWTH_FILES_DIR"],
    }
    env.pop("MIGRATION_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _run_here(app, *args: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


class _Person:
    def __init__(self, i: int):
        self.name = f"職員 {i}"


def _queue_mail(app) -> None:
    with app.app_context():
        for i in range(4):
            queue_mail(
                f"person{i}@city.tsuyama.lg.jp",
                "auth_password_changed",
                locale="ja",
                user=_Person(i),
                forgot_link="https://training.example.lg.jp/forgot",
            )
        db.session.commit()


def _due_reminders(app, world) -> int:
    with app.app_context():
        soon = factories.make_session(
            capacity=5, starts_in=timedelta(days=2), closes_in=timedelta(days=1)
        )
        for employee in (world.employee_a, world.employee_a2, world.employee_b):
            register(soon.id, employee)
        db.session.commit()
    return 3


def _overlap(app, tmp_path, held_mailbox, command: list[str]):
    box, port = held_mailbox
    first = _start(app, tmp_path, port, *command)
    try:
        assert box.first.wait(30), "run A delivered nothing"  # A is mid-run: it holds the lock
        second = _run_here(app, *command)  # run B, meanwhile, on the "other machine"
    finally:
        box.release()
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out
    return out, second


@pytest.mark.parametrize("command", [["send-mail"], ["send-reminders", "--days", "3"]])
def test_two_runs_at_once_send_every_message_exactly_once(database, held_mailbox, command):
    app, world, tmp_path = database
    box, _ = held_mailbox
    if command[0] == "send-mail":
        _queue_mail(app)
    else:
        _due_reminders(app, world)
    with app.app_context():
        conn = db.session.connection()
        lift_wall(conn)  # every member's outbox
        queued = conn.execute(
            text("SELECT count(*) FROM outbound_mail WHERE sent_at IS NULL")
        ).scalar_one()
    out, second = _overlap(app, tmp_path, held_mailbox, command)
    assert second.exit_code == 0, second.output
    assert LOCKED in second.output  # B did nothing while A held the lock
    sent = box.sent()
    assert sum(sent.values()) >= queued > 0
    assert all(n == 1 for n in sent.values()), sent  # nobody twice
    if command[0] == "send-reminders":
        assert "reminders queued: 3" in out
    # Afterwards the lock is free again: the next run runs (and finds nothing left).
    third = _run_here(app, *command)
    assert third.exit_code == 0 and LOCKED not in third.output
    assert all(n == 1 for n in box.sent().values())


@pytest.mark.parametrize("name", sorted(COMMAND_KEYS))
def test_a_run_while_another_machine_holds_the_lock_does_nothing(app, ctx, name, mailbox):
    """The lock as another machine holds it: the server's advisory lock, or the file's."""
    args = {"files-sweep": ["files", "sweep"], "send-reminders": ["send-reminders"]}.get(
        name, [name]
    )
    if db.engine.dialect.name == "postgresql":
        holder = create_engine(db.engine.url, isolation_level="AUTOCOMMIT")
        conn = holder.connect()
        try:
            assert conn.execute(
                text("SELECT pg_try_advisory_lock(:p, :c)"),
                {"p": PLATFORM_KEY, "c": COMMAND_KEYS[name]},
            ).scalar_one()
            result = app.test_cli_runner().invoke(args=args)
        finally:
            conn.close()
            holder.dispose()
    else:
        path = lock_file(name)
        assert path is not None
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            result = app.test_cli_runner().invoke(args=args)
        finally:
            os.close(fd)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{name}: {LOCKED}"  # and nothing else ran
