"""The wall between municipalities, tested on the mechanism itself (no HTTP in between).

``tenants/scoping.py`` filters every ORM statement on a tenant-owned model, stamps
and checks every written row, and refuses a loaded row of another member. These
tests also pin down its documented gaps (Core ``text()`` SQL, the identity map),
so that a change in SQLAlchemy or in the wall cannot silently widen them.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, func, inspect, select, text, update
from sqlalchemy.orm import lazyload
from werkzeug.exceptions import NotFound

from regional.extensions import db
from regional.people.models import User
from regional.seats.models import Registration, RegistrationStatus
from regional.tenancy import get_or_404
from tenants import TenantViolation, adopt, all_tenants, entity_columns, set_current_tenant
from tenants.models import OrgLevel, OrgUnit
from tenants.rls import core_connection
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_people import in_app


@pytest.fixture
def two_sides(app, world):
    """Org units and registrations on both sides of the wall."""
    with in_app(app):
        unit_a = factories.make_org_unit(world.muni_a, "津山の課", OrgLevel.DIVISION)
        unit_b = factories.make_org_unit(world.muni_b, "玉野の課", OrgLevel.DIVISION)
        ts = factories.make_session(capacity=10)
        regs = {}
        for key, muni, emp in (
            ("a", world.muni_a, world.employee_a),
            ("b", world.muni_b, world.employee_b),
        ):
            with acting_as(db.session, muni):
                reg = Registration(
                    session_id=ts.id, employee_id=emp, status=RegistrationStatus.ENROLLED
                )
                db.session.add(reg)
                db.session.flush()
                regs[key] = reg.id
        ids = {"unit_a": unit_a.id, "unit_b": unit_b.id, "reg_a": regs["a"], "reg_b": regs["b"]}
    return ids


@pytest.fixture
def statements(ctx):
    """The SQL the session sends, to prove a load happened without a query (or with one)."""
    seen: list[str] = []
    engine = db.session.get_bind()

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


# -- reading ----------------------------------------------------------------------


def test_orm_selects_see_only_the_current_municipality(app, world, two_sides, ctx):
    set_current_tenant(db.session, world.muni_a)
    users = db.session.scalars(select(User)).all()
    assert users and {u.municipality_id for u in users} == {world.muni_a}
    units = db.session.scalars(select(OrgUnit)).all()
    assert {u.municipality_id for u in units} == {world.muni_a}
    assert "津山の課" in {u.name for u in units}
    assert db.session.scalars(select(Registration.id)).all() == [two_sides["reg_a"]]


def test_counts_and_pages_are_scoped_too(world, two_sides, ctx):
    set_current_tenant(db.session, world.muni_a)
    with all_tenants(db.session):
        everyone = db.session.scalar(select(func.count(User.id)))
    mine = db.session.scalar(select(func.count(User.id)))
    assert 0 < mine < everyone
    page = db.paginate(select(User), page=1, per_page=2, error_out=False)
    assert page.total == mine
    assert {u.municipality_id for u in page.items} == {world.muni_a}


def test_no_current_municipality_sees_nothing(two_sides, ctx):
    set_current_tenant(db.session, None)
    assert db.session.scalars(select(User)).all() == []
    assert db.session.scalars(select(OrgUnit)).all() == []
    assert db.session.scalars(select(Registration)).all() == []


def test_all_tenants_lifts_the_wall_deliberately(world, two_sides, ctx):
    set_current_tenant(db.session, world.muni_a)
    with all_tenants(db.session):
        munis = set(db.session.scalars(select(User.municipality_id)))
    assert {world.muni_a, world.muni_b} <= munis
    # ... and only inside the block.
    assert set(db.session.scalars(select(User.municipality_id))) == {world.muni_a}


def test_a_single_statement_may_lift_the_wall(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    stmt = select(User.municipality_id).execution_options(all_tenants=True)
    assert world.muni_b in set(db.session.scalars(stmt))


def test_get_or_404_refuses_another_municipality_record(world, two_sides, ctx):
    set_current_tenant(db.session, world.muni_a)
    assert get_or_404(User, world.employee_a).id == world.employee_a
    with pytest.raises(NotFound):
        get_or_404(User, world.employee_b)
    with pytest.raises(NotFound):
        get_or_404(OrgUnit, two_sides["unit_b"])
    with pytest.raises(NotFound):
        get_or_404(Registration, two_sides["reg_b"])


def test_relationship_loads_stay_scoped(world, two_sides, statements):
    set_current_tenant(db.session, world.muni_a)
    reg = db.session.scalar(
        select(Registration)
        .where(Registration.id == two_sides["reg_a"])
        .options(lazyload(Registration.employee))
    )
    statements.clear()
    employee = reg.employee  # a lazy load, issued now
    assert employee.id == world.employee_a
    (sql,) = [s for s in statements if "FROM users" in s]
    # The tenant criterion travels with the lazy load, not only with the first query.
    assert sql.count("municipality_id") >= 2


# -- writing ----------------------------------------------------------------------


def test_new_rows_are_stamped_with_the_current_municipality(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    unit = OrgUnit(name="新しい係", level=OrgLevel.SECTION)
    db.session.add(unit)
    db.session.flush()
    assert unit.municipality_id == world.muni_a


def test_inserting_a_row_for_another_municipality_raises(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    db.session.add(OrgUnit(name="越境", level=OrgLevel.DIVISION, municipality_id=world.muni_b))
    with pytest.raises(TenantViolation):
        db.session.flush()
    db.session.rollback()


def test_inserting_without_a_current_municipality_raises(ctx):
    set_current_tenant(db.session, None)
    db.session.add(OrgUnit(name="無所属", level=OrgLevel.DIVISION))
    with pytest.raises(TenantViolation):
        db.session.flush()
    db.session.rollback()


def test_changing_another_municipality_row_raises(world, ctx):
    with all_tenants(db.session):
        other = db.session.get(User, world.employee_b)
    set_current_tenant(db.session, world.muni_a)
    other.name = "書き換え"
    with pytest.raises(TenantViolation):
        db.session.flush()
    db.session.rollback()


def test_deleting_another_municipality_row_raises(world, two_sides, ctx):
    with all_tenants(db.session):
        other = db.session.get(OrgUnit, two_sides["unit_b"])
    set_current_tenant(db.session, world.muni_a)
    db.session.delete(other)
    with pytest.raises(TenantViolation):
        db.session.flush()
    db.session.rollback()


def test_orm_bulk_update_touches_only_the_current_municipality(world, ctx):
    set_current_tenant(db.session, world.muni_a)
    db.session.execute(
        update(User).values(locale="en"), execution_options={"synchronize_session": False}
    )
    with all_tenants(db.session):
        by_muni = dict(
            db.session.execute(
                select(User.municipality_id, func.count())
                .where(User.locale == "en")
                .group_by(User.municipality_id)
            ).all()
        )
    assert set(by_muni) == {world.muni_a}


# -- the documented gaps, held shut by the other layers --------------------------------


def test_core_text_sql_bypasses_the_criteria(world, ctx):
    """KNOWN GAP on SQLite: raw SQL is not an ORM statement, so the ORM wall cannot filter it.

    Keep ``text()`` and Core statements off tenant-owned tables (or scope them
    by hand); this test fails loudly if that ever changes, so the note stays true.
    On PostgreSQL row-level security closes the gap (tests/test_rls.py).
    """
    set_current_tenant(db.session, world.muni_a)
    munis = set(db.session.scalars(text("SELECT municipality_id FROM users")))
    if db.engine.dialect.name == "postgresql":
        assert munis == {world.muni_a}
    else:
        assert world.muni_b in munis


@pytest.mark.parametrize(
    ("model", "table", "own", "other"),
    [
        (User, "users", "employee_a", "employee_b"),
        (OrgUnit, "org_units", "unit_a", "unit_b"),
        (Registration, "registrations", "reg_a", "reg_b"),
    ],
)
def test_a_text_row_mapped_onto_a_model_is_refused_on_load(
    world, two_sides, ctx, model, table, own, other
):
    """The ``load`` hook catches what the criteria cannot see: text SQL mapped onto a model.

    It must hang on every tenant-owned model, whichever declarative base built it
    (``db.Model`` models are not subclasses of ``tenants.base.Base``).
    """
    ids = {**two_sides, "employee_a": world.employee_a, "employee_b": world.employee_b}
    set_current_tenant(db.session, world.muni_a)
    stmt = select(model).from_statement(text(f"SELECT * FROM {table} WHERE id = :id"))
    if db.engine.dialect.name == "postgresql":  # row-level security: the row never arrives
        assert db.session.scalars(stmt, {"id": ids[other]}).all() == []
    else:
        with pytest.raises(TenantViolation):
            db.session.scalars(stmt, {"id": ids[other]}).all()
    mine = db.session.scalars(stmt, {"id": ids[own]}).one()
    assert mine.municipality_id == world.muni_a


def test_identity_map_returns_a_cached_row_without_sql_but_get_or_404_refuses_it(world, statements):
    """KNOWN GAP: ``session.get`` answers from the identity map without a query.

    An object loaded under ``all_tenants`` stays in the session; a later
    ``session.get`` returns it with no SQL, so no criteria and no ``load`` hook
    run. ``get_or_404`` does not use ``session.get``: it selects with the
    criteria and checks the owner again, so it still answers 404.
    """
    with all_tenants(db.session):
        other = db.session.get(User, world.employee_b)
    set_current_tenant(db.session, world.muni_a)
    statements.clear()
    assert db.session.get(User, world.employee_b) is other  # the gap ...
    assert statements == []  # ... served without a query
    with pytest.raises(NotFound):
        get_or_404(User, world.employee_b)  # ... and the gate that closes it


# -- a Core row adopted as an instance (the hot reads: the account, the session) ---------


def _core_row(model, row_id):
    """A model's row read with Core (as the hot paths read it), across the wall."""
    table = model.__table__
    stmt = select(*entity_columns(model)).where(table.c.id == row_id)
    with all_tenants(db.session):
        return core_connection(db.session()).execute(stmt).mappings().one()


def test_an_adopted_row_of_another_municipality_is_refused(world, ctx):
    """``adopt`` keeps the wall that the ``load`` hook keeps for queries."""
    other = _core_row(User, world.employee_b)
    set_current_tenant(db.session, world.muni_a)
    with pytest.raises(TenantViolation):
        adopt(db.session, User, other)
    assert db.session.identity_key(User, world.employee_b) not in db.session.identity_map
    with all_tenants(db.session):  # a deliberate regional read may adopt it
        assert adopt(db.session, User, other).id == world.employee_b


def test_an_adopted_row_is_the_instance_a_query_would_load(world, statements):
    """Persistent, unchanged, the identity map's (no second copy), relationships loaded
    when touched, and a change flushes as the ORM's own UPDATE."""
    set_current_tenant(db.session, world.muni_a)
    row = _core_row(User, world.employee_a)
    statements.clear()
    user = adopt(db.session, User, row)
    assert statements == []
    assert inspect(user).persistent and not db.session.dirty
    assert db.session.get(User, world.employee_a) is user
    assert adopt(db.session, User, row) is user  # the one already held wins
    assert (user.email, user.status, user.session_version) == (
        row["email"],
        row["status"],
        row["session_version"],
    )
    assert user.municipality.id == world.muni_a  # a relationship loads when touched
    statements.clear()
    user.name = "採用 太郎"
    db.session.flush()
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE USERS")]
    assert len(updates) == 1 and "email" not in updates[0].split("WHERE")[0]
    db.session.expire(user)
    assert user.name == "採用 太郎"


# -- the user loader ------------------------------------------------------------------


def _session_cookie(app, user_key: str) -> str:
    """A signed session naming ``user_key`` (code.id.version), signed in just now."""
    serializer = app.session_interface.get_signing_serializer(app)
    key = f"{user_key}.{int(time.time())}"
    return serializer.dumps({"_user_id": key, "_fresh": True})


def _home_with_cookie(app, user_key: str):
    from tests.conftest import Client

    app.test_client_class = Client
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], _session_cookie(app, user_key))
    return client.get("/")


def test_user_loader_accepts_a_cookie_naming_the_right_municipality(app, world):
    resp = _home_with_cookie(app, f"332038.{world.employee_a}.1")
    assert resp.status_code == 200
    assert "髙橋 太郎" in resp.get_data(as_text=True)


def test_cookie_replayed_with_another_municipality_code_signs_out(app, world):
    resp = _home_with_cookie(app, f"332046.{world.employee_a}.1")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_cookie_with_an_old_session_version_signs_out(app, world):
    resp = _home_with_cookie(app, f"332038.{world.employee_a}.0")
    assert resp.status_code == 302


def test_cookie_with_a_malformed_key_signs_out(app, world):
    for key in (f"{world.employee_a}", "332038.x.1", "999999.1.1", ""):
        assert _home_with_cookie(app, key).status_code == 302


def test_an_expired_account_reloads_with_its_own_org_unit_wherever_the_request_acts(world, ctx):
    """A commit expires everything: an administrator's own account (or a failed sign-in's)
    then reloads while another municipality is current. Its own eager org unit is no
    crossing; without this the next attribute access raised TenantViolation (a 500)."""
    with all_tenants(db.session):
        user = db.session.get(User, world.employee_a)
        assert user.org_unit is not None
    db.session.expire(user)
    set_current_tenant(db.session, world.muni_b)
    assert user.name == "髙橋 太郎"
    assert user.org_unit.municipality_id == world.muni_a


# -- a cross-member step is a scoped block ---------------------------------------


def test_acting_as_works_inside_the_other_member_and_restores_the_request_tenant(world, ctx):
    from tenants.scoping import current_tenant_id, is_all_tenants

    set_current_tenant(db.session, world.muni_a)
    with acting_as(db.session, world.muni_b):
        assert current_tenant_id(db.session) == world.muni_b
        assert db.session.scalar(select(User).where(User.id == world.employee_b)) is not None
        assert db.session.scalar(select(User).where(User.id == world.employee_a)) is None
    assert current_tenant_id(db.session) == world.muni_a
    with all_tenants(db.session), acting_as(db.session, world.muni_b):
        assert not is_all_tenants(db.session)  # inside the block the wall stands again
    assert current_tenant_id(db.session) == world.muni_a
    assert not is_all_tenants(db.session)


def test_acting_as_restores_the_request_tenant_when_the_step_fails(world, ctx):
    from tenants.scoping import current_tenant_id, is_all_tenants

    set_current_tenant(db.session, world.muni_a)
    with pytest.raises(NotFound), acting_as(db.session, world.muni_b):
        get_or_404(User, world.employee_a)  # refused inside the other member
    assert current_tenant_id(db.session) == world.muni_a
    with all_tenants(db.session):
        with pytest.raises(RuntimeError), acting_as(db.session, world.muni_b):
            raise RuntimeError("the step failed")
        assert is_all_tenants(db.session)  # the enclosing lift is back too
    assert current_tenant_id(db.session) == world.muni_a
