"""One run at a time of each cron command, across machines (README: Running in production, cron).

Two application machines each run the same crontab. Every cron command takes its own
lock first and, when another run holds it, prints so and exits 0 having done nothing:

* PostgreSQL: ``pg_try_advisory_lock`` with the command's key, on a connection of its own
  held (in autocommit: no transaction stays open) for the whole run. The lock is the
  server's, so it holds across machines, and it goes with the connection if the run dies.
* SQLite: one machine only (the database is a file of it), so an exclusive ``flock`` on
  a file beside the database, released by the kernel if the run dies. (Holding SQLite's
  own write lock, ``BEGIN IMMEDIATE``, for the run would stop the run's own writes and
  every request's.)

The rows each command takes are also locked one by one where that matters
(``FOR UPDATE SKIP LOCKED``), so the lock is what makes a second run a no-op rather
than the only thing that keeps a message from going twice.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import text
from sqlalchemy.engine import make_url

from regional.extensions import db

log = logging.getLogger(__name__)

#: One advisory-lock key per command (two 32-bit halves: the platform's, the command's).
PLATFORM_KEY = 0x52_47_4E_4C  # "RGNL"
COMMAND_KEYS = {
    "send-mail": 1,
    "send-reminders": 2,
    "release-seats": 3,
    "notify-interested": 4,
    "files-sweep": 5,
    "send-digest": 6,
    "send-survey-reminders": 7,
    "send-survey-followups": 8,
}

_KEY = "CAST(:platform AS integer), CAST(:command AS integer)"
_TRY_LOCK = text(f"SELECT pg_try_advisory_lock({_KEY})")
_UNLOCK = text(f"SELECT pg_advisory_unlock({_KEY})")

_memory_locks: dict[str, threading.Lock] = {}


@contextmanager
def _postgres_lock(name: str) -> Iterator[bool]:
    conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    held = False
    try:
        held = bool(
            conn.execute(
                _TRY_LOCK,
                {"platform": PLATFORM_KEY, "command": COMMAND_KEYS[name]},
            ).scalar_one()
        )
        yield held
    finally:
        try:
            if held:
                conn.execute(
                    _UNLOCK,
                    {"platform": PLATFORM_KEY, "command": COMMAND_KEYS[name]},
                )
        except Exception:  # never hand a connection that may still hold it to the pool
            log.exception("advisory unlock failed command=%s", name)
            conn.invalidate()
        finally:
            conn.close()


def lock_file(name: str) -> Path | None:
    """The SQLite database's lock file for a command (None: an in-memory database)."""
    database = make_url(str(db.engine.url)).database
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(f"{Path(database).name}.{name}.lock")


@contextmanager
def _sqlite_lock(name: str) -> Iterator[bool]:
    path = lock_file(name)
    if path is None:  # one process only: a lock of this process
        lock = _memory_locks.setdefault(name, threading.Lock())
        held = lock.acquire(blocking=False)
        try:
            yield held
        finally:
            if held:
                lock.release()
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def cron_lock(name: str) -> Iterator[bool]:
    """Try to take the command's lock; yields whether this run holds it."""
    if name not in COMMAND_KEYS:
        raise KeyError(f"no lock key for {name!r}: add it to COMMAND_KEYS")
    locker = _postgres_lock if db.engine.dialect.name == "postgresql" else _sqlite_lock
    with locker(name) as held:
        yield held


def one_run_at_a_time(name: str) -> Callable:
    """Decorate a cron command: it runs only while holding its lock, else says so and exits 0."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cron_lock(name) as held:
                if not held:
                    click.echo(f"{name}: another run is in progress; nothing done")
                    log.info("cron skipped command=%s reason=another run holds the lock", name)
                    return None
                return fn(*args, **kwargs)

        return wrapper

    return decorate
