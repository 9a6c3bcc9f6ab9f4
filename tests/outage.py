"""The database going away in the middle of a request, injected where it really happens.

From the first statement that matches the trigger on, every statement the app sends
fails with the driver's own error (SQLite's "database is locked", psycopg's lost
connection), which SQLAlchemy wraps as it would in production. Rollbacks still pass:
the real server is gone then too, and the pool throws the connection away; here they
end the test's savepoint, which the suite needs.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event

from regional.extensions import db

_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def driver_error(dialect: str) -> Exception:
    """The error the driver raises when the database cannot serve."""
    if dialect == "sqlite":
        return sqlite3.OperationalError("database is locked")
    import psycopg

    return psycopg.OperationalError("server closed the connection unexpectedly")


def _keyword(statement: str) -> str:
    return statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""


def is_write(statement: str) -> bool:
    """An INSERT, UPDATE or DELETE (an upsert, or one behind a WITH, included)."""
    kw = _keyword(statement)
    if kw in ("INSERT", "UPDATE", "DELETE", "REPLACE"):
        return True
    return kw == "WITH" and _WRITE.search(statement) is not None


#: Triggers: the first write (a flush or a conditional update), the commit (the tests'
#: commit releases a savepoint), or the first statement after a commit (mail delivery, a
#: second unit of work).
TRIGGERS: dict[str, Callable[[str, dict], bool]] = {
    "write": lambda statement, st: is_write(statement),
    "commit": lambda statement, st: _keyword(statement) in ("RELEASE", "COMMIT"),
    "after-commit": lambda statement, st: st.get("committed", False),
}


@dataclass
class Outage:
    """Whether the database went down during the block, and on which statement."""

    fired: bool = False
    statement: str = ""


@contextmanager
def database_down(app, at: str = "write") -> Iterator[Outage]:
    """From the first statement matching ``at`` (see TRIGGERS) on, every statement fails."""
    with app.app_context():
        engine = db.engine
    error = driver_error(engine.dialect.name)
    trigger = TRIGGERS[at]
    outage = Outage()
    state: dict = {}

    def fail(_conn, _cursor, statement, *_args):
        kw = _keyword(statement)
        if kw == "ROLLBACK":
            return
        if not outage.fired and trigger(statement, state):
            outage.fired, outage.statement = True, statement
        if kw in ("RELEASE", "COMMIT"):
            state["committed"] = True
        if outage.fired:
            raise error

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield outage
    finally:
        event.remove(engine, "before_cursor_execute", fail)


@contextmanager
def watching_writes(app) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the app sends while the block runs."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if is_write(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
