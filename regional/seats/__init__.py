"""The seat engine: a session's seats, reservations (優先枠) and waiting line.

Below ``registrations`` (sessions → seats → attendance → registrations): it knows the
registration row (:mod:`regional.seats.models`) as a claim on a seat, and nothing of the
pages, the checks before registering or the people who approve. Every change of seats
locks the session row first (:mod:`regional.seats.engine`, whose docstring tells the
rules); what the engine tells a person (mail, with its calendar file) is
:mod:`regional.seats.notices`; a member's reservations in a session's plan are
:mod:`regional.seats.reservations`.

The names below are the interface that the other packages call; the modules behind
them are the engine's own.
"""

from regional.seats.counts import Counts, active_registration_count, counts_for
from regional.seats.engine import (
    change_capacity,
    free_seat,
    lock_session,
    mark_declined,
    overlapping,
    refill,
    release_seats,
    return_pool_seat,
    revisit_passed_over,
    seat_status,
    sessions_with_due_reservations,
    set_allocation,
    take_pool_seat_now,
    take_seat,
    take_ticket_now,
)
from regional.seats.waitlist import waitlist_position, waitlist_positions

__all__ = [
    # the session's lock, under which every seat changes
    "lock_session",
    # taking a place: a seat without the lock in the simple case, else under it
    "take_pool_seat_now",
    "take_ticket_now",
    "take_seat",
    "seat_status",
    "overlapping",
    # giving one back: the seat returns, the line moves up
    "return_pool_seat",
    "free_seat",
    "mark_declined",
    "refill",
    "revisit_passed_over",
    # the session's plan: capacity and reservations, released when due
    "change_capacity",
    "set_allocation",
    "release_seats",
    "sessions_with_due_reservations",
    # reading: counts and places in line
    "Counts",
    "counts_for",
    "active_registration_count",
    "waitlist_position",
    "waitlist_positions",
]
