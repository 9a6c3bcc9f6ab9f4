"""Error answers: JSON for the API, a calm page for people. Never a stack trace."""

from __future__ import annotations

import contextlib
import logging
import sqlite3

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from regional.errors import DomainError
from regional.extensions import db
from regional.redaction import redact

log = logging.getLogger("regional.audit")

MESSAGES = {
    400: ("bad_request", lambda: _("The request could not be understood.")),
    401: ("unauthorized", lambda: _("Please sign in.")),
    403: ("forbidden", lambda: _("You are not allowed to do this.")),
    404: ("not_found", lambda: _("The page or record was not found.")),
    405: ("method_not_allowed", lambda: _("This method is not allowed here.")),
    409: ("conflict", lambda: _("The request conflicts with the current state.")),
    413: ("too_large", lambda: _("The upload is too large.")),
    422: ("unprocessable", lambda: _("The request was refused by a rule.")),
    429: ("throttled", lambda: _("Too many attempts. Please wait and try again.")),
    500: ("server_error", lambda: _("Something went wrong on our side. Please try again.")),
    503: (
        "unavailable",
        lambda: _("The service is busy or briefly unavailable. Please try again in a moment."),
    ),
}

#: Seconds a client is asked to wait after a 503 (the database busy, restarting or unreachable).
RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error means "the database cannot serve right now", not "this request is wrong".

    SQLite: the write lock not obtained within the busy timeout ("database is locked").
    PostgreSQL: the connection lost, refused or shut down, a deadlock or serialization failure
    (psycopg's OperationalError family), or no pooled connection free in time. Each of these is
    over when the database is back; the request changed nothing (its transaction rolled back).
    """
    if isinstance(exc, sa_exc.TimeoutError):  # the connection pool's wait
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "database is locked" in text or "database is busy" in text
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)


def unavailable_answer():
    """503 with Retry-After, built without touching the database (no user, no municipality)."""
    if "_login_user" not in g:  # loading the signed-in user is what may have failed
        g._login_user = current_app.login_manager.anonymous_user()
    message = MESSAGES[503][1]()
    if wants_json():
        resp = json_error(503)
    else:
        # The bare template: the site's layout would look up the user and the municipality.
        html = current_app.jinja_env.get_template("errors/unavailable.html").render(
            lang=str(get_locale() or "ja"), message=message, retry_after=RETRY_AFTER_SECONDS
        )
        resp = current_app.response_class(html, status=503, mimetype="text/html")
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    with contextlib.suppress(Exception):  # the connection may be gone; the pool will replace it
        db.session.rollback()
    return resp


def _where() -> str:
    """The request's address for a log line: tokens masked, typed text escaped."""
    return redact(request.path, request.query_string)


def _matches_with_another_method(exc: HTTPException) -> bool:
    """Whether a 405's path really names a route (Werkzeug also answers 405 for a path
    whose bounded id matched no rule, when another method's rule shares its prefix)."""
    methods = [m for m in getattr(exc, "valid_methods", None) or [] if m not in ("HEAD", "OPTIONS")]
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in methods:
        try:
            adapter.match(method=method)
            return True
        except HTTPException:
            continue
    return False


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, code: str | None = None, message: str | None = None, **extra):
    default_code, default_message = MESSAGES.get(status, MESSAGES[500])
    body = {"error": {"code": code or default_code, "message": str(message or default_message())}}
    body["error"].update(extra)
    resp = jsonify(body)
    resp.status_code = status
    return resp


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        if wants_json():
            return json_error(exc.status, exc.code, str(exc.message), **exc.details)
        return render_template(
            "errors/error.html", status=exc.status, message=str(exc.message)
        ), exc.status

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        log.warning("csrf refused path=%s", _where())
        message = _("The form has expired or was not sent from this site. Please try again.")
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        if status == 405 and not _matches_with_another_method(exc):
            status = 404
        if status in (403, 404) and getattr(request, "endpoint", None):
            log.info("refused status=%s path=%s", status, _where())
        if wants_json():
            return json_error(status)
        message = MESSAGES.get(status, MESSAGES[500])[1]()
        return render_template("errors/error.html", status=status, message=message), status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        if database_unavailable(exc):
            log.warning(
                "database unavailable path=%s error=%s",
                _where(),
                type(exc.orig).__name__
                if isinstance(exc, sa_exc.DBAPIError)
                else type(exc).__name__,
            )
            return unavailable_answer()
        db.session.rollback()
        log.exception("unhandled error path=%s", _where())
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        if wants_json():
            return json_error(500)
        return render_template("errors/error.html", status=500, message=MESSAGES[500][1]()), 500
