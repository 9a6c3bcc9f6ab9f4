"""Throttling of failed sign-ins: per (account, address), per account and (for failures nobody
followed with a correct sign-in) per address, growing delays instead of a lock-out, kept in the
database so that every gunicorn worker sees the same counters.

A town hall on LGWAN shares one client address: a correct password for an account that is not
itself throttled passes from a throttled address, and one person's typos there do not shut out
their colleagues.
"""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import create_engine, select, text

from regional import create_app
from regional.auth import throttle
from regional.auth.models import LoginThrottle
from regional.config import TestingConfig
from regional.extensions import db
from tests.conftest import PASSWORD, Client
from tests.fixtures_auth import freeze_throttle, link_path

WRONG = "certainly not the password 1"
EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}
TOWN_HALL = "10.20.0.1"


@pytest.fixture
def clock(monkeypatch):
    return freeze_throttle(monkeypatch)


def _client(app, address: str) -> Client:
    app.test_client_class = Client
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = address
    return c


def _token(app, email: str, password: str, address: str = "10.0.0.1", headers=None):
    return app.test_client().post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers or {},
    )


def _row(app, key: str | None) -> LoginThrottle | None:
    with app.app_context():
        return db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))


def _rows(app, email: str) -> LoginThrottle | None:
    """The account's counter (failures from every address)."""
    return _row(app, throttle.sign_in_keys(email, None).account)


def _address_failures(app, address: str) -> int:
    row = _row(app, throttle.sign_in_keys("x@example.com", address).address)
    return row.failures if row else 0


def _strangers(app, address: str, count: int, clock=None) -> list[int]:
    """``count`` failed sign-ins from one address, each for a different unknown e-mail."""
    statuses = []
    for i in range(count):
        resp = _token(app, f"nobody-{i}@city.tsuyama.lg.jp", WRONG, address)
        statuses.append(resp.status_code)
    return statuses


@pytest.mark.real_commits
def test_two_workers_share_one_counter_through_the_database(app, database_url, monkeypatch):
    """Two app instances (two workers, their own engines and pools) see the same failures."""
    freeze_throttle(monkeypatch)

    class WorkerConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        LOGIN_ACCOUNT_FREE_ATTEMPTS = 2

    worker_1, worker_2 = create_app(WorkerConfig), create_app(WorkerConfig)
    email = f"ghost-{uuid.uuid4().hex[:12]}@example.com"
    key = throttle.sign_in_keys(email, None).account
    pairs = [throttle.sign_in_keys(email, f"10.9.0.{i}").pair for i in (1, 2, 3)]
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
                text(
                    "DELETE FROM login_throttle WHERE key = :k OR key IN (:p1, :p2, :p3) "
                    "OR key LIKE 'addr:10.9.0.%'"
                ),
                {"k": key, "p1": pairs[0], "p2": pairs[1], "p3": pairs[2]},
            )
        outside.dispose()
        for worker in (worker_1, worker_2):
            with worker.app_context():
                db.engine.dispose()


# -- the account: guessing is slowed wherever it comes from ------------------------------


def test_failures_of_one_account_count_from_every_address(app, world, clock):
    email = world.emails["employee_a"]
    for i in range(10):
        assert _client(app, f"10.1.0.{i}").login(email, WRONG).status_code == 401
    fresh = _client(app, "10.1.0.99")
    resp = fresh.login(email, PASSWORD)
    assert resp.status_code == 429  # even the right password is not checked now
    assert _rows(app, email).failures == 10
    clock.advance(1)
    assert fresh.login(email, PASSWORD).status_code == 302


def test_guessing_from_many_addresses_meets_growing_delays(app, world, clock):
    """One guess from each of many addresses (no address or pair ever reaches its limit)."""
    email = world.emails["employee_a"]
    for i in range(9):
        assert _token(app, email, WRONG, f"10.7.0.{i}").status_code == 401
    waits = []
    for i in range(9, 14):
        assert _token(app, email, WRONG, f"10.7.0.{i}").status_code == 401
        refused = _token(app, email, PASSWORD, f"10.7.1.{i}")
        assert refused.status_code == 429
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
    assert waits == [1, 2, 4, 8, 16]


def test_one_address_is_slowed_on_an_account_before_the_account_is(app, world, clock):
    """Five tries for one account from one address, then delays there; from the owner's
    own desk the account still has room (its ten are not used up)."""
    email = world.emails["employee_a"]
    for _ in range(5):
        assert _token(app, email, WRONG, "10.8.0.66").status_code == 401
    assert _token(app, email, PASSWORD, "10.8.0.66").status_code == 429
    assert _token(app, email, PASSWORD, TOWN_HALL).status_code == 200


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


def test_a_new_password_from_a_reset_link_lets_its_owner_straight_in(
    app, client, mailbox, world, clock
):
    """Someone who tried their old passwords a dozen times at their desk, then reset it."""
    email = world.emails["employee_a"]
    desk = _client(app, TOWN_HALL)
    failures = 0
    while failures < 12:
        resp = desk.login(email, WRONG)
        if resp.status_code == 401:
            failures += 1
        else:
            clock.advance(int(resp.headers["Retry-After"]))
    assert desk.login(email, WRONG).headers["Retry-After"] == "128"
    desk.form_post("/password/forgot", {"email": email})
    new = "a brand new passphrase 42"
    assert desk.form_post(link_path(mailbox, email), {"password": new, "confirm": new}).status_code
    assert desk.login(email, new).status_code == 302


def test_the_counter_does_not_store_the_address_in_clear(app, world, clock):
    email = world.emails["employee_a"]
    _token(app, email, WRONG)
    with app.app_context():
        keys = list(db.session.scalars(select(LoginThrottle.key)))
    assert {k.partition(":")[0] for k in keys} >= {"acct", "pair", "addr"}
    assert not any(email in k or "tsuyama" in k for k in keys)


def test_addresses_are_normalised_before_counting(app, world, clock):
    email = world.emails["employee_a"]
    for variant in (email.upper(), f"  {email} ", email, email.title(), email):
        _token(app, variant, WRONG)
    assert _token(app, email, PASSWORD).status_code == 429


# -- the shared address: a town hall is never locked out --------------------------------


@pytest.mark.parametrize("address_limit", [None, 20])
def test_25_unknown_failures_then_a_correct_sign_in_from_the_same_address_passes(
    app, world, clock, monkeypatch, address_limit
):
    """With the default limit and with the old one (20), which the 25 failures pass."""
    if address_limit:
        monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_ATTEMPTS", address_limit)
    statuses = _strangers(app, TOWN_HALL, 25)
    assert statuses[:20] == [401] * 20
    if address_limit:
        assert statuses[20:] == [429] * 5  # past the address's limit, failures are told to wait
    assert _client(app, TOWN_HALL).login(world.emails["employee_a"], PASSWORD).status_code == 302
    assert _token(app, world.emails["coordinator_a"], PASSWORD, TOWN_HALL).status_code == 200


def test_a_throttled_address_answers_a_wrong_password_as_it_answers_an_unknown_account(
    app, world, clock, monkeypatch
):
    """Two town halls in the same state: one is tried with a known account, one without."""
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_ATTEMPTS", 3)
    _strangers(app, TOWN_HALL, 3)
    _strangers(app, "10.20.0.2", 3)
    known = _token(app, world.emails["employee_a"], WRONG, TOWN_HALL, EN)
    unknown = _token(app, "nobody.else@city.tsuyama.lg.jp", WRONG, "10.20.0.2", EN)
    assert known.status_code == unknown.status_code == 429
    assert known.get_json() == unknown.get_json()
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


def test_guesses_from_a_throttled_address_still_count_on_the_account(
    app, world, clock, monkeypatch
):
    """The right password passes there, so each wrong one must still count for the account:
    otherwise a throttled address would be a place to guess without limit."""
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_ATTEMPTS", 3)
    _strangers(app, TOWN_HALL, 3)
    email = world.emails["employee_a"]
    for _ in range(5):
        assert _token(app, email, WRONG, TOWN_HALL).status_code == 429
    assert _token(app, email, PASSWORD, TOWN_HALL).status_code == 429  # the account itself now
    assert _rows(app, email).failures == 5


def test_failures_on_known_and_unknown_accounts_count_alike_on_the_address(app, world, clock):
    """The address's count must not tell whether an e-mail address has an account."""
    _token(app, world.emails["employee_a"], WRONG, TOWN_HALL)
    assert _address_failures(app, TOWN_HALL) == 1
    _token(app, "nobody.else@city.tsuyama.lg.jp", WRONG, TOWN_HALL)
    assert _address_failures(app, TOWN_HALL) == 2


def test_a_person_mistyping_at_a_shared_address_does_not_lock_out_colleagues(app, world, clock):
    clumsy = _client(app, TOWN_HALL)
    for _ in range(8):
        clumsy.login(world.emails["employee_a"], WRONG)
        clock.advance(1)
    assert clumsy.login(world.emails["employee_a"], WRONG).status_code == 429  # slowed: them
    colleague = _client(app, TOWN_HALL)
    assert colleague.login(world.emails["employee_a2"], WRONG).status_code == 401  # not 429
    assert colleague.login(world.emails["employee_a2"], PASSWORD).status_code == 302
    assert _token(app, world.emails["coordinator_a"], PASSWORD, TOWN_HALL).status_code == 200


def test_typos_their_owner_follows_with_a_correct_sign_in_leave_the_address(
    app, world, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_ATTEMPTS", 3)
    for person in ("employee_a", "employee_a2", "coordinator_a"):
        for _ in range(2):
            assert _token(app, world.emails[person], WRONG, TOWN_HALL).status_code == 401
        assert _token(app, world.emails[person], PASSWORD, TOWN_HALL).status_code == 200
    assert _address_failures(app, TOWN_HALL) == 0
    assert _token(app, world.emails["employee_a"], WRONG, TOWN_HALL).status_code == 401


def test_a_busy_address_starts_afresh_each_window(app, world, clock, monkeypatch):
    """A town hall never has an hour without a typo: its count must not pile up all day."""
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_FREE_ATTEMPTS", 3)
    assert _strangers(app, TOWN_HALL, 1) == [401]
    clock.advance(1800)
    assert _strangers(app, TOWN_HALL, 1) == [401]
    clock.advance(1801)  # an hour since the window began, half an hour since the last typo
    assert _strangers(app, TOWN_HALL, 2) == [401, 401]
    assert _address_failures(app, TOWN_HALL) == 2


# -- the wait, named ---------------------------------------------------------------------


def test_api_answers_429_with_retry_after_and_a_json_error(app, world, clock):
    for _ in range(5):
        _token(app, world.emails["employee_a"], WRONG)
    resp = _token(app, world.emails["employee_a"], PASSWORD)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"
    body = resp.get_json()
    assert body["error"]["code"] == "throttled"
    assert "1秒後にもう一度お試しください" in body["error"]["message"]
    assert "token" not in body
    english = _token(app, world.emails["employee_a"], PASSWORD, headers=EN).get_json()
    assert english["error"]["message"].endswith("Try again in 1 second.")


def _slow_down(app, email: str, clock, address: str, until: int) -> None:
    """Fail (waiting out each delay) until the next wait is ``until`` seconds."""
    for _ in range(30):
        resp = _token(app, email, WRONG, address)
        if resp.status_code == 429:
            if int(resp.headers["Retry-After"]) == until:
                return
            clock.advance(int(resp.headers["Retry-After"]))
    raise AssertionError("the wait never reached the ceiling")


def test_sign_in_page_names_the_wait_in_minutes_in_japanese_and_english(
    app, world, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "LOGIN_MAX_DELAY_SECONDS", 150)
    email = world.emails["employee_a"]
    _slow_down(app, email, clock, "10.4.0.1", 150)
    page = _client(app, "10.4.0.1")
    resp = page.login(email, PASSWORD)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "150"
    html = resp.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "3分後にもう一度お試しください。" in html  # 150 s, rounded up to whole minutes
    page.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = page.login(email, PASSWORD).get_data(as_text=True)
    assert "Try again in 3 minutes." in english
    api = _token(app, email, PASSWORD, "10.4.0.1", EN)
    assert api.headers["Retry-After"] == "150"
    assert api.get_json()["error"]["message"].endswith("Try again in 3 minutes.")


def test_sign_in_page_names_a_short_wait_in_seconds(app, world, clock):
    c = _client(app, "10.4.0.2")
    for _ in range(5):
        c.login(world.emails["employee_a"], WRONG)
    resp = c.login(world.emails["employee_a"], PASSWORD)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "1"
    assert "1秒後にもう一度お試しください。" in resp.get_data(as_text=True)


def test_account_mail_names_its_wait_too(app, client, mailbox, world, clock):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.form_post("/password/forgot", {"email": world.emails["employee_a"]})
    again = client.form_post("/password/forgot", {"email": world.emails["employee_a"]})
    assert again.status_code == 429
    assert again.headers["Retry-After"] == "60"
    assert "Try again in 1 minute." in again.get_data(as_text=True)


# -- the proxy in front ------------------------------------------------------------------


def _app_with(app, **settings):
    """Another app instance on the test's database with other settings."""
    config = type(
        "Config",
        (TestingConfig,),
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **settings},
    )
    return create_app(config)


FORWARDED = {"X-Forwarded-For": "203.0.113.9"}


def _proxy_warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "regional.security" and "TRUSTED_PROXY_COUNT" in r.getMessage()
    ]


def test_production_warns_once_of_a_proxy_it_does_not_believe(app, caplog):
    caplog.set_level(logging.WARNING, logger="regional.security")
    served = _app_with(app, REGIONAL_ENV="production", TRUSTED_PROXY_COUNT=0).test_client()
    served.get("/healthz")
    assert _proxy_warnings(caplog) == []  # no header, no proxy: nothing to say
    for _ in range(3):
        served.get("/healthz", headers=FORWARDED)
    warnings = _proxy_warnings(caplog)
    assert len(warnings) == 1
    assert "TRUSTED_PROXY_COUNT=1" in warnings[0]
    assert "203.0.113.9" not in warnings[0]  # the header's value is the client's to write


@pytest.mark.parametrize(
    "settings",
    [
        {"REGIONAL_ENV": "production", "TRUSTED_PROXY_COUNT": 1},
        {"REGIONAL_ENV": "testing", "TRUSTED_PROXY_COUNT": 0},
        {"REGIONAL_ENV": "development", "TRUSTED_PROXY_COUNT": 0},
    ],
)
def test_no_proxy_warning_when_it_is_believed_or_not_in_production(app, caplog, settings):
    caplog.set_level(logging.WARNING, logger="regional.security")
    _app_with(app, **settings).test_client().get("/healthz", headers=FORWARDED)
    assert _proxy_warnings(caplog) == []
