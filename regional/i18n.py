"""Languages: Japanese by default, English second; times shown in Asia/Tokyo."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_babel import get_locale
from flask_login import current_user

from regional.extensions import babel


def select_locale() -> str:
    """An explicit choice (this session, then the account), else the browser's, else Japanese."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if request else None
    if user_locale in languages:
        return user_locale
    if request:
        return request.accept_languages.best_match(languages) or "ja"
    return "ja"


def locale_without_database() -> str:
    """This request's language from what is at hand, never from a query.

    For error answers, which may be built while the database cannot serve (the account's
    stored choice is used only if it is already in memory: a lazy load would need the
    database that just failed, or a transaction that a failed flush left unusable).
    """
    languages = current_app.config["LANGUAGES"]
    if not request:
        return "ja"
    # Already chosen for this request (Flask-Babel keeps it on ``g`` once asked): the same.
    settled = getattr(g.get("_flask_babel"), "babel_locale", None)
    if settled is not None:
        return str(settled)
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    user = g.get("_login_user")
    # An ORM instance keeps its loaded columns in its __dict__; an expired one does not.
    user_locale = vars(user).get("locale") if user is not None else None
    if user_locale in languages:
        return user_locale
    return request.accept_languages.best_match(languages) or "ja"


def locale_code() -> str:
    return str(get_locale() or "ja")


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Tokyo")
