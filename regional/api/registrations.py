"""API: registrations (see docs/api.md).

* ``POST /sessions/<id>/registrations``: an employee registers themselves
  (``{}``); a coordinator registers an employee of their own municipality and a
  regional administrator anyone (``{"employee_id"}``). 201 with the
  registration; 409 ``already_registered`` (also for a retry after a lost
  answer); 422 ``registration_closed``, ``not_eligible``, ``session_cancelled``,
  ``overlapping_session``, and ``already_completed`` when an employee registers for
  a programme they completed without ``{"reason"}`` (at most 200 characters); 404 for an unknown session, one the employee's
  municipality cannot attend, or another municipality's employee.
* ``DELETE /registrations/<id>`` cancels and answers **200 with the
  registration** (status ``cancelled``) rather than 204, so a script sees the
  final state; ``GET /registrations/<id>`` shows one.
* ``POST /registrations/<id>/approve`` and ``/decline`` (an extension).
* ``POST /sessions/<id>/attendance``: regional administrators (and, as an
  extension, the coordinator of the member hosting its own session).
* ``GET /municipalities/<code>/registrations`` with ``session_id``,
  ``status``, ``fiscal_year``, ``page`` and ``per_page``.

Another municipality's registration or employee is a 404, never a 403.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from regional import attendance
from regional.api import bp
from regional.api.common import (
    BadRequest,
    field,
    fiscal_year_arg,
    int_arg,
    iso,
    json_body,
    paging,
    require_login,
    require_role,
)
from regional.errors import Conflict, DomainError, NotFound
from regional.extensions import db
from regional.people.models import User
from regional.registrations import actions, cancellation
from regional.registrations.access import load_registration
from regional.roles import is_coordinator
from regional.seats import waitlist
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.access import visible_session
from regional.tenancy import enter_municipality, reads_first
from tenants import all_tenants
from tenants.models import Municipality
from tenants.scoping import acting_as


def registration_json(reg: Registration, position: int | None = None) -> dict:
    """One registration as the API shows it (the contract's fields first)."""
    return {
        "id": reg.id,
        "session_id": reg.session_id,
        "employee_id": reg.employee_id,
        # Municipalities are in the identity map already: no query for the code.
        "municipality_code": db.session.get(Municipality, reg.municipality_id).code,
        "status": reg.status.value,
        "waitlist_position": position,
        "skip_note": reg.skip_note,
        "approved": reg.approved_at is not None,
        "requested_at": iso(reg.requested_at),
        "cancelled_at": iso(reg.cancelled_at),
        # Why the platform cancelled it: "left" (the person's account was disabled), else null.
        "cancel_reason": reg.cancel_reason.value if reg.cancel_reason else None,
        "attended": reg.attended,
        # 受講済み: the person's latest completion of the programme when they registered.
        "completed_before": reg.completed_before.isoformat() if reg.completed_before else None,
        "repeat_reason": reg.repeat_reason,
    }


def _listing_json(reg: Registration, position: int | None) -> dict:
    employee, ts = reg.employee, reg.session
    return {
        **registration_json(reg, position),
        "employee": {
            "name": employee.name,
            "email": employee.email,
            "employee_number": employee.employee_number,
        },
        "session": {
            "program_code": ts.program.code,
            "starts_at": iso(ts.starts_at),
            "status": ts.status.value,
        },
    }


def _commit() -> None:
    """Commit; the unique key is the last word on a duplicate that slipped past the lock."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("already_registered", _("Already registered for this session.")) from exc


def _employee_for(employee_id: int | None) -> User:
    """Whom the caller registers (the act then happens inside that person's municipality)."""
    if employee_id is None or employee_id == current_user.id:
        return current_user._get_current_object()  # the account itself, not the proxy
    if not current_user.is_coordinator:
        raise DomainError("forbidden", _("Employees can register only themselves."), status=403)
    if current_user.is_regional_admin:
        with all_tenants(db.session):
            employee = db.session.scalar(select(User).where(User.id == employee_id))
    else:
        employee = db.session.scalar(select(User).where(User.id == employee_id))
    if employee is None:
        raise NotFound("employee_not_found", _("The employee was not found."))
    return employee


@bp.post("/sessions/<int:session_id>/registrations")
@reads_first
@require_login
def create_registration(session_id: int):
    # No body at all is the same as ``{}``: register myself.
    data = json_body() if request.get_data() else {}
    employee = _employee_for(field(data, "employee_id", int, required=False))
    # Why a completed programme is taken again (required then, when registering oneself).
    reason = field(data, "reason", str, required=False, max_len=actions.REPEAT_REASON_MAX)
    with acting_as(db.session, employee.municipality_id):
        reg = actions.register(
            session_id, employee, current_user._get_current_object(), reason or None
        )
        position = waitlist.waitlist_position(reg)
        body = registration_json(reg, position)
        _commit()
    return body, 201


def _registration(reg_id: int) -> Registration:
    reg = load_registration(reg_id)
    if reg is None:
        raise NotFound("registration_not_found", _("The registration was not found."))
    return reg


@bp.get("/registrations/<int:reg_id>")
@require_login
def get_registration(reg_id: int):
    reg = _registration(reg_id)
    with acting_as(db.session, reg.municipality_id):
        return registration_json(reg, waitlist.waitlist_position(reg))


@bp.delete("/registrations/<int:reg_id>")
@reads_first
@require_login
def cancel_registration(reg_id: int):
    reg = _registration(reg_id)
    with acting_as(db.session, reg.municipality_id):
        cancellation.cancel(reg, current_user)
        body = registration_json(reg)
        db.session.commit()
    return body


@bp.post("/registrations/<int:reg_id>/approve")
@require_role(is_coordinator)
def approve_registration(reg_id: int):
    reg = _registration(reg_id)
    with acting_as(db.session, reg.municipality_id):
        actions.approve(reg, current_user)
        body = registration_json(reg, waitlist.waitlist_position(reg))
        db.session.commit()
    return body


@bp.post("/registrations/<int:reg_id>/decline")
@require_role(is_coordinator)
def decline_registration(reg_id: int):
    reg = _registration(reg_id)
    with acting_as(db.session, reg.municipality_id):
        actions.decline(reg, current_user)
        body = registration_json(reg)
        db.session.commit()
    return body


def _attendance_marks(items: list) -> list[tuple[int, bool]]:
    marks = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(
                "invalid_item",
                _("Item %(n)d must be an object with registration_id and attended.", n=index),
                index=index,
            )
        try:
            rid = field(item, "registration_id", int)
            present = field(item, "attended", bool)
        except BadRequest as exc:
            exc.details["index"] = index
            raise
        marks.append((rid, present))
    if not marks:
        raise BadRequest("empty", _("Send at least one attendance mark."))
    return marks


@bp.post("/sessions/<int:session_id>/attendance")
@require_role(is_coordinator)
def record_attendance(session_id: int):
    ts = visible_session(session_id, current_user)
    if ts is None:
        raise NotFound("session_not_found", _("The session was not found."))
    if not attendance.may_record_attendance(ts, current_user):
        raise DomainError(
            "forbidden",
            _("Attendance is recorded by training coordinators and regional administrators."),
            status=403,
        )
    marks = _attendance_marks(json_body(list))
    attended, absent = attendance.record_attendance(session_id, marks, current_user)
    db.session.commit()
    return {"session_id": session_id, "attended": attended, "absent": absent}


@bp.get("/municipalities/<code>/registrations")
@require_role(is_coordinator)
def municipality_registrations(code: str):
    enter_municipality(code)
    page, per_page = paging()
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in RegistrationStatus}:
        allowed = ", ".join(s.value for s in RegistrationStatus)
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s must be one of: %(allowed)s.", name="status", allowed=allowed),
            field="status",
        )
    stmt = Registration.listing(
        session_id=int_arg("session_id"),
        status=RegistrationStatus(status) if status else None,
        fiscal_year=fiscal_year_arg(),
    )
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    positions = waitlist.waitlist_positions(result.items)
    return {
        "items": [_listing_json(r, positions.get(r.id)) for r in result.items],
        "page": page,
        "per_page": per_page,
        "total": result.total,
    }
