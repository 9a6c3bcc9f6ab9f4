"""The second wall: PostgreSQL row-level security on every tenant-owned table.

On PostgreSQL the suite's app connects as a runtime role that owns nothing and
cannot bypass row-level security (tests/conftest.py), as in production; these
tests prove that the database itself keeps raw SQL to the current municipality
and lifts the wall only inside ``all_tenants``. SQLite has no row-level
security: there the ORM wall (tenants/scoping.py, tests/test_tenancy.py) is
the only one, and these tests are skipped.
"""

from __future__ import annotations

import logging

import pytest
from flask import template_rendered
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from regional.extensions import db
from tenants import all_tenants, set_current_tenant
from tenants.rls import BYPASS_SETTING, POLICY, TENANT_SETTING
from tenants.scoping import TenantScoped, acting_as

TENANT_TABLES = ("users", "org_units", "registrations", "completions")


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has no row-level security: the ORM wall alone guards it there")


def _munis(table: str = "users", **options) -> set[int]:
    stmt = text(f"SELECT DISTINCT municipality_id FROM {table}")
    if options:
        stmt = stmt.execution_options(**options)
    return set(db.session.scalars(stmt))


def _tenant_owned_tables() -> set[str]:
    tables = set()
    for mapper in db.Model.registry.mappers:
        if issubclass(mapper.class_, TenantScoped):
            tables.add(mapper.local_table.name)
    from tenants.base import Base

    for mapper in Base.registry.mappers:
        if issubclass(mapper.class_, TenantScoped):
            tables.add(mapper.local_table.name)
    return tables


def test_every_tenant_owned_table_has_forced_row_level_security_and_the_policy(ctx):
    """A new TenantScoped model whose migration forgot ``enable_tenant_rls`` fails here."""
    tables = _tenant_owned_tables()
    assert set(TENANT_TABLES) <= tables
    rows = db.session.execute(
        text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "  (SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname "
            "     AND p.policyname = :policy AND p.cmd = 'ALL' "
            "     AND p.qual LIKE :tenant AND p.qual LIKE :bypass "
            "     AND p.with_check = p.qual) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relname = ANY(:tables)"
        ),
        {
            "policy": POLICY,
            "tenant": f"%{TENANT_SETTING}%",
            "bypass": f"%{BYPASS_SETTING}%",
            "tables": sorted(tables),
        },
    ).all()
    state = {name: (enabled, forced, policies) for name, enabled, forced, policies in rows}
    missing = {t: state.get(t) for t in tables if state.get(t) != (True, True, 1)}
    assert not missing, f"tenant-owned tables without row-level security: {missing}"


def test_the_app_connects_as_a_role_row_level_security_applies_to(ctx):
    """Superusers, BYPASSRLS roles and the tables' owner would walk through the policies."""
    role = db.session.execute(
        text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert (role.rolsuper, role.rolbypassrls) == (False, False), role
    owners = set(
        db.session.scalars(
            text("SELECT tableowner FROM pg_tables WHERE tablename = ANY(:t)"),
            {"t": list(TENANT_TABLES)},
        )
    )
    assert role.rolname not in owners


def test_raw_sql_inside_a_request_sees_only_that_municipality(app, world, as_coordinator_a):
    """A ``text()`` query run inside a coordinator's request, raw connection use included."""
    seen: dict[str, set[int]] = {}

    def during_the_request(sender, template, context, **extra):
        if seen:
            return
        for table in TENANT_TABLES:
            seen[table] = _munis(table)
        conn = db.session.connection()  # below the session: no ORM hook runs for it
        seen["raw users"] = set(
            conn.exec_driver_sql("SELECT DISTINCT municipality_id FROM users").scalars()
        )

    with template_rendered.connected_to(during_the_request, app):
        assert as_coordinator_a.get("/people/").status_code == 200
    assert seen, "no page was rendered"
    assert seen["users"] == seen["raw users"] == {world.muni_a}
    for table in TENANT_TABLES:
        assert seen[table] <= {world.muni_a}, table


def test_the_wall_lifts_only_inside_all_tenants(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    assert _munis() == {world.muni_a}
    with all_tenants(db.session):
        assert {world.muni_a, world.muni_b} <= _munis()
    assert _munis() == {world.muni_a}
    # A statement's own option lifts it for that statement only.
    assert {world.muni_a, world.muni_b} <= _munis(all_tenants=True)
    assert _munis() == {world.muni_a}
    conn = db.session.connection()
    assert set(conn.exec_driver_sql("SELECT municipality_id FROM users").scalars()) == {
        world.muni_a
    }
    # No municipality: nothing at all.
    set_current_tenant(db.session, None)
    assert _munis() == set()


def test_switching_municipality_inside_a_transaction_moves_the_wall(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    assert _munis() == {world.muni_a}
    with acting_as(db.session, world.muni_b):
        assert _munis() == {world.muni_b}
    assert _munis() == {world.muni_a}
    set_current_tenant(db.session, world.muni_b)
    assert _munis() == {world.muni_b}


def test_a_rolled_back_savepoint_does_not_leave_a_stale_tenant(world, ctx):
    """ROLLBACK TO SAVEPOINT restores the settings; the wall must set them again."""
    set_current_tenant(db.session, world.muni_a)
    assert _munis() == {world.muni_a}
    nested = db.session.begin_nested()
    set_current_tenant(db.session, world.muni_b)
    assert _munis() == {world.muni_b}
    nested.rollback()  # the database is back to tenant A; the unit of work still says B
    assert _munis() == {world.muni_b}


def test_writes_to_another_municipality_are_refused_by_the_database(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    changed = db.session.execute(
        text("UPDATE users SET name_kana = 'x' WHERE municipality_id = :b"),
        {"b": world.muni_b},
    )
    assert changed.rowcount == 0
    with pytest.raises(Exception, match="row-level security"), db.session.begin_nested():
        db.session.execute(
            text(
                "INSERT INTO org_units (municipality_id, name, level, equivalent, active) "
                "VALUES (:b, 'planted', 'division', false, true)"
            ),
            {"b": world.muni_b},
        )


def test_a_connection_used_without_a_session_sees_no_tenant_rows(world, ctx):
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM municipalities")).scalar() == 13


@pytest.mark.real_commits
def test_a_pooled_connection_does_not_carry_one_request_s_tenant_into_the_next(
    app, world, as_coordinator_a
):
    """Transaction-local settings only: a session-level SET would leak to the next user."""
    assert as_coordinator_a.get("/people/").status_code == 200
    with app.app_context():
        pooled = [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin() or 1)]
        try:
            for raw in pooled:  # the DBAPI connections themselves: no hook of ours runs
                cursor = raw.cursor()
                cursor.execute(
                    f"SELECT current_setting('{TENANT_SETTING}', true), "
                    f"current_setting('{BYPASS_SETTING}', true)"
                )
                leftover = cursor.fetchone()
                assert set(leftover) <= {None, ""}, leftover
                cursor.execute("SELECT count(*) FROM users")
                assert cursor.fetchone()[0] == 0
                raw.rollback()
        finally:
            for raw in pooled:
                raw.close()


def test_lifting_the_wall_is_logged_with_the_code_that_asked(world, ctx, caplog):
    set_current_tenant(db.session, world.muni_a)
    _munis()
    with caplog.at_level(logging.INFO, logger="tenants.rls"), all_tenants(db.session):
        _munis()
    lifts = [r.getMessage() for r in caplog.records if r.name == "tenants.rls"]
    assert len(lifts) == 1
    assert "test_rls.py" in lifts[0]


def test_the_policy_uses_the_mapped_column(ctx):
    """The policy names ``municipality_id``: the column TenantScoped maps on every model."""
    for table in TENANT_TABLES:
        columns = {c["name"] for c in sa_inspect(db.engine).get_columns(table)}
        assert "municipality_id" in columns
