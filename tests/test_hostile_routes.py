"""Hostile numbers in every parameter of every route: generated, never a 500.

Part of the hostile-input suite (``tests/test_hostile_input.py`` holds the named
findings). Here the values are generated: for every case of the authorization
matrix (which already covers every route, with a valid request and a role allowed
to make it) the request is first sent as it is, through a request class that
records which query parameters, form fields and JSON fields the view reads; then
each path parameter, each parameter read and each field sent gets, one at a time,
every value of :data:`HOSTILE` (``²`` and ``٣`` pass ``str.isdigit()``; 25 digits,
``2**31``, ``-1``, ``1e20``, the empty string ...).

Every answer must be below 500; an API answer of 400 or more must be the API's JSON
error; and every answer names its charset at most once. Each request runs in a
savepoint rolled back afterwards, so every mutation starts from the same records.

A route whose (endpoint, method) no matrix case sends is listed in :data:`EXTRA`,
and the suite fails for one that is in neither (as the matrix fails for a route
without a case).
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

from tests.conftest import QUICK
from tests.matrix import REFUSED, Case
from tests.test_authz_matrix import (  # noqa: F401  (fixtures: records, savepoints, callers)
    CASES,
    _transaction,
    caller,
    matrix_records,
)

#: Text that a number field, an id or any other parameter may receive.
HOSTILE = [
    "²",  # isdigit() is True, int() raises
    "²⁰²⁶",  # four of them: a fiscal year's length
    "³³²⁰³⁸",  # six: a municipality code's length
    "٣",  # Arabic-Indic three: int() takes it
    "１２",  # full width: read as 12 where a number is expected
    "9" * 25,
    "2147483648",  # one past the database's integer
    "-1",
    "1e20",
    "sNaN",  # Decimal() takes it, and comparing it raises
    "",
]
#: JSON bodies may also carry numbers of the wrong size or kind.
HOSTILE_JSON = [*HOSTILE, 10**25, 2**31, -1, 1e20, float("nan"), True, None, [1], {"a": 1}]
#: Text whose fate depends on the database: past an integer column's range (PostgreSQL's
#: 32-bit, SQLite's 64-bit), negative, or a float where a whole number is stored.
BY_DATABASE = {"9" * 25, "2147483648", "-1", "1e20"}


def _by_database(value) -> bool:
    """Whether ``value`` may meet the database: a JSON number of any size (NaN too), or text
    in :data:`BY_DATABASE`. The rest (other digits, ``sNaN``, the empty string, true, null,
    lists) the app reads or refuses before any query, the same on every database."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and value in BY_DATABASE


def _budget(values: list) -> list:
    """Every value in full; in a quick pass (TEST_BUDGET=quick: SQLite beside PostgreSQL,
    tests/conftest.py) only those whose fate depends on the database."""
    return [v for v in values if _by_database(v)] if QUICK else values


#: (endpoint, method) pairs no matrix case sends, with a case that does.
EXTRA = [
    Case(
        "auth.login",
        lambda r, o: "/login",
        {"anon": 401},
        method="POST",
        data=lambda r, o: {"email": "nobody@city.tsuyama.lg.jp", "password": "wrong 1 wrong"},
    ),
]
#: Roles tried in this order for the one allowed request of a case.
ROLE_ORDER = ("admin", "coordinator_a", "employee_a", "coordinator_b", "anon")
#: Never altered: the CSRF token (a wrong one is the CSRF check's 400, before the view).
UNTOUCHED = {"csrf_token"}


# -- which parameters a view reads ---------------------------------------------------


class _Reads:
    """Names read from the query string, the form and the JSON body by the current request."""

    def __init__(self) -> None:
        self.args: set[str] = set()
        self.form: set[str] = set()
        self.json: set[str] = set()


_READS = _Reads()


def _recording_dict(seen: set[str]):
    class RecordingDict(dict):
        def __getitem__(self, key):
            seen.add(key)
            return super().__getitem__(key)

        def get(self, key, default=None):
            seen.add(key)
            return super().get(key, default)

        def __contains__(self, key):
            seen.add(key)
            return super().__contains__(key)

        def pop(self, key, *default):
            seen.add(key)
            return super().pop(key, *default)

    return RecordingDict


def _recording_multidict(source, which: str):
    class RecordingMultiDict(ImmutableMultiDict):
        def _seen(self) -> set[str]:
            return getattr(_READS, which)

        def __getitem__(self, key):
            self._seen().add(key)
            return super().__getitem__(key)

        def get(self, key, default=None, type=None):  # noqa: A002 (Werkzeug's name)
            self._seen().add(key)
            return super().get(key, default, type)

        def getlist(self, key, type=None):  # noqa: A002
            self._seen().add(key)
            return super().getlist(key, type)

        def __contains__(self, key):
            self._seen().add(key)
            return super().__contains__(key)

        def to_dict(self, flat=True):
            return _recording_dict(self._seen())(super().to_dict(flat))

    return RecordingMultiDict(source.items(multi=True))


class RecordingRequest(Request):
    """Flask's request, noting every parameter name the view asks for."""

    @property
    def args(self):
        if "_recorded_args" not in self.__dict__:
            self.__dict__["_recorded_args"] = _recording_multidict(super().args, "args")
        return self.__dict__["_recorded_args"]

    @property
    def form(self):
        if "_recorded_form" not in self.__dict__:
            self.__dict__["_recorded_form"] = _recording_multidict(super().form, "form")
        return self.__dict__["_recorded_form"]

    def get_json(self, *args, **kwargs):
        data = super().get_json(*args, **kwargs)
        wrap = _recording_dict(_READS.json)
        if isinstance(data, dict):
            return wrap(data)
        if isinstance(data, list):
            return [wrap(item) if isinstance(item, dict) else item for item in data]
        return data


@pytest.fixture(scope="module")
def recording(app):
    """The recording request class, and a 500 answered (and listed) rather than raised."""
    original = app.request_class
    propagate = app.config.get("PROPAGATE_TEST_ERRORS", True)
    app.request_class = RecordingRequest
    app.config["PROPAGATE_TEST_ERRORS"] = False
    yield
    app.request_class = original
    app.config["PROPAGATE_TEST_ERRORS"] = propagate


@pytest.fixture(scope="module", autouse=True)
def _files_kept():
    """Stored files outlive each savepoint: a deleted material's rows come back after the
    rollback, and its file must still be there for the next case to download it."""
    from regional.growth import files

    original = files.remove
    files.remove = lambda name: None
    yield
    files.remove = original


# -- the walk --------------------------------------------------------------------------


def _allowed(case: Case) -> tuple[str, str]:
    """A role and owner for which the case's request is allowed, else any the case names."""
    named = []
    for owner in case.owners:
        for role in ROLE_ORDER:
            status = case.expected(role, owner)
            if status is None:
                continue
            named.append((role, owner))
            sign_in_page = role == "anon" and status == 302 and not case.api
            if status not in REFUSED - {302} and not sign_in_page:
                return role, owner
    return named[0] if named else ("admin", case.owners[0])


def _path_values(app, path: str, method: str) -> tuple[object, dict]:
    adapter = app.url_map.bind("localhost")
    rule, values = adapter.match(path, method=method, return_rule=True)
    return rule, values


_PLACEHOLDER = re.compile(r"<(?:[^>]*:)?(\w+)>")


def _build_path(rule, values: dict, name: str, value: str) -> str:
    """The rule's path with its values, one of them (``name``) replaced, unconverted."""

    def fill(m: re.Match) -> str:
        raw = value if m.group(1) == name else str(values[m.group(1)])
        return quote(raw, safe="")

    return _PLACEHOLDER.sub(fill, rule.rule)


def _with_query(path: str, query: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(query)}" if query else path


class _Walk:
    """One case's requests: the allowed one, then every mutation, each in a savepoint."""

    def __init__(self, conn, client, case: Case, url: str, files) -> None:
        self.conn, self.client, self.case, self.files = conn, client, case, files
        parts = urlsplit(("/api/v1" if case.api else "") + url)
        self.path, self.query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
        self.failures: list[str] = []

    @contextmanager
    def _savepoint(self):
        savepoint = self.conn.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()

    def send(self, path: str, query, data, what: str) -> None:
        """One request; its answer checked. ``data`` is a form (pages) or a JSON body (API)."""
        url = _with_query(path, query)
        case = self.case
        kwargs: dict = {}
        if case.method != "GET":
            if case.api:
                if self.files:
                    kwargs = {
                        "data": {**(data or {}), **self._fresh_files()},
                        "content_type": "multipart/form-data",
                    }
                elif data is not None:
                    kwargs = {"data": json.dumps(data), "content_type": "application/json"}
            else:
                payload = dict(data or {})
                payload.update(self._fresh_files())
                kwargs = {"data": payload}
        with self._savepoint():
            if case.api:
                resp = self.client._call(case.method, url.removeprefix("/api/v1"), **kwargs)
            else:
                resp = self.client.open(url, method=case.method, **kwargs)
        self._check(resp, f"{case.method} {url} {what}")

    def _fresh_files(self) -> dict:
        """The case's files, made again: a sent file object is read to its end."""
        return self.files() if self.files else {}

    def _check(self, resp, where: str) -> None:
        if resp.status_code >= 500:
            self.failures.append(f"{where}: {resp.status_code}")
            return
        charsets = re.findall(r"charset=", resp.headers.get("Content-Type", ""), re.IGNORECASE)
        if len(charsets) > 1:
            self.failures.append(f"{where}: Content-Type {resp.headers['Content-Type']}")
        if self.case.api and resp.status_code >= 400:
            body = resp.get_json(silent=True) or {}
            error = body.get("error") if isinstance(body, dict) else None
            if not (isinstance(error, dict) and error.get("code") and error.get("message")):
                self.failures.append(f"{where}: {resp.status_code} without the API's JSON error")


def _cases() -> list:
    out = []
    for i, case in enumerate([*CASES, *EXTRA]):
        out.append(pytest.param(case, id=f"{case.endpoint}[{i}]-{case.method}"))
    return out


def test_every_route_and_method_is_walked(app):
    """A route (or a method of one) that no case sends fails here: add a matrix case, or EXTRA."""
    walked = {(c.endpoint, c.method) for c in [*CASES, *EXTRA]}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert not sorted(routes - walked), f"routes no hostile case sends: {sorted(routes - walked)}"
    assert not sorted(walked - routes), f"hostile cases for no route: {sorted(walked - routes)}"


@pytest.mark.parametrize("case", _cases())
def test_hostile_numbers_in_every_parameter(app, caller, matrix_records, recording, case):  # noqa: F811
    conn, records = matrix_records
    role, owner = _allowed(case)
    with app.app_context():
        url = case.url(records, owner)
        data = case.data(records, owner) if case.data else None
    files = (lambda: case.files(records, owner)) if case.files else None
    client = caller(role, case.api)
    if not case.api and case.method != "GET":
        data = dict(data or {})
        data.setdefault("csrf_token", client.csrf_token())
    walk = _Walk(conn, client, case, url, files)

    _READS.__init__()
    walk.send(walk.path, walk.query, data, "as sent")
    reads = _Reads()
    reads.args, reads.form, reads.json = set(_READS.args), set(_READS.form), set(_READS.json)

    hostile, hostile_json = _budget(HOSTILE), _budget(HOSTILE_JSON)
    rule, values = _path_values(app, walk.path, case.method)
    for name in values:
        for value in hostile:
            walk.send(
                _build_path(rule, values, name, value), walk.query, data, f"[{name}={value!r}]"
            )

    sent_query = {k for k, _ in walk.query}
    for name in sorted((reads.args | sent_query) - UNTOUCHED):
        for value in hostile:
            query = [(k, v) for k, v in walk.query if k != name] + [(name, value)]
            walk.send(walk.path, query, data, f"[?{name}={value!r}]")

    if case.method != "GET" and not case.api:
        for name in sorted((reads.form | set(data or {})) - UNTOUCHED):
            for value in hostile:
                walk.send(walk.path, walk.query, {**data, name: value}, f"[form {name}={value!r}]")

    if case.api and case.method != "GET":
        body = data if data is not None else {}
        if case.files:
            names = reads.form | set(body)
            for name in sorted(names - UNTOUCHED):
                for value in hostile:
                    walk.send(walk.path, walk.query, {**body, name: value}, f"[{name}={value!r}]")
        else:
            for name in sorted(reads.json | _json_keys(body)):
                for value in hostile_json:
                    walk.send(
                        walk.path, walk.query, _json_with(body, name, value), f"[{name}={value!r}]"
                    )

    assert not walk.failures, "\n".join(walk.failures[:40])


def _file_cases() -> list:
    """Every case of a route that answers with a file (CSV, XLSX, PDF, a download)."""
    from regional import create_app
    from regional.config import TestingConfig

    rules = {r.endpoint: r.rule for r in create_app(TestingConfig).url_map.iter_rules()}
    files = re.compile(r"export|\.csv|\.ics|/pdf|/download|/scan|certificate$")
    return [
        pytest.param(case, id=f"{case.endpoint}[{i}]")
        for i, case in enumerate(CASES)
        if case.method == "GET" and files.search(rules.get(case.endpoint, ""))
    ]


@pytest.mark.parametrize("case", _file_cases())
def test_every_file_names_its_charset_once_at_most(app, caller, matrix_records, case):  # noqa: F811
    """CSV exports said ``charset=utf-8`` twice (Werkzeug appends one to a text/* mimetype)."""
    records = matrix_records[1]
    role, owner = _allowed(case)
    with app.app_context():
        url = case.url(records, owner)
    client = caller(role, case.api)
    resp = client._call("GET", url) if case.api else client.get(url)
    expected = case.expected(role, owner)
    assert resp.status_code == expected if expected else resp.status_code in REFUSED, url
    content_type = resp.headers["Content-Type"]
    assert len(re.findall(r"charset=", content_type, re.IGNORECASE)) <= 1, content_type
    if content_type.startswith("text/csv"):
        assert re.fullmatch(r"text/csv; charset=(utf-8|shift_jis)", content_type), content_type


def _json_keys(body) -> set[str]:
    if isinstance(body, dict):
        return set(body)
    if isinstance(body, list):
        return {k for item in body if isinstance(item, dict) for k in item}
    return set()


def _json_with(body, name: str, value):
    if isinstance(body, list):
        return [{**item, name: value} if isinstance(item, dict) else item for item in body] or [
            {name: value}
        ]
    return {**(body or {}), name: value}
