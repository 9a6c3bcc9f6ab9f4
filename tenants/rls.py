"""The second wall: PostgreSQL row-level security on every tenant-owned table.

The ORM wall (:mod:`tenants.scoping`) filters ORM statements; the database
itself refuses the rest (Core and ``text()`` SQL, a forgotten filter) when the
application connects as a role that neither owns the tables nor has
``BYPASSRLS``. Each tenant-owned table gets ``ENABLE`` and ``FORCE ROW LEVEL
SECURITY`` and one policy, :data:`POLICY`, for reads and writes alike::

    current_setting('app.all_tenants', true) = 'on'
    OR municipality_id = nullif(current_setting('app.tenant_id', true), '')::integer

The settings are transaction-local (``set_config(..., true)``), never
session-level: a pooled connection cannot carry one request's municipality
into the next. The unit of work's state (``set_current_tenant``,
``acting_as``, ``all_tenants``, a statement's ``all_tenants`` option) is
copied into them lazily, just before a statement runs, whenever it differs
from what the transaction already holds: at the start of every transaction,
after a rolled-back savepoint (which restores the settings) and whenever the
current municipality or the bypass changes. A connection used without a
session sees no tenant-owned row at all.

Lifting the wall (``app.all_tenants = 'on'``) is logged with the code that
asked for it (logger ``tenants.rls``).

Migrations: every new tenant-owned table calls :func:`enable_tenant_rls`
after creating it; ``tests/test_rls.py`` fails on PostgreSQL for any
``TenantScoped`` table without it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session

from tenants.scoping import current_tenant_id, is_all_tenants

log = logging.getLogger("tenants.rls")

TENANT_SETTING = "app.tenant_id"
BYPASS_SETTING = "app.all_tenants"
POLICY = "tenant_wall"
CONDITION = (
    f"current_setting('{BYPASS_SETTING}', true) = 'on' OR "
    f"municipality_id = nullif(current_setting('{TENANT_SETTING}', true), '')::integer"
)

#: Keys in ``Connection.info`` (kept per DBAPI connection by the pool).
_APPLIED = "rls_applied"  # (tenant, bypass) the current transaction holds; None: unknown
_BASE = "rls_base"  # the state of the unit of work that last used the connection
_NOBODY = ("", "off")


# -- schema: for migrations ----------------------------------------------------------------


def tenant_rls_statements(table: str) -> list[str]:
    """The SQL that puts ``table`` behind the wall (idempotent)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING ({CONDITION}) WITH CHECK ({CONDITION})",
    ]


def enable_tenant_rls(table: str) -> None:
    """In a migration, after creating a tenant-owned table: ``enable_tenant_rls("name")``.

    Does nothing on SQLite (the ORM wall alone guards it there).
    """
    from alembic import op

    if op.get_context().dialect.name != "postgresql":
        return
    for statement in tenant_rls_statements(table):
        op.execute(statement)


def disable_tenant_rls(table: str) -> None:
    """The downgrade of :func:`enable_tenant_rls`."""
    from alembic import op

    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def grant_runtime_role(conn: Connection, role: str, owner: str | None = None) -> None:
    """Let ``role`` read and write every table and sequence in ``public``, now and later.

    Run as the owner of the tables (the migrations' role). The default privileges cover the
    tables that later migrations create. ``role`` must not own the tables, be a superuser or
    have ``BYPASSRLS``: row-level security would not apply to it.
    """
    quoted = conn.dialect.identifier_preparer.quote(role)
    owner_clause = f" FOR ROLE {conn.dialect.identifier_preparer.quote(owner)}" if owner else ""
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES{owner_clause} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quoted}",
        f"ALTER DEFAULT PRIVILEGES{owner_clause} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {quoted}",
    ):
        conn.exec_driver_sql(statement)


# -- runtime: the unit of work's tenant, copied into each transaction -----------------------


def _base(session: Session) -> tuple[str, str]:
    """The unit of work's own state, as setting values (tenant, bypass)."""
    tenant = current_tenant_id(session)
    return ("" if tenant is None else str(int(tenant)), "on" if is_all_tenants(session) else "off")


def _statement_lifts_wall(options: Any) -> bool:
    """``select(...).execution_options(all_tenants=True)``, and the loads it triggers."""
    if options.get("all_tenants"):
        return True
    top = options.get("sa_top_level_orm_context")  # selectin/subquery loads of such a select
    if top is not None:
        if top.execution_options.get("all_tenants"):
            return True
        query = getattr(top, "query", None)
        if query is not None and query.get_execution_options().get("all_tenants"):
            return True
    return False


def _prepare(session: Session) -> None:
    """Before a session's statement or flush: note its state on the connection it will use."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.info[_BASE] = _base(session)


def core_connection(session: Session) -> Connection:
    """The unit of work's connection for a Core statement, carrying its tenant.

    Core statements run on the connection skip the ORM's hooks (and the ORM wall's
    criteria: such a statement must name its municipality itself); on PostgreSQL the
    unit of work's tenant is still copied into the transaction before it runs, so
    row-level security judges it as it would the ORM's statements.
    """
    _prepare(session)
    return session.connection()


def _on_orm_execute(state: ORMExecuteState) -> None:
    _prepare(state.session)
    if state.is_column_load:
        # Reloading expired or deferred columns of an object the session already holds, by
        # its primary key (after a commit, a regional administrator's own account while
        # acting in another member): the ORM wall lets these through too, and finds nothing.
        state.update_execution_options(rls_refresh=True)


def _on_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    _prepare(session)


def _on_begin(conn: Connection) -> None:
    """A new transaction: no setting yet, and nothing wanted until a session says so."""
    conn.info[_APPLIED] = None
    conn.info[_BASE] = _NOBODY


def _on_rollback_savepoint(conn: Connection, _name: Any, _context: Any) -> None:
    """ROLLBACK TO SAVEPOINT restores the settings of that time: set them again next time."""
    conn.info[_APPLIED] = None


_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE", "BEGIN", "COMMIT")


def _before_cursor_execute(
    conn: Connection, _cursor: Any, statement: str, _params: Any, context: Any, _many: Any
) -> None:
    if statement.lstrip()[:9].upper().startswith(_CONTROL):
        return  # transaction control runs as it is (and may follow a failed statement)
    tenant, bypass = conn.info.get(_BASE) or _NOBODY
    refresh = False
    if bypass == "off" and context is not None:  # for this statement only
        options = context.execution_options
        if _statement_lifts_wall(options):
            bypass = "on"
        elif options.get("rls_refresh"):
            bypass, refresh = "on", True
    want = (tenant, bypass)
    applied = conn.info.get(_APPLIED)
    if want == applied:
        return
    # A cursor of its own: the statement's cursor may be a server-side one.
    with conn.connection.dbapi_connection.cursor() as own:
        own.execute(
            f"SELECT set_config('{TENANT_SETTING}', %s, true), "
            f"set_config('{BYPASS_SETTING}', %s, true)",
            want,
        )
    if bypass == "on" and (applied is None or applied[1] != "on"):
        log.log(
            logging.DEBUG if refresh else logging.INFO,
            "all municipalities: row-level security lifted for %s%s",
            _caller(),
            " (reloading a known object)" if refresh else "",
        )
    conn.info[_APPLIED] = want


def _caller() -> str:
    """The first frame outside SQLAlchemy and this wall: who asked for every municipality."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not any(
            part in name for part in ("sqlalchemy", "flask_sqlalchemy", "/tenants/", "/flask/")
        ):
            return f"{name.rsplit('/', 2)[-2]}/{name.rsplit('/', 1)[-1]}:{frame.f_lineno}"
        frame = frame.f_back
    return "?"


_session_hooks_installed = False


def install_rls(engine: Engine) -> None:
    """Copy the tenant into every PostgreSQL transaction of ``engine`` (SQLite: nothing)."""
    global _session_hooks_installed
    if engine.dialect.name != "postgresql":
        return
    if not _session_hooks_installed:
        event.listen(Session, "do_orm_execute", _on_orm_execute)
        event.listen(Session, "before_flush", _on_flush)
        _session_hooks_installed = True
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "rollback_savepoint", _on_rollback_savepoint)
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)
