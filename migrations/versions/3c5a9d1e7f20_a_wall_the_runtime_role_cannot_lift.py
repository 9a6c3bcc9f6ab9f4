"""row-level security on every table that names a municipality, lifted only with a key

PostgreSQL only (nothing on SQLite):

* ``public.tenant_wall_lifted()`` (SECURITY DEFINER) decides whether a transaction sees
  every municipality: with ``app.all_tenants`` holding the application's key (derived from
  ``SECRET_KEY``; its SHA-256 is kept in ``regional_private.wall_key``, which the runtime
  role cannot read), or ``'on'`` from the tables' owner. Before, ``'on'`` from anyone
  lifted it, so SQL run as the runtime role could.
* every tenant-owned table's policy asks that function;
* the two tables of the region that hold one member's rows get policies of their own:
  ``outbound_mail`` (one member's mail, reset and invitation links among it) and
  ``materials`` (a member's own materials; the region's are everyone's);
* a shared session's ``session_audience`` and ``seat_allocations`` get an explicit policy
  that every member reads and writes them (the session's set-up, no personal data: the
  seat engine changes any member's row from any member's request).

The key's hash is registered by migrations/env.py after every upgrade.

The downgrade puts the older policies back and drops the function and the private schema
(the key's hash is derived, never a record).

Revision ID: 3c5a9d1e7f20
Revises: f970b61ce65b
Create Date: 2026-12-07 15:00:00

"""

from alembic import op

from tenants.rls import (
    LEGACY_CONDITION,
    LIFTED_FUNCTION,
    POLICY,
    PRIVATE_SCHEMA,
    SHARED_POLICY,
    SHARED_TABLES,
    lifted_function_statements,
    region_rls_statements,
    shared_rls_statements,
    tenant_rls_statements,
)

# revision identifiers, used by Alembic.
revision = "3c5a9d1e7f20"
down_revision = "f970b61ce65b"
branch_labels = None
depends_on = None

#: The region's tables at this revision (REGION_TABLES grows with later revisions, whose
#: tables do not exist yet here: each of those sets its own policies).
_REGION = ("outbound_mail", "materials")


def _walled_tables() -> list[str]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = %(p)s "
        "ORDER BY tablename",
        {"p": POLICY},
    )
    return [name for (name,) in rows if name not in _REGION]


def upgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    for statement in lifted_function_statements():
        op.execute(statement)
    for table in _walled_tables():
        for statement in tenant_rls_statements(table):
            op.execute(statement)
    for table in _REGION:
        for statement in region_rls_statements(table):
            op.execute(statement)
    for table in SHARED_TABLES:
        for statement in shared_rls_statements(table):
            op.execute(statement)


def downgrade():
    if op.get_context().dialect.name != "postgresql":
        return
    for table in (*_REGION, *SHARED_TABLES):
        op.execute(f"DROP POLICY IF EXISTS {POLICY}_read ON {table}")
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"DROP POLICY IF EXISTS {SHARED_POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for table in _walled_tables():
        for statement in tenant_rls_statements(table, LEGACY_CONDITION):
            op.execute(statement)
    op.execute(f"DROP FUNCTION IF EXISTS {LIFTED_FUNCTION}()")
    op.execute(f"DROP SCHEMA IF EXISTS {PRIVATE_SCHEMA} CASCADE")
