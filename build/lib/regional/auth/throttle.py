"""Throttling of failed sign-ins and of account mail, shared by all workers.

Counters live in the database (``login_throttle``), never in process memory,
so every gunicorn worker and every server sees the same numbers. The first
few events of a key are free; after that each one doubles a waiting time, up
to a ceiling, rather than locking the account (which would let anyone lock
anyone out). Keys for accounts are hashes of the typed e-mail, so unknown and
known addresses are treated alike and no address is stored in clear.

Key kinds:

* ``acct:`` failed sign-ins for one typed e-mail;
* ``addr:`` failed sign-ins from one client address (more free attempts: a
  whole town hall may sit behind one address on the closed LGWAN network);
* ``mail:`` account mail (sign-up, password reset) sent to one address, so
  the public forms cannot be used to bomb a mailbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from regional.auth.models import LoginThrottle
from regional.extensions import db
from regional.fiscal import now_utc

FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Policy:
    """How many events are free, the first delay, and the longest delay (seconds)."""

    free: int
    unit: float
    ceiling: float

    def delay(self, count: int) -> timedelta:
        if count < self.free:
            return timedelta(0)
        return timedelta(seconds=min(self.unit * 2 ** (count - self.free), self.ceiling))


def _digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def keys_for(email: str, address: str | None) -> list[str]:
    """Sign-in keys: the account first, then the client address (if known)."""
    keys = [f"acct:{_digest(email)}"]
    if address:
        keys.append(f"addr:{address[:70]}")
    return keys


def mail_key(email: str) -> str:
    """The key counting account mail sent to one address."""
    return f"mail:{_digest(email)}"


def policy_for(key: str) -> Policy:
    """The policy of a key, read from the settings (with safe defaults)."""
    cfg = current_app.config
    ceiling = cfg.get("LOGIN_MAX_DELAY_SECONDS", 15 * 60)
    if key.startswith("addr:"):
        return Policy(cfg.get("LOGIN_ADDRESS_FREE_ATTEMPTS", 20), 1, ceiling)
    if key.startswith("mail:"):
        # One message at once, then a minute, two, four... so a mailbox cannot be flooded.
        return Policy(cfg.get("MAIL_FREE_REQUESTS", 1), cfg.get("MAIL_DELAY_SECONDS", 60), ceiling)
    return Policy(cfg.get("LOGIN_FREE_ATTEMPTS", 5), 1, ceiling)


def retry_after(keys: list[str]) -> int:
    """Seconds to wait before another attempt may be checked (0: go ahead)."""
    now = now_utc()
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
        if row.blocked_until and row.blocked_until > now
    ]
    return int(max(waits, default=0) + 0.999)


def record_failure(keys: list[str]) -> None:
    """Count one event on each key (an atomic upsert, so racing workers lose none)."""
    now = now_utc()
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        policy = policy_for(key)
        row = db.session.get(LoginThrottle, key)
        stale = row is not None and now - row.last_failure_at > FORGET_AFTER
        failures = 1 if row is None or stale else row.failures + 1
        stmt = insert(LoginThrottle).values(
            key=key,
            failures=failures,
            last_failure_at=now,
            blocked_until=now + policy.delay(failures),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": failures if stale else LoginThrottle.failures + 1,
                "last_failure_at": now,
                "blocked_until": now + policy.delay(failures),
            },
        )
        db.session.execute(stmt)
        if row is not None:
            db.session.expire(row)


def clear(keys: list[str]) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
