"""Numbers shown with a session: seats taken and the waiting list, over every municipality."""

from __future__ import annotations

from dataclasses import dataclass

from regional.extensions import db
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession


@dataclass(frozen=True)
class Counts:
    taken: int = 0
    waiting: int = 0


def counts_for(session_ids: list[int]) -> dict[int, Counts]:
    """Seats taken and the waiting list's length per session, over every municipality."""
    taken: dict[int, int] = {}
    waiting: dict[int, int] = {}
    if session_ids:
        for sid, status, n in db.session.execute(
            Registration.counts_by_session(session_ids, every_municipality=True)
        ):
            if status.holds_seat:
                taken[sid] = taken.get(sid, 0) + n
            elif status == RegistrationStatus.WAITLISTED:
                waiting[sid] = n
    return {sid: Counts(taken.get(sid, 0), waiting.get(sid, 0)) for sid in session_ids}


def active_registration_count(ts: TrainingSession) -> int:
    """How many people a cancellation would tell (a count across members)."""
    counts = counts_for([ts.id])[ts.id]
    return counts.taken + counts.waiting
