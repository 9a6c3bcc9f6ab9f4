"""Undelivered mail (宛先不明のメール): what a coordinator sees and does about it.

A member's failed messages are its coordinators' to look at (and a regional
administrator's working in it); messages of no member (a sign-up from an address no
member owns, say) are the regional administrators'. A failed message is sent again,
to a corrected address if need be, or discarded: both administrative actions, audited
in the member's trail (messages of no member: the coordinating member's).

Where a corrected address may point: a staff domain of the message's member, or the
address of one of its accounts (a person whose own address was corrected on their
page first). Mail about an account's address itself (sign-in links, invitations,
notices of a changed address or password) goes only where it was meant to: a
sign-in link sent to another address would hand over the account. For those the
person's address is corrected on their page, and a new link or invitation sent from
there.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from regional.audit import record_audit_across
from regional.errors import DomainError, NotFound
from regional.extensions import db
from regional.mail.models import OutboundMail
from regional.mail.services import ADDRESS_BOUND, coordinating_member_id, send_again
from regional.people.models import User, normalize_email
from tenants import all_tenants
from tenants.models import Municipality


def failed_mail(mail_id: int, municipality_id: int | None, *, regional_admin: bool) -> OutboundMail:
    """A failed message the caller may act on, or :class:`NotFound`.

    Its member must be ``municipality_id`` (where the caller works); a message of no
    member is a regional administrator's only. Another member's message is not found.
    """
    with all_tenants(db.session):  # the checks below decide, not the wall
        mail = db.session.get(OutboundMail, mail_id)
    if mail is None or mail.failed_at is None:
        raise NotFound("not_found", _l("The message was not found."))
    mine = mail.municipality_id is not None and mail.municipality_id == municipality_id
    regions = mail.municipality_id is None and regional_admin
    if not (mine or regions):
        raise NotFound("not_found", _l("The message was not found."))
    return mail


def address_bound(mail: OutboundMail) -> bool:
    """Whether the message may only go to the address it was written for."""
    # Rows older than the template column's use on every message are not known: kept bound.
    return mail.template is None or mail.template in ADDRESS_BOUND


def _account_has(email: str, municipality_id: int | None) -> bool:
    stmt = select(User.id).where(User.email == email)
    if municipality_id is None:
        with all_tenants(db.session):  # mail of no member: any account of the region
            return bool(db.session.scalar(select(exists(stmt))))
    return bool(
        db.session.scalar(select(exists(stmt.where(User.municipality_id == municipality_id))))
    )


def _domain_allows(email: str, municipality_id: int | None) -> bool:
    members = db.session.scalars(Municipality.ordered())
    if municipality_id is not None:
        members = (m for m in members if m.id == municipality_id)
    return any(m.owns_email(email) for m in members)


def redirect_refusal(mail: OutboundMail, email: str) -> str | None:
    """Why ``mail`` cannot be sent to ``email`` (normalised), or None."""
    if email == normalize_email(mail.to_addr):
        return None
    if address_bound(mail):
        return _l(
            "This message is about the account at its address (a sign-in link, an "
            "invitation or a security notice): it can only be sent again to the same "
            "address. Correct the person's address on their page, then send them a new "
            "invitation or link from there."
        )
    if _domain_allows(email, mail.municipality_id) or _account_has(email, mail.municipality_id):
        return None
    return _l(
        "Mail can be sent only to a staff address of the municipality or to the address "
        "of one of its accounts."
    )


def _label(mail: OutboundMail) -> str:
    return f"{mail.to_addr} {mail.subject or mail.template or ''}".strip()


def _trail(mail: OutboundMail) -> int:
    member = mail.municipality_id or coordinating_member_id()
    if member is None:  # no region loaded
        raise NotFound("not_found", _l("The message was not found."))
    return member


def retry(mail: OutboundMail, email: str, actor: User) -> None:
    """Send a failed message again (to ``email``, corrected or not); audited. Never commits."""
    email = normalize_email(email)
    refusal = redirect_refusal(mail, email)
    if refusal is not None:
        raise DomainError("address_not_allowed", refusal, field="email")
    before = {"to": mail.to_addr, "answer": mail.last_error}
    send_again(mail, email)
    record_audit_across(
        "mail.retry",
        municipality_id=_trail(mail),
        actor=actor,
        subject_type="mail",
        subject_id=mail.id,
        subject_label=_label(mail),
        before=before,
        after={"to": mail.to_addr},
    )


def discard(mail: OutboundMail, actor: User) -> None:
    """Give up a failed message for good: the row goes, its audit entry says what it was."""
    record_audit_across(
        "mail.discard",
        municipality_id=_trail(mail),
        actor=actor,
        subject_type="mail",
        subject_id=mail.id,
        subject_label=_label(mail),
        detail={
            "to": mail.to_addr,
            "mail_subject": mail.subject or mail.template or "",
            "answer": mail.last_error or "",
        },
    )
    db.session.delete(mail)
