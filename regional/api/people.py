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

from regional.api import bp
from regional.api.common import BadRequest, field, json_body, paging, require_role
from regional.errors import DomainError
from regional.extensions import db
from regional.people.models import AccountStatus, JobCategory, User
from regional.people.people import PersonData, create_person
from regional.people.units import UnitTree, find_unit_by_path
from regional.tenancy import enter_municipality


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


@bp.get("/municipalities/<code>/employees")
@require_role("coordinator")
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
@require_role("coordinator")
def add_employee(code: str):
    enter_municipality(code)
    data = json_body()
    email = field(data, "email", str, max_len=254)
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise BadRequest(
            "invalid_field", _("The field email is not a valid e-mail address."), field="email"
        ) from exc
    name = field(data, "name", str, max_len=100)
    number = field(data, "employee_number", str, max_len=20)
    unit_path = field(data, "org_unit", str, required=False, max_len=500) or None
    job_category = _enum_arg(data, "job_category", JobCategory) or JobCategory.ADMINISTRATIVE
    name_kana = field(data, "name_kana", str, required=False, max_len=100)
    system_duty = field(data, "system_duty", bool, required=False) or False
    unit_id = None
    if unit_path:
        unit = find_unit_by_path(unit_path)
        if unit is None:
            raise DomainError(
                "unknown_org_unit",
                _("No organisation unit %(path)s in this municipality.", path=unit_path),
                field="org_unit",
            )
        unit_id = unit.id
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
    return employee_json(user), 201
