"""A session's life as people see it: 募集前, 受付中, 締切, 開催中, 終了, 中止.

One place decides the phase, from the session's times and status; lists,
pages and the API read it from here. Whether an ended session's attendance has
been recorded is a question about registrations, answered in
:mod:`regional.seats.phases`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_

from regional.fiscal import now_utc
from regional.sessions.models import SessionStatus, TrainingSession


class Phase(enum.StrEnum):
    BEFORE_OPEN = "before_open"
    OPEN = "open"
    CLOSED = "closed"
    RUNNING = "running"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(PHASE_LABELS[self])

    @property
    def is_past(self) -> bool:
        return self is Phase.ENDED


PHASE_LABELS = {
    Phase.BEFORE_OPEN: _l("Not yet open"),
    Phase.OPEN: _l("Open for registration"),
    Phase.CLOSED: _l("Registration closed"),
    Phase.RUNNING: _l("In progress"),
    Phase.ENDED: _l("Ended"),
    Phase.CANCELLED: _l("Called off"),
}

#: What the lists offer: the default shows what is still ahead.
WHEN_CHOICES = (
    ("upcoming", _l("Upcoming and in progress")),
    ("past", _l("Ended")),
    ("all", _l("All")),
)


def phase_of(ts: TrainingSession, now: datetime | None = None) -> Phase:
    """The phase of one session at ``now`` (default: this instant)."""
    now = now or now_utc()
    if ts.status == SessionStatus.CANCELLED:
        return Phase.CANCELLED
    if now >= ts.ends_at:
        return Phase.ENDED
    if now >= ts.starts_at:
        return Phase.RUNNING
    if now < ts.registration_opens_at:
        return Phase.BEFORE_OPEN
    if now > ts.registration_closes_at:
        return Phase.CLOSED
    return Phase.OPEN


def phase_clause(phase: Phase, now: datetime):
    """The SQL condition equivalent to ``phase_of(ts, now) == phase``."""
    s = TrainingSession
    live = s.status != SessionStatus.CANCELLED
    if phase is Phase.CANCELLED:
        return s.status == SessionStatus.CANCELLED
    if phase is Phase.ENDED:
        return and_(live, s.ends_at <= now)
    if phase is Phase.RUNNING:
        return and_(live, s.starts_at <= now, s.ends_at > now)
    ahead = and_(live, s.starts_at > now)
    if phase is Phase.BEFORE_OPEN:
        return and_(ahead, s.registration_opens_at > now)
    if phase is Phase.CLOSED:
        return and_(ahead, s.registration_opens_at <= now, s.registration_closes_at < now)
    return and_(ahead, s.registration_opens_at <= now, s.registration_closes_at >= now)


def when_clause(when: str, now: datetime):
    """'upcoming' (not ended; cancelled ones only while their date is ahead), 'past', 'all'."""
    s = TrainingSession
    if when == "past":
        return s.ends_at <= now
    if when == "all":
        return None
    return s.ends_at > now


def open_program_ids(municipality_id: int | None, now: datetime | None = None):
    """SELECT of programme ids with a session open for registration that staff of
    ``municipality_id`` may see (None: any session, for regional administrators)."""
    now = now or now_utc()
    return (
        TrainingSession.visible_to(municipality_id)
        .with_only_columns(TrainingSession.program_id)
        .where(phase_clause(Phase.OPEN, now))
        .distinct()
    )
