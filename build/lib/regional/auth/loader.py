"""Flask-Login set-up: the scoped user loader and API bearer tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l

from regional.auth.tokens import API, load_user_by_key, user_from_token
from regional.extensions import login_manager
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
def _load_user(key: str):  # noqa: ANN202
    """The cookie names municipality, account and session version; any mismatch signs out."""
    try:
        code, user_id, version = key.split(".")
        user = load_user_by_key(code, int(user_id), int(version))
    except ValueError:
        return None
    if user is None or not user.is_active:
        return None
    return user


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
