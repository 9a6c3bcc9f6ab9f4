"""Seats under a crowd: many registrations released at once by a barrier, through the real API.

Runs against its own database, committed for real (no per-test rollback): a
temporary SQLite file (WAL, ``BEGIN IMMEDIATE``), or, when the suite runs on
PostgreSQL, a database named after the test database with ``_conc`` (``SELECT
... FOR UPDATE`` on the session row). Either way: exactly ``capacity`` people
are enrolled, everyone else waits with distinct consecutive tickets, no request
fails ("database is locked" included), and one person racing themselves gets
exactly one registration.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.auth.tokens import api_token
from regional.catalogue.services import load_policy_catalogue
from regional.config import TestingConfig
from regional.extensions import db
from regional.seats.models import Registration
from regional.sessions.models import TrainingSession
from tenants import all_tenants, set_current_tenant
from tenants.region import load_region
from tests import factories
from tests.conftest import _prepare_database

PEOPLE = 40
CAPACITY = 5
ROUNDS = 3
MUNICIPALITIES = ("332038", "332046", "331007", "332089")


def _admin_engine(url):
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture
def crowd_app(owner_database_url, tmp_path):
    """A separate app and database, migrated from scratch and dropped afterwards."""
    from flask_migrate import upgrade

    parsed = make_url(owner_database_url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        url = parsed.set(database=f"{parsed.database}_conc")
        urls = _prepare_database(url.render_as_string(hide_password=False))
        admin = _admin_engine(url)
    else:
        urls = _prepare_database(f"sqlite:///{tmp_path / 'crowd.sqlite3'}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url
        MAIL_DELIVERY = "deferred"  # mail stays in the outbox: no SMTP server in this test
        SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 40}

    app = create_app(Config)
    with app.app_context():
        upgrade()
        load_region(db.session, "tenants/data/okayama.toml")
        load_policy_catalogue()
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if postgres:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Crowd:
    session_ids: list[int]
    tokens: list[str]
    employee_ids: list[int]


def _populate(app) -> Crowd:
    with app.app_context():
        muni_ids = [factories.municipality(code).id for code in MUNICIPALITIES]
        people = [factories.make_user(muni_ids[i % len(muni_ids)]) for i in range(PEOPLE)]
        program = factories.make_program()
        sessions = [
            factories.make_session(program, capacity=CAPACITY, starts_in=timedelta(days=10 + 2 * r))
            for r in range(ROUNDS + 1)
        ]
        db.session.commit()
        tokens = []
        with all_tenants(db.session):
            for person in people:
                tokens.append(api_token(person)[0])
        crowd = Crowd([s.id for s in sessions], tokens, [p.id for p in people])
        set_current_tenant(db.session, None)
        db.session.remove()
        return crowd


def _stampede(app, session_id: int, tokens: list[str]) -> list[tuple[int, dict]]:
    """Every token registers at the same moment; (status, body) per request."""
    barrier = threading.Barrier(len(tokens))
    results: list[tuple[int, dict] | None] = [None] * len(tokens)
    failures: list[BaseException] = []

    def worker(i: int, token: str) -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            resp = client.post(
                f"/api/v1/sessions/{session_id}/registrations",
                json={},
                headers={"Authorization": f"Bearer {token}"},
            )
            results[i] = (resp.status_code, resp.get_json())
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert all(r is not None for r in results), "a request never finished"
    return results  # type: ignore[return-value]


def _rows(app, session_id: int) -> tuple[TrainingSession, list[Registration]]:
    with app.app_context():
        with all_tenants(db.session):
            ts = db.session.get(TrainingSession, session_id)
            regs = list(
                db.session.scalars(
                    select(Registration).where(Registration.session_id == session_id)
                )
            )
            db.session.expunge_all()
        db.session.remove()
        return ts, regs


@pytest.mark.real_commits
@pytest.mark.slow
def test_a_crowd_fills_exactly_the_seats_and_queues_the_rest(crowd_app):
    crowd = _populate(crowd_app)
    for session_id in crowd.session_ids[:ROUNDS]:
        results = _stampede(crowd_app, session_id, crowd.tokens)
        statuses = Counter(code for code, _body in results)
        assert statuses == {201: PEOPLE}, [body for code, body in results if code != 201][:3]
        answered = Counter(body["status"] for _code, body in results)
        assert answered == {"enrolled": CAPACITY, "waitlisted": PEOPLE - CAPACITY}
        positions = sorted(
            body["waitlist_position"] for _c, body in results if body["waitlist_position"]
        )
        assert positions == list(range(1, PEOPLE - CAPACITY + 1))

        ts, regs = _rows(crowd_app, session_id)
        assert ts.seats_taken == CAPACITY
        assert len(regs) == PEOPLE
        assert len({r.employee_id for r in regs}) == PEOPLE
        tickets = sorted(r.waitlist_ticket for r in regs if r.waitlist_ticket is not None)
        assert tickets == list(range(1, PEOPLE - CAPACITY + 1))
        assert ts.waitlist_seq == PEOPLE - CAPACITY


@pytest.mark.real_commits
@pytest.mark.slow
def test_one_person_racing_themselves_gets_one_registration(crowd_app):
    crowd = _populate(crowd_app)
    session_id = crowd.session_ids[-1]
    for token in crowd.tokens[:ROUNDS]:
        results = _stampede(crowd_app, session_id, [token] * 8)
        codes = Counter(code for code, _body in results)
        assert codes == {201: 1, 409: 7}
        assert {body["error"]["code"] for code, body in results if code == 409} == {
            "already_registered"
        }
    ts, regs = _rows(crowd_app, session_id)
    assert len(regs) == ROUNDS
    assert ts.seats_taken == ROUNDS


# -- the register path: checks before the write lock, the database settles the rest ---------


@pytest.mark.real_commits
def test_a_request_that_slips_past_the_check_meets_the_unique_key(crowd_app, monkeypatch):
    """Two requests of one person both pass the check, one commits first: the second's
    INSERT meets UNIQUE(session, employee), answers 409 and keeps no seat."""
    from regional.registrations import actions

    crowd = _populate(crowd_app)
    session_id, token = crowd.session_ids[0], crowd.tokens[0]
    client = crowd_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/sessions/{session_id}/registrations"
    assert client.post(url, json={}, headers=headers).status_code == 201
    # The second request's check ran before the first one committed: it saw nothing.
    monkeypatch.setattr(actions, "_check", lambda *_a: (None, None))
    resp = client.post(url, json={}, headers=headers)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "already_registered"
    ts, regs = _rows(crowd_app, session_id)
    assert len(regs) == 1
    assert ts.seats_taken == 1


@pytest.mark.real_commits
def test_registration_checks_run_while_another_writer_holds_the_lock(crowd_app, monkeypatch):
    """SQLite: the sign-in and every check of a registration read in a deferred transaction,
    so they run while another connection holds the write lock; only the writes wait."""
    import sqlite3

    from regional.registrations import actions

    with crowd_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL readers never wait for a writer")
        path = db.engine.url.database
    crowd = _populate(crowd_app)
    session_id, token = crowd.session_ids[0], crowd.tokens[0]
    reached = threading.Event()
    real = actions.begin_writing

    def begin_writing(*args):
        reached.set()
        return real(*args)

    monkeypatch.setattr(actions, "begin_writing", begin_writing)
    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")  # another worker in the middle of its writes
    result: list[int] = []

    def request() -> None:
        resp = crowd_app.test_client().post(
            f"/api/v1/sessions/{session_id}/registrations",
            json={},
            headers={"Authorization": f"Bearer {token}"},
        )
        result.append(resp.status_code)

    worker = threading.Thread(target=request)
    worker.start()
    try:
        # Signed in and checked with the lock held elsewhere; now waiting for it.
        assert reached.wait(timeout=20), "the request waited for the write lock before its checks"
        assert not result
    finally:
        other.execute("COMMIT")
        other.close()
    worker.join(timeout=60)
    assert result == [201]
    ts, regs = _rows(crowd_app, session_id)
    assert len(regs) == 1 and ts.seats_taken == 1


@pytest.mark.real_commits
def test_begin_writing_refuses_a_read_phase_that_wrote(crowd_app):
    """A reads-first unit of work that wrote before begin_writing() would commit that
    write on its own: refused, on SQLite, where the read transaction is ended."""
    from regional.database import begin_writing
    from regional.tenancy import write_intent

    with crowd_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL keeps one transaction: nothing to refuse")
        token = write_intent.set(False)
        try:
            db.session.execute(text("SELECT 1"))
            begin_writing()  # read only: fine, and the transaction now holds the write lock
            assert write_intent.get() is True
            db.session.rollback()
            write_intent.set(False)
            db.session.execute(text("UPDATE municipalities SET code = code WHERE id < 0"))
            db.session.execute(text("UPDATE municipalities SET code = code"))
            with pytest.raises(RuntimeError, match="wrote"):
                begin_writing()
        finally:
            db.session.rollback()
            write_intent.reset(token)


# -- people leaving while others register -------------------------------------------------------


def _register_one(app, session_id: int, token: str) -> dict:
    resp = app.test_client().post(
        f"/api/v1/sessions/{session_id}/registrations",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _leave(app, muni_id: int, employee_ids: list[int], actor_id: int) -> list[int]:
    """Disable people and give up their future registrations, as a roster import does."""
    from regional.people import departures
    from regional.people.models import AccountStatus, User
    from tenants.scoping import acting_as

    with app.app_context():
        with acting_as(db.session, muni_id):
            gone = db.session.scalars(select(User).where(User.id.in_(employee_ids))).all()
            for person in gone:
                person.status = AccountStatus.DISABLED
            db.session.flush()
            actor = db.session.get(User, actor_id)
            cancelled = [w.registration_id for w in departures.withdraw(gone, actor)]
            db.session.commit()
        db.session.remove()
    return cancelled


def _coordinator_of(app, code: str) -> tuple[int, int]:
    from regional.people.models import Role

    with app.app_context():
        muni_id = factories.municipality(code).id
        actor_id = factories.make_user(muni_id, role=Role.COORDINATOR).id
        db.session.commit()
        db.session.remove()
    return muni_id, actor_id


def _together(*jobs) -> None:
    """Run each job in its own thread, released at once by a barrier; re-raise any failure."""
    barrier = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,), name=job.__name__) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures[:3]


@pytest.mark.real_commits
@pytest.mark.slow
def test_people_leaving_while_others_cancel_keep_the_count_true(crowd_app, monkeypatch):
    """A member's leavers are disabled (the roster import's bulk path) while two other
    people cancel: the one waiting moves up once, the seats nobody waits for stay free,
    and the counter matches the seats held (the session's lock serialises the three)."""
    import time

    from regional.mail.models import OutboundMail
    from regional.registrations import cancellation

    real_free_seat = cancellation.free_seat

    def slow_free_seat(*args):
        # The leavers' seats are given back slowly: the others meet the session's lock.
        if threading.current_thread().name == "leave":
            time.sleep(0.2)
        return real_free_seat(*args)

    monkeypatch.setattr(cancellation, "free_seat", slow_free_seat)
    crowd = _populate(crowd_app)
    session_id = crowd.session_ids[0]
    # People are spread over the members in turn: every 4th one is of the first.
    leavers, stayers, waiting = [0, 4, 8], [1, 2], 3
    regs = {i: _register_one(crowd_app, session_id, crowd.tokens[i]) for i in leavers + stayers}
    in_line = _register_one(crowd_app, session_id, crowd.tokens[waiting])["id"]
    muni_id, actor_id = _coordinator_of(crowd_app, MUNICIPALITIES[0])
    cancelled: list[int] = []

    def leave() -> None:
        ids = [crowd.employee_ids[i] for i in leavers]
        cancelled.extend(_leave(crowd_app, muni_id, ids, actor_id))

    def canceller(i: int):
        def cancel() -> None:
            resp = crowd_app.test_client().delete(
                f"/api/v1/registrations/{regs[i]['id']}",
                headers={"Authorization": f"Bearer {crowd.tokens[i]}"},
            )
            assert resp.status_code == 200, resp.get_json()

        return cancel

    _together(leave, *(canceller(i) for i in stayers))
    assert sorted(cancelled) == sorted(regs[i]["id"] for i in leavers)
    ts, rows = _rows(crowd_app, session_id)
    assert [r.id for r in rows if r.status.holds_seat] == [in_line]
    assert ts.seats_taken == 1
    with crowd_app.app_context():
        with all_tenants(db.session):
            promoted = db.session.scalars(
                select(OutboundMail)
                .execution_options(all_tenants=True)
                .where(OutboundMail.template == "registration_promoted")
            ).all()
            assert [m.params["registration_id"] for m in promoted] == [in_line]
        db.session.remove()


@pytest.mark.real_commits
@pytest.mark.slow
def test_people_leaving_while_a_crowd_registers_seat_those_waiting_first(crowd_app):
    """A member's leavers hold every seat and are disabled at the moment a crowd registers:
    the seats go to those already waiting, in their order, and no request fails."""
    crowd = _populate(crowd_app)
    session_id = crowd.session_ids[0]
    leavers = list(range(0, 4 * CAPACITY, 4))  # every 4th person is of the first member
    ahead = [i for i in range(4 * CAPACITY) if i not in leavers][:CAPACITY]
    rest = [i for i in range(PEOPLE) if i not in leavers and i not in ahead]
    for i in leavers:
        _register_one(crowd_app, session_id, crowd.tokens[i])
    line = [_register_one(crowd_app, session_id, crowd.tokens[i])["id"] for i in ahead]
    muni_id, actor_id = _coordinator_of(crowd_app, MUNICIPALITIES[0])
    cancelled: list[int] = []

    def leave() -> None:
        ids = [crowd.employee_ids[i] for i in leavers]
        cancelled.extend(_leave(crowd_app, muni_id, ids, actor_id))

    def registrant(i: int):
        def register() -> None:
            _register_one(crowd_app, session_id, crowd.tokens[i])

        return register

    _together(leave, *(registrant(i) for i in rest))
    assert len(cancelled) == CAPACITY
    ts, rows = _rows(crowd_app, session_id)
    assert sorted(r.id for r in rows if r.status.holds_seat) == sorted(line)
    assert ts.seats_taken == CAPACITY
    tickets = [r.waitlist_ticket for r in rows if r.waitlist_ticket is not None]
    assert len(tickets) == len(set(tickets)) == len(rest)
