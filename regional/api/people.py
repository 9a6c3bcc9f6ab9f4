"""API: a municipality's employees (see docs/api.md).

``/municipalities/<code>/employees`` belongs to that municipality's coordinators
and to regional administrators. The role is checked first (an employee gets
403 whatever the code), then the code is entered: another member's code and
an unknown code are both 404, so nothing about other members is revealed.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.api import bp
from regional.api.common import (
    BadRequest,
    claim_or_412,
    field,
    if_match,
    json_body,
    paging,
    require_role,
)
from regional.errors import DomainError, NotFound
from regional.extensions import db
from regional.people.models import AccountStatus, JobCategory, User
from regional.people.people import PersonData, create_person, update_person
from regional.people.units import UnitTree, find_unit_by_path
from regional.roles import is_coordinator
from regional.tenancy import enter_municipality
from regional.versions import etag

#: Names an employee in their ETags.
KIND = "employee"


def employee_json(user: User, tree: UnitTree | None = None) -> dict:
    """One employee as the API shows it; ``org_unit`` is the unit's path (局/課/係)."""
    if tree is not None:
        unit_path = tree.path(user.org_unit_id) or None
    else:
        unit_path = user.org_unit.path() if user.org_unit else None
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "employee_number": user.employee_number,
        "job_category": user.job_category.value,
        "org_unit": unit_path,
        "status": user.status.value,
        "roles": user.roles,
        # The value to send in If-Match to change it (the GET of one employee sends it too).
        "etag": etag(KIND, user),
    }


def _enum_arg(data: dict, name: str, enum_cls: type, *, required: bool = False):
    raw = field(data, name, str, required=required, max_len=40)
    if raw is None:
        return None
    try:
        return enum_cls(raw)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum_cls)
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s must be one of: %(allowed)s.", name=name, allowed=allowed),
            field=name,
        ) from exc


def _email(raw: str) -> str:
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise BadRequest(
            "invalid_field", _("The field email is not a valid e-mail address."), field="email"
        ) from exc


def _unit_id(path: str | None) -> int | None:
    """The id of the unit at ``path`` (局/課/係) of this municipality; None for no path."""
    if not path:
        return None
    unit = find_unit_by_path(path)
    if unit is None:
        raise DomainError(
            "unknown_org_unit",
            _("No organisation unit %(path)s in this municipality.", path=path),
            field="org_unit",
        )
    return unit.id


@bp.get("/municipalities/<code>/employees")
@require_role(is_coordinator)
def employees(code: str):
    enter_municipality(code)
    args = request.args.to_dict()
    page, per_page = paging()
    status = _enum_arg(args, "status", AccountStatus)
    q = field(args, "q", str, required=False, max_len=100) or None
    stmt = User.search(q, status=status)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    tree = UnitTree()
    return {
        "items": [employee_json(u, tree) for u in result.items],
        "page": page,
        "per_page": per_page,
        "total": result.total,
    }


@bp.post("/municipalities/<code>/employees")
@require_role(is_coordinator)
def add_employee(code: str):
    enter_municipality(code)
    data = json_body()
    email = _email(field(data, "email", str, max_len=254))
    name = field(data, "name", str, max_len=100)
    number = field(data, "employee_number", str, max_len=20)
    unit_path = field(data, "org_unit", str, required=False, max_len=500) or None
    job_category = _enum_arg(data, "job_category", JobCategory) or JobCategory.ADMINISTRATIVE
    name_kana = field(data, "name_kana", str, required=False, max_len=100)
    system_duty = field(data, "system_duty", bool, required=False) or False
    unit_id = _unit_id(unit_path)
    # An address outside the member's domains and one in use anywhere get the same 422
    # email_not_allowed: the API cannot be asked whether an address has an account.
    user = create_person(
        PersonData(
            email=email,
            name=name,
            name_kana=name_kana,
            employee_number=number,
            job_category=job_category,
            org_unit_id=unit_id,
            system_duty=system_duty,
        ),
        current_user,
    )
    db.session.commit()
    return employee_json(user), 201, {"ETag": etag(KIND, user)}


def _employee_or_404(user_id: int) -> User:
    """One person of the entered municipality (another member's is not found)."""
    user = db.session.scalar(select(User).where(User.id == user_id))
    if user is None:
        raise NotFound("employee_not_found", _("The employee was not found."))
    return user


@bp.get("/municipalities/<code>/employees/<int:user_id>")
@require_role(is_coordinator)
def employee(code: str, user_id: int):
    """One employee, with the ETag a change of them must send in If-Match."""
    enter_municipality(code)
    user = _employee_or_404(user_id)
    return employee_json(user), 200, {"ETag": etag(KIND, user)}


#: Fields a PATCH may change (others, such as ``status`` and ``roles``, have their own steps).
EDITABLE = (
    "email",
    "name",
    "name_kana",
    "employee_number",
    "job_category",
    "org_unit",
    "system_duty",
)


def _patched(user: User, data: dict) -> PersonData:
    """The person's details with the fields the body gives changed (checked as for adding)."""
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s cannot be changed here.", name=unknown[0]),
            field=unknown[0],
        )
    email = user.email
    if "email" in data:
        email = _email(field(data, "email", str, max_len=254))
    unit_id = user.org_unit_id
    if "org_unit" in data:
        path = field(data, "org_unit", str, required=False, max_len=500) or None
        unit_id = _unit_id(path)
    number = user.employee_number
    if "employee_number" in data:
        number = field(data, "employee_number", str, required=False, max_len=20) or None
    kana = user.name_kana
    if "name_kana" in data:
        kana = field(data, "name_kana", str, required=False, max_len=100)
    return PersonData(
        email=email,
        name=field(data, "name", str, max_len=100) if "name" in data else user.name,
        name_kana=kana,
        employee_number=number,
        job_category=_enum_arg(data, "job_category", JobCategory, required=True)
        if "job_category" in data
        else user.job_category,
        org_unit_id=unit_id,
        system_duty=field(data, "system_duty", bool) if "system_duty" in data else user.system_duty,
    )


@bp.patch("/municipalities/<code>/employees/<int:user_id>")
@require_role(is_coordinator)
def update_employee(code: str, user_id: int):
    """Change the fields given; with If-Match only the version the client read (412 else)."""
    enter_municipality(code)
    user = _employee_or_404(user_id)
    condition = if_match()
    changes = _patched(user, json_body())
    claim_or_412(KIND, user, condition, lambda: employee_json(user))
    update_person(user, changes, current_user)
    db.session.commit()
    return employee_json(user), 200, {"ETag": etag(KIND, user)}
