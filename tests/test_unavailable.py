"""The database busy, restarting or unreachable: 503 with Retry-After, never a 500.

The fault is injected where it really happens, in the driver: the next statement the app
sends raises the driver's own error (SQLite's "database is locked", psycopg's lost
connection), which SQLAlchemy wraps as it would in production.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from regional.extensions import db
from regional.main.errors import RETRY_AFTER_SECONDS, database_unavailable


def _driver_error(dialect: str, kind: str) -> Exception:
    if dialect == "sqlite":
        return sqlite3.OperationalError(
            "database is locked" if kind == "transient" else "no such table: nowhere"
        )
    import psycopg

    if kind == "transient":
        return psycopg.OperationalError("server closed the connection unexpectedly")
    return psycopg.ProgrammingError('relation "nowhere" does not exist')


@contextmanager
def failing_database(app, kind: str = "transient"):
    """Every statement fails with the driver's error while the block runs."""
    with app.app_context():
        engine = db.engine
    error = _driver_error(engine.dialect.name, kind)

    def fail(*_args, **_kwargs):
        raise error

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)


def test_api_answers_503_with_retry_after_while_the_database_cannot_serve(app, world, api):
    caller = api(world.emails["employee_a"])
    with failing_database(app):
        resp = caller.get("/sessions")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = resp.get_json()
    assert body["error"]["code"] == "unavailable"
    assert "しばらく" in body["error"]["message"] or "混み合" in body["error"]["message"]
    # Back again: the same caller is served without a restart.
    assert caller.get("/sessions").status_code == 200


def test_a_write_answers_503_and_keeps_nothing(app, world, api):
    caller = api(world.emails["employee_a"])
    with failing_database(app):
        resp = caller.post("/sessions/1/registrations", json={})
    assert resp.status_code == 503
    assert resp.headers["Retry-After"]


def test_page_answers_503_in_the_users_language_without_loading_the_user(app, world, signed_in):
    client = signed_in(world.emails["coordinator_a"])
    with failing_database(app):
        resp = client.get("/")
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    page = resp.get_data(as_text=True)
    assert '<html lang="ja">' in page
    assert 'data-status="503"' in page
    with failing_database(app):
        resp = client.get("/", headers={"Accept-Language": "en"})
    assert resp.status_code == 503
    assert '<html lang="en">' in resp.get_data(as_text=True)
    assert "briefly unavailable" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_other_database_errors_stay_server_errors(app, world, api, monkeypatch):
    """Only "cannot serve now" is a 503: a broken query is a bug and must look like one."""
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    caller = api(world.emails["employee_a"])
    with failing_database(app, kind="bug"):
        resp = caller.get("/sessions")
    assert resp.status_code == 500
    assert "Retry-After" not in resp.headers


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("database is busy"), True),
        (sqlite3.OperationalError("no such column: x"), False),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
    ],
)
def test_which_sqlite_errors_mean_unavailable(error, expected):
    from sqlalchemy.exc import DBAPIError

    wrapped = DBAPIError.instance("SELECT 1", {}, error, sqlite3.Error)
    assert database_unavailable(wrapped) is expected


def test_pool_timeout_and_invalidated_connections_mean_unavailable():
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    assert database_unavailable(PoolTimeout("QueuePool limit reached"))
    lost = DBAPIError.instance(
        "SELECT 1",
        {},
        sqlite3.OperationalError("disk I/O error"),
        sqlite3.Error,
        connection_invalidated=True,
    )
    assert database_unavailable(lost)
    assert not database_unavailable(ValueError("not a database error"))


def test_a_failed_flush_with_the_account_expired_still_answers_503_in_the_requests_language(
    app, world
):
    """The 503 used to look up the user's language in the database: after a commit had
    expired the account and a flush had failed, that lookup raised PendingRollbackError
    inside the error handler and gunicorn sent a bare "Internal Server Error"."""
    from flask import g
    from sqlalchemy.exc import OperationalError

    from regional.people.models import User
    from tenants.scoping import acting_as

    for path, wanted in (("/api/v1/sessions/1", "json"), ("/people/", "html")):
        with app.test_request_context(path, headers={"Accept-Language": "en"}):
            with acting_as(db.session, world.muni_a):
                user = db.session.get(User, world.employee_a)
                g._login_user = user
                db.session.expire(user)  # as every commit leaves it
                with failing_database(app):
                    user.name_kana = "ツヤマ"  # a change the failing flush cannot write
                    with pytest.raises(OperationalError) as failed:
                        db.session.flush()
                    # The session now refuses every statement until it is rolled back.
                    resp = app.make_response(app.handle_user_exception(failed.value))
            assert resp.status_code == 503
            assert resp.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            if wanted == "json":
                assert resp.get_json()["error"]["message"].startswith("The service is busy")
            else:
                page = resp.get_data(as_text=True)
                assert '<html lang="en">' in page and 'data-status="503"' in page
            db.session.rollback()


def test_a_transaction_left_unusable_means_unavailable():
    """What the next statement meets after a failed flush was caught and ignored."""
    from sqlalchemy.exc import PendingRollbackError

    assert database_unavailable(PendingRollbackError("rolled back due to a previous exception"))


@pytest.mark.parametrize("kind", ["OperationalError", "InterfaceError", "ProgrammingError"])
def test_which_psycopg_errors_mean_unavailable(kind):
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.exc import DBAPIError

    error = getattr(psycopg, kind)("connection is lost")
    wrapped = DBAPIError.instance("SELECT 1", {}, error, psycopg.Error)
    assert database_unavailable(wrapped) is (kind != "ProgrammingError")


def test_the_connection_lost_at_the_end_of_a_request_keeps_its_answer(app, world, api, monkeypatch):
    """The answer is built, then the rollback that ends the request's session fails (its
    connection terminated meanwhile: faults/run.py write-paths found it). The answer stands;
    raised from the teardown, the error was gunicorn's bare 500."""
    from sqlalchemy import exc as sa_exc
    from sqlalchemy.orm import Session

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caller = api(world.emails["employee_a"])
    with app.app_context():
        error = _driver_error(db.engine.dialect.name, "transient")
    real_close = Session.close
    failed: list[bool] = []

    def close(self):
        real_close(self)
        if not failed:
            failed.append(True)
            raise sa_exc.OperationalError("ROLLBACK", {}, error)

    monkeypatch.setattr(Session, "close", close)
    resp = caller.get("/sessions")
    monkeypatch.setattr(Session, "close", real_close)
    assert failed
    assert resp.status_code == 200
    assert "items" in resp.get_json()
    # The next request is served as usual.
    assert caller.get("/sessions").status_code == 200
