"""Signed, expiring tokens: the primitives, below every feature package.

A token names an account (its municipality's code, its id and session version) and a
purpose; mailed ones are bound to the address they went to, one-use ones to the password
they were made before. ``regional.auth.tokens`` finds and checks the account a token names;
the people package makes invitations with :func:`make_token` without importing auth.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

API = "api-token"
CONFIRM = "confirm-email"
RESET = "reset-password"
#: A coordinator's invitation to an imported person: choose a password (proves the address).
INVITE = "invite"

MAX_AGE = {CONFIRM: 3 * 24 * 3600, RESET: 3600, INVITE: 7 * 24 * 3600}
#: Tokens that a new password voids: each works once.
ONE_USE = (RESET, INVITE)
#: Tokens sent by mail: each works only while the account keeps the address it went to.
MAILED = (CONFIRM, RESET, INVITE)


def serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(user, purpose: str) -> str:
    payload = {"m": user.municipality.code, "u": user.id, "v": user.session_version}
    if purpose in ONE_USE:
        payload["h"] = (user.password_hash or "")[-12:]  # one use: a new password voids it
    if purpose in MAILED:
        payload["e"] = address_mark(user.email)
    return serializer(purpose).dumps(payload)


def address_mark(email: str) -> str:
    """A short keyed mark of the address a link was mailed to.

    Keyed, because the signed payload is readable: a plain hash of an address could
    be matched against guesses by whoever sees the link.
    """
    key = current_app.config["SECRET_KEY"]
    key = key.encode("utf-8") if isinstance(key, str) else key
    return hmac.new(key, b"address:" + email.encode("utf-8"), hashlib.sha256).hexdigest()[:16]
