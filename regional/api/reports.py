"""API: the participant's report (受講報告) and its acknowledgement (確認), see docs/api.md.

* ``GET /me/reports``: the reports the signed-in person has still to write;
* ``POST /registrations/<id>/report`` with ``{"text"}``: the participant writes it; 201; 409
  ``report_exists``; 422 ``report_not_asked``, ``not_attended``, ``body_required``,
  ``body_too_long`` or ``invalid_body`` (``field: "text"``); another person's registration
  is a 404;
* ``GET /me/report-acknowledgements``: the reports waiting for a head of unit, a deputy or a
  coordinator (whom the page serves); anyone else 403;
* ``POST /reports/<id>/acknowledge``: whoever the page lets acknowledge it; anyone who
  acknowledges nobody's reports 403, a report that is not theirs to acknowledge 404;
* ``GET /municipalities/<code>/reports?fiscal_year=YYYY&status=...``: that member's
  coordinators and regional administrators: who has not written, who is not acknowledged.

The rules are the report pages' own (:mod:`regional.reports.services`).
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import (
    BadRequest,
    fiscal_year_arg,
    iso,
    json_body,
    paging,
    require_login,
    require_role,
)
from regional.errors import DomainError, NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.reports import services
from regional.reports.models import ParticipantReport
from regional.roles import is_coordinator
from regional.seats.models import Registration
from regional.tenancy import enter_municipality
from tenants.scoping import acting_as


def _about(reg: Registration, locale: str) -> dict:
    """The person and the session a report is about."""
    person = reg.employee
    return {
        "registration_id": reg.id,
        "employee_id": reg.employee_id,
        "name": person.name,
        "org_unit": person.org_unit.path() if person.org_unit else None,
        "session_id": reg.session_id,
        "program_id": reg.session.program_id,
        "program_title": reg.session.program.title(locale),
        "starts_at": iso(reg.session.starts_at),
    }


def report_json(report: ParticipantReport, locale: str) -> dict:
    """A written report as its writer and its acknowledger see it."""
    return {
        "id": report.id,
        **_about(report.registration, locale),
        "text": report.body,
        "status": services.state_of(report),
        "written_at": iso(report.written_at),
        "updated_at": iso(report.updated_at),
        "acknowledged_at": iso(report.acknowledged_at),
    }


@bp.get("/me/reports")
@require_login
def my_reports():
    locale = locale_code()
    with acting_as(db.session, current_user.municipality_id):
        return {
            "items": [
                {
                    **_about(reg, locale),
                    "template": reg.session.program.report_template or "",
                }
                for reg in services.to_write(current_user)
            ]
        }


def _text(data: dict) -> object:
    """The body's ``text``: a string (its content is the service's to judge), else 400."""
    raw = data.get("text")
    if raw is not None and not isinstance(raw, str):
        raise BadRequest(
            "invalid_field", _("The field %(name)s has the wrong type.", name="text"), field="text"
        )
    return raw


@bp.post("/registrations/<int:reg_id>/report")
@require_login
def write_report(reg_id: int):
    with acting_as(db.session, current_user.municipality_id):
        reg = services.own_registration(reg_id, current_user)
        if reg is None:
            raise NotFound("registration_not_found", _("The registration was not found."))
        raw = _text(json_body())
        try:
            report = services.write_first(reg, current_user, raw)
        except DomainError as exc:
            if exc.details.get("field") == "body":
                exc.details["field"] = "text"  # the page's field is the API's text
            raise
        body = report_json(report, locale_code())
        db.session.commit()
    return body, 201


@bp.get("/me/report-acknowledgements")
@require_login
def my_report_acknowledgements():
    locale = locale_code()
    with acting_as(db.session, current_user.municipality_id):
        if not services.acknowledges(current_user):
            raise DomainError("forbidden", _("You are not allowed to do this."), status=403)
        return {"items": [report_json(r, locale) for r in services.to_acknowledge(current_user)]}


@bp.post("/reports/<int:report_id>/acknowledge")
@require_login
def acknowledge_report(report_id: int):
    with acting_as(db.session, current_user.municipality_id):
        if not services.acknowledges(current_user):
            raise DomainError("forbidden", _("You are not allowed to do this."), status=403)
        report = services.acknowledgeable(report_id, current_user)
        if report is None:
            raise NotFound("report_not_found", _("The report was not found."))
        services.acknowledge(report, current_user)
        body = report_json(report, locale_code())
        db.session.commit()
    return body


def _status_arg() -> str | None:
    raw = request.args.get("status") or None
    if raw is not None and raw not in services.STATES:
        raise BadRequest(
            "invalid_filter",
            _("The filter %(name)s cannot be read.", name="status"),
            field="status",
        )
    return raw


@bp.get("/municipalities/<code>/reports")
@require_role(is_coordinator)
def member_reports(code: str):
    """Per participant who attended a programme asking for a report: its state."""
    municipality = enter_municipality(code)
    fy = fiscal_year_arg() or fiscal_year_of(now_utc())
    status = _status_arg()
    page, per_page = paging()
    locale = locale_code()
    rows = [
        {
            **_about(reg, locale),
            "report_id": report.id if report else None,
            "status": services.state_of(report),
            "written_at": iso(report.written_at) if report else None,
            "acknowledged_at": iso(report.acknowledged_at) if report else None,
        }
        for group in services.overview(fy)
        for reg, report in group.rows
    ]
    if status is not None:
        rows = [r for r in rows if r["status"] == status]
    start = (page - 1) * per_page
    return {
        "municipality_code": municipality.code,
        "fiscal_year": fy,
        "items": rows[start : start + per_page],
        "page": page,
        "per_page": per_page,
        "total": len(rows),
    }
