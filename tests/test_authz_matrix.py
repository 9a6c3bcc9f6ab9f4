"""Who may do what to whose records: every route, every role, both municipalities.

The matrix in ``tests/matrix`` is the written rule (ASVS 8.1.1). This test
fails for a route that has no case, for a case whose route no longer exists,
and for any answer other than the one written down.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from regional import create_app
from tests.matrix import REFUSED, ROLES, all_cases
from tests.matrix.records import build

CASES = all_cases()


def _app_endpoints() -> set[str]:
    from regional.config import TestingConfig

    app = create_app(TestingConfig)
    return {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}


def test_every_route_has_a_case():
    endpoints = _app_endpoints()
    covered = {c.endpoint for c in CASES}
    missing = sorted(endpoints - covered)
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    stale = sorted(covered - endpoints)
    assert not stale, f"matrix cases for routes that do not exist: {stale}"


def _params():
    for i, case in enumerate(CASES):
        for role in ROLES:
            for owner in case.owners:
                yield pytest.param(case, role, owner, id=f"{case.endpoint}[{i}]-{role}-{owner}")


@pytest.fixture
def caller(app, world, signed_in, api):
    def make(role: str, is_api: bool):
        email = None if role == "anon" else world.emails[role]
        if is_api:
            return api(email)
        if email is None:
            app.test_client_class = (
                type(signed_in.__self__) if hasattr(signed_in, "__self__") else None
            )
            from tests.conftest import Client

            app.test_client_class = Client
            return app.test_client()
        return signed_in(email)

    return make


#: Tables a refused request may still touch: the sign-in throttle counts attempts.
_VOLATILE = {"login_throttle"}


def _state() -> str:
    """A fingerprint of every row of every table.

    Core reads escape the ORM's tenant filter, but on PostgreSQL row-level security still
    hides every tenant-owned row unless the wall is lifted: read across all members.
    """
    from regional.extensions import db
    from tenants import all_tenants

    digest = hashlib.sha256()
    with all_tenants(db.session):
        for table in db.metadata.sorted_tables:
            if table.name in _VOLATILE:
                continue
            rows = db.session.execute(table.select().order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def _fingerprint(app) -> str:
    with app.app_context():
        return _state()


def _bound_session(conn):
    from regional.extensions import RegionalSession, db

    return db._make_scoped_session(
        {"bind": conn, "join_transaction_mode": "create_savepoint", "class_": RegionalSession}
    )


@pytest.fixture(scope="module")
def matrix_records(app):
    """The records every case points at, built once for the module on one connection.

    They live in that connection's outer transaction, which is rolled back after the last
    case, so no other test module ever sees them; each case runs in a savepoint of it
    (``_transaction`` below) and starts from exactly the state the records were built in.
    """
    from regional.extensions import db

    with app.app_context():
        conn = db.engine.connect()
        outer = conn.begin()
        original = db.session
        db.session = _bound_session(conn)
        try:
            records = build(app.world)
            db.session.commit()  # releases the session's savepoint; `outer` still holds it all
            records.fingerprint = _state()
        finally:
            db.session.remove()
            db.session = original
    yield conn, records
    outer.rollback()
    conn.close()


@pytest.fixture(autouse=True)
def _transaction(app, matrix_records):
    """Overrides the suite's per-test transaction: each case is a savepoint of the module's."""
    from regional.extensions import db

    conn, _ = matrix_records
    savepoint = conn.begin_nested()
    with app.app_context():
        original = db.session
        db.session = _bound_session(conn)
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        if savepoint.is_active:
            savepoint.rollback()


@pytest.mark.parametrize(("case", "role", "owner"), list(_params()))
def test_matrix(app, world, caller, matrix_records, case, role, owner):
    records = matrix_records[1]
    with app.app_context():
        url = case.url(records, owner)
        shows = case.shows(records, role, owner) if case.shows else None
        data = case.data(records, owner) if case.data else None
        files = case.files(records, owner) if case.files else None
    writes = case.method != "GET"
    if writes:
        # Every case starts from the records as built: an earlier case's writes were rolled
        # back (checked before signing in, which itself records the sign-in).
        assert _fingerprint(app) == records.fingerprint, "an earlier case's writes leaked"
    client = caller(role, case.api)
    payload = None
    if not case.api and writes:
        payload = dict(data or {})
        if files:
            payload.update(files)
        # Every caller sends a valid CSRF token (anonymous ones too, from the sign-in
        # page), so a refusal is the route's own doing and never the CSRF check's.
        payload.setdefault("csrf_token", client.csrf_token())
    before = _fingerprint(app) if writes else None
    if case.api:
        kwargs = {"json": data} if data is not None else {}
        if files:
            kwargs = {"data": files, "content_type": "multipart/form-data"}
        resp = client._call(case.method, url, **kwargs)
    elif case.method == "GET":
        resp = client.get(url)
    else:
        resp = client.open(url, method=case.method, data=payload)
    expected = case.expected(role, owner)
    changed = writes and _fingerprint(app) != before
    if expected is None:
        allowed = {401} if case.api and role == "anon" else REFUSED
        if not case.api and role == "anon":
            allowed = {302}  # to the sign-in page, whatever the method
        assert resp.status_code in allowed, (
            f"{case.method} {url} as {role} should be refused, got {resp.status_code}"
        )
        if role == "anon" and not case.api:
            assert re.search(r"/login", resp.headers["Location"]), resp.headers["Location"]
        # A refusal changes nothing, whatever its status (a 302 with a flash included).
        assert not changed, f"{case.method} {url} as {role} was refused but changed the database"
    else:
        assert resp.status_code == expected, (
            f"{case.method} {url} as {role} ({owner}): expected {expected}, got {resp.status_code}"
        )
        if shows is not None and expected == 200:
            body = resp.get_data(as_text=True)
            wanted, unwanted = shows
            assert all(t in body for t in wanted), f"{url} as {role} lacks one of {wanted}"
            assert not any(t in body for t in unwanted), f"{url} as {role} shows one of {unwanted}"
        if (
            writes
            and expected in (200, 201, 204, 302)
            and case.changes
            and role not in case.unchanged_for
        ):
            # An allowed write that answers like a refusal would (302) must have done it.
            assert changed, (
                f"{case.method} {url} as {role} ({owner}) answered {expected} but changed nothing"
            )
