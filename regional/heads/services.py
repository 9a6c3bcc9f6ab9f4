"""Heads of unit (所属長): who they are, the member's setting, and their decisions.

The step, when a member turns ``head_approval`` on: an employee's own application is
routed to the head of their unit (or, when they head it themselves, of the nearest unit
above with a head); it holds a seat as a request awaiting approval does (status
``awaiting_head``: the place in line is the time of application, as with a paper form),
or waits in line and is decided the same way. The head or their deputy approves (the
registration then goes on as before: the coordinator's approval where the session asks
for it, else enrolled) or declines with a reason mailed to the person (the seat goes to
the line). When no unit above has a head the step is skipped, and the member's audit trail
says so for the coordinator. Applications made by a coordinator for someone skip it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from regional.audit import record_audit as _record_audit
from regional.errors import Conflict, DomainError, NotFound
from regional.extensions import db
from regional.fiscal import now_utc
from regional.heads.models import HeadSetting, UnitHead
from regional.people.models import AccountStatus, User
from regional.people.roster_heads import HeadBook
from regional.roles import may_decide_for
from regional.seats import lock_session, mark_declined, refill, seat_status
from regional.seats.models import Registration, RegistrationStatus
from regional.seats.notices import notify
from tenants.models import OrgUnit

RS = RegistrationStatus
REASON_MAX = 500


def record_audit(action: str, **kwargs) -> None:
    """An entry in the current member's trail, written now (the caller may leave the member)."""
    _record_audit(action, **kwargs)
    db.session.flush()


# -- the member's setting -------------------------------------------------------------------


def head_approval_on() -> bool:
    """Whether the current member asks for the head's approval first."""
    return bool(db.session.scalar(select(HeadSetting.head_approval)))


def set_head_approval(on: bool, actor: User) -> bool:
    """Turn the step on or off for the current member (audited); True if it changed."""
    setting = db.session.scalar(select(HeadSetting))
    before = bool(setting and setting.head_approval)
    if setting is None:
        setting = HeadSetting(head_approval=on)
        db.session.add(setting)
    setting.head_approval = on
    db.session.flush()
    if before != on:
        record_audit(
            "heads.setting",
            subject_type="municipality",
            subject_id=setting.municipality_id,
            before={"head_approval": before},
            after={"head_approval": on},
            actor=actor,
        )
    return before != on


# -- who heads what -------------------------------------------------------------------------


def heads_by_unit() -> dict[int, UnitHead]:
    """Every head row of the current member, by unit."""
    return {h.org_unit_id: h for h in db.session.scalars(select(UnitHead))}


def _active_person(person_id: int | None, field: str) -> User | None:
    if person_id is None:
        return None
    person = db.session.scalar(select(User).where(User.id == person_id))
    if person is None or person.status != AccountStatus.ACTIVE:
        raise NotFound(f"{field}_not_found", _l("The person was not found."), field=field)
    return person


def set_head(unit: OrgUnit, head_id: int | None, deputy_id: int | None, actor: User) -> UnitHead:
    """Make ``head_id`` head of ``unit`` with an optional deputy (None, None: nobody); audited.

    Both are active people of the unit's own member (another member's is not found).
    """
    head = _active_person(head_id, "employee_id")
    deputy = _active_person(deputy_id, "deputy_id")
    if head is None and deputy is not None:
        raise DomainError("deputy_without_head", _l("A deputy needs a head of unit."))
    if head is not None and deputy is not None and head.id == deputy.id:
        raise DomainError("deputy_is_head", _l("The deputy must be someone else than the head."))
    row = db.session.scalar(select(UnitHead).where(UnitHead.org_unit_id == unit.id))
    before = None if row is None else {"head_id": row.head_id, "deputy_id": row.deputy_id}
    if head is None:
        if row is not None:
            db.session.delete(row)
    else:
        if row is None:
            row = UnitHead(org_unit_id=unit.id, head_id=head.id)
            db.session.add(row)
        row.head_id, row.deputy_id = head.id, deputy.id if deputy else None
    db.session.flush()
    after = None if head is None else {"head_id": head.id, "deputy_id": row.deputy_id}
    if before != after:
        record_audit(
            "heads.set",
            subject_type="org_unit",
            subject_id=unit.id,
            subject_label=unit.path(),
            before=before,
            after=after,
            actor=actor,
        )
    return row


def _roster_read() -> dict[int, tuple[int, int | None]]:
    return {h.org_unit_id: (h.head_id, h.deputy_id) for h in db.session.scalars(select(UnitHead))}


def _roster_write(unit_id: int, head_id: int, deputy_id: int | None) -> None:
    row = db.session.scalar(select(UnitHead).where(UnitHead.org_unit_id == unit_id))
    if row is None:
        row = UnitHead(org_unit_id=unit_id, head_id=head_id)
        db.session.add(row)
    row.head_id, row.deputy_id = head_id, deputy_id
    db.session.flush()


def roster_book():
    """What a roster's 所属長 column reads and sets (its import's audit entry lists the
    changes: no ``heads.set`` entry of its own)."""
    return HeadBook(read=_roster_read, write=_roster_write)


def route(employee: User) -> OrgUnit | None:
    """The unit whose head decides ``employee``'s application: their own unit's, or when they
    head it themselves (or it has no head) the nearest unit above with another head."""
    heads = heads_by_unit()
    unit, seen = employee.org_unit, set()
    while unit is not None and unit.id not in seen:
        seen.add(unit.id)
        head = heads.get(unit.id)
        if head is not None and head.head_id != employee.id:
            return unit
        unit = unit.parent
    return None


def ask_head(reg: Registration, employee: User) -> None:
    """The registration step (``regional.registrations.actions.set_head_step``): route a
    person's own application to their head when the member asks for it."""
    if not head_approval_on():
        return
    unit = route(employee)
    if unit is None:
        record_audit(
            "registration.head_skipped",
            subject_type="registration",
            subject_id=reg.id,
            subject_label=employee.name,
            detail={"session_id": reg.session_id, "employee_id": employee.id},
            actor=employee,
        )
        return
    reg.head_unit_id = unit.id
    if reg.status.holds_seat:
        reg.status = RS.AWAITING_HEAD
    db.session.flush()


# -- the head's work ------------------------------------------------------------------------


def headed_units(actor: User) -> list[UnitHead]:
    """The head rows where ``actor`` is head or deputy (current member)."""
    rows = {
        row.id: row for stmt in UnitHead.of_person(actor.id) for row in db.session.scalars(stmt)
    }
    return sorted(rows.values(), key=lambda row: row.id)


def units_below(unit_ids: list[int]) -> set[int]:
    """The given units and every unit under them (the current member's tree)."""
    children: dict[int | None, list[int]] = {}
    for uid, parent in db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent, []).append(uid)
    found, todo = set(), list(unit_ids)
    while todo:
        uid = todo.pop()
        if uid not in found:
            found.add(uid)
            todo.extend(children.get(uid, []))
    return found


def awaiting(actor: User):
    """The applications waiting for ``actor``'s decision: a select of registrations."""
    unit_ids = [h.org_unit_id for h in headed_units(actor)]
    return (
        select(Registration)
        .where(
            Registration.head_unit_id.in_(unit_ids),
            Registration.head_approved_at.is_(None),
            Registration.status.in_((RS.AWAITING_HEAD, RS.WAITLISTED)),
            Registration.employee_id != actor.id,
        )
        .order_by(Registration.requested_at, Registration.id)
    )


def awaiting_count(actor: User) -> int:
    """How many applications wait for ``actor`` (the home card and the page list these)."""
    return len(db.session.scalars(awaiting(actor)).all())


def _head_row(reg: Registration) -> UnitHead | None:
    if reg.head_unit_id is None:
        return None
    return db.session.scalar(select(UnitHead).where(UnitHead.org_unit_id == reg.head_unit_id))


def deciders(reg: Registration) -> list[User]:
    """The active head and deputy of the unit ``reg`` is routed to (told of it by mail)."""
    row = _head_row(reg)
    if row is None:
        return []
    ids = [i for i in (row.head_id, row.deputy_id) if i is not None]
    people = db.session.scalars(
        select(User).where(User.id.in_(ids), User.status == AccountStatus.ACTIVE).order_by(User.id)
    )
    return list(people)


def decidable(reg_id: int, actor: User) -> Registration | None:
    """The one load gate of a head's decision: a registration of the actor's member routed
    to a unit they head or deputise for (not their own), else None."""
    reg = db.session.scalar(select(Registration).where(Registration.id == reg_id))
    if reg is None or not may_decide_for(actor, _head_row(reg), reg.employee_id):
        return None
    return reg


def is_head(actor: User) -> bool:
    """Whether ``actor`` heads or deputises for any unit."""
    return bool(headed_units(actor))


def _waiting_for_head(reg: Registration) -> bool:
    return reg.head_approved_at is None and reg.status in (RS.AWAITING_HEAD, RS.WAITLISTED)


def _audit(action: str, reg: Registration, actor: User, before: RS, reason: str = "") -> None:
    detail = {"session_id": reg.session_id, "employee_id": reg.employee_id}
    if reason:
        detail["reason"] = reason
    record_audit(
        action,
        subject_type="registration",
        subject_id=reg.id,
        subject_label=f"{reg.employee.name} / {reg.session.program.code}",
        before={"status": before.value},
        after={"status": reg.status.value},
        detail=detail,
        actor=actor,
    )


def head_approve(reg: Registration, actor: User) -> Registration:
    """The head (or deputy) approves: the registration goes on as before."""
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if not may_decide_for(actor, _head_row(reg), reg.employee_id):
        raise NotFound("registration_not_found", _l("The registration was not found."))
    if not _waiting_for_head(reg):
        raise Conflict("not_awaiting_head", _l("This application is not awaiting your decision."))
    before = reg.status
    reg.head_approved_at, reg.head_approved_by_id = now_utc(), actor.id
    if reg.status == RS.AWAITING_HEAD:
        reg.status = seat_status(ts, reg)
    db.session.flush()
    notify(reg, {RS.ENROLLED: "approved", RS.PENDING: "pending"}.get(reg.status, "head_approved"))
    _audit("registration.head_approve", reg, actor, before)
    return reg


def head_decline(reg: Registration, actor: User, reason: str) -> list[Registration]:
    """The head (or deputy) declines with a reason, mailed to the person; a held seat goes
    to the waiting list."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Please give a reason."), field="reason")
    ts = lock_session(reg.session_id)
    db.session.refresh(reg)
    if not may_decide_for(actor, _head_row(reg), reg.employee_id):
        raise NotFound("registration_not_found", _l("The registration was not found."))
    if not _waiting_for_head(reg):
        raise Conflict("not_awaiting_head", _l("This application is not awaiting your decision."))
    before, freed = mark_declined(ts, reg, actor.id)
    notify(reg, "head_declined", reason=reason)
    _audit("registration.head_decline", reg, actor, before, reason)
    return refill(ts, freed)
