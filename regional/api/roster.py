"""API: a municipality's staff roster import (see docs/api.md, the roster row).

``POST /municipalities/<code>/roster`` with a multipart ``file``: a preview
``{created, updated, deactivated, errors}`` (counts, and every bad row with its
line and column), or with ``?commit=true`` the import itself, all or nothing
(422 ``roster_invalid`` with the same body when any row is bad). Each person
deactivated is listed with the future registrations it cancels.
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import BadRequest, require_role
from regional.extensions import db
from regional.people import roster_import
from regional.people.roster import RosterPlan
from regional.people.roster_import import ImportResult
from regional.tenancy import enter_municipality

_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def _flag(name: str) -> bool:
    raw = (request.args.get(name) or request.form.get(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise BadRequest(
        "invalid_field", _("The field %(name)s must be true or false.", name=name), field=name
    )


def _body(plan: RosterPlan, committed: bool, result: ImportResult | None = None) -> dict:
    """The answer; after an import the registrations cancelled are those it did cancel."""
    counts = plan.counts()
    cancelled = {x.user_id: x.registrations for x in plan.deactivated}
    if result is not None:
        cancelled = {x.user_id: 0 for x in plan.deactivated} | result.cancelled_per_person()
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "deactivated": counts["deactivated"],
        "moved": counts["moved"],
        "unchanged": counts["unchanged"],
        "units_created": [u.path_text for u in plan.units],
        "errors": [e.as_dict() for e in plan.errors],
        "committed": committed,
        # Added after v1 (extensions, see docs/api.md): what each deactivation cancels.
        "registrations_cancelled": sum(cancelled.values()),
        "deactivated_people": [
            {
                "id": x.user_id,
                "employee_number": x.number,
                "name": x.name,
                "org_unit": x.unit or None,
                "registrations_cancelled": cancelled.get(x.user_id, 0),
            }
            for x in plan.deactivated
        ],
    }


@bp.post("/municipalities/<code>/roster")
@require_role("coordinator")
def roster(code: str):
    municipality = enter_municipality(code)
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("missing_field", _("The field file is required."), field="file")
    commit, deactivate = _flag("commit"), _flag("deactivate_missing")
    data = upload.read()
    plan = roster_import.preview(data, municipality, current_user, deactivate_missing=deactivate)
    if not commit:
        return _body(plan, committed=False)
    if not plan.ok:
        body = _body(plan, committed=False)
        body["error"] = {
            "code": "roster_invalid",
            "message": _("The roster has errors: nothing was imported."),
        }
        resp = jsonify(body)
        resp.status_code = 422
        return resp
    result = roster_import.commit(
        plan,
        current_user,
        filename=(upload.filename or "roster")[:255],
        file_hash=roster_import.sha256(data),
    )
    db.session.commit()
    return _body(plan, committed=True, result=result)
