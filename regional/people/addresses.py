"""Account addresses: which address a member's account may be given, and what changing one does.

The e-mail address is the sign-in name and where a reset link goes: whoever sets it
can take the account. So one rule holds for every path that sets an address (the
person form, the API, the roster import, sign-up): an address a coordinator or an
administrator gives is one of the member's own staff domains, and it is free. Both
refusals read alike (:data:`REFUSED_CODE`, one neutral message), so no path tells
whether an address is used elsewhere in the region. An address outside every
member's domains enters only by its owner signing up from it (proving they read
it) and the member's coordinator approving.

A change of address (:func:`address_changed`) is a security event: the old address
is told, with whom to contact; every session, API token and mailed link of the
account ends; the calendar-feed address is replaced. The caller audits it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from regional.errors import DomainError
from regional.extensions import db
from regional.mail.services import queue_mail
from regional.people.models import AccountStatus, Role, User
from tenants import all_tenants
from tenants.models import Municipality

log = logging.getLogger("regional.audit")

#: The API's error code for any address that cannot be given (422).
REFUSED_CODE = "email_not_allowed"
#: People named in the old address's mail as whom to contact, per kind.
CONTACTS = 5


def email_taken(email: str, except_id: int | None = None) -> bool:
    """Whether any account of the region signs in with this address.

    A deliberate cross-tenant existence check (e-mail is the region-wide sign-in
    name). Its answer never reaches a screen on its own: refusals built on it read
    like an address of the wrong domain (:func:`address_refusal`).
    """
    stmt = select(User.id).where(User.email == email)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    with all_tenants(db.session):
        return db.session.scalar(select(exists(stmt))) or False


def refusal_message(municipality: Municipality) -> str:
    """The one message for an address that cannot be given to ``municipality``'s account."""
    return _l(
        "This address cannot be given to an account here. Use a staff address of "
        "%(domains)s that no other account uses; someone with another address signs up "
        "themselves and waits for the coordinator's approval.",
        domains=", ".join(municipality.email_domains or []) or "-",
    )


def address_refusal(
    municipality: Municipality, email: str, *, except_id: int | None = None
) -> str | None:
    """Why ``email`` (normalised) cannot be set on an account of ``municipality``, or None.

    Outside the member's domains, or in use by any account of the region: the same
    message either way.
    """
    if not municipality.owns_email(email) or email_taken(email, except_id):
        return refusal_message(municipality)
    return None


def check_address(municipality: Municipality, email: str, *, except_id: int | None = None) -> None:
    """Raise the neutral refusal (422 ``email_not_allowed``) unless ``email`` may be set."""
    if address_refusal(municipality, email, except_id=except_id) is not None:
        raise address_refused(municipality)


def address_refused(municipality: Municipality) -> DomainError:
    """The neutral refusal as an error (also for a unique-key race lost at flush)."""
    return DomainError(REFUSED_CODE, refusal_message(municipality), field="email")


def another_members_domain(municipality: Municipality, email: str) -> Municipality | None:
    """The other member whose staff domains hold ``email``, if any (sign-up refuses those)."""
    members = db.session.scalars(select(Municipality).where(Municipality.id != municipality.id))
    return next((m for m in members if m.owns_email(email)), None)


# -- a change of address --------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    role: Role


def _contacts(user: User) -> tuple[list[Contact], list[Contact]]:
    """The member's coordinators (not the person) and the region's administrators.

    Whom the old address may turn to: if the change was not theirs, the one who made
    it may be the problem, so the mail names the region's administrators too. A
    deliberate read across members, of names and addresses only (no account is loaded).
    """
    with all_tenants(db.session):
        rows = db.session.execute(
            select(User.name, User.email, User.role)
            .where(
                User.status == AccountStatus.ACTIVE,
                User.id != user.id,
                ((User.municipality_id == user.municipality_id) & (User.role == Role.COORDINATOR))
                | (User.role == Role.REGIONAL_ADMIN),
            )
            .order_by(User.name, User.id)
        ).all()
    staff = [Contact(*row) for row in rows]
    coordinators = [c for c in staff if c.role == Role.COORDINATOR][:CONTACTS]
    admins = [c for c in staff if c.role == Role.REGIONAL_ADMIN][:CONTACTS]
    return coordinators, admins


def masked(email: str) -> str:
    """``ab***@gmail.com``: enough for the owner to recognise, not to copy."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}***@{domain}"


def address_changed(user: User, old: str, actor: User | None) -> None:
    """After ``user.email`` was changed from ``old``: tell ``old``, end every way in.

    The session version moves on (every session, remember-me cookie, API token and
    mailed confirmation, reset or invitation link ends: they carry it), and the
    calendar-feed address is replaced. Flushes nothing; the caller audits the change.
    """
    if old == user.email:
        return
    user.revoke_sessions()
    user.calendar_token = secrets.token_urlsafe(32)
    coordinators, admins = _contacts(user)
    queue_mail(
        old,
        "account_address_changed",
        locale=user.locale or "ja",
        municipality_id=user.municipality_id,
        person=user,
        municipality=user.municipality,
        new_address=masked(user.email),
        actor=actor,
        coordinators=coordinators,
        admins=admins,
    )
    log.warning(
        "sign-in address changed user=%s municipality=%s by=%s",
        user.id,
        user.municipality_id,
        getattr(actor, "id", None),
    )
