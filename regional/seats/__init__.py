"""The seat engine: a session's seats, reservations (優先枠) and waiting line.

Below ``registrations`` (sessions → seats → attendance → registrations): it knows the
registration row (:mod:`regional.seats.models`) as a claim on a seat, and nothing of the
pages, the checks before registering or the people who approve. Every change of seats
locks the session row first (:mod:`regional.seats.engine`); what the engine tells a
person (mail, with its calendar file) is :mod:`regional.seats.notices`.

The interface below is what pages and services call; the modules behind it are the
engine's own.
"""

from regional.seats.counts import Counts, active_registration_count, counts_for
from regional.seats.engine import (
    change_capacity,
    free_seat,
    lock_session,
    refill,
    release_seats,
    return_pool_seat,
    sessions_with_due_reservations,
    set_allocation,
)
from regional.seats.waitlist import waitlist_position, waitlist_positions

__all__ = [
    "Counts",
    "active_registration_count",
    "change_capacity",
    "counts_for",
    "free_seat",
    "lock_session",
    "refill",
    "release_seats",
    "return_pool_seat",
    "sessions_with_due_reservations",
    "set_allocation",
    "waitlist_position",
    "waitlist_positions",
]
