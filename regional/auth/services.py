"""Authentication: checking a password under the throttle, one outcome for every failure."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from regional.auth import throttle
from regional.auth.passwords import verify_password
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from tenants import all_tenants, set_current_tenant

log = logging.getLogger("regional.audit")


@dataclass
class AuthResult:
    user: User | None = None
    retry_after: int = 0  # seconds; >0 means throttled, nothing was checked


def authenticate(email: str, password: str, address: str | None) -> AuthResult:
    """Check credentials. Unknown account, wrong password and disabled account look alike."""
    email = (email or "").strip().lower()
    keys = throttle.keys_for(email, address)
    wait = throttle.retry_after(keys)
    if wait:
        log.warning("sign-in throttled addr=%r", address)
        return AuthResult(retry_after=wait)
    # Sign-in by e-mail cannot know the municipality yet: a deliberate cross-tenant read.
    with all_tenants(db.session):
        user = db.session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        throttle.record_failure(keys)
        db.session.commit()
        log.warning("sign-in failed addr=%r", address)
        return AuthResult()
    throttle.clear(keys[:1])
    set_current_tenant(db.session, user.municipality_id)
    user.last_login_at = now_utc()
    db.session.commit()
    log.info("sign-in user=%s municipality=%s addr=%r", user.id, user.municipality.code, address)
    return AuthResult(user=user)
