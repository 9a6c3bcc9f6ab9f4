"""API: qualifications and on-the-job training (see docs/api.md).

* ``GET|POST /me/qualifications``: the signed-in person's passes; a new one is
  201 with ``status: "unverified"``. ``exam`` is an IPA code (``FE``) or
  ``other`` with a ``name``.
* ``POST /qualifications/<id>/verify`` and (an extension) ``/return`` with
  ``{"reason"}``: their coordinator or a regional administrator; nobody checks
  their own record (403 ``own_record``).
* ``GET /municipalities/<code>/qualifications``: filters ``exam``, ``status``.
* ``GET|POST /me/ojt`` (201 ``status: "unconfirmed"``), ``POST /ojt/<id>/confirm``.

Another municipality's record is a 404, never a 403.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import BadRequest, iso, json_body, paging, require_login, require_role
from regional.errors import NotFound
from regional.extensions import db
from regional.growth import files, ojt, qualifications
from regional.growth.access import load_personal
from regional.growth.exams import exam_by_code, exam_codes
from regional.growth.models import OjtRecord, Qualification, QualificationStatus
from regional.roles import is_coordinator
from regional.tenancy import enter_municipality, member_of, own_records, record_member
from tenants.models import Municipality


def qualification_json(q: Qualification) -> dict:
    exam = exam_by_code(q.exam_code)
    return {
        "id": q.id,
        "employee_id": q.employee_id,
        "municipality_code": db.session.get(Municipality, q.municipality_id).code,
        "exam": q.exam_code,
        "level": exam.level if exam else None,
        "name": exam.name_ja if exam else q.other_name,
        "passed_on": q.passed_on.isoformat(),
        "certificate_number": q.certificate_number,
        "status": q.status.value,
        "return_reason": q.return_reason,
        "has_scan": q.scan_name is not None,
        "recorded_at": iso(q.recorded_at),
        "checked_at": iso(q.checked_at),
    }


def ojt_json(r: OjtRecord) -> dict:
    return {
        "id": r.id,
        "employee_id": r.employee_id,
        "municipality_code": db.session.get(Municipality, r.municipality_id).code,
        "title": r.title,
        "division": r.division,
        "started_on": r.started_on.isoformat(),
        "ended_on": r.ended_on.isoformat() if r.ended_on else None,
        "skill_areas": list(r.skill_areas or []),
        "supported_by": r.supported_by,
        "outcome": r.outcome,
        "status": r.status.value,
        "recorded_at": iso(r.recorded_at),
        "confirmed_at": iso(r.confirmed_at),
    }


@bp.get("/me/qualifications")
@require_login
@own_records
def my_qualifications():
    rows = db.session.scalars(Qualification.of_employee(current_user.id))
    return {"items": [qualification_json(q) for q in rows]}


@bp.post("/me/qualifications")
@require_login
@own_records
def record_my_qualification():
    # JSON, or multipart/form-data with the same fields and an optional file ``scan``.
    scan = request.files.get("scan") if request.mimetype == "multipart/form-data" else None
    data = request.form.to_dict() if request.mimetype == "multipart/form-data" else json_body()
    q = qualifications.record_pass(
        current_user,
        qualifications.PassData(
            exam=data.get("exam"),
            passed_on=data.get("passed_on"),
            certificate_number=data.get("certificate_number"),
            name=data.get("name"),
        ),
        current_user,
    )
    if scan is not None and scan.filename:
        qualifications.attach_scan(q, scan.read(files.max_bytes() + 1), scan.filename)
    body = qualification_json(q)
    db.session.commit()
    return body, 201


def _qualification(qid: int) -> Qualification:
    q = load_personal(Qualification, qid)
    if q is None:
        raise NotFound("qualification_not_found", _("The qualification was not found."))
    return q


@bp.post("/qualifications/<int:qid>/verify")
@require_role(is_coordinator)
@record_member(member_of(Qualification, "qid"))
def verify_qualification(qid: int):
    q = qualifications.verify(_qualification(qid), current_user)
    body = qualification_json(q)
    db.session.commit()
    return body


@bp.post("/qualifications/<int:qid>/return")
@require_role(is_coordinator)
@record_member(member_of(Qualification, "qid"))
def return_qualification(qid: int):
    data = json_body()
    q = qualifications.return_to_person(_qualification(qid), data.get("reason"), current_user)
    body = qualification_json(q)
    db.session.commit()
    return body


def _choice(name: str, allowed: list[str]) -> str | None:
    value = request.args.get(name) or None
    if value is not None and value not in allowed:
        raise BadRequest(
            "invalid_field",
            _(
                "The field %(name)s must be one of: %(allowed)s.",
                name=name,
                allowed=", ".join(allowed),
            ),
            field=name,
        )
    return value


@bp.get("/municipalities/<code>/qualifications")
@require_role(is_coordinator)
def municipality_qualifications(code: str):
    enter_municipality(code)
    page, per_page = paging()
    exam = _choice("exam", exam_codes())
    status = _choice("status", [s.value for s in QualificationStatus])
    stmt = Qualification.listing(exam=exam, status=QualificationStatus(status) if status else None)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    items = []
    for q in result.items:
        item = qualification_json(q)
        item["employee"] = {
            "name": q.employee.name,
            "email": q.employee.email,
            "employee_number": q.employee.employee_number,
        }
        items.append(item)
    return {"items": items, "page": page, "per_page": per_page, "total": result.total}


@bp.get("/me/ojt")
@require_login
@own_records
def my_ojt():
    return {
        "items": [ojt_json(r) for r in db.session.scalars(OjtRecord.of_employee(current_user.id))]
    }


@bp.post("/me/ojt")
@require_login
@own_records
def record_my_ojt():
    data = json_body()
    record = ojt.record_ojt(
        current_user,
        ojt.OjtData(
            title=data.get("title"),
            started_on=data.get("started_on"),
            ended_on=data.get("ended_on"),
            skill_areas=data.get("skill_areas", []),
            supported_by=data.get("supported_by", ""),
            division=data.get("division", ""),
            outcome=data.get("outcome", ""),
        ),
        current_user,
    )
    body = ojt_json(record)
    db.session.commit()
    return body, 201


@bp.post("/ojt/<int:oid>/confirm")
@require_role(is_coordinator)
@record_member(member_of(OjtRecord, "oid"))
def confirm_ojt(oid: int):
    record = load_personal(OjtRecord, oid)
    if record is None:
        raise NotFound("ojt_not_found", _("The record was not found."))
    ojt.confirm(record, current_user)
    body = ojt_json(record)
    db.session.commit()
    return body
