"""An app on a database of its own, committed for real: for races between requests.

The suite's per-test transaction cannot hold two requests racing each other, so these
tests build a separate database with the real migrations (PostgreSQL: named after the
test database with a suffix, dropped afterwards; SQLite: a temporary file) and mark
themselves ``real_commits``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.catalogue.services import load_policy_catalogue
from regional.config import TestingConfig
from regional.extensions import db
from regional.targets.measures import load_default_measures
from tenants.region import load_region
from tests.conftest import _prepare_database


@contextmanager
def separate_app(owner_url: str, tmp_path, suffix: str, **settings) -> Iterator:
    """A migrated app with the region and the catalogue; ``settings`` override its config."""
    from flask_migrate import upgrade

    parsed = make_url(owner_url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        url = parsed.set(database=f"{parsed.database}_{suffix}")
        urls = _prepare_database(url.render_as_string(hide_password=False))
    else:
        urls = _prepare_database(f"sqlite:///{tmp_path / f'{suffix}.sqlite3'}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url
        MAIL_DELIVERY = "deferred"  # mail stays in the outbox: no SMTP server here
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 30}

    for name, value in settings.items():
        setattr(Config, name, value)
    app = create_app(Config)
    with app.app_context():
        upgrade()
        load_region(db.session, "tenants/data/okayama.toml")
        load_policy_catalogue()
        load_default_measures(db.session)
        db.session.commit()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if postgres:
            admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            admin.dispose()
