"""A database of the test's own (for tests that migrate, back up or restore a whole one).

A temporary SQLite file, or on PostgreSQL the test database's name with a suffix
(dropped afterwards); the app connects as the runtime role and migrates as the owner,
as the suite's own database does (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.config import TestingConfig
from regional.extensions import db
from tenants.rls import grant_runtime_role
from tests.conftest import APP_ROLE, APP_ROLE_PASSWORD, DatabaseUrls, _prepare_database

#: A tables' owner as in production: no superuser, no BYPASSRLS (the suite's own owner is
#: the cluster's superuser, which row-level security never applies to).
OWNER_ROLE = "regional_test_owner"
OWNER_PASSWORD = "regional-test-owner-password"


def _owned_by_plain_role(url) -> DatabaseUrls:
    """A new database owned by :data:`OWNER_ROLE`, the runtime role granted by it (the
    runtime role itself exists: the suite's own database made it)."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(
            text(
                f"DO $$ BEGIN CREATE ROLE {OWNER_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS "
                f"PASSWORD '{OWNER_PASSWORD}'; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        )
        conn.execute(text(f'CREATE DATABASE "{url.database}" OWNER {OWNER_ROLE}'))
    admin.dispose()
    owner_url = url.set(username=OWNER_ROLE, password=OWNER_PASSWORD)
    owner = create_engine(owner_url)
    with owner.begin() as conn:
        grant_runtime_role(conn, APP_ROLE)
    owner.dispose()
    app_url = url.set(username=APP_ROLE, password=APP_ROLE_PASSWORD)
    return DatabaseUrls(
        app_url.render_as_string(hide_password=False),
        owner_url.render_as_string(hide_password=False),
    )


@contextmanager
def own_database(
    owner_database_url: str,
    tmp_path: Path,
    suffix: str,
    *,
    plain_owner: bool = False,
    **settings: object,
) -> Iterator[tuple[Flask, Engine]]:
    """An app on a new, empty database (no schema): ``(app, owner engine)``.

    ``plain_owner``: on PostgreSQL the tables' owner is :data:`OWNER_ROLE`, a role that is
    no superuser, as in production (README: Running in production, step 2).
    """
    parsed = make_url(owner_database_url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        url = parsed.set(database=f"{parsed.database}_{suffix}")
        if plain_owner:
            urls = _owned_by_plain_role(url)
        else:
            urls = _prepare_database(url.render_as_string(hide_password=False))
    else:
        urls = _prepare_database(f"sqlite:///{tmp_path / suffix}.sqlite3")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url
        GROWTH_FILES_DIR = str(tmp_path / f"{suffix}-files")

    for key, value in settings.items():
        setattr(Config, key, value)
    app = create_app(Config)
    owner = create_engine(urls.owner_url)
    try:
        yield app, owner
    finally:
        owner.dispose()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if postgres:
            admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            admin.dispose()
