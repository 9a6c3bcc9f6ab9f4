"""Engine set-up per dialect, and the tenant wall installed on the ORM session.

SQLite: WAL so readers never block the writer, a busy timeout, foreign keys
on, and every transaction opened with ``BEGIN IMMEDIATE`` so that a
read-then-write transaction takes the write lock up front instead of failing
with "database is locked" when several gunicorn workers meet.

PostgreSQL: the current municipality is copied into each transaction for the
row-level security policies (see tenants/rls.py).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from regional.extensions import db
from regional.tenancy import write_intent
from tenants import install_scoping
from tenants.base import Base
from tenants.rls import install_rls

_installed = False


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Requests that only read (GET) begin DEFERRED so they never wait for the writer;
        # everything else takes the write lock up front (see regional.tenancy.write_intent).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def init_database(app: Flask) -> None:
    """Bind the SQLAlchemy extension and install dialect tuning and tenant scoping."""
    global _installed
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30_000))
        install_rls(engine)  # PostgreSQL: the tenant in every transaction, for row-level security
    if not _installed:
        install_scoping(Session, Base)
        _installed = True
