"""What authentication costs a request: one indexed statement for the person, nothing more.

The bearer token (API) and the session key (pages) name the municipality, the
account and its session version; the loader reads the account and its
municipality in one statement and loads nothing the endpoint does not ask for
(the organisation unit comes only when used). Counted in statements sent to
the database (PostgreSQL also sends the tenant settings for row-level security,
counted apart), never in time.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from regional.auth.tokens import load_user_by_key
from regional.extensions import db
from regional.people.models import User
from tenants import all_tenants, set_current_tenant
from tenants.models import Municipality
from tenants.scoping import is_all_tenants

#: Statements an authenticated GET of the member list may send, besides the tenant settings:
#: the account (with its municipality) and the list itself.
MAX_STATEMENTS_SIMPLE_GET = 2

_SETTINGS = re.compile(r"set_config\(", re.I)


@contextmanager
def counting(app):
    """Statements sent while the block runs: (queries, tenant-setting statements)."""
    sent: list[str] = []

    def on(_conn, _cursor, statement, *_args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", on)


_CONTROL = re.compile(r"^\s*(BEGIN|SAVEPOINT|RELEASE|ROLLBACK|COMMIT)\b", re.I)


def _queries(sent: list[str]) -> list[str]:
    """Leave out transaction control (the tests' savepoints included) and the row-level
    security settings (PostgreSQL)."""
    return [s for s in sent if not _SETTINGS.search(s) and not _CONTROL.match(s)]


def test_an_authenticated_api_get_of_a_simple_resource_sends_two_statements(app, api, world):
    caller = api(world.emails["employee_a"])
    assert caller.get("/municipalities").status_code == 200  # warm: first-request work
    with counting(app) as sent:
        resp = caller.get("/municipalities")
    assert resp.status_code == 200
    queries = _queries(sent)
    assert len(queries) <= MAX_STATEMENTS_SIMPLE_GET, "\n\n".join(queries)
    # The account is read once, with its municipality, and without its organisation unit.
    users = [q for q in queries if re.search(r"\bFROM users\b", q)]
    assert len(users) == 1, users
    assert "org_units" not in users[0]


def test_a_signed_in_page_reads_the_account_in_one_statement(app, as_employee_a):
    assert as_employee_a.get("/records/my-training").status_code == 200
    with counting(app) as sent:
        assert as_employee_a.get("/records/my-training").status_code == 200
    users = [q for q in _queries(sent) if re.search(r"\bFROM users\b", q)]
    assert len(users) == 1, users


def _key_of_employee_a(world) -> tuple[str, int]:
    """What a session key or token names for employee A: the municipality code and the
    session version."""
    with all_tenants(db.session):
        code = db.session.scalar(select(Municipality.code).where(Municipality.id == world.muni_a))
        version = db.session.scalar(select(User.session_version).where(User.id == world.employee_a))
    return code, version


def test_loading_the_user_does_not_cascade_into_lazy_loads(app, world):
    """The loader's one statement brings the municipality; touching what the request uses
    (name, roles, municipality, session key) sends nothing more."""
    with app.app_context():
        code, version = _key_of_employee_a(world)
        db.session.expunge_all()
        with counting(app) as sent:
            user = load_user_by_key(code, world.employee_a, version)
            assert user is not None
        assert len(_queries(sent)) == 1, _queries(sent)
        assert "org_unit" not in user.__dict__  # not loaded: only when asked for
        with counting(app) as later:
            _ = (user.name, user.roles, user.is_active, user.municipality.code, user.get_id())
            _ = user.municipality.name_ja, user.municipality.coordinating
        assert _queries(later) == []
        # The loader reads inside the key's municipality and leaves the request's tenant to
        # regional.tenancy.resolve_tenant, which a request runs next: as it does.
        set_current_tenant(db.session, user.municipality_id)
        with counting(app) as unit:
            user.org_unit  # noqa: B018 - asked for: one statement, and only then
        assert len(_queries(unit)) == 1
        db.session.remove()


def test_the_me_endpoint_still_names_the_unit(api, world):
    """The unit is loaded when an endpoint uses it (API contract: /me has org_unit)."""
    body = api(world.emails["employee_a"]).get("/me").get_json()
    assert body["municipality_code"] == "332038"
    assert "org_unit" in body


def test_signing_in_reads_inside_the_municipality_and_lifts_no_wall(app, api, world):
    """The account is read inside the municipality its key names: no statement of an
    authenticated request lifts the tenant wall (PostgreSQL: row-level security stays on,
    so nothing logs it as lifted on every request)."""
    caller = api(world.emails["employee_a"])
    assert caller.get("/municipalities").status_code == 200
    lifted: list[str] = []

    def on_execute(state):
        if state.execution_options.get("all_tenants") or is_all_tenants(state.session):
            lifted.append(str(state.statement))

    event.listen(Session, "do_orm_execute", on_execute)
    try:
        with counting(app) as sent:
            assert caller.get("/municipalities").status_code == 200
    finally:
        event.remove(Session, "do_orm_execute", on_execute)
    assert lifted == []
    # PostgreSQL: the tenant is set once, with the bypass off.
    settings = [s for s in sent if _SETTINGS.search(s)]
    assert len(settings) <= 1, settings


def test_a_stale_municipality_id_finds_the_account_all_the_same(app, world):
    """The code -> id cache is only a shortcut: a wrong entry (a database rebuilt under a
    running process) is read again, and the code must match as well."""
    with app.app_context():
        code, version = _key_of_employee_a(world)
        cache = app.extensions["regional_municipality_ids"]
        cache[(db.engine.url, code)] = world.muni_b  # wrong
        user = load_user_by_key(code, world.employee_a, version)
        assert user is not None and user.id == world.employee_a
        assert cache[(db.engine.url, code)] == world.muni_a
        db.session.remove()
