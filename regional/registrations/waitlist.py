"""A person's place in a session's waiting line (one line across every municipality)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from regional.extensions import db
from regional.registrations.models import (
    Registration,
    RegistrationStatus,
)

RS = RegistrationStatus


def waitlist_position(reg: Registration) -> int | None:
    """1-based place in the whole session's line (counts other municipalities' people too)."""
    if reg.status != RS.WAITLISTED or reg.waitlist_ticket is None:
        return None
    ahead = db.session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.session_id == reg.session_id,
            Registration.status == RS.WAITLISTED,
            Registration.waitlist_ticket < reg.waitlist_ticket,
        )
        .execution_options(all_tenants=True)  # a count only: no other member's row is read
    )
    return int(ahead or 0) + 1


def waitlist_positions(regs: Iterable[Registration]) -> dict[int, int]:
    """Positions of many waitlisted registrations at once (registration id -> place)."""
    waiting = [r for r in regs if r.status == RS.WAITLISTED and r.waitlist_ticket is not None]
    if not waiting:
        return {}
    tickets: dict[int, list[int]] = {}
    rows = db.session.execute(
        select(Registration.session_id, Registration.waitlist_ticket)
        .where(
            Registration.session_id.in_({r.session_id for r in waiting}),
            Registration.status == RS.WAITLISTED,
        )
        .order_by(Registration.session_id, Registration.waitlist_ticket)
        .execution_options(all_tenants=True)  # tickets only: no other member's row is read
    )
    for session_id, ticket in rows:
        tickets.setdefault(session_id, []).append(ticket)
    return {r.id: tickets[r.session_id].index(r.waitlist_ticket) + 1 for r in waiting}
