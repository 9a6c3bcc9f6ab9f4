"""Flask-Login set-up: the scoped user loader and API bearer tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l

from regional.auth.tokens import API, load_user_by_key, user_from_token
from regional.extensions import login_manager
from regional.fiscal import now_utc
from regional.people.models import Anonymous


def init_login(app: Flask) -> None:
    # Flask-Login's default remember-me lasts a year; a shared office PC should forget sooner.
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=14))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.anonymous_user = Anonymous
    app.before_request(_api_bearer)


@login_manager.user_loader
def _load_user(key: str):
    """The key names municipality, account, session version and sign-in time.

    Any mismatch signs out, and so does age: Flask-Login's remember-me cookie
    has no expiry the server checks, so the sign-in time in the signed key is
    held against ``REMEMBER_COOKIE_DURATION`` here (a session or cookie from a
    sign-in longer ago than that is refused, whatever the browser kept).
    """
    try:
        code, user_id, version, signed_in_at = key.split(".")
        account, session_version, started = int(user_id), int(version), int(signed_in_at)
    except ValueError:
        return None
    if not _recent(started):
        return None
    user = load_user_by_key(code, account, session_version)
    if user is None or not user.is_active:
        return None
    user.signed_in_at = started
    return user


def _recent(started: int) -> bool:
    """Whether a sign-in at ``started`` (epoch seconds) is still within the remember-me age."""
    max_age = current_app.config["REMEMBER_COOKIE_DURATION"]
    if isinstance(max_age, timedelta):
        max_age = max_age.total_seconds()
    now = now_utc().timestamp()
    return now - max_age <= started <= now + 300  # a little clock skew between workers


def _api_bearer() -> None:
    """The API authenticates with ``Authorization: Bearer`` only; the cookie is ignored there."""
    if request.blueprint != "api":
        return
    header = request.headers.get("Authorization", "")
    user = None
    if header.startswith("Bearer "):
        user = user_from_token(header[7:].strip(), API)
        if user is not None and not user.is_active:
            user = None
    g._login_user = user or Anonymous()
