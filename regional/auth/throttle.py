"""Throttling of failed sign-ins and of account mail, shared by all workers.

Counters live in the database (``login_throttle``), never in process memory,
so every gunicorn worker and every server sees the same numbers. The first
few events of a key are free; after that each one doubles a waiting time, up
to a ceiling, rather than locking the account for good. Keys for accounts are
hashes of the typed e-mail, so unknown and known addresses are treated alike
and no e-mail address is stored in clear.

Key kinds:

* ``pair:`` failed sign-ins for one typed e-mail from one client address: a
  guesser at one address is slowed down first;
* ``acct:`` failed sign-ins for one typed e-mail from every address, with more
  room, so guessing from many addresses is slowed down too;
* ``addr:`` failed sign-ins from one client address, counted in fixed windows,
  with a lot of room: a whole town hall sits behind one address on the closed
  LGWAN network. Failures that their owner follows with a correct sign-in from
  the same address are taken off again (:func:`forgive`), so what stays is the
  mistyped e-mail addresses and the guesses. A correct password passes even
  from a throttled address (see ``regional.auth.services.authenticate``);
* ``mail:`` account mail (sign-up, password reset) sent to one address, so
  the public forms cannot be used to bomb a mailbox;
* ``cert:`` failed look-ups of certificate verification codes from one client
  address, so nobody can enumerate codes on the public check.

The numbers, and why, are in ``regional/config.py`` (``LOGIN_*``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from regional.auth.models import LoginThrottle
from regional.extensions import db
from regional.fiscal import now_utc

#: Keys without a window forget their failures after this long without a new one; a
#: guesser who keeps going is therefore never forgiven.
FORGET_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Policy:
    """Free events, the first delay and the longest (seconds), and an optional fixed window."""

    free: int
    unit: float
    ceiling: float
    #: Seconds after the first failure when the count starts afresh (None: after an hour of quiet).
    window: float | None = None

    def delay(self, count: int) -> timedelta:
        """How long to wait after the ``count``-th event."""
        if count < self.free:
            return timedelta(0)
        return timedelta(seconds=min(self.unit * 2 ** (count - self.free), self.ceiling))

    def expired(self, row: LoginThrottle, now: datetime) -> bool:
        """Whether the row's count is over and the next event counts from one."""
        if self.window is not None:
            return now - row.window_started_at >= timedelta(seconds=self.window)
        return now - row.last_failure_at > FORGET_AFTER


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _email_digest(email: str) -> str:
    return _digest(email.strip().lower())


@dataclass(frozen=True)
class SignInKeys:
    """The three counters one sign-in attempt touches."""

    account: str
    pair: str
    address: str | None

    @property
    def own(self) -> list[str]:
        """The account's keys: when one of them is blocked, nothing is checked."""
        return [self.pair, self.account]

    @property
    def all(self) -> list[str]:
        """Every key a failed attempt counts on."""
        return [*self.own, *([self.address] if self.address else [])]


def sign_in_keys(email: str, address: str | None) -> SignInKeys:
    """The keys for a typed e-mail (normalised) tried from a client address."""
    digest = _email_digest(email)
    where = (address or "")[:70]
    return SignInKeys(
        account=f"acct:{digest}",
        # The address goes into the hash: the pair's key says neither who nor where.
        pair=f"pair:{_digest(digest + '|' + where)}",
        address=f"addr:{where}" if address else None,
    )


def mail_key(email: str) -> str:
    """The key counting account mail sent to one address."""
    return f"mail:{_email_digest(email)}"


def policy_for(key: str) -> Policy:
    """The policy of a key, read from the settings (with safe defaults)."""
    cfg = current_app.config
    ceiling = cfg.get("LOGIN_MAX_DELAY_SECONDS", 15 * 60)
    kind = key.partition(":")[0]
    if kind == "pair":
        return Policy(cfg.get("LOGIN_FREE_ATTEMPTS", 5), 1, ceiling)
    if kind == "addr":
        return Policy(
            cfg.get("LOGIN_ADDRESS_FREE_ATTEMPTS", 100),
            1,
            ceiling,
            window=cfg.get("LOGIN_ADDRESS_WINDOW_SECONDS", 3600),
        )
    if kind == "mail":
        # One message at once, then a minute, two, four... so a mailbox cannot be flooded.
        return Policy(cfg.get("MAIL_FREE_REQUESTS", 1), cfg.get("MAIL_DELAY_SECONDS", 60), ceiling)
    if kind == "cert":
        return Policy(cfg.get("CERTIFICATE_FREE_LOOKUPS", 10), 1, ceiling)
    return Policy(cfg.get("LOGIN_ACCOUNT_FREE_ATTEMPTS", 10), 1, ceiling)


def waits(keys: list[str]) -> dict[str, int]:
    """Seconds each blocked key still has to wait (keys that may go ahead are left out)."""
    now = now_utc()
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    return {
        row.key: int((row.blocked_until - now).total_seconds() + 0.999)
        for row in rows
        if row.blocked_until and row.blocked_until > now
    }


def retry_after(keys: list[str]) -> int:
    """Seconds to wait before another attempt may be checked (0: go ahead)."""
    return max(waits(keys).values(), default=0)


def record_failure(keys: list[str]) -> None:
    """Count one event on each key (an atomic upsert, so racing workers lose none)."""
    now = now_utc()
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    for key in keys:
        policy = policy_for(key)
        row = db.session.get(LoginThrottle, key)
        fresh = row is None or policy.expired(row, now)
        failures = 1 if fresh else row.failures + 1
        blocked_until = now + policy.delay(failures)
        changes: dict[str, object] = {
            "failures": failures if fresh else LoginThrottle.failures + 1,
            "last_failure_at": now,
            "blocked_until": blocked_until,
        }
        if fresh:
            changes["window_started_at"] = now
        stmt = insert(LoginThrottle).values(
            key=key,
            failures=failures,
            last_failure_at=now,
            window_started_at=now,
            blocked_until=blocked_until,
        )
        db.session.execute(
            stmt.on_conflict_do_update(index_elements=[LoginThrottle.key], set_=changes)
        )
        if row is not None:
            db.session.expire(row)


def failures_of(key: str) -> int:
    """The failures a key holds now (0 when none, or when they are forgotten)."""
    row = db.session.get(LoginThrottle, key)
    if row is None or policy_for(key).expired(row, now_utc()):
        return 0
    return row.failures


def forgive(key: str, count: int) -> None:
    """Take ``count`` failures off a key (never below zero), lifting its block when it drops
    below the free events: they were the owner's own typos, not guesses."""
    if count <= 0:
        return
    policy = policy_for(key)
    remaining = case((LoginThrottle.failures > count, LoginThrottle.failures - count), else_=0)
    db.session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(
            failures=remaining,
            blocked_until=case(
                (LoginThrottle.failures - count < policy.free, None),
                else_=LoginThrottle.blocked_until,
            ),
        )
        .execution_options(synchronize_session=False)
    )


def clear(keys: list[str]) -> None:
    """Forget every failure of these keys."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


def wait_message(seconds: int, *, sign_in: bool = False) -> str:
    """The refusal with the wait named: seconds under a minute, else whole minutes (rounded up)."""
    if seconds < 60:
        if sign_in:
            return ngettext(
                "Too many failed sign-in attempts. Try again in %(num)d second.",
                "Too many failed sign-in attempts. Try again in %(num)d seconds.",
                seconds,
            )
        return ngettext(
            "Too many attempts. Try again in %(num)d second.",
            "Too many attempts. Try again in %(num)d seconds.",
            seconds,
        )
    minutes = -(-seconds // 60)
    if sign_in:
        return ngettext(
            "Too many failed sign-in attempts. Try again in %(num)d minute.",
            "Too many failed sign-in attempts. Try again in %(num)d minutes.",
            minutes,
        )
    return ngettext(
        "Too many attempts. Try again in %(num)d minute.",
        "Too many attempts. Try again in %(num)d minutes.",
        minutes,
    )
