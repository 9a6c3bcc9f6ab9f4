"""The mail that tells a person what happened to their registration (same transaction).

The outbox row is written in the transaction of the change, with the event and
the registration's state at that moment (status, times, place in line); its
text and calendar file are rendered at delivery (:func:`regional.mail.services.render`),
after the commit, so that a registration does not render mail while it holds
the session's lock. The session and the person are read at delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from regional.extensions import db
from regional.mail.models import OutboundMail
from regional.mail.services import deferred_renderer, queue_deferred
from regional.people.coordinators import mailed_coordinators
from regional.people.models import User
from regional.seats.models import Registration, RegistrationStatus
from regional.seats.waitlist import waitlist_position
from regional.sessions.models import TrainingSession
from tenants.scoping import acting_as

RS = RegistrationStatus


#: Events whose mail carries the calendar entry (new, or withdrawn).
_WITH_ICS = {"enrolled", "promoted", "approved", "cancelled", "session_cancelled"}


_WITHDRAWN = {"cancelled", "session_cancelled", "declined"}

#: Who decides an application routed to a head of unit (its head and deputy): set by the
#: heads package (``regional.heads``, above this one) with :func:`set_head_deciders`.
_head_deciders: Callable[[Registration], list[User]] | None = None


def set_head_deciders(find: Callable[[Registration], list[User]] | None) -> None:
    """Install (or remove) the function that names who decides a routed application."""
    global _head_deciders
    _head_deciders = find


def notify(reg: Registration, event: str, employee: User | None = None, **extra: object) -> None:
    """Queue the mail telling the person what happened, in the same transaction."""
    employee = employee or reg.employee
    queue_deferred(
        employee.email,
        f"registration_{event}",
        locale=employee.locale or "ja",
        municipality_id=reg.municipality_id,
        params={
            "registration_id": reg.id,
            "employee_id": employee.id,
            "session_id": reg.session_id,
            "status": reg.status.value,
            "cancelled_by_id": reg.cancelled_by_id,
            "requested_at": _iso(reg.requested_at),
            "approved_at": _iso(reg.approved_at),
            "cancelled_at": _iso(reg.cancelled_at),
            "position": waitlist_position(reg),
            "ics": event in _WITH_ICS and not (event == "promoted" and reg.status == RS.PENDING),
            "withdrawn": event in _WITHDRAWN,
            "extra": {k: str(v) for k, v in extra.items()},
        },
    )
    if reg.status == RS.PENDING and event in ("pending", "promoted"):
        _tell_coordinators(reg, employee)
    if reg.status == RS.AWAITING_HEAD and event in ("awaiting_head", "promoted"):
        _tell_heads(reg, employee)


def _tell_heads(reg: Registration, employee: User) -> None:
    """An application awaits its head of unit: one mail each to the head and the deputy
    (:func:`set_head_deciders`), rendered at delivery like the person's own notice."""
    if _head_deciders is None:
        return
    with acting_as(db.session, reg.municipality_id):
        heads = _head_deciders(reg)
    _tell_each(reg, employee, heads, "registration_awaits_head", "head_name")


def _tell_coordinators(reg: Registration, employee: User) -> None:
    """A request awaits approval: one mail to each coordinator of the person's member who
    has not turned their mail off (:func:`regional.people.coordinators.mailed_coordinators`),
    rendered at delivery like the person's own notice."""
    with acting_as(db.session, reg.municipality_id):
        coordinators = mailed_coordinators()
    _tell_each(reg, employee, coordinators, "registration_awaits_approval", "coordinator_name")


def _tell_each(reg: Registration, employee: User, deciders, template: str, name_key: str):
    """One deferred mail to each who decides the request, never to the applicant (who sees
    their own request on their page)."""
    for decider in deciders:
        if decider.id == employee.id:
            continue
        queue_deferred(
            decider.email,
            template,
            locale=decider.locale or "ja",
            municipality_id=reg.municipality_id,
            params={
                "registration_id": reg.id,
                "employee_id": employee.id,
                "session_id": reg.session_id,
                "status": reg.status.value,
                "requested_at": _iso(reg.requested_at),
                "extra": {name_key: decider.name},
            },
        )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass
class RegistrationAtEvent:
    """A registration as it was when the mail was queued (what the templates and the
    calendar file read), with its session as it is at delivery."""

    id: int
    session_id: int
    municipality_id: int
    status: RegistrationStatus
    cancelled_by_id: int | None
    requested_at: datetime | None
    approved_at: datetime | None
    cancelled_at: datetime | None
    session: TrainingSession


@deferred_renderer("registration_")
def _registration_mail(mail: OutboundMail) -> tuple[dict, bytes | None]:
    """The context and calendar file of a registration notice, read inside its member."""
    from regional.seats.calendar import registration_ics

    p = mail.params or {}
    locale = p.get("locale") or "ja"
    # Read inside the mail's member, without flushing what else the unit of work holds: a
    # message of another member rendered before this one may wait to be written, and inside
    # this member the wall would find no row of it to update.
    with acting_as(db.session, mail.municipality_id), db.session.no_autoflush:
        ts = db.session.get(TrainingSession, p["session_id"])
        employee = db.session.get(User, p["employee_id"])
    if ts is None or employee is None:
        raise LookupError(f"registration mail {mail.id}: session or person no longer exists")
    reg = RegistrationAtEvent(
        id=p["registration_id"],
        session_id=ts.id,
        municipality_id=mail.municipality_id,
        status=RegistrationStatus(p["status"]),
        cancelled_by_id=p.get("cancelled_by_id"),
        requested_at=_time(p.get("requested_at")),
        approved_at=_time(p.get("approved_at")),
        cancelled_at=_time(p.get("cancelled_at")),
        session=ts,
    )
    ics = (
        registration_ics(reg, cancelled=p.get("withdrawn", False), locale=locale)
        if p.get("ics")
        else None
    )
    context = {
        "registration": reg,
        "training_session": ts,
        "employee": employee,
        "position": p.get("position"),
        **(p.get("extra") or {}),
    }
    return context, ics
