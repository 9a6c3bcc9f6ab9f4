"""関心登録: people ask to be told when a programme gets a session, and are mailed once.

A person registers and withdraws their own interest only, in their own
municipality. When a session opens for registration (added already open, its
window moved to now, or its opening time reached: ``flask notify-interested``
from cron), every interested person whose municipality may attend it is mailed
once through the outbox, in the same transaction that marks them notified.
The mailing is recorded in each member's audit trail, as reminders are.

It stays here rather than beside the catalogue (which is below sessions): an interest
is refused while a session of the programme is open, and the notice goes out when one
opens, so both read sessions; its model is :mod:`regional.registrations.models`.
"""

from __future__ import annotations

import logging
from datetime import datetime

import click
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from regional.audit import record_audit_across
from regional.catalogue.models import Program
from regional.cronlock import one_run_at_a_time
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.services import deliver_outbox, queue_mail
from regional.people.models import AccountStatus, User
from regional.registrations.models import ProgramInterest
from regional.sessions.lifecycle import Phase, phase_clause, phase_of
from regional.sessions.models import TrainingSession
from tenants import all_tenants
from tenants.models import Municipality
from tenants.scoping import acting_as

log = logging.getLogger("regional.audit")


# -- the person's own interests -------------------------------------------------


def open_session_for(program: Program, person: User, now: datetime | None = None):
    """A session of the programme open for registration to the person's municipality, if any."""
    now = now or now_utc()
    return db.session.scalar(
        TrainingSession.visible_to(person.municipality_id)
        .where(TrainingSession.program_id == program.id, phase_clause(Phase.OPEN, now))
        .order_by(TrainingSession.starts_at)
        .limit(1)
    )


def interest_of(person: User, program_id: int) -> ProgramInterest | None:
    """The person's interest in a programme (read in their own municipality)."""
    with acting_as(db.session, person.municipality_id):
        return db.session.scalar(ProgramInterest.one(person.id, program_id))


def interests_of(person: User) -> list[ProgramInterest]:
    with acting_as(db.session, person.municipality_id):
        return list(db.session.scalars(ProgramInterest.of_employee(person.id)))


def register_interest(program: Program, person: User) -> ProgramInterest:
    """Ask to be mailed when a session of ``program`` opens; refused when pointless."""
    if not program.active:
        raise DomainError(
            "program_retired",
            _l("This programme has been retired; no session will be added."),
        )
    if open_session_for(program, person) is not None:
        raise DomainError(
            "session_open",
            _l("A session of this programme is open for registration now: register for it."),
        )
    with acting_as(db.session, person.municipality_id):
        interest = db.session.scalar(ProgramInterest.one(person.id, program.id))
        if interest is not None and interest.notified_at is None:
            raise DomainError(
                "already_interested", _l("You have already registered your interest.")
            )
        if interest is not None:  # told about an earlier session: wait for the next one
            interest.notified_at = interest.notified_session_id = None
            interest.created_at = now_utc()
            db.session.flush()
            log.info("interest renewed program=%s by=%s", program.code, person.id)
            return interest
        interest = ProgramInterest(
            municipality_id=person.municipality_id, employee_id=person.id, program_id=program.id
        )
        try:
            with db.session.begin_nested():
                db.session.add(interest)
        except IntegrityError:  # the same person's second click, at the same moment
            raise DomainError(
                "already_interested", _l("You have already registered your interest.")
            ) from None
    log.info("interest registered program=%s by=%s", program.code, person.id)
    return interest


def withdraw_interest(program: Program, person: User) -> bool:
    """Withdraw the person's interest in a programme; False if there was none."""
    with acting_as(db.session, person.municipality_id):
        interest = db.session.scalar(ProgramInterest.one(person.id, program.id))
        if interest is None:
            return False
        db.session.delete(interest)
        db.session.flush()
    log.info("interest withdrawn program=%s by=%s", program.code, person.id)
    return True


# -- counts for coordinators and administrators ------------------------------------


def interest_counts(program: Program, viewer: User) -> dict[int, int]:
    """People interested in a programme, by municipality: a coordinator's own member
    only; every member for regional administrators; nothing for anyone else."""
    if viewer.is_regional_admin:
        stmt = ProgramInterest.counts_by_member(program.id, every_municipality=True)
    elif viewer.is_coordinator:
        stmt = ProgramInterest.counts_by_member(program.id).where(
            ProgramInterest.municipality_id == viewer.municipality_id
        )
    else:
        return {}
    return dict(db.session.execute(stmt).all())


# -- telling them when a session opens ---------------------------------------------


def notify_interested(session_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mail each waiting interest once about a session now open to its member; how many.

    ``session_ids``: only these sessions (just added or changed); None: every open one
    (cron). Runs across members: each person is mailed alone, in their language, and
    each member's trail records how many of its people were told.
    """
    now = now or now_utc()
    stmt = (
        select(TrainingSession)
        .where(phase_clause(Phase.OPEN, now))
        .where(
            TrainingSession.program_id.in_(
                select(ProgramInterest.program_id).where(ProgramInterest.notified_at.is_(None))
            )
        )
        .order_by(TrainingSession.registration_opens_at, TrainingSession.id)
    )
    if session_ids is not None:
        stmt = stmt.where(TrainingSession.id.in_(session_ids))
    told = 0
    with all_tenants(db.session):  # interests of every member; each one checked below
        for ts in db.session.scalars(stmt).unique().all():
            told += _notify_for(ts, now)
    return told


def _notify_for(ts: TrainingSession, now: datetime) -> int:
    if phase_of(ts, now) is not Phase.OPEN:
        return 0
    interests = db.session.scalars(
        select(ProgramInterest)
        .where(ProgramInterest.program_id == ts.program_id, ProgramInterest.notified_at.is_(None))
        .order_by(ProgramInterest.id)
        .with_for_update(of=ProgramInterest, skip_locked=True)
    ).all()
    by_member: dict[int, int] = {}
    for interest in interests:
        if not ts.admits(interest.municipality_id):
            continue  # another member's own session, or a shared one not open to them
        person = db.session.get(User, interest.employee_id)
        if person is None or person.status != AccountStatus.ACTIVE:
            continue  # kept: mailed if the account is enabled before another session opens
        queue_mail(
            person.email,
            "interest_session_open",
            locale=person.locale or "ja",
            municipality_id=interest.municipality_id,
            training_session=ts,
            employee=person,
        )
        interest.notified_at = now
        interest.notified_session_id = ts.id
        by_member[interest.municipality_id] = by_member.get(interest.municipality_id, 0) + 1
    db.session.flush()
    for municipality_id, people in by_member.items():
        record_audit_across(
            "interest.notify",
            municipality_id=municipality_id,
            subject_type="session",
            subject_id=ts.id,
            subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d %H:%M}",
            detail={"program": ts.program.code, "people": people},
        )
    if by_member:
        log.info(
            "interested people told session=%s program=%s people=%d",
            ts.id,
            ts.program.code,
            sum(by_member.values()),
        )
    return sum(by_member.values())


@click.command("notify-interested")
@one_run_at_a_time("notify-interested")
def notify_interested_command() -> None:
    """Mail people interested in programmes whose sessions have opened (for cron)."""
    told = notify_interested()
    db.session.commit()
    sent = deliver_outbox()
    click.echo(f"interested people told: {told}; sent: {sent}")


def member_names(ids: list[int]) -> dict[int, Municipality]:
    """Members by id, for the administrators' table of counts."""
    return {m.id: m for m in db.session.scalars(Municipality.ordered()) if m.id in set(ids)}
