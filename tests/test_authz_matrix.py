"""Who may do what to whose records: every route, every role, both municipalities.

The matrix in ``tests/matrix`` is the written rule (ASVS 8.1.1). This test
fails for a route that has no case, for a case whose route no longer exists,
and for any answer other than the one written down.
"""

from __future__ import annotations

import re

import pytest

from regional import create_app
from tests.matrix import REFUSED, ROLES, all_cases
from tests.matrix.records import build

CASES = all_cases()


def _app_endpoints() -> set[str]:
    from config import TestingConfig

    app = create_app(TestingConfig)
    return {r.endpoint for r in app.url_map.iter_rules() if r.endpoint != "static"}


def test_every_route_has_a_case():
    endpoints = _app_endpoints()
    covered = {c.endpoint for c in CASES}
    missing = sorted(endpoints - covered)
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    stale = sorted(covered - endpoints)
    assert not stale, f"matrix cases for routes that do not exist: {stale}"


def _params():
    for i, case in enumerate(CASES):
        for role in ROLES:
            for owner in case.owners:
                yield pytest.param(case, role, owner, id=f"{case.endpoint}[{i}]-{role}-{owner}")


@pytest.fixture
def caller(app, world, signed_in, api):
    def make(role: str, is_api: bool):
        email = None if role == "anon" else world.emails[role]
        if is_api:
            return api(email)
        if email is None:
            app.test_client_class = (
                type(signed_in.__self__) if hasattr(signed_in, "__self__") else None
            )
            from tests.conftest import Client

            app.test_client_class = Client
            return app.test_client()
        return signed_in(email)

    return make


@pytest.mark.parametrize(("case", "role", "owner"), list(_params()))
def test_matrix(app, world, caller, case, role, owner):
    with app.app_context():
        records = build(world)
        from regional.extensions import db

        db.session.commit()  # releases the savepoint; the test's outer transaction still rolls back
        url = case.url(records, owner)
        data = case.data(records, owner) if case.data else None
        files = case.files(records, owner) if case.files else None
    client = caller(role, case.api)
    if case.api:
        kwargs = {"json": data} if data is not None else {}
        if files:
            kwargs = {"data": files, "content_type": "multipart/form-data"}
        resp = client._call(case.method, url, **kwargs)
    elif case.method == "GET":
        resp = client.get(url)
    else:
        payload = dict(data or {})
        if files:
            payload.update(files)
        if role != "anon":
            payload.setdefault("csrf_token", client.csrf_token())
        resp = client.open(url, method=case.method, data=payload)
    expected = case.expected(role, owner)
    if expected is None:
        allowed = {401} if case.api and role == "anon" else REFUSED
        if not case.api and role == "anon":
            allowed = {302, 400}  # to the sign-in page (400: CSRF refuses an anonymous POST first)
        assert resp.status_code in allowed, (
            f"{case.method} {url} as {role} should be refused, got {resp.status_code}"
        )
        if role == "anon" and not case.api and resp.status_code == 302:
            assert re.search(r"/login", resp.headers["Location"])
    else:
        assert resp.status_code == expected, (
            f"{case.method} {url} as {role} ({owner}): expected {expected}, got {resp.status_code}"
        )
