"""A person's place in a session's waiting line (one line across every municipality).

A place is read in one statement (a window function over the session's line), so a
promotion or a cancellation committed meanwhile can never leave a registration read as
waiting without a place in the line read a moment later: a registration that is no
longer waiting when the statement runs simply has no place.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from regional.extensions import db
from regional.seats.models import Registration, RegistrationStatus

RS = RegistrationStatus


def waitlist_position(reg: Registration) -> int | None:
    """1-based place in the whole session's line (counts other municipalities' people too);
    None when the registration is not (or no longer) waiting."""
    return waitlist_positions([reg]).get(reg.id)


def waitlist_positions(regs: Iterable[Registration]) -> dict[int, int]:
    """Places of waitlisted registrations (registration id -> place), all in one statement.

    Registrations read as waitlisted are asked about; those promoted or cancelled since
    are left out of the answer. Only ids and places leave the statement (no other
    member's row is read), hence across every municipality.
    """
    waiting = [r for r in regs if r.status == RS.WAITLISTED and r.waitlist_ticket is not None]
    if not waiting:
        return {}
    line = (
        select(
            Registration.id.label("id"),
            func.row_number()
            .over(partition_by=Registration.session_id, order_by=Registration.waitlist_ticket)
            .label("place"),
        )
        .where(
            Registration.session_id.in_({r.session_id for r in waiting}),
            Registration.status == RS.WAITLISTED,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(line.c.id, line.c.place)
        .where(line.c.id.in_([r.id for r in waiting]))
        .execution_options(all_tenants=True)
    )
    return {reg_id: int(place) for reg_id, place in rows}
