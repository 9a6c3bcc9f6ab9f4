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
from flask import current_app, template_rendered
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from regional.extensions import db
from tenants import all_tenants, set_current_tenant
from tenants.rls import (
    BYPASS_SETTING,
    LIFTED_FUNCTION,
    POLICY,
    REGION_TABLES,
    SHARED_POLICY,
    SHARED_TABLES,
    TENANT_SETTING,
    UNWALLED,
    core_connection,
    runtime_role_problems,
    wall_key,
)
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


def _policies() -> dict[str, dict[str, tuple[str, str, str | None]]]:
    """{table: {policy: (command, using, with check)}} for the public schema."""
    found: dict[str, dict] = {}
    for table, name, cmd, qual, check in db.session.execute(
        text(
            "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
            "WHERE schemaname = 'public'"
        )
    ):
        found.setdefault(table, {})[name] = (cmd, qual, check)
    return found


def test_every_table_with_a_municipality_column_is_behind_the_wall(ctx):
    """Listed from the schema: a new table naming a member without a policy fails here."""
    assert set(TENANT_TABLES) <= _tenant_owned_tables()
    named = set(
        db.session.scalars(
            text(
                "SELECT DISTINCT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name LIKE '%municipality_id'"
            )
        )
    )
    assert set(TENANT_TABLES) | set(REGION_TABLES) | set(SHARED_TABLES) <= named
    flags = {
        name: (enabled, forced)
        for name, enabled, forced in db.session.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relname = ANY(:t)"
            ),
            {"t": sorted(named)},
        )
    }
    policies = _policies()
    problems = {}
    for table in sorted(named - set(UNWALLED)):
        mine = policies.get(table, {})
        wall = mine.get(POLICY)
        if flags.get(table) != (True, True):
            problems[table] = f"row-level security not forced: {flags.get(table)}"
        elif table in SHARED_TABLES:
            if mine != {SHARED_POLICY: ("ALL", "true", "true")}:
                problems[table] = f"not the explicit shared policy: {mine}"
        elif wall is None or wall[0] != "ALL" or wall[1] != wall[2]:
            problems[table] = f"no {POLICY} policy for every command: {mine}"
        elif LIFTED_FUNCTION.split(".")[1] not in wall[1] or TENANT_SETTING not in wall[1]:
            problems[table] = f"the policy does not ask for the key and the tenant: {wall[1]}"
        elif BYPASS_SETTING in wall[1]:
            problems[table] = f"the policy trusts the variable itself: {wall[1]}"
        elif table in REGION_TABLES and mine.get(f"{POLICY}_read", ("",))[0] != "SELECT":
            problems[table] = f"no read policy: {mine}"
        elif table not in REGION_TABLES and table not in _tenant_owned_tables():
            problems[table] = "names a municipality but is neither TenantScoped nor listed"
        elif set(mine) - {POLICY, f"{POLICY}_read"}:
            problems[table] = f"other policies: {sorted(mine)}"
    assert not problems, problems
    for table in UNWALLED:
        assert table in named, f"{table} is listed as unwalled but has no such column"


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


# -- the wall the runtime role cannot lift -------------------------------------------------


@pytest.mark.parametrize("value", ["on", "true", "1", "yes", "ON", "off"])
def test_setting_the_bypass_variable_by_hand_does_not_lift_the_wall(world, ctx, value):
    """SQL run as the runtime role (an injection, a careless script) cannot see every member."""
    set_current_tenant(db.session, world.muni_a)
    conn = core_connection(db.session)
    assert set(conn.exec_driver_sql("SELECT municipality_id FROM users").scalars()) == {
        world.muni_a
    }
    conn.exec_driver_sql(f"SELECT set_config('{BYPASS_SETTING}', %(v)s, true)", {"v": value})
    for table in sorted(_tenant_owned_tables() | {"outbound_mail"}):
        seen = set(conn.exec_driver_sql(f"SELECT DISTINCT municipality_id FROM {table}").scalars())
        assert seen <= {world.muni_a}, (table, value, seen)
    # Nor from no municipality at all, nor with a guessed key.
    set_current_tenant(db.session, None)
    conn = core_connection(db.session)
    for guess in (value, wall_key("guess"), "0" * 64):
        conn.exec_driver_sql(f"SELECT set_config('{BYPASS_SETTING}', %(v)s, true)", {"v": guess})
        assert conn.exec_driver_sql("SELECT count(*) FROM users").scalar() == 0


def test_the_runtime_role_cannot_read_the_key_or_replace_the_check(world, ctx):
    conn = db.session.connection()
    for statement in (
        "SELECT key_sha256 FROM regional_private.wall_key",
        "UPDATE regional_private.wall_key SET key_sha256 = 'x'",
        f"CREATE OR REPLACE FUNCTION {LIFTED_FUNCTION}() RETURNS boolean "
        "LANGUAGE sql AS $$ SELECT true $$",
        "DROP POLICY tenant_wall ON users",
        "ALTER TABLE users DISABLE ROW LEVEL SECURITY",
    ):
        with (
            pytest.raises(Exception, match="permission denied|must be owner"),
            db.session.begin_nested(),
        ):
            db.session.connection().exec_driver_sql(statement)
    # The key itself lifts the wall: the application's own cross-member paths.
    set_current_tenant(db.session, world.muni_a)
    conn = db.session.connection()
    conn.exec_driver_sql(
        f"SELECT set_config('{BYPASS_SETTING}', %(v)s, true)",
        {"v": wall_key(current_app.config["SECRET_KEY"])},
    )
    seen = set(conn.exec_driver_sql("SELECT DISTINCT municipality_id FROM users").scalars())
    assert {world.muni_a, world.muni_b} <= seen


def test_region_tables_show_a_member_only_its_own_rows(world, ctx):
    """Queued mail (reset links) and one member's materials are that member's; raw SQL in
    another member sees the region's materials, its own, and nothing else."""
    from regional.growth.models import Material, MaterialKind
    from regional.mail.models import OutboundMail

    with all_tenants(db.session):
        for muni in (world.muni_a, world.muni_b, None):
            db.session.add(
                OutboundMail(
                    municipality_id=muni,
                    to_addr=f"rls-{muni}@example.lg.jp",
                    subject="s",
                    body="b",
                )
            )
            db.session.add(
                Material(
                    audience_municipality_id=muni,
                    title=f"rls-{muni}",
                    kind=MaterialKind.LINK,
                    url="https://example.lg.jp/",
                )
            )
        db.session.flush()
    set_current_tenant(db.session, world.muni_a)
    conn = core_connection(db.session)
    mail = set(
        conn.exec_driver_sql(
            "SELECT municipality_id FROM outbound_mail WHERE to_addr LIKE 'rls-%%'"
        ).scalars()
    )
    assert mail == {world.muni_a}
    materials = set(
        conn.exec_driver_sql(
            "SELECT audience_municipality_id FROM materials WHERE title LIKE 'rls-%%'"
        ).scalars()
    )
    assert materials == {world.muni_a, None}
    # Writes: only its own rows, never the region's material or another member's mail.
    changed = conn.exec_driver_sql(
        "UPDATE materials SET title = 'x' WHERE audience_municipality_id IS DISTINCT FROM %(a)s",
        {"a": world.muni_a},
    )
    assert changed.rowcount == 0
    changed = conn.exec_driver_sql(
        "DELETE FROM outbound_mail WHERE municipality_id IS DISTINCT FROM %(a)s",
        {"a": world.muni_a},
    )
    assert changed.rowcount == 0


def test_production_refuses_a_role_that_walks_through_the_wall(owner_database_url, database_url):
    """At start-up: the superuser (the suite's owner) is refused, the runtime role runs."""
    from regional import create_app
    from regional.config import TestingConfig

    class Checked(TestingConfig):
        CHECK_DATABASE_ROLE = True
        SQLALCHEMY_DATABASE_URI = owner_database_url

    with pytest.raises(RuntimeError, match="superuser"):
        create_app(Checked)
    Checked.SQLALCHEMY_DATABASE_URI = database_url
    checked = create_app(Checked)
    with checked.app_context(), db.engine.connect() as conn:
        assert runtime_role_problems(conn) == []
        db.engine.dispose()
