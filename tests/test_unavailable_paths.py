"""Every route, the database away or locked: never a 500; and no GET writes.

The authorization matrix (tests/matrix/) names every route with a caller allowed to use
it. Each write case is sent again while the database goes down under it, at its first
write and at its commit: the answer is 503 with Retry-After (JSON for the API, a page
otherwise), never a 500 and never an error escaping the error handler (gunicorn's bare
"Internal Server Error"). Down just after its commit (when the mail it queued is
delivered): the committed work is answered as done, or the page asks to retry. Every
GET case is sent by every role while the engine watches
for INSERT, UPDATE and DELETE: none may be issued (a GET that writes meets "database is
locked" on SQLite and races elsewhere).
"""

from __future__ import annotations

import pytest

from regional.main.errors import RETRY_AFTER_SECONDS
from tests.matrix import ROLES
from tests.outage import database_down, watching_writes
from tests.test_authz_matrix import (  # noqa: F401  (the matrix's records and savepoints)
    CASES,
    _transaction,
    caller,
    matrix_records,
)

#: Preferred caller for a write case: the first role allowed.
_PREFERENCE = ("admin", "coordinator_a", "coordinator_b", "employee_a")
_SUCCESS = {200, 201, 204, 302}

#: GETs that write on purpose, and what: the public certificate check counts failed
#: look-ups per address (the throttle that stops code enumeration, shared by every worker).
WRITING_GETS = {
    "api.check_certificate": "login_throttle",
    "growth.verify_certificate": "login_throttle",
}


def _allowed(case):
    """(role, owner) of the first caller the matrix lets do this case successfully."""
    for role in _PREFERENCE:
        for owner in case.owners:
            if case.expected(role, owner) in _SUCCESS:
                return role, owner
    return None


def _write_params():
    for i, case in enumerate(CASES):
        if case.method == "GET" or not case.changes:
            continue
        chosen = _allowed(case)
        if chosen is None:
            continue
        for at in ("write", "commit", "after-commit"):
            yield pytest.param(case, *chosen, at, id=f"{case.endpoint}[{i}]-{chosen[0]}-{at}")


_clients: dict[tuple[str, bool], object] = {}


@pytest.fixture
def client_for(caller):  # noqa: F811
    """A client per role from the module's sign-ins (tests/matrix/runner.py), kept for the
    GETs; ``fresh=True`` gives a new one (a write may sign out, or change the language)."""

    def make(role: str, is_api: bool, *, fresh: bool = False):
        key = (role, is_api)
        if fresh or key not in _clients:
            _clients[key] = caller(role, is_api)
        return _clients[key]

    return make


def _send(client, case, url, data, files):
    if case.api:
        kwargs = {"json": data} if data is not None else {}
        if files:
            kwargs = {"data": files, "content_type": "multipart/form-data"}
        return client._call(case.method, url, **kwargs)
    if case.method == "GET":
        return client.get(url)
    payload = dict(data or {})
    if files:
        payload.update(files)
    payload.setdefault("csrf_token", client.csrf_token())
    return client.open(url, method=case.method, data=payload)


@pytest.mark.parametrize(("case", "role", "owner", "at"), list(_write_params()))
def test_a_write_answers_503_when_the_database_goes_away(
    app,
    monkeypatch,
    client_for,
    matrix_records,  # noqa: F811  (the matrix's fixture)
    case,
    role,
    owner,
    at,
):
    """Production settings: an exception escaping the handlers would be a bare 500."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    records = matrix_records[1]
    with app.app_context():
        url = case.url(records, owner)
        data = case.data(records, owner) if case.data else None
        files = case.files(records, owner) if case.files else None
    client = client_for(role, case.api, fresh=True)
    if not case.api:
        token = client.csrf_token()
        data = {**(data or {}), "csrf_token": token}
    with database_down(app, at=at) as outage:
        resp = _send(client, case, url, data, files)
    where = f"{case.method} {url} as {role} ({owner}), down at {at}"
    if outage.fired and at == "after-commit":
        # Its work is committed (mail still to send stays queued): the answer says so, or
        # (a page that reads again after its commit) asks to retry. Never a 500.
        assert resp.status_code in (case.expected(role, owner), 503), where
        if resp.status_code == 503:
            assert resp.headers.get("Retry-After") == str(RETRY_AFTER_SECONDS), where
        return
    if not outage.fired:
        # It wrote nothing (or committed nothing) here: it must answer as the matrix says.
        assert resp.status_code == case.expected(role, owner), where
        return
    assert resp.status_code == 503, f"{where}: {resp.status_code} after {outage.statement!r}"
    assert resp.headers.get("Retry-After") == str(RETRY_AFTER_SECONDS), where
    if case.api:
        assert resp.get_json()["error"]["code"] == "unavailable", where
    else:
        page = resp.get_data(as_text=True)
        assert 'data-status="503"' in page, where


def _get_params():
    for i, case in enumerate(CASES):
        if case.method == "GET":
            yield pytest.param(case, id=f"{case.endpoint}[{i}]")


@pytest.mark.parametrize("case", list(_get_params()))
def test_no_get_writes(app, client_for, matrix_records, case):  # noqa: F811
    """Every role, every owner: the engine sees no INSERT, UPDATE or DELETE."""
    records = matrix_records[1]
    allowed_table = WRITING_GETS.get(case.endpoint)
    for role in ROLES:
        client = client_for(role, case.api)
        for owner in case.owners:
            with app.app_context():
                url = case.url(records, owner)
            with watching_writes(app) as writes:
                resp = _send(client, case, url, None, None)
            assert resp.status_code < 500, f"GET {url} as {role}: {resp.status_code}"
            unexpected = [w for w in writes if allowed_table is None or allowed_table not in w]
            assert not unexpected, f"GET {url} as {role} ({owner}) wrote: {unexpected}"


def test_the_watch_sees_writes_and_the_one_writing_get_writes_only_its_throttle(
    app,
    client_for,
    matrix_records,  # noqa: F811  (the matrix's fixture)
):
    """Not vacuous: a failed public look-up counts against the address, and only that."""
    client = client_for("anon", True)
    with watching_writes(app) as writes:
        resp = client.get("/certificates/ZZZZ-ZZZZ-ZZZZ")
    assert resp.status_code == 404
    assert writes, "the failed look-up was not counted (or the watch sees nothing)"
    assert all("login_throttle" in w for w in writes), writes
