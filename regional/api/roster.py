"""API: a municipality's staff roster import (see docs/api.md, the roster row).

``POST /municipalities/<code>/roster`` with a multipart ``file``: a preview
``{created, updated, deactivated, errors}`` (counts, and every bad row with its
line and column), or with ``?commit=true`` the import itself, all or nothing
(422 ``roster_invalid`` with the same body when any row is bad). Each person
deactivated is listed with the future registrations it cancels.

``effective_on=YYYY-MM-DD`` dates every change (today in Japan by default; never in the
future). The answer's ``reorganisation`` lists the units the file empties and what became
of them (renames, merges, splits, retirements); an import applies them only with
``apply_reorganisation=true``, so scripts written before keep their behaviour.
"""

from __future__ import annotations

from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from regional import fiscal
from regional.api import bp
from regional.api.common import BadRequest, require_role
from regional.extensions import db
from regional.people import roster_import
from regional.people.reorganisation import RENAME, RETIRE, SPLIT, Choices, Reorganisation
from regional.people.roster_import import ImportResult
from regional.people.roster_plan import RosterPlan
from regional.roles import is_coordinator
from regional.tenancy import enter_municipality
from regional.validation import InputProblem, parse_date
from tenants.models import UNITS_EPOCH

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


def _effective_on() -> date:
    """The ``effective_on`` day: today in Japan unless given; 400 when unreadable or out of range."""
    raw = (request.args.get("effective_on") or request.form.get("effective_on") or "").strip()
    if not raw:
        return fiscal.today()
    try:
        day = parse_date(raw)
    except InputProblem as exc:
        raise BadRequest("invalid_field", exc.message, field="effective_on") from exc
    if not UNITS_EPOCH <= day <= fiscal.today():
        raise BadRequest(
            "invalid_field",
            _(
                "The effective date must be between %(start)s and today.",
                start=UNITS_EPOCH.isoformat(),
            ),
            field="effective_on",
        )
    return day


def _reorganisation(reorg: Reorganisation) -> dict:
    """What the file does to the organisation, as proposed (and applied when asked)."""
    return {
        "renames": [
            {"unit_id": f.unit_id, "from": f.path, "to": f.into_paths[0]}
            for f in reorg.of_kind(RENAME)
        ],
        "merges": [
            {
                "units": [reorg.fate(i).path for i in g.unit_ids],
                "unit_ids": g.unit_ids,
                "into": g.into_path,
            }
            for g in reorg.merges
        ],
        "splits": [
            {"unit": f.path, "unit_id": f.unit_id, "into": f.into_paths}
            for f in reorg.of_kind(SPLIT)
        ],
        "retire": [f.path for f in reorg.of_kind(RETIRE)],
    }


def _body(
    plan: RosterPlan,
    committed: bool,
    result: ImportResult | None = None,
    *,
    day: date,
    applied: bool = False,
) -> dict:
    """The answer; after an import the registrations cancelled are those it did cancel."""
    counts = plan.counts()
    replaced = plan.reorganisation.paths_replaced()
    cancelled = {x.user_id: x.registrations for x in plan.deactivated}
    if result is not None:
        cancelled = {x.user_id: 0 for x in plan.deactivated} | result.cancelled_per_person()
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "deactivated": counts["deactivated"],
        # After an import: the people whose unit changed (not those of a renamed unit).
        "moved": result.counts["moved"] if result is not None else counts["moved"],
        "unchanged": counts["unchanged"],
        "units_created": [u.path_text for u in plan.units if not (applied and u.path in replaced)],
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
        # Added with the April reorganisation (see docs/api.md).
        "effective_on": day.isoformat(),
        "reorganisation": _reorganisation(plan.reorganisation),
        "reorganisation_applied": applied,
        # Added with the 職種 names and 外字 (see docs/api.md): warnings, never errors.
        "kept_names": [
            {
                "line": k.line,
                "employee_number": k.number,
                "registered": k.registered,
                "written": k.written,
            }
            for k in plan.kept_names
        ],
        "unknown_job_categories": [
            {"name": u.word, "lines": u.lines, "imported_as": "other"} for u in plan.unknown_jobs
        ],
    }


@bp.post("/municipalities/<code>/roster")
@require_role(is_coordinator)
def roster(code: str):
    municipality = enter_municipality(code)
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest("missing_field", _("The field file is required."), field="file")
    commit, deactivate = _flag("commit"), _flag("deactivate_missing")
    apply, day = _flag("apply_reorganisation"), _effective_on()
    data = upload.read()
    plan = roster_import.preview(data, municipality, current_user, deactivate_missing=deactivate)
    if not commit:
        return _body(plan, committed=False, day=day)
    if not plan.ok:
        body = _body(plan, committed=False, day=day)
        body["error"] = {
            "code": "roster_invalid",
            "message": _("The roster has errors: nothing was imported."),
        }
        resp = jsonify(body)
        resp.status_code = 422
        return resp
    reorg = plan.reorganisation
    result = roster_import.commit(
        plan,
        current_user,
        filename=(upload.filename or "roster")[:255],
        file_hash=roster_import.sha256(data),
        effective_on=day,
        choices=reorg.default_choices() if apply else Choices(),
    )
    db.session.commit()
    return _body(plan, committed=True, result=result, day=day, applied=apply and bool(reorg))
