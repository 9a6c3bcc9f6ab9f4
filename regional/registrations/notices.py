"""The mail that tells a person what happened to their registration (same transaction)."""

from __future__ import annotations

from regional.mail.services import queue_mail
from regional.people.models import User
from regional.registrations.models import (
    Registration,
    RegistrationStatus,
)
from regional.registrations.waitlist import waitlist_position

RS = RegistrationStatus


#: Events whose mail carries the calendar entry (new, or withdrawn).
_WITH_ICS = {"enrolled", "promoted", "approved", "cancelled", "session_cancelled"}


_WITHDRAWN = {"cancelled", "session_cancelled", "declined"}


def notify(reg: Registration, event: str, employee: User | None = None, **extra: object) -> None:
    """Queue the mail telling the person what happened, in the same transaction."""
    from regional.registrations.calendar import registration_ics

    employee = employee or reg.employee
    locale = employee.locale or "ja"
    ics = None
    if event in _WITH_ICS and not (event == "promoted" and reg.status == RS.PENDING):
        ics = registration_ics(reg, cancelled=event in _WITHDRAWN, locale=locale)
    queue_mail(
        employee.email,
        f"registration_{event}",
        locale=locale,
        municipality_id=reg.municipality_id,
        ics=ics,
        registration=reg,
        training_session=reg.session,
        employee=employee,
        position=waitlist_position(reg),
        **extra,
    )
