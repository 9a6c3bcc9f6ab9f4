"""Engine set-up per dialect, and the tenant wall installed on the ORM session.

SQLite: WAL so readers never block the writer, a busy timeout, foreign keys
on, and every transaction opened with ``BEGIN IMMEDIATE`` so that a
read-then-write transaction takes the write lock up front instead of failing
with "database is locked" when several gunicorn workers meet.

PostgreSQL: the current municipality is copied into each transaction for the
row-level security policies (see tenants/rls.py).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from regional.errors import database_unavailable
from regional.extensions import db
from regional.tenancy import write_intent
from tenants import install_scoping
from tenants.base import Base
from tenants.rls import install_rls, runtime_role_problems, wall_key_known

log = logging.getLogger(__name__)

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
        immediate = write_intent.get()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info[_DEFERRED] = not immediate
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes


#: On a SQLite connection's info: its transaction began DEFERRED (reads only, so far).
_DEFERRED = "regional_deferred"
#: ... and how many rows the connection had changed when it began (sqlite3's total_changes).
_CHANGES_AT_BEGIN = "regional_changes_at_begin"


def begin_writing(session: Session | None = None) -> None:
    """From here on the unit of work writes: on SQLite, take the write lock now.

    For views marked :func:`regional.tenancy.reads_first`: they sign the caller in and
    check everything in a read transaction, then call this before their first write,
    so that the write lock is held only for the writes. On SQLite the read transaction
    (which wrote nothing: refused otherwise) ends and ``BEGIN IMMEDIATE`` starts the
    write transaction on the same connection. What was read stays in the ORM session;
    whatever the writes depend on is settled by the writes themselves (conditional
    updates, unique keys and CHECK constraints), not by the earlier reads. PostgreSQL
    needs nothing: row locks are taken by the writes, and the transaction goes on.
    """
    session = session or db.session()
    write_intent.set(True)
    if not session.in_transaction():
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite" or not conn.info.get(_DEFERRED):
        return
    if conn.in_nested_transaction():
        return  # a savepoint inside someone else's transaction (the tests'): theirs to end
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_writing(): the read phase has unflushed changes")
    raw = conn.connection.dbapi_connection
    if raw.total_changes != conn.info.get(_CHANGES_AT_BEGIN, raw.total_changes):
        raise RuntimeError("begin_writing(): the read phase wrote to the database")
    conn.exec_driver_sql("COMMIT")
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    conn.info[_DEFERRED] = False


def refresh_planner_statistics(conn: Connection) -> None:
    """Give the query planner fresh statistics (after migrations, seeding and bulk loads).

    The composite indexes of the hot queries (tenant and person first) win over the
    tenant-wide ones only when the planner knows how many rows each key holds.
    PostgreSQL: ``ANALYZE`` (autovacuum keeps it fresh afterwards). SQLite has no
    autovacuum for statistics: a full ``ANALYZE`` (not bounded by ``analysis_limit``:
    a sample of a thousand rows per index guessed a member's rows a ninth of the
    truth and led the planner astray), then ``PRAGMA optimize``. Run it again after
    large imports, or from cron: ``flask --app wsgi analyze``.
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA optimize")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE")


def refresh_statistics() -> None:
    """:func:`refresh_planner_statistics` as the tables' owner where one is configured.

    On PostgreSQL only a table's owner may ANALYZE it, and the runtime role owns
    nothing: the migrations' URL (``MIGRATION_DATABASE_URL``) is the owner's.
    Call it after committing the data it should measure.
    """
    owner_url = current_app.config.get("MIGRATION_DATABASE_URL")
    if not owner_url:
        # The app's own connection (SQLite allows one writer: a second connection would wait).
        refresh_planner_statistics(db.session.connection())
        db.session.commit()
        return
    engine = create_engine(owner_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            refresh_planner_statistics(conn)
    finally:
        engine.dispose()


def end_session(_exc: BaseException | None = None) -> None:
    """End the request's ORM session, quietly when the database went away at its end.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first (teardowns run last
    registered first); the extension's then finds nothing left to do. Ending the session
    rolls its transaction back; when the connection was lost after the answer was built (a
    server restarting, a connection terminated), that rollback fails, and raised from a
    teardown it would replace the finished answer by the server's bare 500. The pool has
    thrown the connection away by then; the answer stands.
    """
    try:
        db.session.remove()
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning(
            "database unavailable at the end of a request error=%s",
            type(getattr(exc, "orig", None) or exc).__name__,
        )
        with contextlib.suppress(Exception):
            db.session.close()
        db.session.registry.clear()


def init_database(app: Flask) -> None:
    """Bind the SQLAlchemy extension and install dialect tuning and tenant scoping."""
    global _installed
    db.init_app(app)
    app.teardown_appcontext(end_session)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config.get("SQLITE_BUSY_TIMEOUT_MS", 30_000))
        install_rls(
            engine, app.config.get("SECRET_KEY")
        )  # PostgreSQL: the tenant in every transaction, for row-level security
    if not _installed:
        install_scoping(Session, Base)
        _installed = True


def check_database_role(app: Flask) -> None:
    """Production on PostgreSQL: refuse to run as a role row-level security does not bind.

    A superuser, a ``BYPASSRLS`` role or the tables' owner would walk through the second
    wall; start-up stops with the reason (README: Running in production, step 2). A
    database that does not know this ``SECRET_KEY``'s wall key is logged as an error
    (``flask db upgrade`` registers it, and it must be able to run). A database that
    cannot be reached is not checked here: requests answer 503 until it is back.
    """
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return
        try:
            with engine.connect() as conn:
                problems = runtime_role_problems(conn)
                known = not problems and wall_key_known(conn, app.config["SECRET_KEY"])
        except OperationalError as exc:
            log.warning("could not check the database role at start-up: %s", exc.orig)
            return
    if problems:
        raise RuntimeError(
            "Refusing to run: "
            + "; ".join(problems)
            + ". Row-level security would not apply to it: connect as the runtime role "
            "(README: Running in production, step 2)."
        )
    if not known:
        log.error(
            "The database does not know the wall key of this SECRET_KEY: pages across "
            "municipalities (sign-in by e-mail, the region's figures) see only one member. "
            "Run `flask db upgrade` (as the owner) with these settings."
        )
