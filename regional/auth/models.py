"""Failed sign-in counters, kept in the database so every worker sees the same."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db


class LoginThrottle(db.Model):
    """Failures for one key (see :mod:`regional.auth.throttle` for the kinds of key)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    #: When this count began: keys counted in fixed windows (a client address) start
    #: afresh once the window has passed, however busy the address is.
    window_started_at: Mapped[datetime]
    #: No attempt is checked before this time; it grows with each failure past the free ones.
    blocked_until: Mapped[datetime | None]
