"""Who may do what to whose records: every route, every role, both municipalities.

The matrix in ``tests/matrix`` is the written rule (ASVS 8.1.1). This test
fails for a route that has no case, for a case whose route no longer exists,
and for any answer other than the one written down.
"""

from __future__ import annotations

import re

import pytest

from regional import create_app
from tests.matrix import REFUSED, ROLES, all_cases, runner

# The runner's fixtures, used here by name (the savepoint per case is autouse).
caller = runner.caller
matrix_records = runner.matrix_records
_transaction = runner._transaction
_fingerprint = runner._fingerprint

CASES = all_cases()


def _app_endpoints() -> set[str]:
    from regional.config import TestingConfig

    app = create_app(TestingConfig)
    return {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}


def test_every_route_has_a_case():
    endpoints = _app_endpoints()
    covered = {c.endpoint for c in CASES}
    missing = sorted(endpoints - covered)
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    stale = sorted(covered - endpoints)
    assert not stale, f"matrix cases for routes that do not exist: {stale}"


def test_the_fingerprint_sees_one_changed_column(app, world, matrix_records):
    """The whole-database fingerprint the cases compare changes when one column of one row
    does (not only when rows come or go), and comes back when the change is undone."""
    from sqlalchemy import update

    from regional.extensions import db
    from regional.people.models import User
    from tenants import all_tenants

    records = matrix_records[1]
    assert _fingerprint(app) == records.fingerprint
    with app.app_context(), all_tenants(db.session):
        name = db.session.get(User, world.employee_b).name
        db.session.execute(update(User).where(User.id == world.employee_b).values(name="変更 次郎"))
        db.session.flush()
        assert runner._state() != records.fingerprint
        db.session.execute(update(User).where(User.id == world.employee_b).values(name=name))
        db.session.flush()
        assert runner._state() == records.fingerprint


def _params():
    for i, case in enumerate(CASES):
        for role in ROLES:
            for owner in case.owners:
                yield pytest.param(case, role, owner, id=f"{case.endpoint}[{i}]-{role}-{owner}")


@pytest.mark.parametrize(("case", "role", "owner"), list(_params()))
def test_matrix(app, world, caller, matrix_records, case, role, owner):
    records = matrix_records[1]
    with app.app_context():
        url = case.url(records, owner)
        shows = case.shows(records, role, owner) if case.shows else None
        data = case.data(records, owner) if case.data else None
        files = case.files(records, owner) if case.files else None
    writes = case.method != "GET"
    before = None
    if writes:
        # Every case starts from the records as built: an earlier case's writes were rolled
        # back. (The callers signed in when the records were built: taking a client writes
        # nothing, so this is also the state the request starts from.)
        before = _fingerprint(app)
        assert before == records.fingerprint, "an earlier case's writes leaked"
    client = caller(role, case.api)
    payload = None
    if not case.api and writes:
        payload = dict(data or {})
        if files:
            payload.update(files)
        # Every caller sends a valid CSRF token (anonymous ones too), so a refusal is the
        # route's own doing and never the CSRF check's.
        payload.setdefault("csrf_token", client.csrf_token())
    if case.api:
        kwargs = {"json": data} if data is not None else {}
        if files:
            kwargs = {"data": files, "content_type": "multipart/form-data"}
        resp = client._call(case.method, url, **kwargs)
    elif case.method == "GET":
        resp = client.get(url)
    else:
        resp = client.open(url, method=case.method, data=payload)
    expected = case.expected(role, owner)
    changed = writes and _fingerprint(app) != before
    if expected is None:
        allowed = {401} if case.api and role == "anon" else REFUSED
        if not case.api and role == "anon":
            allowed = {302}  # to the sign-in page, whatever the method
        assert resp.status_code in allowed, (
            f"{case.method} {url} as {role} should be refused, got {resp.status_code}"
        )
        if role == "anon" and not case.api:
            assert re.search(r"/login", resp.headers["Location"]), resp.headers["Location"]
        # A refusal changes nothing, whatever its status (a 302 with a flash included).
        assert not changed, f"{case.method} {url} as {role} was refused but changed the database"
    else:
        assert resp.status_code == expected, (
            f"{case.method} {url} as {role} ({owner}): expected {expected}, got {resp.status_code}"
        )
        if shows is not None and expected == 200:
            body = resp.get_data(as_text=True)
            wanted, unwanted = shows
            assert all(t in body for t in wanted), f"{url} as {role} lacks one of {wanted}"
            assert not any(t in body for t in unwanted), f"{url} as {role} shows one of {unwanted}"
        if (
            writes
            and expected in (200, 201, 204, 302)
            and case.changes
            and role not in case.unchanged_for
        ):
            # An allowed write that answers like a refusal would (302) must have done it.
            assert changed, (
                f"{case.method} {url} as {role} ({owner}) answered {expected} but changed nothing"
            )
