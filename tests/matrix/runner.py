"""Running matrix cases: the module's records, a savepoint per case, callers of each role.

Shared by the authorization matrix (tests/test_authz_matrix.py) and the audit walk
(tests/test_audit_walk.py), which replay the same cases. A test module uses these
fixtures by importing them.
"""

from __future__ import annotations

import hashlib

import pytest

from tests.matrix import ROLES
from tests.matrix.records import build


@pytest.fixture
def caller(app, api, matrix_records):
    """``caller(role, is_api)``: a new client of that role, already signed in.

    Each role signed in once for the module (:func:`_sign_in_everyone`); a case gets a fresh
    client holding that session's cookie, or that bearer token, so what one case does to
    its client (a language chosen, a sign-out) never reaches the next.
    """
    from tests.conftest import Client

    credentials = matrix_records[1].credentials

    def make(role: str, is_api: bool):
        if is_api:
            return api(None, token=credentials.get(("api", role)))
        app.test_client_class = Client
        client = app.test_client()
        cookie = credentials.get(("page", role))
        if cookie is not None:
            client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
            client._signed_in = True
        return client

    return make


def _sign_in_everyone(app) -> dict[tuple[str, str], str]:
    """Every role but the anonymous one signed in through the real form and the API's token
    route: the session cookie and the bearer token of each, by ``(kind, role)``."""
    from tests.conftest import PASSWORD, Client

    credentials = {}
    for role, email in app.world.emails.items():
        if role not in ROLES:
            continue
        app.test_client_class = Client
        client = app.test_client()
        assert client.login(email).status_code == 302, f"sign-in failed for {role}"
        cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        credentials["page", role] = cookie.value
        resp = app.test_client().post(
            "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
        )
        assert resp.status_code == 200, resp.get_json()
        credentials["api", role] = resp.get_json()["token"]
    return credentials


#: Tables a refused request may still touch: the sign-in throttle counts attempts.
_VOLATILE = {"login_throttle"}


def _state() -> str:
    """A fingerprint of every row of every table, read in one statement.

    Each table gives its row count and its rows' text, ordered by that text (PostgreSQL:
    the row as ``t::text``, hashed by the database; SQLite: every column ``quote()``-d and
    joined); any change of any column of any row, or a row added or removed, changes it.
    Core reads escape the ORM's tenant filter, but on PostgreSQL row-level security still
    hides every tenant-owned row unless the wall is lifted: read across all members.
    """
    from sqlalchemy import text

    from regional.extensions import db
    from tenants import all_tenants

    digest = hashlib.sha256()
    with all_tenants(db.session):
        statement = _state_statement(db.session.get_bind().dialect.name)
        for name, count, rows in db.session.execute(text(statement)):
            digest.update(f"{name}:{count}:{rows}\n".encode())
    return digest.hexdigest()


_STATEMENTS: dict[str, str] = {}


def _state_statement(dialect: str) -> str:
    """One ``UNION ALL`` of ``(table, row count, rows)`` per table (built once per dialect)."""
    if dialect not in _STATEMENTS:
        from regional.extensions import db

        parts = []
        for table in db.metadata.sorted_tables:
            if table.name in _VOLATILE:
                continue
            name = f'"{table.name}"'
            if dialect == "postgresql":
                parts.append(
                    f"SELECT '{table.name}', count(*), "
                    f"md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) "
                    f"FROM {name} AS x"
                )
            else:
                row = " || ',' || ".join(f'quote("{c.name}")' for c in table.columns)
                parts.append(
                    f"SELECT '{table.name}', count(*), coalesce(group_concat(r, char(10)), '') "
                    f"FROM (SELECT {row} AS r FROM {name} ORDER BY r)"
                )
        _STATEMENTS[dialect] = "\nUNION ALL\n".join(parts)
    return _STATEMENTS[dialect]


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
            # Signing in records itself (last sign-in): done before the fingerprint is taken.
            records.credentials = _sign_in_everyone(app)
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
