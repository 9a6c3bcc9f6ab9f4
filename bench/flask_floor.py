"""A fairer floor: a minimal Flask endpoint, the app's bearer authentication, the bare transaction.

ONLY A MEASURING FLOOR, never to be deployed (issue 11). It sits between the
bare WSGI floor (``bench/bare_app.py``: no framework, no authentication) and
the real endpoint, so that the benchmark can say where the time goes:

* flask floor vs bare: the web stack (Flask routing, request and response
  objects, JSON) and the authentication;
* registration vs flask floor: the application's own work (ORM, tenant
  scoping, eligibility / overlap / duplicate checks, mail and ``.ics``
  rendering, blueprints, Babel, security headers...).

What it does for ``POST /api/v1/sessions/<id>/registrations``:

1. authenticates ``Authorization: Bearer <token>`` as the app does: the token is
   checked with the app's own serializer (``regional.auth.tokens``, same salt,
   same ``API_TOKEN_MAX_AGE``, same ``SECRET_KEY``), then the account is loaded
   with ONE plain SELECT by (municipality code, id) joined to its municipality,
   and refused unless its session version matches and it is active: the same
   conditions as ``load_user_by_key`` and ``_api_bearer`` (401 otherwise);
2. runs exactly the transaction of the bare floor, by calling
   ``bare_app.register`` (same SQL, same per-worker DBAPI connection; no
   SQLAlchemy, no ORM), and answers 201 with the same JSON fields.

No blueprints, no templates, no Babel, no Flask-Login, no CSRF. Served like
the others::

    DATABASE_URL=... SECRET_KEY=... gunicorn -w 4 --pythonpath bench flask_floor:app

``GET /healthz`` for readiness.
"""

from __future__ import annotations

import os
import sqlite3

import bare_app
from flask import Flask, jsonify, request
from itsdangerous import BadSignature, SignatureExpired

from regional.config import Config
from regional.signing import API
from regional.signing import serializer as _serializer

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ.get("SECRET_KEY", ""),
    API_TOKEN_MAX_AGE=Config.API_TOKEN_MAX_AGE,
)

# The account behind a token, as load_user_by_key finds it: by the code in the key and the id.
_USER_SQL = (
    "SELECT u.id, u.session_version, u.status FROM users u "
    "JOIN municipalities m ON m.id = u.municipality_id WHERE m.code = {p} AND u.id = {p}"
)


def _error(status: int, code: str):
    return jsonify({"error": {"code": code}}), status


def _authenticated_user_id() -> int | None:
    """The id of the active account a valid API bearer token names; None otherwise."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        data = _serializer(API).loads(header[7:].strip(), max_age=app.config["API_TOKEN_MAX_AGE"])
        code, user_id, version = str(data["m"]), int(data["u"]), int(data["v"])
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None
    sqlite = bare_app._is_sqlite()
    conn = bare_app._connect()
    cur = conn.cursor()
    try:
        cur.execute(_USER_SQL.format(p="?" if sqlite else "%s"), (code, user_id))
        row = cur.fetchone()
    finally:
        cur.close()
    if row is None or row[1] != version or row[2] != "active":
        if not sqlite:
            conn.rollback()  # psycopg opened a transaction for the SELECT
        return None
    return row[0]


@app.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@app.post("/api/v1/sessions/<int:session_id>/registrations")
def register(session_id: int):
    employee_id = _authenticated_user_id()
    if employee_id is None:
        return _error(401, "unauthorized")
    request.get_data(cache=False)  # the body ("{}") is read and ignored, as bare_app does
    try:
        result = bare_app.register(session_id, employee_id)
    except bare_app._Refused as exc:
        return _error(int(exc.status.split()[0]), exc.code)
    except (sqlite3.IntegrityError, bare_app._integrity_errors()):
        return _error(409, "already_registered")
    return jsonify(result), 201
