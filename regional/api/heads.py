"""API: heads of unit (所属長) and their approval (see docs/api.md).

* ``GET /municipalities/<code>/units``, ``PUT .../units/<id>/head`` and
  ``PUT .../settings``: that member's coordinators and regional administrators (the role
  first: an employee gets 403 whatever the code; another member's code is 404).
* ``GET /me/approvals``: a head of unit or deputy (anyone else 403), in their own member.
* ``POST /registrations/<id>/head-approve`` and ``/head-decline``: the applicant's head or
  deputy; anyone who heads nothing gets 403, a head another registration's 404.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.api import bp
from regional.api.common import field, iso, json_body, require_login, require_role
from regional.api.registrations import registration_json
from regional.errors import DomainError, NotFound
from regional.extensions import db
from regional.heads import services
from regional.heads.services import REASON_MAX
from regional.i18n import locale_code
from regional.roles import is_coordinator
from regional.seats import waitlist_position
from regional.tenancy import enter_municipality
from tenants.models import OrgUnit
from tenants.scoping import acting_as


def _unit_json(unit: OrgUnit, head) -> dict:
    return {
        "id": unit.id,
        "path": unit.path(),
        "level": unit.level.value,
        "active": unit.active,
        "head_id": head.head_id if head else None,
        "deputy_id": head.deputy_id if head else None,
    }


@bp.get("/municipalities/<code>/units")
@require_role(is_coordinator)
def units(code: str):
    enter_municipality(code)
    heads = services.heads_by_unit()
    rows = db.session.scalars(select(OrgUnit).order_by(OrgUnit.id)).all()
    return {"items": [_unit_json(u, heads.get(u.id)) for u in rows]}


@bp.put("/municipalities/<code>/units/<int:unit_id>/head")
@require_role(is_coordinator)
def set_unit_head(code: str, unit_id: int):
    enter_municipality(code)
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
    if unit is None:
        raise NotFound("unit_not_found", _("The organisation unit was not found."))
    data = json_body()
    if "employee_id" not in data:
        raise DomainError(
            "missing_field",
            _("The field %(name)s is required.", name="employee_id"),
            status=400,
            field="employee_id",
        )
    head_id = field(data, "employee_id", int, required=False)
    deputy_id = field(data, "deputy_id", int, required=False)
    head = services.set_head(unit, head_id, deputy_id, current_user)
    body = _unit_json(unit, head if head_id is not None else None)
    db.session.commit()
    return body


@bp.put("/municipalities/<code>/settings")
@require_role(is_coordinator)
def member_settings(code: str):
    enter_municipality(code)
    data = json_body()
    on = field(data, "head_approval", bool)
    services.set_head_approval(on, current_user)
    db.session.commit()
    return {"head_approval": on}


@bp.get("/me/approvals")
@require_login
def my_approvals():
    with acting_as(db.session, current_user.municipality_id):
        if not services.is_head(current_user):
            raise DomainError("forbidden", _("You are not allowed to do this."), status=403)
        regs = db.session.scalars(services.awaiting(current_user)).all()
        return {
            "items": [
                {
                    "registration_id": r.id,
                    "employee_id": r.employee_id,
                    "name": r.employee.name,
                    "org_unit": r.employee.org_unit.path() if r.employee.org_unit else None,
                    "session_id": r.session_id,
                    "program_title": r.session.program.title(locale_code()),
                    "starts_at": iso(r.session.starts_at),
                    "status": r.status.value,
                }
                for r in regs
            ]
        }


def _decidable(reg_id: int):
    if not services.is_head(current_user):
        raise DomainError("forbidden", _("You are not allowed to do this."), status=403)
    reg = services.decidable(reg_id, current_user)
    if reg is None:
        raise NotFound("registration_not_found", _("The registration was not found."))
    return reg


@bp.post("/registrations/<int:reg_id>/head-approve")
@require_login
def head_approve(reg_id: int):
    with acting_as(db.session, current_user.municipality_id):
        reg = _decidable(reg_id)
        services.head_approve(reg, current_user)
        body = registration_json(reg, waitlist_position(reg))
        db.session.commit()
    return body


@bp.post("/registrations/<int:reg_id>/head-decline")
@require_login
def head_decline(reg_id: int):
    with acting_as(db.session, current_user.municipality_id):
        reg = _decidable(reg_id)
        data = json_body()
        reason = field(data, "reason", str, max_len=REASON_MAX, multiline=True)
        services.head_decline(reg, current_user, reason)
        body = registration_json(reg)
        db.session.commit()
    return body
