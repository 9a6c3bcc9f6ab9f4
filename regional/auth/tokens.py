"""Signed, expiring tokens: API bearer tokens, e-mail confirmation and password reset.

The primitives (purposes, signing, the address mark) are in :mod:`regional.signing`, below
the people package; here the account a token names is found and checked.

Every token carries the account's session version, so disabling an account,
signing out everywhere, changing the password or the address revokes all of them
at once. A mailed link is also bound to the address it was mailed to: it dies when
the account's address changes, whatever else happens to the account.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import bindparam, select
from sqlalchemy.orm.attributes import set_committed_value

from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from regional.signing import (  # noqa: F401  (the purposes, for the account pages and the API)
    API,
    CONFIRM,
    INVITE,
    MAILED,
    MAX_AGE,
    ONE_USE,
    RESET,
    address_mark,
    make_token,
    serializer,
)
from tenants import adopt, entity_columns
from tenants.models import Municipality
from tenants.rls import core_connection
from tenants.scoping import acting_as


def api_token(user: User) -> tuple[str, str]:
    """A bearer token and its expiry (ISO 8601) for the JSON API."""
    max_age = current_app.config["API_TOKEN_MAX_AGE"]
    expires = now_utc() + timedelta(seconds=max_age)
    return make_token(user, API), expires.isoformat(timespec="seconds")


#: Built once: only the values change per request. Read inside the municipality the key
#: names (the wall and, on PostgreSQL, row-level security apply as to any other read); the
#: code is matched too, so a stale entry of the id cache below finds nobody. Core, not an
#: ORM query: every request pays this read, and the row becomes the account and its
#: municipality for a fraction of what the ORM's loading costs (``tenants.adopt``).
_users, _municipalities = User.__table__, Municipality.__table__
_USER_BY_KEY = (
    select(*entity_columns(User), *entity_columns(Municipality, "m_"))
    .join(_municipalities, _municipalities.c.id == _users.c.municipality_id)
    .where(
        _users.c.municipality_id == bindparam("municipality_id"),
        _municipalities.c.code == bindparam("code"),
        _users.c.id == bindparam("user_id"),
    )
)
_MUNICIPALITY_ID = select(Municipality.id).where(Municipality.code == bindparam("code"))


def _municipality_id(code: str, *, fresh: bool = False) -> int | None:
    """A member's id by its code (the region's 13 codes never change: kept per app and
    database; ``fresh`` reads it again)."""
    cache = current_app.extensions.setdefault("regional_municipality_ids", {})
    key = (db.engine.url, code)
    if fresh or key not in cache:
        found = db.session.scalar(_MUNICIPALITY_ID, {"code": code})
        if found is None:
            cache.pop(key, None)
            return None
        cache[key] = found
    return cache[key]


def load_user_by_key(code: str, user_id: int, version: int) -> User | None:
    """Find an account by (municipality code, id, version), then act in its municipality.

    One statement, by primary key, inside the municipality the key names (its id comes
    from a per-process cache of the members' codes, read once): the sign-in lifts no
    wall. The municipality comes from the same join (every request uses it); the
    organisation unit is left for the few endpoints that show it (loaded when first
    touched), so a request pays for one row of each table and no more
    (tests/test_auth_cost.py).
    """
    row = None
    for fresh in (False, True):
        municipality_id = _municipality_id(code, fresh=fresh)
        if municipality_id is None:
            break
        # Read inside the municipality the key names; the request's own tenant is set once,
        # after authentication (regional.tenancy.resolve_tenant).
        with acting_as(db.session, municipality_id):
            row = (
                core_connection(db.session())
                .execute(
                    _USER_BY_KEY,
                    {"municipality_id": municipality_id, "code": code, "user_id": user_id},
                )
                .mappings()
                .first()
            )
        if row is not None:
            break
    if row is None or row["session_version"] != version:
        return None
    with acting_as(db.session, municipality_id):  # the account joins the unit of work
        user = adopt(db.session, User, row)
        set_committed_value(user, "municipality", adopt(db.session, Municipality, row, "m_"))
    return user


def user_from_token(token: str, purpose: str) -> User | None:
    """The account a valid, unexpired, unrevoked token names; None otherwise."""
    max_age = current_app.config["API_TOKEN_MAX_AGE"] if purpose == API else MAX_AGE[purpose]
    try:
        data = serializer(purpose).loads(token, max_age=max_age)
        user = load_user_by_key(str(data["m"]), int(data["u"]), int(data["v"]))
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None
    if user is None:
        return None
    if purpose in ONE_USE and data.get("h") != (user.password_hash or "")[-12:]:
        return None
    if purpose in MAILED and data.get("e") != address_mark(user.email):
        return None
    return user
