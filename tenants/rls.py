"""The second wall: PostgreSQL row-level security on every table that names a municipality.

The ORM wall (:mod:`tenants.scoping`) filters ORM statements; the database
itself refuses the rest (Core and ``text()`` SQL, a forgotten filter) when the
application connects as a role that neither owns the tables nor has
``BYPASSRLS``. Each tenant-owned table gets ``ENABLE`` and ``FORCE ROW LEVEL
SECURITY`` and one policy, :data:`POLICY`, for reads and writes alike::

    (SELECT public.tenant_wall_lifted())
    OR municipality_id = nullif(current_setting('app.tenant_id', true), '')::integer

The region's own tables that name a member (:data:`REGION_TABLES`: queued mail, learning
materials) get policies of their own (:func:`region_rls_statements`); a shared session's
audience and seat allocations (:data:`SHARED_TABLES`) an explicit policy that every member
reads and writes them (:func:`shared_rls_statements`).

The settings are transaction-local (``set_config(..., true)``), never
session-level: a pooled connection cannot carry one request's municipality
into the next. The unit of work's state (``set_current_tenant``,
``acting_as``, ``all_tenants``, a statement's ``all_tenants`` option) is
copied into them lazily, just before a statement runs, whenever it differs
from what the transaction already holds: at the start of every transaction,
after a rolled-back savepoint (which restores the settings) and whenever the
current municipality or the bypass changes. A connection used without a
session sees no tenant-owned row at all.

**Lifting the wall takes a key.** ``app.all_tenants`` lifts it only when it holds the key
the application derives from its ``SECRET_KEY`` (:func:`wall_key`): the database keeps
only the key's SHA-256, in a schema the runtime role cannot read
(``regional_private.wall_key``), and ``public.tenant_wall_lifted()`` (``SECURITY DEFINER``,
owned by the tables' owner) compares the two. SQL run as the runtime role, however it got
there, cannot lift the wall by setting the variable to ``'on'`` or anything else it can
know. The tables' owner may still lift it with ``'on'`` (migrations, backups: it could
drop the policies anyway), which is why the application refuses to run as the owner
(:func:`check_runtime_role`). ``flask db upgrade`` registers the key of the settings it
runs with (migrations/env.py): after changing ``SECRET_KEY``, run it again. Each lift is
logged with the code that asked for it (logger ``tenants.rls``).

Migrations: every new tenant-owned table calls :func:`enable_tenant_rls`
after creating it; ``tests/test_rls.py`` lists every table with a municipality column
from the schema and fails on PostgreSQL for any without its policy.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sys
import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState, Session

from tenants.scoping import current_tenant_id, is_all_tenants

log = logging.getLogger("tenants.rls")

TENANT_SETTING = "app.tenant_id"
BYPASS_SETTING = "app.all_tenants"
POLICY = "tenant_wall"
#: The function that says whether this transaction may see every municipality, and where
#: the key's hash is kept (a schema the runtime role has no access to).
LIFTED_FUNCTION = "public.tenant_wall_lifted"
PRIVATE_SCHEMA = "regional_private"
LIFTED = f"(SELECT {LIFTED_FUNCTION}())"
CURRENT_TENANT = f"nullif(current_setting('{TENANT_SETTING}', true), '')::integer"
CONDITION = f"{LIFTED} OR municipality_id = {CURRENT_TENANT}"
#: The policy of the revisions before the key (the variable alone lifted the wall); older
#: migrations still create their tables' policies with it, and the key's migration replaces it.
LEGACY_CONDITION = (
    f"current_setting('{BYPASS_SETTING}', true) = 'on' OR municipality_id = {CURRENT_TENANT}"
)

#: Tables of the region that name a member, with the column and who reads them. Queued
#: mail is one member's (reset and invitation links among it); a learning material and a
#: notice are one member's or, with no member, everyone's. All are written by that member
#: or with the wall lifted.
REGION_TABLES: dict[str, tuple[str, str]] = {
    "outbound_mail": ("municipality_id", "own"),
    "materials": ("audience_municipality_id", "own or everyone's"),
    "notices": ("audience_municipality_id", "own or everyone's"),
}
#: Tables that name a member but are the region's shared set-up of a session, with their
#: own explicit policy (every member reads and writes them): which members a session admits
#: and the seats it holds for each. No personal data; the seat engine changes any member's
#: row from any member's request by design (a registration releases another member's due
#: reservation), as it changes the session's own counters (``training_sessions``, shared).
SHARED_TABLES: dict[str, str] = {
    "seat_allocations": "a shared session's seats held for a member",
    "session_audience": "the members a shared session admits",
}
SHARED_POLICY = "region_shared"
#: Tables with a municipality column that are not behind the wall, and why.
UNWALLED: dict[str, str] = {
    "training_sessions": "host_municipality_id names the organiser of a shared session",
}

#: Keys in ``Connection.info`` (kept per DBAPI connection by the pool).
_APPLIED = "rls_applied"  # (tenant, bypass) the current transaction holds; None: unknown
_BASE = "rls_base"  # the state of the unit of work that last used the connection
_NOBODY = ("", "off")
#: The key each engine's application lifts the wall with (install_rls).
_KEYS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


# -- schema: for migrations ----------------------------------------------------------------


def tenant_rls_statements(table: str, condition: str = CONDITION) -> list[str]:
    """The SQL that puts ``table`` behind the wall (idempotent)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} USING ({condition}) WITH CHECK ({condition})",
    ]


def shared_rls_statements(table: str) -> list[str]:
    """The explicit policy of one of :data:`SHARED_TABLES` (idempotent)."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {SHARED_POLICY} ON {table}",
        f"CREATE POLICY {SHARED_POLICY} ON {table} USING (true) WITH CHECK (true)",
    ]


def region_rls_statements(table: str) -> list[str]:
    """The policies of one of :data:`REGION_TABLES` (idempotent)."""
    column, reads = REGION_TABLES[table]
    own = f"{LIFTED} OR {column} = {CURRENT_TENANT}"
    readable = {"own": own, "own or everyone's": f"{column} IS NULL OR {own}"}[reads]
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"DROP POLICY IF EXISTS {POLICY}_read ON {table}",
        # Permissive policies add up: every command needs the write policy's rows, and a
        # read may also see what the read policy opens.
        f"CREATE POLICY {POLICY} ON {table} USING ({own}) WITH CHECK ({own})",
        f"CREATE POLICY {POLICY}_read ON {table} FOR SELECT USING ({readable})",
    ]


def lifted_function_statements() -> list[str]:
    """The key's private table and the function the policies ask (as the tables' owner)."""
    return [
        f"CREATE SCHEMA IF NOT EXISTS {PRIVATE_SCHEMA}",
        f"REVOKE ALL ON SCHEMA {PRIVATE_SCHEMA} FROM PUBLIC",
        f"CREATE TABLE IF NOT EXISTS {PRIVATE_SCHEMA}.wall_key ("
        "id integer PRIMARY KEY CHECK (id = 1), key_sha256 text NOT NULL)",
        f"REVOKE ALL ON {PRIVATE_SCHEMA}.wall_key FROM PUBLIC",
        # The owner of the private schema (the tables' owner) may lift the wall with 'on';
        # anyone else needs the key. SECURITY DEFINER: it reads the hash the caller cannot.
        f"""CREATE OR REPLACE FUNCTION {LIFTED_FUNCTION}() RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
          SELECT CASE
            WHEN coalesce(current_setting('{BYPASS_SETTING}', true), '') IN ('', 'off')
              THEN false
            WHEN current_setting('{BYPASS_SETTING}', true) = 'on'
              THEN session_user = (SELECT pg_get_userbyid(nspowner) FROM pg_namespace
                                   WHERE nspname = '{PRIVATE_SCHEMA}')
            ELSE coalesce(
              encode(sha256(convert_to(current_setting('{BYPASS_SETTING}', true), 'UTF8')),
                     'hex')
              = (SELECT key_sha256 FROM {PRIVATE_SCHEMA}.wall_key WHERE id = 1),
              false)
          END
        $$""",  # noqa: S608 (constants of this module, never input)
        f"REVOKE ALL ON FUNCTION {LIFTED_FUNCTION}() FROM PUBLIC",
        # Every role whose queries meet a policy must be able to call it.
        f"GRANT EXECUTE ON FUNCTION {LIFTED_FUNCTION}() TO PUBLIC",
    ]


def wall_key(secret_key: str | bytes) -> str:
    """The key that lifts the wall, derived from the application's ``SECRET_KEY``."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, b"regional tenant wall v1", hashlib.sha256).hexdigest()


def register_wall_key(conn: Connection, secret_key: str | bytes) -> bool:
    """Store the hash of :func:`wall_key` (as the owner; False when there is no place yet)."""
    if conn.dialect.name != "postgresql" or not _has_lifted_function(conn):
        return False
    digest = hashlib.sha256(wall_key(secret_key).encode()).hexdigest()
    upsert = (
        f"INSERT INTO {PRIVATE_SCHEMA}.wall_key (id, key_sha256) VALUES (1, %(h)s) "  # noqa: S608
        "ON CONFLICT (id) DO UPDATE SET key_sha256 = EXCLUDED.key_sha256"
    )
    conn.exec_driver_sql(upsert, {"h": digest})
    return True


def _has_lifted_function(conn: Connection) -> bool:
    return bool(
        conn.exec_driver_sql(f"SELECT to_regprocedure('{LIFTED_FUNCTION}()') IS NOT NULL").scalar()
    )


def enable_tenant_rls(table: str) -> None:
    """In a migration, after creating a tenant-owned table: ``enable_tenant_rls("name")``.

    Does nothing on SQLite (the ORM wall alone guards it there). Before the key's revision
    the policy is the older one (:data:`LEGACY_CONDITION`), as that revision expects.
    """
    from alembic import op

    if op.get_context().dialect.name != "postgresql":
        return
    condition = CONDITION if _has_lifted_function(op.get_bind()) else LEGACY_CONDITION
    for statement in tenant_rls_statements(table, condition):
        op.execute(statement)


def disable_tenant_rls(table: str) -> None:
    """The downgrade of :func:`enable_tenant_rls`."""
    from alembic import op

    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def create_runtime_role(conn: Connection, role: str, password: str) -> None:
    """Create ``role`` as a runtime role (a login that is no superuser and cannot bypass
    row-level security), unless it exists. Roles belong to the whole server: several
    databases prepared at once may race to create it, so neither a duplicate nor a role
    created meanwhile is an error (and no ALTER ROLE: two at once fail with "tuple
    concurrently updated"). Identifiers and password are the caller's constants."""
    quoted = conn.dialect.identifier_preparer.quote(role)
    literal = password.replace("'", "''")
    conn.exec_driver_sql(
        f"DO $$ BEGIN CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS "
        f"PASSWORD '{literal}'; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )


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
    # A cursor of its own: the statement's cursor may be a server-side one. The key is a
    # bound parameter: it never appears in the statement's text (pg_stat_activity, logs).
    key = _KEYS.get(conn.engine, "") if bypass == "on" else ""
    with conn.connection.dbapi_connection.cursor() as own:
        own.execute(
            f"SELECT set_config('{TENANT_SETTING}', %s, true), "
            f"set_config('{BYPASS_SETTING}', %s, true)",
            (tenant, key),
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


def lift_wall(conn: Connection) -> None:
    """Every municipality's rows for the rest of ``conn``'s transaction (for code below the
    ORM: tests, checks; the ORM uses all_tenants): with the key of its engine's application,
    or ``'on'`` on an engine without one (the tables' owner: migrations, backups)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"SELECT set_config('{BYPASS_SETTING}', %(k)s, true)",
            {"k": _KEYS.get(conn.engine, "on")},
        )


def install_rls(engine: Engine, secret_key: str | bytes | None = None) -> None:
    """Copy the tenant into every PostgreSQL transaction of ``engine`` (SQLite: nothing).

    ``secret_key`` (the application's ``SECRET_KEY``) gives the key that lifts the wall.
    """
    global _session_hooks_installed
    if engine.dialect.name != "postgresql":
        return
    if secret_key:
        _KEYS[engine] = wall_key(secret_key)
    if not _session_hooks_installed:
        event.listen(Session, "do_orm_execute", _on_orm_execute)
        event.listen(Session, "before_flush", _on_flush)
        _session_hooks_installed = True
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "rollback_savepoint", _on_rollback_savepoint)
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)


# -- start-up: a role the wall applies to ----------------------------------------------------


def runtime_role_problems(conn: Connection) -> list[str]:
    """Why the role of ``conn`` must not run the application (empty: it may): a superuser,
    a role with ``BYPASSRLS`` or the tables' owner walks through (or can drop) every policy."""
    if conn.dialect.name != "postgresql":
        return []
    role = conn.exec_driver_sql(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).one()
    problems = []
    if role.rolsuper:
        problems.append(f"the database role {role.rolname!r} is a superuser")
    if role.rolbypassrls:
        problems.append(f"the database role {role.rolname!r} has BYPASSRLS")
    owned = conn.exec_driver_sql(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
    ).scalar()
    if owned:
        problems.append(f"the database role {role.rolname!r} owns {owned} of the tables")
    return problems


def wall_key_known(conn: Connection, secret_key: str | bytes) -> bool:
    """Whether the database lifts the wall for this ``SECRET_KEY``'s key (True on SQLite and
    before the key's revision). Otherwise the cross-member paths see only the current
    member: nothing leaks, but sign-in by e-mail and the region's figures go wrong."""
    if conn.dialect.name != "postgresql" or not _has_lifted_function(conn):
        return True
    with conn.begin_nested() if conn.in_transaction() else conn.begin():
        conn.exec_driver_sql(
            f"SELECT set_config('{BYPASS_SETTING}', %(k)s, true)", {"k": wall_key(secret_key)}
        )
        known = bool(conn.exec_driver_sql(f"SELECT {LIFTED_FUNCTION}()").scalar())
        conn.exec_driver_sql(f"SELECT set_config('{BYPASS_SETTING}', '', true)")
    return known
