"""Fixtures: one app and schema per run, a rolled-back transaction per test.

The database comes from ``TEST_DATABASE_URL`` (PostgreSQL in CI's second
pass); without it a temporary SQLite file is used. The schema is built by the
real Alembic migrations, then a base world is committed once: the region,
the catalogue, and accounts of every role in two municipalities (A = 津山市,
B = 玉野市) and Okayama City (the regional administrator).
"""

from __future__ import annotations

import contextvars
import os
import secrets
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.config import TestingConfig
from regional.extensions import RegionalSession, db
from tenants.rls import create_runtime_role, grant_runtime_role
from tests import factories

pytest_plugins = ["tests.smtp"]

#: Modules whose behaviour does not depend on the database (settings, the calendar, the
#: catalogues, the layers, spreadsheets, input parsing, the wording of pages, the e2e guard).
#: scripts/run-tests runs them once, in the SQLite pass; the PostgreSQL pass leaves them out
#: with ``-m "not db_independent"`` (as it does the browser tests, marked ``e2e``).
DB_INDEPENDENT = frozenset(
    {
        "test_config.py",
        "test_fiscal.py",
        "test_translations.py",
        "test_architecture.py",
        "test_spreadsheets.py",
        "test_validation.py",
        "test_typography.py",
        "test_glossary_terms.py",
        "test_one_voice.py",
        "test_e2e_guard.py",
        "test_suite_setup.py",
    }
)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.path.name in DB_INDEPENDENT and item.path.parent.name == "tests":
            item.add_marker(pytest.mark.db_independent)


#: The pass's budget for generated input: ``full`` (the default) or ``quick``
#: (``TEST_BUDGET=quick``). scripts/run-tests gives the SQLite pass the quick one when
#: PostgreSQL runs beside it: the property tests take fewer examples there, and the hostile
#: walk (tests/test_hostile_routes.py) sends only the values whose fate depends on the
#: database. Everything generated still runs in full on PostgreSQL.
QUICK = os.environ.get("TEST_BUDGET", "full") == "quick"


def _hypothesis_profiles() -> None:
    """``full`` and ``quick`` (see :data:`QUICK`)."""
    from hypothesis import HealthCheck, settings

    common = {
        "deadline": None,
        "database": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much],
    }
    settings.register_profile("full", max_examples=60, stateful_step_count=30, **common)
    settings.register_profile("quick", max_examples=15, stateful_step_count=20, **common)
    settings.load_profile("quick" if QUICK else "full")


_hypothesis_profiles()

PASSWORD = "correct horse battery staple 7"
CODE_A, CODE_B, CODE_ADMIN = "332038", "332046", "331007"


#: On PostgreSQL the app connects as this role, which owns nothing and cannot bypass
#: row-level security (a superuser would); TEST_DATABASE_URL's user owns the tables and runs
#: the migrations, as in production (README: Running in production).
APP_ROLE = "regional_test_app"
APP_ROLE_PASSWORD = "regional-test-app-password"


@dataclass(frozen=True)
class DatabaseUrls:
    """``url`` for the app (the runtime role), ``owner_url`` for migrations (the owner)."""

    url: str
    owner_url: str

    @property
    def migration_url(self) -> str | None:
        return self.owner_url if self.owner_url != self.url else None


def _prepare_database(url: str) -> DatabaseUrls:
    """A fresh database for this run (PostgreSQL: dropped and created; SQLite: a new file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return DatabaseUrls(url, url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        create_runtime_role(conn, APP_ROLE, APP_ROLE_PASSWORD)
    admin.dispose()
    owner = create_engine(parsed)
    with owner.begin() as conn:
        grant_runtime_role(conn, APP_ROLE)
    owner.dispose()
    app_url = parsed.set(username=APP_ROLE, password=APP_ROLE_PASSWORD)
    return DatabaseUrls(app_url.render_as_string(hide_password=False), url)


def worker_database_url(url: str, worker: str | None) -> str:
    """With several processes (pytest-xdist, scripts/run-tests' TEST_WORKERS) each has a
    database of its own: ``regional_test`` becomes ``regional_test_gw0``, ``_gw1`` …"""
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def test_database(tmp_path_factory) -> DatabaseUrls:
    """SQLite: a file in this process's own temporary folder; PostgreSQL: TEST_DATABASE_URL's
    database, one per process (see :func:`worker_database_url`)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    else:
        url = worker_database_url(url, os.environ.get("PYTEST_XDIST_WORKER"))
    return _prepare_database(url)


@pytest.fixture(scope="session")
def database_url(test_database) -> str:
    """The app's URL (on PostgreSQL the runtime role, subject to row-level security)."""
    return test_database.url


@pytest.fixture(scope="session")
def owner_database_url(test_database) -> str:
    """The tables' owner (migrations, arranging data across municipalities)."""
    return test_database.owner_url


@dataclass
class World:
    """Ids and e-mails of the accounts every test can use."""

    muni_a: int
    muni_b: int
    muni_admin: int
    employee_a: int
    employee_a2: int
    coordinator_a: int
    employee_b: int
    coordinator_b: int
    admin: int
    emails: dict[str, str]


@pytest.fixture(scope="session")
def app(test_database):
    from flask_migrate import upgrade

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = test_database.url
        MIGRATION_DATABASE_URL = test_database.migration_url

    application = create_app(Config)
    with application.app_context():
        upgrade()
        application.world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
        db.session.commit()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def world(app) -> World:
    return app.world


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Each test runs in a transaction that is rolled back afterwards."""
    if request.node.get_closest_marker("real_commits"):
        yield
        return
    with app.app_context():
        conn = db.engine.connect()
        outer = conn.begin()
        original = db.session
        db.session = db._make_scoped_session(
            {"bind": conn, "join_transaction_mode": "create_savepoint", "class_": RegionalSession}
        )
    try:
        yield
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        outer.rollback()
        conn.close()


@pytest.fixture
def ctx(app):
    """An app context for tests that touch the database directly."""
    with app.app_context():
        yield
        db.session.remove()


class Client(FlaskClient):
    """A test client that signs in through the real form and keeps the CSRF token.

    Each request runs in an empty ``contextvars`` context, so it gets its own
    app context (``g``, the ORM session, the tenant) even when the test itself
    holds one, as a real request in a worker would.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)

    def csrf_token(self) -> str:
        """The session's CSRF token, signed as Flask-WTF signs it. A session without one (a
        new client, or one just signed in: sign-in starts a new session) gets one the way
        Flask-WTF's ``generate_csrf`` makes it when a page with a form is rendered, so no
        page is rendered just to read it; the app still checks every token it is sent."""
        raw = contextvars.Context().run(self._raw_csrf_token)
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def _raw_csrf_token(self) -> str:
        with self.session_transaction() as session:
            if "csrf_token" not in session:
                session["csrf_token"] = secrets.token_hex(20)
            return session["csrf_token"]

    def login(self, email: str, password: str = PASSWORD):
        token = self.csrf_token()
        resp = self.post("/login", data={"email": email, "password": password, "csrf_token": token})
        self._signed_in = resp.status_code == 302
        return resp

    def form_post(self, url: str, data: dict | None = None, **kwargs):
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


def _signed_in(app, email: str) -> Client:
    app.test_client_class = Client
    c = app.test_client()
    resp = c.login(email)
    assert resp.status_code == 302, f"sign-in failed for {email}: {resp.status_code}"
    return c


@pytest.fixture
def as_employee_a(app, world):
    return _signed_in(app, world.emails["employee_a"])


@pytest.fixture
def as_coordinator_a(app, world):
    return _signed_in(app, world.emails["coordinator_a"])


@pytest.fixture
def as_coordinator_b(app, world):
    return _signed_in(app, world.emails["coordinator_b"])


@pytest.fixture
def as_admin(app, world):
    return _signed_in(app, world.emails["admin"])


@pytest.fixture
def signed_in(app):
    """Sign in any e-mail: ``signed_in(email)``."""
    return lambda email: _signed_in(app, email)


@pytest.fixture
def api(app):
    """An API caller: ``api(email).get(path)`` with a bearer token."""

    class ApiClient:
        def __init__(self, email: str | None, token: str | None = None):
            """Signed in as ``email``, or holding ``token`` (one already issued), or neither."""
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {token}"} if token else {}
            if email:
                resp = self.client.post(
                    "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
                )
                assert resp.status_code == 200, resp.get_json()
                self.headers["Authorization"] = f"Bearer {resp.get_json()['token']}"

        def _call(self, method: str, path: str, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

        def get(self, path, **kw):
            return self._call("GET", path, **kw)

        def post(self, path, **kw):
            return self._call("POST", path, **kw)

        def delete(self, path, **kw):
            return self._call("DELETE", path, **kw)

        def patch(self, path, **kw):
            return self._call("PATCH", path, **kw)

    return ApiClient
