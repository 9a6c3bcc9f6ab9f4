"""Helpers for the sign-in, sign-up and password tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from regional.extensions import db
from regional.people.models import User
from tenants import all_tenants
from tenants.scoping import acting_as

STRONG = "a long walk along the asahi river 7"
LINK = re.compile(r"https?://\S+")
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def signup_data(**overrides: str) -> dict[str, str]:
    """A valid sign-up for Tsuyama (A) with a staff address; override any field."""
    data = {
        "municipality": "332038",
        "name": "山田 花子",
        "email": "hanako.yamada@city.tsuyama.lg.jp",
        "employee_number": "",
        "job_category": "administrative",
        "password": STRONG,
        "confirm": STRONG,
    }
    data.update(overrides)
    return data


def find_user(app, email: str) -> User | None:
    """Look an account up by e-mail in any municipality (a test's cross-tenant read)."""
    with app.app_context(), all_tenants(db.session):
        user = db.session.scalar(User.by_email(email))
        if user is not None:
            db.session.expunge(user)
        return user


def update_user(app, who: str, **values: object) -> None:
    """Change the account with e-mail ``who`` directly, as a coordinator or the database would."""
    with app.app_context(), all_tenants(db.session):
        user = db.session.scalar(User.by_email(who))
        for key, value in values.items():
            setattr(user, key, value)
        with acting_as(db.session, user.municipality_id):
            db.session.commit()


def link_path(mailbox, address: str, index: int = -1) -> str:
    """The path of the link in the (last) message to ``address``."""
    messages = mailbox.to(address)
    assert messages, f"no mail to {address}; got {[m['To'] for m in mailbox.messages]}"
    body = mailbox.body(messages[index])
    match = LINK.search(body)
    assert match, body
    return urlsplit(match.group(0)).path


def without_csrf(html: str) -> str:
    """A page's text with its per-session CSRF values blanked, to compare two answers."""
    return CSRF_VALUE.sub(r'\1"', html)


class Clock:
    """A controllable ``now_utc`` for the throttle (``clock.advance(seconds)``)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def freeze_throttle(monkeypatch) -> Clock:
    """Freeze the throttle's clock (sign-in and account-mail throttling)."""
    c = Clock()
    monkeypatch.setattr("regional.auth.throttle.now_utc", c)
    return c
