"""People: the writes of one municipality's coordinator (or a regional admin) on its staff.

Every function works inside the current municipality (the tenant wall stamps
and checks each row), flushes, and leaves the commit to the caller. A refusal
is a :class:`DomainError`; the caller rolls back and nothing is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError

from regional.audit import audited, record_audit_across
from regional.database import begin_writing
from regional.errors import Conflict, DomainError, Forbidden
from regional.extensions import db
from regional.mail.services import queue_mail
from regional.people import addresses, departures
from regional.people.models import (
    AccountStatus,
    JobCategory,
    Role,
    User,
    normalize_email,
)
from regional.validation import typed_code_or_none
from tenants.models import Municipality, OrgUnit
from tenants.scoping import current_tenant_id

log = logging.getLogger("regional.audit")


def normalize_employee_number(value: str | None) -> str | None:
    """Full-width digits and letters typed in Japanese input become ASCII, as the roster
    import reads them (:func:`regional.validation.typed_code`); blank is None."""
    return typed_code_or_none(value)


# -- uniqueness ------------------------------------------------------------


def employee_number_taken(number: str | None, except_id: int | None = None) -> bool:
    """Whether the current municipality already has this 職員番号 (scoped by the wall)."""
    if not number:
        return False
    stmt = select(User.id).where(User.employee_number == number)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return db.session.scalar(select(exists(stmt))) or False


#: Where it lived before the address rule had a module of its own (kept for callers).
email_taken = addresses.email_taken


def _check_number(number: str | None, except_id: int | None = None) -> None:
    if employee_number_taken(number, except_id):
        raise Conflict(
            "employee_number_taken",
            _l("This employee number is already used in this municipality."),
        )


def _flush_or_conflict(user: User, municipality: Municipality) -> None:
    """Flush in a savepoint so a lost race on a unique key becomes a clean refusal.

    An address taken meanwhile reads like any address that cannot be given (422).
    """
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        if "employee_number" in message:
            raise Conflict(
                "employee_number_taken",
                _l("This employee number is already used in this municipality."),
            ) from exc
        if "email" in message:
            raise addresses.address_refused(municipality) from exc
        raise


# -- people ----------------------------------------------------------------


@dataclass
class PersonData:
    """What a coordinator may set on a person (never the municipality)."""

    email: str
    name: str
    employee_number: str | None = None
    name_kana: str | None = None
    job_category: JobCategory = JobCategory.ADMINISTRATIVE
    org_unit_id: int | None = None
    system_duty: bool = False
    #: None keeps the role; only a regional administrator may pass another.
    role: Role | None = None


def _check_org_unit(unit_id: int | None) -> None:
    if unit_id is None:
        return
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
    if unit is None:  # another municipality's unit is simply not there
        raise DomainError("unknown_org_unit", _l("The organisation unit was not found."))


def _check_role_change(target: User | None, role: Role | None, actor: User) -> None:
    current = target.role if target is not None else Role.EMPLOYEE
    if role is None or role == current:
        return
    if Role.REGIONAL_ADMIN in (role, current):
        raise Forbidden(
            "role_not_allowed",
            _l("Regional administrators are appointed outside these pages."),
        )
    if not actor.is_regional_admin:
        raise Forbidden(
            "role_not_allowed",
            _l("Only a regional administrator may appoint or remove coordinators."),
        )


def check_may_manage(target: User, actor: User) -> None:
    """Coordinators manage employees; coordinators' and administrators' accounts are the region's."""
    if actor.is_regional_admin:
        if target.is_regional_admin and target.id != actor.id:
            raise Forbidden(
                "not_allowed",
                _l("Another regional administrator's account cannot be changed here."),
            )
        return
    if target.role != Role.EMPLOYEE:
        raise Forbidden(
            "not_allowed",
            _l("Only a regional administrator may change a coordinator's account."),
        )


def may_manage(target: User, actor: User) -> bool:
    """Whether ``actor`` may edit or disable ``target`` (for showing the buttons)."""
    try:
        check_may_manage(target, actor)
    except DomainError:
        return False
    return True


def _unit_path(unit_id: int | None) -> str | None:
    if unit_id is None:
        return None
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
    return unit.path() if unit is not None else None


#: What the trail keeps of a person: field -> how to read it off the account.
_TRAIL_FIELDS = {
    "email": lambda u: u.email,
    "name": lambda u: u.name,
    "name_kana": lambda u: u.name_kana,
    "employee_number": lambda u: u.employee_number,
    "job_category": lambda u: u.job_category,
    "org_unit": lambda u: _unit_path(u.org_unit_id),
    "system_duty": lambda u: u.system_duty,
}


def _trail_fields(user: User) -> dict:
    return {key: read(user) for key, read in _TRAIL_FIELDS.items()}


def create_person(data: PersonData, actor: User) -> User:
    """Add an active account to the current municipality (it signs in after an invitation).

    The address must be one of the member's staff domains and free (the neutral
    refusal of :mod:`regional.people.addresses` otherwise); the addition is audited.
    """
    municipality = db.session.get(Municipality, current_tenant_id(db.session))
    email = normalize_email(data.email)
    number = normalize_employee_number(data.employee_number)
    role = data.role or Role.EMPLOYEE
    _check_role_change(None, role, actor)
    _check_org_unit(data.org_unit_id)
    addresses.check_address(municipality, email)
    _check_number(number)
    user = User(
        email=email,
        name=data.name.strip(),
        name_kana=(data.name_kana or "").strip() or None,
        employee_number=number,
        job_category=data.job_category,
        org_unit_id=data.org_unit_id,
        system_duty=data.system_duty,
        role=role,
        status=AccountStatus.ACTIVE,
    )
    _flush_or_conflict(user, municipality)
    _audit_account(
        "account.create",
        user,
        actor,
        None,
        {**_trail_fields(user), "role": user.role, "status": user.status},
    )
    log.info("person added user=%s by=%s role=%s", user.id, actor.id, role.value)
    return user


def update_person(user: User, data: PersonData, actor: User) -> User:
    """Change a person's details (and, for a regional administrator, employee/coordinator).

    Each changed field is audited with before and after. A new address must follow
    the rule of :mod:`regional.people.addresses` (an address kept as it is stays,
    even an approved outside one), and changing it is a security event: the old
    address is told and every session, token and mailed link of the person ends.
    """
    check_may_manage(user, actor)
    municipality = user.municipality
    email = normalize_email(data.email)
    number = normalize_employee_number(data.employee_number)
    _check_role_change(user, data.role, actor)
    _check_org_unit(data.org_unit_id)
    if email != user.email:
        addresses.check_address(municipality, email, except_id=user.id)
    _check_number(number, except_id=user.id)
    before_role, old_email = user.role, user.email
    with (
        _account_change("account.role", user, actor, fields=("role",)),
        _account_change("account.update", user, actor, snapshot=_trail_fields) as trail,
    ):
        user.email, user.name = email, data.name.strip()
        user.name_kana = (data.name_kana or "").strip() or None
        user.employee_number, user.job_category = number, data.job_category
        user.org_unit_id, user.system_duty = data.org_unit_id, data.system_duty
        if data.role is not None:
            user.role = data.role
        _flush_or_conflict(user, municipality)
        addresses.address_changed(user, old_email, actor)
        if user.email != old_email:
            trail.detail.update(address_changed=True, old_address_told=True, signed_out=True)
    if user.role != before_role:
        log.info(
            "role changed user=%s from=%s to=%s by=%s",
            user.id,
            before_role.value,
            user.role.value,
            actor.id,
        )
    return user


def set_role(user: User, role: Role, actor: User) -> User:
    """Appoint or remove a coordinator (regional administrators only)."""
    _check_role_change(user, role, actor)
    if role == Role.COORDINATOR and user.status != AccountStatus.ACTIVE:
        raise DomainError(
            "not_active", _l("Only an active account can be made a training coordinator.")
        )
    if user.role != role:
        log.info("role changed user=%s from=%s to=%s by=%s", user.id, user.role, role, actor.id)
        with _account_change("account.role", user, actor, fields=("role",)):
            user.role = role
    return user


def _audit_account(
    action: str,
    user: User,
    actor: User,
    before: dict | None,
    after: dict,
    detail: dict | None = None,
) -> None:
    """An administrative change to an account, in its member's trail."""
    record_audit_across(
        action,
        municipality_id=user.municipality_id,
        subject_type="user",
        subject_id=user.id,
        subject_label=f"{user.name} <{user.email}>",
        before=before,
        after=after,
        detail=detail,
        actor=actor,
    )


def _account_change(action: str, user: User, actor: User, **what):  # noqa: ANN003
    """An administrative change to an account, audited in its member's trail (``audited``)."""
    return audited(
        action,
        target=user,
        across=True,
        municipality_id=user.municipality_id,
        subject_type="user",
        subject_label=lambda u: f"{u.name} <{u.email}>",
        actor=actor,
        **what,
    )


def check_may_disable(user: User, actor: User) -> None:
    """Refuse what disabling ``user`` may not do (the confirmation page asks first)."""
    check_may_manage(user, actor)
    if user.id == actor.id:
        raise DomainError("own_account", _l("You cannot disable your own account."))
    if user.status == AccountStatus.DISABLED:
        raise Conflict("already_disabled", _l("This account is already disabled."))


def disable_person(user: User, actor: User) -> list[departures.Withdrawn]:
    """Disable an account, end every session and token it holds, and cancel its future
    registrations (their seats go to the waiting lists); returns those cancelled.

    The person is not mailed about the cancellations: they have left. Their history
    (completions, attendance, certificates) stays and still counts.
    """
    check_may_disable(user, actor)
    begin_writing()  # the seat engine writes next: SQLite takes the write lock first
    with _account_change("account.disable", user, actor, fields=("status",)) as trail:
        user.status = AccountStatus.DISABLED
        user.revoke_sessions()
        db.session.flush()
        withdrawn = departures.withdraw([user], actor)
        trail.detail["registrations_cancelled"] = [w.as_audit() for w in withdrawn]
    log.info("person disabled user=%s by=%s cancelled=%d", user.id, actor.id, len(withdrawn))
    return withdrawn


def enable_person(user: User, actor: User) -> User:
    """Re-enable a disabled account (old sessions stay ended)."""
    check_may_manage(user, actor)
    if user.status != AccountStatus.DISABLED:
        raise Conflict("not_disabled", _l("This account is not disabled."))
    with _account_change("account.enable", user, actor, fields=("status",)):
        user.status = AccountStatus.ACTIVE
    log.info("person re-enabled user=%s by=%s", user.id, actor.id)
    return user


def _require_pending(user: User) -> None:
    if user.status != AccountStatus.PENDING_APPROVAL:
        raise Conflict("not_pending", _l("This sign-up is not awaiting approval."))


def approve_signup(user: User, actor: User) -> User:
    """Let a person who signed up from an outside address in, and tell them by mail."""
    _require_pending(user)
    if addresses.another_members_domain(user.municipality, user.email) is not None:
        # Signed up before sign-up refused such addresses: not this member's to give.
        raise addresses.address_refused(user.municipality)
    with _account_change("account.approve", user, actor, fields=("status",)):
        user.status = AccountStatus.ACTIVE
    queue_mail(
        user.email,
        "people_approved",
        locale=user.locale or "ja",
        municipality_id=user.municipality_id,
        person=user,
        municipality=user.municipality,
    )
    log.info("sign-up approved user=%s by=%s", user.id, actor.id)
    return user


def _referenced(user: User) -> bool:
    """Whether any row (a registration, a completion ...) refers to the person.

    Read from the schema's foreign keys to ``users``, so the features above this
    package (which own those rows) need not be named here.
    """
    checks = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            if fk.referred_table.name != User.__tablename__ or table.name == User.__tablename__:
                continue
            checks.append(
                exists(
                    select(1)
                    .select_from(table)
                    .where(*(el.parent == getattr(user, el.column.key) for el in fk.elements))
                )
            )
    if not checks:
        return False
    return bool(db.session.scalar(select(or_(*checks))))


def reject_signup(user: User, actor: User) -> bool:
    """Refuse a sign-up and tell the person; returns True if the account was deleted.

    A refused sign-up was never an account anyone used, so it is deleted: no
    personal data is kept without a purpose, and the person may sign up again
    with their work address. If anything already refers to it (a registration
    someone made for it), it is disabled instead so that history stays whole.
    """
    _require_pending(user)
    user_id, email, locale = user.id, user.email, user.locale or "ja"
    municipality = user.municipality
    referenced = _referenced(user)
    record_audit_across(
        "account.reject",
        municipality_id=municipality.id,
        subject_type="user",
        subject_id=user_id,
        subject_label=f"{user.name} <{email}>",
        before={"status": AccountStatus.PENDING_APPROVAL},
        after={"status": AccountStatus.DISABLED if referenced else "deleted"},
        actor=actor,
    )
    if referenced:
        user.status = AccountStatus.DISABLED
        user.revoke_sessions()
    else:
        db.session.delete(user)
    db.session.flush()
    queue_mail(
        email,
        "people_rejected",
        locale=locale,
        municipality_id=municipality.id,
        municipality=municipality,
    )
    log.info("sign-up rejected user=%s by=%s deleted=%s", user_id, actor.id, not referenced)
    return not referenced
