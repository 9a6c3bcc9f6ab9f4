"""Error answers: JSON for the API, a calm page for people. Never a stack trace."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from regional.errors import DomainError, database_unavailable
from regional.extensions import db
from regional.i18n import locale_without_database
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


def _rollback() -> None:
    """End the request's transaction; the connection may be gone (the pool replaces it)."""
    with contextlib.suppress(Exception):
        db.session.rollback()


def _forget_user() -> None:
    """From here on the request is anonymous: the signed-in account (expired by the
    rollback) would be loaded again by whatever touches it, from a database that may not
    answer."""
    g._login_user = current_app.login_manager.anonymous_user()


def _bare_page(status: int, message: str, *, lang: str, retry_after: int | None = None):
    """An error page that needs neither the database nor the signed-in user (no layout)."""
    html = current_app.jinja_env.get_template("errors/bare.html").render(
        lang=lang, status=status, message=message, retry_after=retry_after
    )
    return current_app.response_class(html, status=status, mimetype="text/html")


def unavailable_answer():
    """503 with Retry-After, built without touching the database (no user, no municipality).

    The transaction is rolled back first and the language comes from the request (the
    session cookie's choice, the account's if already in memory, Accept-Language) and the
    message catalogue in memory: a lazy load of the account here is what used to turn
    this answer into a bare 500.
    """
    lang = locale_without_database()
    _rollback()
    _forget_user()
    with force_locale(lang):
        if wants_json():
            resp = json_error(503)
        else:
            resp = _bare_page(503, MESSAGES[503][1](), lang=lang, retry_after=RETRY_AFTER_SECONDS)
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def _log_unavailable(exc: BaseException) -> None:
    log.warning(
        "database unavailable path=%s error=%s",
        _where(),
        type(exc.orig).__name__ if isinstance(exc, sa_exc.DBAPIError) else type(exc).__name__,
    )


def _page(status: int, message_of, lang: str):
    """The site's error page (with the layout), or the bare one when the layout cannot be built.

    The layout names the user and the municipality, which may need the database: when it
    cannot serve, the answer is the 503; any other failure while rendering gives the bare
    page of the same status rather than a crash inside the error handler.
    """
    try:
        with force_locale(lang):
            return render_template(
                "errors/error.html", status=status, message=str(message_of())
            ), status
    except Exception as exc:  # noqa: BLE001 - the error answer must not fail in turn
        if database_unavailable(exc):
            _log_unavailable(exc)
            return unavailable_answer()
        log.exception("error page could not be rendered path=%s", _where())
        _rollback()
        _forget_user()
        with force_locale(lang):
            return _bare_page(status, str(message_of()), lang=lang)


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
        lang = locale_without_database()
        _rollback()
        if wants_json():
            with force_locale(lang):
                resp = json_error(exc.status, exc.code, str(exc.message), **exc.details)
            resp.headers.update(getattr(exc, "headers", None) or {})
            return resp
        return _page(exc.status, lambda: exc.message, lang)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        log.warning("csrf refused path=%s", _where())
        return _page(
            400,
            lambda: _("The form has expired or was not sent from this site. Please try again."),
            locale_without_database(),
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        # Flask answers an exception raised outside a view (an after_request step) with a
        # 500 InternalServerError carrying it: the database away there is a 503 too.
        original = getattr(exc, "original_exception", None)
        if original is not None and database_unavailable(original):
            _log_unavailable(original)
            return unavailable_answer()
        status = exc.code or 500
        if status == 405 and not _matches_with_another_method(exc):
            status = 404
        if status in (403, 404) and getattr(request, "endpoint", None):
            log.info("refused status=%s path=%s", status, _where())
        lang = locale_without_database()
        if wants_json():
            with force_locale(lang):
                return json_error(status)
        if status >= 500:
            _rollback()
            _forget_user()
            with force_locale(lang):
                return _bare_page(status, MESSAGES.get(status, MESSAGES[500])[1](), lang=lang)
        return _page(status, MESSAGES.get(status, MESSAGES[500])[1], lang)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return _http(exc)
        if database_unavailable(exc):
            _log_unavailable(exc)
            return unavailable_answer()
        lang = locale_without_database()
        _rollback()
        log.exception("unhandled error path=%s", _where())
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        _forget_user()
        with force_locale(lang):
            if wants_json():
                return json_error(500)
            return _bare_page(500, MESSAGES[500][1](), lang=lang)
