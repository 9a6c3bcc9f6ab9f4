"""Leaving: what goes with a person's account when it is disabled.

A person who leaves (disabled by hand on their page, or missing from a roster import)
keeps their history: completions, attendance and certificates stay and still count.
What they had standing for the future must go in the same transaction, or a departed
person stays on a participant list while the seat never reaches the waiting list.

Those standing commitments (registrations) belong to a package above this one
(people → catalogue → sessions → registrations), which this package may not import.
So that package installs its handler when the application is built
(``create_app``), and every deactivation here goes through this one door. Without a
handler a deactivation refuses to run rather than silently leave the seats taken.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from regional.people.models import User


@dataclass(frozen=True)
class Withdrawn:
    """One future registration cancelled because its person left."""

    employee_id: int
    registration_id: int
    session_id: int

    def as_audit(self) -> dict[str, int]:
        """How the audit trail names it."""
        return {"registration_id": self.registration_id, "session_id": self.session_id}


class DepartureHandler(Protocol):
    """What the package owning registrations provides (see ``regional.registrations.leavers``)."""

    def count(self, user_ids: Collection[int]) -> dict[int, int]:
        """Future registrations each person holds now (people with none are left out)."""

    def withdraw(self, people: Sequence[User], actor: User) -> list[Withdrawn]:
        """Cancel the people's future registrations through the seat engine, telling them nothing."""


_handler: DepartureHandler | None = None


def install(handler: DepartureHandler) -> None:
    """Called once by ``create_app``: the handler every deactivation goes through."""
    global _handler
    _handler = handler


def _installed() -> DepartureHandler:
    if _handler is None:
        raise RuntimeError(
            "no departure handler installed: build the app with create_app, which installs it"
        )
    return _handler


def future_registrations(user_ids: Collection[int]) -> dict[int, int]:
    """How many future registrations each person would lose by leaving now (0 if none)."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    found = _installed().count(ids)
    return {i: found.get(i, 0) for i in ids}


def withdraw(people: Sequence[User], actor: User) -> list[Withdrawn]:
    """Cancel the future registrations of people who leave, in the caller's transaction.

    Call it after their accounts are disabled, in the same unit of work; it flushes and
    never commits. The seats go to the waiting lists (the people promoted are mailed as
    by any cancellation); the people who left are not mailed.
    """
    if not people:
        return []
    return _installed().withdraw(people, actor)
