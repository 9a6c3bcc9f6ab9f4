"""One account of a session's seats, the same on every page: capacity = taken + held + open.

``held`` are seats reserved for particular members and not yet claimed; they go
back to everyone on their release date. A person sees what is open to their own
municipality, and in plain words that some seats are held for others until a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regional.sessions.models import TrainingSession


@dataclass(frozen=True)
class SeatBreakdown:
    capacity: int
    #: Pending and enrolled registrations of every municipality.
    taken: int
    #: Reserved for one member or another and not yet claimed.
    held: int
    #: Anyone may take these.
    open: int
    #: Of ``held``: for the municipality asked about, and for the others.
    held_for_own: int
    held_for_others: int
    own_release_at: datetime | None
    #: The first day held seats of other members go back to everyone.
    others_release_at: datetime | None

    @property
    def available_to_own(self) -> int:
        """Seats a person of the municipality asked about may take now."""
        return self.open + self.held_for_own


def breakdown(ts: TrainingSession, municipality_id: int | None = None) -> SeatBreakdown:
    """The seats of ``ts`` as seen from one municipality (None: nobody's own share)."""
    live = [a for a in ts.allocations if not a.released and a.unclaimed > 0]
    own = [a for a in live if a.municipality_id == municipality_id]
    others = [a for a in live if a.municipality_id != municipality_id]
    held = ts.reserved_unclaimed
    held_for_own = sum(a.unclaimed for a in own)
    return SeatBreakdown(
        capacity=ts.capacity,
        taken=ts.seats_taken,
        held=held,
        open=ts.seats_left,
        held_for_own=held_for_own,
        held_for_others=max(0, held - held_for_own),
        own_release_at=min((a.release_at for a in own), default=None),
        others_release_at=min((a.release_at for a in others), default=None),
    )
