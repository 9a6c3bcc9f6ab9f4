"""Throttling of failed sign-ins per account and per address, shared by all workers.

Counters live in the database (``login_throttle``). The first few failures are
free; after that each failure doubles a waiting time, up to a ceiling, rather
than locking the account (which would let anyone lock anyone out). Keys for
accounts are hashes of the typed e-mail, so unknown and known addresses are
treated alike and no address is stored in clear.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from regional.auth.models import LoginThrottle
from regional.extensions import db
from regional.fiscal import now_utc

FORGET_AFTER = timedelta(hours=1)


def keys_for(email: str, address: str | None) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]
    keys = [f"acct:{digest}"]
    if address:
        keys.append(f"addr:{address[:70]}")
    return keys


def retry_after(keys: list[str]) -> int:
    """Seconds to wait before another attempt may be checked (0: go ahead)."""
    now = now_utc()
    waits = [
        (row.blocked_until - now).total_seconds()
        for row in db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
        if row.blocked_until and row.blocked_until > now
    ]
    return int(max(waits, default=0) + 0.999)


def _delay(failures: int) -> timedelta:
    free = current_app.config["LOGIN_FREE_ATTEMPTS"]
    if failures < free:
        return timedelta(0)
    return timedelta(
        seconds=min(2 ** (failures - free), current_app.config["LOGIN_MAX_DELAY_SECONDS"])
    )


def record_failure(keys: list[str]) -> None:
    """Count one failure on each key (an atomic upsert, so racing workers lose none)."""
    now = now_utc()
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        row = db.session.get(LoginThrottle, key)
        stale = row is not None and now - row.last_failure_at > FORGET_AFTER
        failures = 1 if row is None or stale else row.failures + 1
        stmt = insert(LoginThrottle).values(
            key=key, failures=failures, last_failure_at=now, blocked_until=now + _delay(failures)
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": failures if stale else LoginThrottle.failures + 1,
                "last_failure_at": now,
                "blocked_until": now + _delay(failures),
            },
        )
        db.session.execute(stmt)
        if row is not None:
            db.session.expire(row)


def clear(keys: list[str]) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
