"""A session's phase with what registrations add: has an ended session's attendance been recorded?

The phase itself comes from :mod:`regional.sessions.lifecycle`; here an ended
session is told apart as 終了（出欠未記録） or 終了（記録済み） for the people who
record attendance: a regional administrator looks at the whole session, a
coordinator at their own municipality's registrants. Numbers only, never rows
of another municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from regional.extensions import db
from regional.fiscal import now_utc
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.lifecycle import Phase, phase_of
from regional.sessions.models import SessionStatus, TrainingSession


@dataclass(frozen=True)
class SessionState:
    """What a list or page says about a session's life."""

    phase: Phase
    #: Ended sessions only, for those who record attendance: True while some is unrecorded.
    attendance_pending: bool | None = None

    @property
    def label(self) -> str:
        if self.phase is Phase.ENDED and self.attendance_pending is not None:
            return str(
                _l("Ended (attendance not recorded)")
                if self.attendance_pending
                else _l("Ended (attendance recorded)")
            )
        return self.phase.label

    @property
    def css(self) -> str:
        if self.attendance_pending:
            return "status-pending-record"
        return f"status-{self.phase.value.replace('_', '-')}"


def _unrecorded(municipality_id: int | None):
    """Enrolled registrations whose attendance nobody has recorded (one member, or all)."""
    cond = [
        Registration.status == RegistrationStatus.ENROLLED,
        Registration.attended.is_(None),
    ]
    if municipality_id is not None:
        cond.append(Registration.municipality_id == municipality_id)
    return cond


def attendance_pending_ids(
    session_ids: list[int], *, municipality_id: int | None = None
) -> set[int]:
    """Of these sessions, those with an enrolled registration not yet marked (one query)."""
    if not session_ids:
        return set()
    stmt = (
        select(Registration.session_id)
        .where(Registration.session_id.in_(session_ids), *_unrecorded(municipality_id))
        .distinct()
        .execution_options(all_tenants=True)  # numbers only, never rows
    )
    return set(db.session.scalars(stmt))


def _recorder_scope(user) -> tuple[bool, int | None]:
    """(does this person record attendance, for which municipality: None = every one)."""
    if user.is_regional_admin:
        return True, None
    if user.is_coordinator:
        return True, user.municipality_id
    return False, None


def states_for(
    sessions: list[TrainingSession],
    user,
    now: datetime | None = None,
) -> dict[int, SessionState]:
    """Each session's state as this person should see it (one query at most)."""
    now = now or now_utc()
    phases = {s.id: phase_of(s, now) for s in sessions}
    records, municipality_id = _recorder_scope(user)
    pending: set[int] = set()
    ended = [i for i, p in phases.items() if p is Phase.ENDED]
    if records and ended:
        pending = attendance_pending_ids(ended, municipality_id=municipality_id)
    return {
        i: SessionState(p, (i in pending) if records and p is Phase.ENDED else None)
        for i, p in phases.items()
    }


def state_of(ts: TrainingSession, user, now: datetime | None = None) -> SessionState:
    return states_for([ts], user, now)[ts.id]


def sessions_to_record(user, visible, limit: int = 20) -> tuple[list[TrainingSession], int]:
    """Ended sessions whose attendance this person still has to record, newest first, and how many.

    ``visible`` is the select of sessions the person may see (their load gate's scope).
    """
    records, municipality_id = _recorder_scope(user)
    if not records:
        return [], 0
    unrecorded = (
        exists()
        .where(Registration.session_id == TrainingSession.id, *_unrecorded(municipality_id))
        .correlate(TrainingSession)
    )
    stmt = visible.where(
        TrainingSession.status == SessionStatus.SCHEDULED,
        TrainingSession.ends_at <= now_utc(),
        unrecorded,
    ).execution_options(all_tenants=True)
    total = db.session.scalar(
        select(func.count())
        .select_from(stmt.order_by(None).subquery())
        .execution_options(all_tenants=True)
    )
    rows = list(
        db.session.scalars(
            stmt.order_by(TrainingSession.starts_at.desc(), TrainingSession.id).limit(limit)
        )
    )
    return rows, total or 0
