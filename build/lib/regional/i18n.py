"""Languages: Japanese by default, English second; times shown in Asia/Tokyo."""

from __future__ import annotations

from flask import Flask, current_app, request, session
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


def locale_code() -> str:
    return str(get_locale() or "ja")


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Tokyo")
