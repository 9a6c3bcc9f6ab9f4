"""Failed sign-in counters, kept in the database so every worker sees the same."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db


class LoginThrottle(db.Model):
    """Failures for one key: ``acct:<sha256 of e-mail>`` or ``addr:<client address>``."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime]
    #: No attempt is checked before this time; it grows with each failure past the free ones.
    blocked_until: Mapped[datetime | None]
