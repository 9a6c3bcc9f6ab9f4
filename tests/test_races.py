"""Requests racing each other, released together by a barrier, committed for real.

* Several coordinators creating the same missing target at once: one row, every answer 200
  (PostgreSQL used to answer most of them 500: the unique key, unhandled).
* Two saves carrying one ETag at once: exactly one goes through, the other is told (412).
* Attendance recorded twice at once: one completion, one certificate, never a 500.
* Waiting-list places read while cancellations promote people: never a 500 (a place was
  read in two statements, and a promotion in between raised "is not in list").
* SQLite: another process holding the write lock past the busy timeout: every write
  answers 503 with Retry-After, never 500; reads go on.

Each runs on its own database (tests/fixtures_real.py), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from regional.attendance.models import Certificate, Completion
from regional.auth.tokens import api_token
from regional.extensions import db
from regional.people.models import Role, User
from regional.registrations import actions
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from regional.targets.models import Target
from tenants import all_tenants, set_current_tenant
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_real import separate_app

pytestmark = pytest.mark.real_commits

CODE_A = "332038"


@pytest.fixture
def race_app(owner_database_url, tmp_path):
    with separate_app(owner_database_url, tmp_path, "race", PROPAGATE_TEST_ERRORS=False) as app:
        yield app


def together(calls: list[Callable[[], object]]) -> list[object]:
    """Run every call at the same moment (a barrier), each in its own thread; their results."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:  # reported below: a crash is a failure, as a 500 is
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    return results


def _token(app, user_id: int) -> str:
    with app.app_context(), all_tenants(db.session):
        token = api_token(db.session.get(User, user_id))[0]
        set_current_tenant(db.session, None)
    return token


def _call(app, token: str, method: str, path: str, **kwargs):
    """One API request in a context of its own, as in a worker (nothing leaks to the test)."""
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    client = app.test_client()
    resp = contextvars.Context().run(
        client.open, "/api/v1" + path, method=method, headers=headers, **kwargs
    )
    return resp.status_code, resp.get_json(), resp.headers


def _people(app, code: str, n: int, role: Role = Role.EMPLOYEE) -> list[int]:
    with app.app_context():
        muni = factories.municipality(code).id
        ids = [factories.make_user(muni, role=role).id for _ in range(n)]
        db.session.commit()
    return ids


# -- check-then-insert: a missing target ---------------------------------------------------


def test_several_coordinators_creating_one_missing_target_make_one_row(race_app):
    coordinators = _people(race_app, CODE_A, 5, Role.COORDINATOR)
    tokens = [_token(race_app, c) for c in coordinators]
    body = {"kind": "cumulative", "target": 12, "period_start_fy": 2024, "period_end_fy": 2026}
    for key in ("advanced", "core_digital", "core_pm"):
        path = f"/municipalities/{CODE_A}/targets/{key}"
        results = together(
            [
                (lambda t=t, n=n, p=path: _call(race_app, t, "PUT", p, json={**body, "target": n}))
                for n, t in enumerate(tokens, start=10)
            ]
        )
        statuses = Counter(status for status, _body, _h in results)
        assert statuses == {200: len(tokens)}, [b for s, b, _h in results if s != 200][:2]
        with race_app.app_context(), all_tenants(db.session):
            rows = db.session.scalars(select(Target).where(Target.key == key)).all()
            assert len(rows) == 1
            # One of them saved last: the row holds what that answer said.
            assert rows[0].target in {b["target"] for _s, b, _h in results}


# -- optimistic locking: two saves of one version -------------------------------------------


def test_two_saves_with_one_etag_at_once_one_wins_and_the_other_is_told(race_app):
    with race_app.app_context():
        ts_id = factories.make_session(capacity=10).id
        admin = factories.make_user(factories.municipality("331007").id, role=Role.REGIONAL_ADMIN)
        db.session.commit()
        admin_id = admin.id
    token = _token(race_app, admin_id)
    for round_ in range(4):
        _s, _b, headers = _call(race_app, token, "GET", f"/sessions/{ts_id}")
        tag = headers["ETag"]
        venues = [f"会場{round_}-{i}" for i in range(4)]
        results = together(
            [
                (
                    lambda v=v, tag=tag: _call(
                        race_app,
                        token,
                        "PATCH",
                        f"/sessions/{ts_id}",
                        json={"venue": v},
                        headers={"If-Match": tag},
                    )
                )
                for v in venues
            ]
        )
        statuses = Counter(status for status, _b, _h in results)
        assert statuses == {200: 1, 412: 3}, statuses
        winner = next(b for s, b, _h in results if s == 200)
        with race_app.app_context():
            assert db.session.get(TrainingSession, ts_id).venue == winner["venue"]
        for status, body, _h in results:
            if status == 412:
                assert body["error"]["current"]["venue"] == winner["venue"]


# -- check-then-insert: a completion and its certificate ------------------------------------


def test_attendance_recorded_twice_at_once_issues_one_certificate(race_app):
    with race_app.app_context():
        muni_a = factories.municipality(CODE_A).id
        admin = factories.make_user(factories.municipality("331007").id, role=Role.REGIONAL_ADMIN)
        people = [factories.make_user(muni_a) for _ in range(6)]
        ts = factories.make_session(
            capacity=10,
            starts_in=timedelta(hours=-3),
            hours=1,
            opens_in=timedelta(days=-10),
            closes_in=timedelta(hours=-4),
        )
        regs = []
        for person in people:
            with acting_as(db.session, muni_a):
                regs.append(actions.register(ts.id, person, admin).id)
        db.session.commit()
        admin_id, ts_id = admin.id, ts.id
    token = _token(race_app, admin_id)
    marks = [{"registration_id": r, "attended": True} for r in regs]
    results = together(
        [
            (lambda: _call(race_app, token, "POST", f"/sessions/{ts_id}/attendance", json=marks))
            for _ in range(4)
        ]
    )
    assert {status for status, _b, _h in results} <= {200, 409}, [b for _s, b, _h in results]
    assert any(status == 200 for status, _b, _h in results)
    with race_app.app_context(), all_tenants(db.session):
        completions = db.session.scalar(
            select(func.count()).select_from(Completion).where(Completion.registration_id.in_(regs))
        )
        certificates = db.session.scalar(
            select(func.count())
            .select_from(Certificate)
            .where(Certificate.registration_id.in_(regs))
        )
    assert completions == certificates == len(regs)


# -- waiting-list places under cancellations ------------------------------------------------


def test_waiting_list_places_read_while_cancellations_promote_never_fail(race_app):
    capacity, waiting = 4, 16
    with race_app.app_context():
        muni_a = factories.municipality(CODE_A).id
        coordinator = factories.make_user(muni_a, role=Role.COORDINATOR)
        people = [factories.make_user(muni_a) for _ in range(capacity + waiting)]
        ts = factories.make_session(capacity=capacity)
        regs = []
        for person in people:
            with acting_as(db.session, muni_a):
                regs.append(actions.register(ts.id, person, person))
        db.session.commit()
        enrolled = [r.id for r in regs if r.status == RegistrationStatus.ENROLLED]
        waiting_ids = [r.id for r in regs if r.status == RegistrationStatus.WAITLISTED]
        ts_id, coordinator_id = ts.id, coordinator.id
    assert len(enrolled) == capacity
    token = _token(race_app, coordinator_id)
    listing = f"/municipalities/{CODE_A}/registrations?session_id={ts_id}&status=waitlisted"

    def read_many() -> list[tuple[int, object]]:
        seen = []
        for i in range(12):
            path = listing if i % 2 else f"/registrations/{waiting_ids[i % len(waiting_ids)]}"
            status, body, _h = _call(race_app, token, "GET", path)
            seen.append((status, body))
        return seen

    def cancel(reg_id: int):
        return _call(race_app, token, "DELETE", f"/registrations/{reg_id}")[:2]

    # Enrolled people cancel (each promotes the first in line) while others read places.
    calls = [lambda r=r: cancel(r) for r in enrolled] + [read_many for _ in range(4)]
    results = together(calls)
    for status, body in results[: len(enrolled)]:
        assert status == 200, body
    for reads in results[len(enrolled) :]:
        for status, body in reads:
            assert status == 200, body
            items = body.get("items", [body])
            places = [i["waitlist_position"] for i in items if i["waitlist_position"]]
            assert len(places) == len(set(places)), places
            assert all(1 <= p <= waiting for p in places), places
    with race_app.app_context(), all_tenants(db.session):
        left = db.session.scalars(
            select(Registration.waitlist_ticket).where(
                Registration.session_id == ts_id,
                Registration.status == RegistrationStatus.WAITLISTED,
            )
        ).all()
    assert len(left) == waiting - capacity


# -- SQLite: the write lock held elsewhere ---------------------------------------------------


@pytest.fixture
def locked_app(owner_database_url, tmp_path):
    if not owner_database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock: PostgreSQL has no database-wide one")
    with separate_app(owner_database_url, tmp_path, "locked", SQLITE_BUSY_TIMEOUT_MS=100) as app:
        yield app


def test_a_write_lock_held_past_the_busy_timeout_answers_503_never_500(locked_app, signed_in_to):
    import sqlite3

    app = locked_app
    with app.app_context():
        muni_a = factories.municipality(CODE_A).id
        admin = factories.make_user(factories.municipality("331007").id, role=Role.REGIONAL_ADMIN)
        employee = factories.make_user(muni_a)
        coordinator = factories.make_user(muni_a, role=Role.COORDINATOR)
        ts = factories.make_session(capacity=10)
        with acting_as(db.session, muni_a):
            reg = actions.register(ts.id, employee, employee)
        db.session.commit()
        ids = (admin.id, employee.id, coordinator.id, ts.id, reg.id, ts.program_id)
        admin_email, path = admin.email, db.engine.url.database
    admin_id, employee_id, coordinator_id, ts_id, reg_id, program_id = ids
    admin_token, employee_token = _token(app, admin_id), _token(app, employee_id)
    coordinator_token = _token(app, coordinator_id)
    page = signed_in_to(app, admin_email)
    csrf = page.csrf_token()

    other = sqlite3.connect(path, isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")  # another worker in the middle of a long write
    try:
        writes = [
            _call(app, employee_token, "DELETE", f"/registrations/{reg_id}"),
            _call(app, admin_token, "PATCH", f"/sessions/{ts_id}", json={"capacity": 12}),
            _call(
                app,
                coordinator_token,
                "PUT",
                f"/municipalities/{CODE_A}/targets/security",
                json={"kind": "annual", "target": 5, "period_start_fy": 2024},
            ),
            _call(
                app,
                admin_token,
                "POST",
                f"/sessions/{ts_id}/registrations",
                json={"employee_id": coordinator_id},
            ),
        ]
        for status, body, headers in writes:
            assert status == 503, body
            assert headers["Retry-After"] == "5"
            assert body["error"]["code"] == "unavailable"
        from tests.fixtures_sessions import session_form

        form = session_form(program_id, capacity="15", csrf_token=csrf)
        resp = page.post(f"/sessions/{ts_id}/edit", data=form)
        assert resp.status_code == 503
        assert resp.headers["Retry-After"] == "5"
        assert 'data-status="503"' in resp.get_data(as_text=True)
        # Readers never wait for the writer: a GET writes nothing, so it is served.
        assert _call(app, employee_token, "GET", f"/registrations/{reg_id}")[0] == 200
        assert _call(app, admin_token, "GET", f"/sessions/{ts_id}")[0] == 200
        assert page.get(f"/sessions/{ts_id}").status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The lock gone, the same requests go through.
    assert _call(app, employee_token, "DELETE", f"/registrations/{reg_id}")[0] == 200
    with app.app_context():
        assert db.session.get(TrainingSession, ts_id).capacity == 10


@pytest.fixture
def signed_in_to():
    """Sign a page client in to a given app (the suite's ``signed_in`` is the suite's app)."""
    from tests.conftest import PASSWORD, Client

    def make(app, email: str):
        app.test_client_class = Client
        client = app.test_client()
        assert client.login(email, PASSWORD).status_code == 302
        client._signed_in = True
        return client

    return make


# -- check-then-insert: closing a fiscal year ------------------------------------------------


def test_a_year_closed_twice_at_once_is_closed_once(race_app):
    (coordinator,) = _people(race_app, CODE_A, 1, Role.COORDINATOR)
    token = _token(race_app, coordinator)
    path = f"/municipalities/{CODE_A}/years/2024/close"
    results = together([(lambda: _call(race_app, token, "POST", path, json={})) for _ in range(4)])
    statuses = Counter(status for status, _b, _h in results)
    assert statuses == {201: 1, 409: 3}, [b for s, b, _h in results if s not in (201, 409)]
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"already_closed"}
