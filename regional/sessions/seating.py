"""One account of a session's seats, the same on every page: capacity = taken + held + open.

``held`` are seats reserved for particular members (優先枠) and not yet claimed; they
go back to everyone when released. Each member's line (:class:`MemberSeats`) is
computed once here, and both the table of reservations and the sentences that say
which seats are held until when are rendered from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from regional.sessions.models import TrainingSession
from tenants.models import Municipality


@dataclass(frozen=True)
class MemberSeats:
    """One member's reservation of a session: a line of the table and of the sentence."""

    municipality: Municipality
    reserved: int
    claimed: int
    #: When unclaimed seats go back to everyone.
    release_at: datetime
    released: bool

    @property
    def held(self) -> int:
        """Seats still held for this member (0 once released)."""
        return 0 if self.released else max(0, self.reserved - self.claimed)


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
    #: The first time held seats of other members go back to everyone.
    others_release_at: datetime | None
    #: Every member's reservation, in the region's order (the table).
    members: tuple[MemberSeats, ...] = ()
    #: Seats held for other members, per release time, earliest first (the sentence).
    others_by_release: tuple[tuple[datetime, int], ...] = ()

    @property
    def available_to_own(self) -> int:
        """Seats a person of the municipality asked about may take now."""
        return self.open + self.held_for_own

    def shown_to(self, user) -> list[MemberSeats]:  # noqa: ANN001
        """The lines a person may see: all for administrators, their own for coordinators."""
        if user.is_regional_admin:
            return list(self.members)
        if user.is_coordinator:
            return [m for m in self.members if m.municipality.id == user.municipality_id]
        return []


def member_seats(ts: TrainingSession) -> tuple[MemberSeats, ...]:
    """Every member's reservation of ``ts`` (those with seats), in the region's order."""
    return tuple(
        MemberSeats(
            municipality=a.municipality,
            reserved=a.seats,
            claimed=a.claimed,
            release_at=a.release_at,
            released=a.released,
        )
        for a in ts.allocations
        if a.seats
    )


def _by_release(lines: list[MemberSeats]) -> tuple[tuple[datetime, int], ...]:
    totals: dict[datetime, int] = {}
    for line in lines:
        totals[line.release_at] = totals.get(line.release_at, 0) + line.held
    return tuple(sorted(totals.items()))


def breakdown(ts: TrainingSession, municipality_id: int | None = None) -> SeatBreakdown:
    """The seats of ``ts`` as seen from one municipality (None: nobody's own share)."""
    members = member_seats(ts)
    live = [m for m in members if m.held > 0]
    own = [m for m in live if m.municipality.id == municipality_id]
    others = [m for m in live if m.municipality.id != municipality_id]
    held_for_own = sum(m.held for m in own)
    return SeatBreakdown(
        capacity=ts.capacity,
        taken=ts.seats_taken,
        held=ts.reserved_unclaimed,
        open=ts.seats_left,
        held_for_own=held_for_own,
        held_for_others=sum(m.held for m in others),
        own_release_at=min((m.release_at for m in own), default=None),
        others_release_at=min((m.release_at for m in others), default=None),
        members=members,
        others_by_release=_by_release(others),
    )
