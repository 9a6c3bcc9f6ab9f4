"""People and org units: the writes of one municipality's coordinator (or a regional admin).

Every function works inside the current municipality (the tenant wall stamps
and checks each row), flushes, and leaves the commit to the caller. A refusal
is a :class:`DomainError`; the caller rolls back and nothing is kept.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from regional.errors import Conflict, DomainError, Forbidden
from regional.extensions import db
from regional.mail.services import queue_mail
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.registrations.models import Completion, Registration
from tenants import all_tenants
from tenants.models import OrgLevel, OrgUnit

log = logging.getLogger("regional.audit")

#: 部 > 課 > 係: a unit sits below a unit of a higher rank (a 部 may also sit in a 局).
LEVEL_RANK = {OrgLevel.DEPARTMENT: 0, OrgLevel.DIVISION: 1, OrgLevel.SECTION: 2}

PATH_SEPARATOR = "/"


def normalize_employee_number(value: str | None) -> str | None:
    """Full-width digits and letters typed in Japanese input become ASCII; blank is None."""
    if value is None:
        return None
    value = unicodedata.normalize("NFKC", value).strip()
    return value or None


def normalize_email(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().lower()


# -- uniqueness ------------------------------------------------------------


def employee_number_taken(number: str | None, except_id: int | None = None) -> bool:
    """Whether the current municipality already has this 職員番号 (scoped by the wall)."""
    if not number:
        return False
    stmt = select(User.id).where(User.employee_number == number)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return db.session.scalar(select(exists(stmt))) or False


def email_taken(email: str, except_id: int | None = None) -> bool:
    """Whether any account of the region signs in with this address.

    A deliberate cross-tenant existence check: e-mail is the region-wide
    sign-in name. It reveals only that the address is in use, never whose it
    is or where: the unavoidable price of signing in by e-mail.
    """
    stmt = select(User.id).where(User.email == email)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    with all_tenants(db.session):
        return db.session.scalar(select(exists(stmt))) or False


def _check_unique(email: str, number: str | None, except_id: int | None = None) -> None:
    if email_taken(email, except_id):
        raise Conflict("email_taken", _l("This e-mail address is already in use."))
    if employee_number_taken(number, except_id):
        raise Conflict(
            "employee_number_taken",
            _l("This employee number is already used in this municipality."),
        )


def _flush_or_conflict(user: User) -> None:
    """Flush in a savepoint so a lost race on a unique key becomes a clean 409."""
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
            raise Conflict("email_taken", _l("This e-mail address is already in use.")) from exc
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


def create_person(data: PersonData, actor: User) -> User:
    """Add an active account to the current municipality (it signs in after a password reset)."""
    email = normalize_email(data.email)
    number = normalize_employee_number(data.employee_number)
    role = data.role or Role.EMPLOYEE
    _check_role_change(None, role, actor)
    _check_org_unit(data.org_unit_id)
    _check_unique(email, number)
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
    _flush_or_conflict(user)
    log.info("person added user=%s by=%s role=%s", user.id, actor.id, role.value)
    return user


def update_person(user: User, data: PersonData, actor: User) -> User:
    """Change a person's details (and, for a regional administrator, employee/coordinator)."""
    check_may_manage(user, actor)
    email = normalize_email(data.email)
    number = normalize_employee_number(data.employee_number)
    _check_role_change(user, data.role, actor)
    _check_org_unit(data.org_unit_id)
    _check_unique(email, number, except_id=user.id)
    before_role = user.role
    user.email, user.name = email, data.name.strip()
    user.name_kana = (data.name_kana or "").strip() or None
    user.employee_number, user.job_category = number, data.job_category
    user.org_unit_id, user.system_duty = data.org_unit_id, data.system_duty
    if data.role is not None:
        user.role = data.role
    _flush_or_conflict(user)
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
        user.role = role
        db.session.flush()
    return user


def disable_person(user: User, actor: User) -> User:
    """Disable an account and end every session and token it holds."""
    check_may_manage(user, actor)
    if user.id == actor.id:
        raise DomainError("own_account", _l("You cannot disable your own account."))
    if user.status == AccountStatus.DISABLED:
        raise Conflict("already_disabled", _l("This account is already disabled."))
    user.status = AccountStatus.DISABLED
    user.revoke_sessions()
    db.session.flush()
    log.info("person disabled user=%s by=%s", user.id, actor.id)
    return user


def enable_person(user: User, actor: User) -> User:
    """Re-enable a disabled account (old sessions stay ended)."""
    check_may_manage(user, actor)
    if user.status != AccountStatus.DISABLED:
        raise Conflict("not_disabled", _l("This account is not disabled."))
    user.status = AccountStatus.ACTIVE
    db.session.flush()
    log.info("person re-enabled user=%s by=%s", user.id, actor.id)
    return user


def _require_pending(user: User) -> None:
    if user.status != AccountStatus.PENDING_APPROVAL:
        raise Conflict("not_pending", _l("This sign-up is not awaiting approval."))


def approve_signup(user: User, actor: User) -> User:
    """Let a person who signed up from an outside address in, and tell them by mail."""
    _require_pending(user)
    user.status = AccountStatus.ACTIVE
    db.session.flush()
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
    referenced = db.session.scalar(
        select(
            exists(select(Registration.id).where(Registration.employee_id == user.id))
            | exists(select(Completion.id).where(Completion.employee_id == user.id))
        )
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


# -- org units -------------------------------------------------------------


class UnitTree:
    """The current municipality's units loaded once: paths, depth and sub-units without N+1."""

    def __init__(self, units: list[OrgUnit] | None = None):
        self.units = {u.id: u for u in (units or db.session.scalars(select(OrgUnit)).all())}
        self.children: dict[int | None, list[OrgUnit]] = {}
        for u in self.units.values():
            parent = u.parent_id if u.parent_id in self.units else None
            self.children.setdefault(parent, []).append(u)
        for kids in self.children.values():
            kids.sort(key=lambda u: (LEVEL_RANK[u.level], u.name))

    def path(self, unit_id: int | None) -> str:
        parts, seen = [], set()
        while unit_id is not None and unit_id in self.units and unit_id not in seen:
            seen.add(unit_id)
            parts.append(self.units[unit_id].name)
            unit_id = self.units[unit_id].parent_id
        return PATH_SEPARATOR.join(reversed(parts))

    def descendants(self, unit_id: int) -> set[int]:
        found, todo = set(), [unit_id]
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child.id not in found:
                    found.add(child.id)
                    todo.append(child.id)
        return found

    def walk(self) -> list[tuple[OrgUnit, int]]:
        """Every unit with its depth, parents before children (the page's tree order)."""
        rows: list[tuple[OrgUnit, int]] = []
        seen: set[int] = set()

        def visit(parent: int | None, depth: int) -> None:
            for u in self.children.get(parent, []):
                if u.id not in seen:
                    seen.add(u.id)
                    rows.append((u, depth))
                    visit(u.id, depth + 1)

        visit(None, 0)
        return rows

    def choices(self, *, include_inactive: bool = False, exclude: set[int] | None = None):
        """(id, path) pairs in path order, for a select."""
        rows = [
            (u.id, self.path(u.id))
            for u in self.units.values()
            if (include_inactive or u.active) and u.id not in (exclude or set())
        ]
        return sorted(rows, key=lambda r: r[1])


@dataclass
class UnitData:
    name: str
    level: OrgLevel
    parent_id: int | None = None
    equivalent: bool = False


def _check_placement(data: UnitData, unit: OrgUnit | None) -> OrgUnit | None:
    parent = None
    if data.parent_id is not None:
        parent = db.session.scalar(select(OrgUnit).where(OrgUnit.id == data.parent_id))
        if parent is None:
            raise DomainError("unknown_org_unit", _l("The parent unit was not found."))
        if unit is not None and (
            parent.id == unit.id or parent.id in UnitTree().descendants(unit.id)
        ):
            raise DomainError(
                "unit_cycle", _l("A unit cannot be moved under itself or one of its sub-units.")
            )
        if not parent.active:
            raise DomainError("parent_inactive", _l("The parent unit is no longer in use."))
        rank, parent_rank = LEVEL_RANK[data.level], LEVEL_RANK[parent.level]
        if not (parent_rank < rank or parent_rank == rank == 0):
            raise DomainError(
                "level_order",
                _l("A unit must sit below a unit of a higher level (部 > 課 > 係)."),
            )
    if unit is not None:
        children = db.session.scalars(select(OrgUnit).where(OrgUnit.parent_id == unit.id)).all()
        rank = LEVEL_RANK[data.level]
        if any(
            not (rank < LEVEL_RANK[c.level] or rank == LEVEL_RANK[c.level] == 0) for c in children
        ):
            raise DomainError(
                "level_order",
                _l("Its sub-units would no longer sit below a unit of a higher level."),
            )
    sibling = select(OrgUnit.id).where(
        func.lower(OrgUnit.name) == data.name.strip().lower(),
        OrgUnit.parent_id.is_(None) if parent is None else OrgUnit.parent_id == parent.id,
    )
    if unit is not None:
        sibling = sibling.where(OrgUnit.id != unit.id)
    # The database's UNIQUE cannot see top-level names (NULL parents differ), so ask here.
    if db.session.scalar(select(exists(sibling))):
        raise Conflict("unit_name_taken", _l("A unit of this name already exists there."))
    return parent


def _flush_unit(unit: OrgUnit) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(unit)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("unit_name_taken", _l("A unit of this name already exists there.")) from exc


def create_unit(data: UnitData, actor: User) -> OrgUnit:
    """Add a 部, 課 or 係 (or an equivalent) to the current municipality."""
    parent = _check_placement(data, None)
    unit = OrgUnit(
        name=data.name.strip(),
        level=data.level,
        parent_id=parent.id if parent else None,
        equivalent=data.equivalent,
        active=True,
    )
    _flush_unit(unit)
    log.info("org unit added unit=%s by=%s", unit.id, actor.id)
    return unit


def update_unit(unit: OrgUnit, data: UnitData, actor: User) -> OrgUnit:
    """Rename, re-level or move a unit within its municipality."""
    parent = _check_placement(data, unit)
    unit.name, unit.level, unit.equivalent = data.name.strip(), data.level, data.equivalent
    unit.parent_id = parent.id if parent else None
    _flush_unit(unit)
    log.info("org unit changed unit=%s by=%s", unit.id, actor.id)
    return unit


def deactivate_unit(unit: OrgUnit, actor: User) -> OrgUnit:
    """Retire a unit after a reorganisation; its people keep it until they are moved."""
    if not unit.active:
        raise Conflict("unit_inactive", _l("This unit is already out of use."))
    active_child = select(OrgUnit.id).where(OrgUnit.parent_id == unit.id, OrgUnit.active.is_(True))
    if db.session.scalar(select(exists(active_child))):
        raise DomainError(
            "unit_has_children", _l("First take the sub-units of this unit out of use.")
        )
    unit.active = False
    db.session.flush()
    log.info("org unit deactivated unit=%s by=%s", unit.id, actor.id)
    return unit


def reactivate_unit(unit: OrgUnit, actor: User) -> OrgUnit:
    """Bring a retired unit back into use (its parent must be in use)."""
    if unit.active:
        raise Conflict("unit_active", _l("This unit is already in use."))
    if unit.parent is not None and not unit.parent.active:
        raise DomainError("parent_inactive", _l("The parent unit is no longer in use."))
    unit.active = True
    db.session.flush()
    log.info("org unit reactivated unit=%s by=%s", unit.id, actor.id)
    return unit


def find_unit_by_path(path: str, *, active_only: bool = True) -> OrgUnit | None:
    """The current municipality's unit named by a path such as ``総務局/デジタル推進課/企画係``."""
    names = [unicodedata.normalize("NFKC", p).strip() for p in path.split(PATH_SEPARATOR)]
    names = [n for n in names if n]
    if not names:
        return None
    units = db.session.scalars(select(OrgUnit)).all()
    by_parent: dict[int | None, dict[str, OrgUnit]] = {}
    for u in units:
        if active_only and not u.active:
            continue
        by_parent.setdefault(u.parent_id, {})[unicodedata.normalize("NFKC", u.name)] = u
    parent_id: int | None = None
    found = None
    for name in names:
        found = by_parent.get(parent_id, {}).get(name)
        if found is None:
            return None
        parent_id = found.id
    return found
