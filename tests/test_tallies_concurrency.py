"""Two transactions changing the same person at once still count them once (PostgreSQL).

The stored figures move by differences computed from a person's records before and after
a flush (regional.targets.tallies). Two transactions adding a security completion for the
same person in the same year would each see "none before" and each add one, unless the
second waits for the first and then reads what it committed. Runs against its own
database, committed for real; SQLite has one writer at a time, so it is skipped there.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.catalogue.services import load_policy_catalogue
from regional.config import TestingConfig
from regional.extensions import db
from regional.targets import tallies
from regional.targets.measures import load_default_measures
from tenants.region import load_region
from tests import factories, oracle
from tests.conftest import _prepare_database
from tests.fixtures_targets import complete


@pytest.fixture
def tally_app(owner_database_url):
    from flask_migrate import upgrade

    parsed = make_url(owner_database_url)
    if parsed.get_backend_name() != "postgresql":
        pytest.skip("SQLite: one writer at a time, nothing runs at once")
    url = parsed.set(database=f"{parsed.database}_tally")
    urls = _prepare_database(url.render_as_string(hide_password=False))

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        load_region(db.session, "tenants/data/okayama.toml")
        load_policy_catalogue()
        load_default_measures(db.session)
        db.session.commit()
    watcher = create_engine(url, isolation_level="AUTOCOMMIT")
    yield app, watcher
    watcher.dispose()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def _someone_waits_for_a_lock(watcher) -> bool:
    with watcher.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


@pytest.mark.real_commits
def test_two_transactions_completing_for_one_person_count_them_once(tally_app):
    app, watcher = tally_app
    with app.app_context():
        muni = factories.municipality("332038").id
        person = factories.make_user(muni).id
        db.session.commit()
        db.session.remove()

    first = app.app_context()
    first.push()
    try:
        # The first transaction records one security course (FY2025) and stays open.
        complete(muni, person, "GEN-SEC-101", date(2025, 5, 1))
        done, errors = threading.Event(), []

        def second() -> None:
            with app.app_context():
                try:
                    complete(muni, person, "GEN-SEC-102", date(2025, 6, 1))
                    db.session.commit()
                except BaseException as exc:  # reported below
                    errors.append(exc)
                finally:
                    db.session.remove()
                    done.set()

        thread = threading.Thread(target=second)
        thread.start()
        # Until the second has either finished or is waiting on a lock the first holds.
        while not done.wait(0.05) and not _someone_waits_for_a_lock(watcher):
            pass
        db.session.commit()
    finally:
        db.session.remove()
        first.pop()
    thread.join(120)
    assert not thread.is_alive() and not errors, errors

    with app.app_context():
        conn = db.session.connection()
        counts, _people, _annual = tallies.stored(conn)
        want, _, _ = oracle.expected(conn)
        assert counts.get((muni, "security", 2025)) == 1  # one person, however many courses
        assert counts == {k: v for k, v in want.items() if v}
        db.session.remove()
