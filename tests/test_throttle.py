"""Throttling of failed sign-ins: per account and per address, growing delays instead of a
lock-out, kept in the database so that every gunicorn worker sees the same counters."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, select, text

from regional import create_app
from regional.auth import throttle
from regional.auth.models import LoginThrottle
from regional.config import TestingConfig
from regional.extensions import db
from tests.conftest import PASSWORD, Client
from tests.fixtures_auth import freeze_throttle

WRONG = "certainly not the password 1"


@pytest.fixture
def clock(monkeypatch):
    return freeze_throttle(monkeypatch)


def _client(app, address: str) -> Client:
    app.test_client_class = Client
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def _token(app, email: str, password: str, address: str = "10.0.0.1"):
    return app.test_client().post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _rows(app, email: str) -> LoginThrottle | None:
    key = throttle.keys_for(email, None)[0]
    with app.app_context():
        return db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))


@pytest.mark.real_commits
def test_two_workers_share_one_counter_through_the_database(app, database_url, monkeypatch):
    """Two app instances (two workers, their own engines and pools) see the same failures."""
    freeze_throttle(monkeypatch)

    class WorkerConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        LOGIN_FREE_ATTEMPTS = 2

    worker_1, worker_2 = create_app(WorkerConfig), create_app(WorkerConfig)
    email = f"ghost-{uuid.uuid4().hex[:12]}@example.com"
    key = throttle.keys_for(email, None)[0]
    outside = create_engine(database_url)
    try:
        assert _token(worker_1, email, WRONG, "10.9.0.1").status_code == 401
        with outside.connect() as conn:  # committed, and visible to any other connection
            failures = conn.execute(
                text("SELECT failures FROM login_throttle WHERE key = :k"), {"k": key}
            ).scalar()
        assert failures == 1
        assert _token(worker_2, email, WRONG, "10.9.0.2").status_code == 401
        refused = _token(worker_1, email, WRONG, "10.9.0.3")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
    finally:
        with outside.begin() as conn:
            conn.execute(
                text("DELETE FROM login_throttle WHERE key = :k OR key LIKE 'addr:10.9.0.%'"),
                {"k": key},
            )
        outside.dispose()
        for worker in (worker_1, worker_2):
            with worker.app_context():
                db.engine.dispose()


def test_failures_of_one_account_count_from_every_address(app, world, clock):
    email = world.emails["employee_a"]
    for i in range(5):
        assert _client(app, f"10.1.0.{i}").login(email, WRONG).status_code == 401
    fresh = _client(app, "10.1.0.99")
    resp = fresh.login(email, PASSWORD)
    assert resp.status_code == 429  # even the right password is not checked now
    assert _rows(app, email).failures == 5
    clock.advance(1)
    assert fresh.login(email, PASSWORD).status_code == 302


def test_failures_from_one_address_count_across_accounts(app, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_ATTEMPTS", 3)
    for i in range(3):
        resp = _client(app, "10.2.0.1").login(f"guess{i}@city.tsuyama.lg.jp", WRONG)
        assert resp.status_code == 401
    assert _client(app, "10.2.0.1").login(world.emails["employee_a"], PASSWORD).status_code == 429
    assert _client(app, "10.2.0.2").login(world.emails["employee_a"], PASSWORD).status_code == 302


def test_an_office_behind_one_address_gets_more_room_than_one_account(app, world, clock):
    for i in range(10):
        assert _client(app, "10.3.0.1").login(f"typo{i}@example.com", WRONG).status_code == 401
    assert _client(app, "10.3.0.1").login(world.emails["employee_a"], PASSWORD).status_code == 302


def _retry_series(app, email: str, clock, rounds: int, address: str = "10.5.0.1") -> list[int]:
    """Fail past the free attempts; after each failure note how long the API says to wait."""
    for _ in range(4):
        assert _token(app, email, WRONG, address).status_code == 401
    waits = []
    for _ in range(rounds):
        assert _token(app, email, WRONG, address).status_code == 401
        refused = _token(app, email, WRONG, address)
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
    return waits


def test_delays_grow_with_each_failure(app, world, clock):
    assert _retry_series(app, world.emails["employee_a"], clock, 5) == [1, 2, 4, 8, 16]


def test_delays_stop_growing_at_the_ceiling(app, world, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_DELAY_SECONDS", 4)
    assert _retry_series(app, world.emails["employee_a"], clock, 5) == [1, 2, 4, 4, 4]


def test_unknown_accounts_are_throttled_exactly_like_known_ones(app, world, clock):
    known = _retry_series(app, world.emails["employee_a"], clock, 4, "10.6.0.1")
    unknown = _retry_series(app, "no.such.person@city.tsuyama.lg.jp", clock, 4, "10.6.0.2")
    assert known == unknown


def test_api_answers_429_with_retry_after_and_a_json_error(app, world, clock):
    for _ in range(5):
        _token(app, world.emails["employee_a"], WRONG)
    resp = _token(app, world.emails["employee_a"], PASSWORD)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"
    body = resp.get_json()
    assert body["error"]["code"] == "throttled"
    assert body["error"]["message"]
    assert "token" not in body


def test_sign_in_page_answers_429_with_a_message(app, world, clock):
    c = _client(app, "10.4.0.1")
    for _ in range(5):
        c.login(world.emails["employee_a"], WRONG)
    resp = c.login(world.emails["employee_a"], PASSWORD)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"
    html = resp.get_data(as_text=True)
    assert 'role="alert"' in html
    assert " 1 " in html or "1秒" in html  # the wait is named


def test_throttled_attempts_are_not_checked_and_not_counted(app, world, clock):
    email = world.emails["employee_a"]
    for _ in range(5):
        _token(app, email, WRONG)
    for _ in range(3):
        assert _token(app, email, WRONG).status_code == 429
    assert _rows(app, email).failures == 5


def test_a_successful_sign_in_clears_the_accounts_counter(app, world, clock):
    email = world.emails["employee_a"]
    for _ in range(4):
        _token(app, email, WRONG)
    assert _token(app, email, PASSWORD).status_code == 200
    assert _rows(app, email) is None
    for _ in range(4):
        assert _token(app, email, WRONG).status_code == 401
    assert _token(app, email, PASSWORD).status_code == 200


def test_old_failures_are_forgotten_after_an_hour(app, world, clock):
    email = world.emails["employee_a"]
    for _ in range(5):
        _token(app, email, WRONG)
    clock.advance(3601)
    assert _token(app, email, WRONG).status_code == 401
    assert _rows(app, email).failures == 1
    assert _token(app, email, PASSWORD).status_code == 200


def test_the_counter_does_not_store_the_address_in_clear(app, world, clock):
    email = world.emails["employee_a"]
    _token(app, email, WRONG)
    with app.app_context():
        keys = list(db.session.scalars(select(LoginThrottle.key)))
    assert keys
    assert not any(email in k or "tsuyama" in k for k in keys)


def test_addresses_are_normalised_before_counting(app, world, clock):
    email = world.emails["employee_a"]
    for variant in (email.upper(), f"  {email} ", email, email.title(), email):
        _token(app, variant, WRONG)
    assert _token(app, email, PASSWORD).status_code == 429
