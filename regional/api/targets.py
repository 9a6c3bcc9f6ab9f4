"""API: targets and progress (see docs/api.md).

* ``GET /municipalities/<code>/targets`` and ``PUT .../targets/<key>``: that
  municipality's coordinators and regional administrators. A PUT sets or
  changes one target (``kind``, ``target``, ``period_start_fy``,
  ``period_end_fy``, ``population``); a refused value is a 422 naming the field,
  and nothing changes. Every change is in the audit trail with before/after.
* ``GET /municipalities/<code>/progress?fiscal_year=YYYY`` (default: this fiscal
  year in Japan) and ``GET /region/progress?fiscal_year=YYYY`` (regional
  administrators). Extensions: ``status``, ``population`` and ``by_year`` per
  target; ``uncovered`` units with candidates in coverage.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import (
    BadRequest,
    PreconditionFailed,
    claim_or_412,
    if_match,
    if_none_match_any,
    json_body,
    require_role,
)
from regional.api.common import fiscal_year_arg as year_arg
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.roles import is_coordinator, is_regional_admin
from regional.targets import closing, services
from regional.targets.measures import measures_by_key
from regional.targets.models import Target
from regional.targets.progress import choose_period, municipality_progress, region_progress
from regional.targets.serialize import (
    TARGET_KIND,
    municipality_progress_json,
    region_progress_json,
    target_json,
)
from regional.tenancy import enter_municipality
from regional.validation import InputProblem, whole_number
from regional.versions import etag

MIN_FY, MAX_FY = services.FIRST_FY, services.LAST_FY


def fiscal_year_arg() -> int:
    """``?fiscal_year=YYYY`` (default: the current fiscal year in Japan), or a 400."""
    raw = request.args.get("fiscal_year")
    if raw is None or raw == "":
        return fiscal_year_of(now_utc())
    try:
        return whole_number(raw, minimum=MIN_FY, maximum=MAX_FY)
    except InputProblem as exc:
        raise BadRequest(
            "invalid_fiscal_year",
            _(
                "fiscal_year must be a year from %(first)d to %(last)d.",
                first=MIN_FY,
                last=MAX_FY,
            ),
            field="fiscal_year",
        ) from exc


@bp.get("/municipalities/<code>/targets")
@require_role(is_coordinator)
def targets(code: str):
    municipality = enter_municipality(code)
    measures = measures_by_key(db.session)
    order = {k: i for i, k in enumerate(measures)}
    rows = sorted(
        db.session.scalars(Target.of_municipality()), key=lambda t: (order.get(t.key, 99), t.key)
    )
    return {
        "municipality_code": municipality.code,
        "items": [target_json(t, measures.get(t.key), locale_code()) for t in rows],
    }


def _target_answer(target: Target, key: str) -> tuple[dict, int, dict]:
    body = target_json(target, measures_by_key(db.session).get(key), locale_code())
    return body, 200, {"ETag": etag(TARGET_KIND, target)}


@bp.get("/municipalities/<code>/targets/<key>")
@require_role(is_coordinator)
def target(code: str, key: str):
    """One plan period of a target with its ETag: ``?period_start_fy=YYYY``, by default
    the period the current fiscal year shows (as the progress answer does)."""
    enter_municipality(code)
    periods = list(db.session.scalars(Target.of_municipality().where(Target.key == key)))
    raw = request.args.get("period_start_fy")
    if raw:
        wanted = year_arg("period_start_fy")
        found = next((t for t in periods if t.period_start_fy == wanted), None)
    else:
        found = choose_period(periods, fiscal_year_of(now_utc()))[0] if periods else None
    if found is None:
        raise DomainError("target_not_found", _("There is no such target."), status=404)
    return _target_answer(found, key)


@bp.put("/municipalities/<code>/targets/<key>")
@require_role(is_coordinator)
def put_target(code: str, key: str):
    """Set the period starting at the body's ``period_start_fy`` (created if there is none).

    If-Match: only the version the client read is changed (412 with the period as it is
    now, or null when there is none); ``If-None-Match: *``: only created, never changed.
    """
    municipality = enter_municipality(code)
    condition, create_only = if_match(), if_none_match_any()
    data = json_body()
    measures = measures_by_key(db.session)
    # A refused value is a 422 whatever the preconditions say.
    checked = services.check_target_values(measures.get(key), key, data)
    # The member's periods of this key take turns from here: what is found stays so.
    services.lock_key(municipality.id, key)
    existing = services.period_of(key, checked["period_start_fy"])

    def current() -> dict | None:
        return target_json(existing, measures.get(key), locale_code()) if existing else None

    if existing is None and condition is not None:
        raise PreconditionFailed(None)
    if existing is not None and create_only:
        raise PreconditionFailed(current(), etag(TARGET_KIND, existing))
    if existing is not None:
        claim_or_412(TARGET_KIND, existing, condition, current)
    target = services.set_target(municipality, key, data, current_user, target=existing)
    db.session.flush()  # the new version, for the ETag
    # The answer is read before the commit: read after it, a database lost in between would
    # answer 503 ("nothing was kept, send it again") for a change that was kept.
    answer = _target_answer(target, key)
    db.session.commit()
    return answer


@bp.get("/municipalities/<code>/progress")
@require_role(is_coordinator)
def progress(code: str):
    municipality = enter_municipality(code)
    fy = fiscal_year_arg()
    return municipality_progress_json(municipality_progress(db.session, municipality.id, fy))


@bp.get("/region/progress")
@require_role(is_regional_admin)
def region(code: str | None = None):
    fy = fiscal_year_arg()
    return region_progress_json(region_progress(db.session, fy))


# -- year-end close ---------------------------------------------------------------------


def _year_or_404(fy: int) -> int:
    if not MIN_FY <= fy <= MAX_FY:
        raise DomainError("not_found", _("The page or record was not found."), status=404)
    return fy


def _close_json(municipality, close) -> dict:
    return {
        "municipality_code": municipality.code,
        "fiscal_year": close.fiscal_year,
        "closed_at": close.closed_at.isoformat(),
        "closed_by": close.closed_by_label,
        "reopened_at": close.reopened_at.isoformat() if close.reopened_at else None,
    }


@bp.post("/municipalities/<code>/years/<int:fy>/close")
@require_role(is_coordinator)
def close_year(code: str, fy: int):
    """Freeze the member's figures of an ended fiscal year (409 if already closed)."""
    municipality = enter_municipality(code)
    close = closing.close_year(db.session, municipality, _year_or_404(fy), current_user)
    db.session.commit()
    return _close_json(municipality, close), 201


@bp.post("/municipalities/<code>/years/<int:fy>/reopen")
@require_role(is_regional_admin)
def reopen_year(code: str, fy: int):
    """Re-open a closed year with ``{reason}`` (regional administrators)."""
    municipality = enter_municipality(code)
    data = json_body()
    reason = data.get("reason")
    if not isinstance(reason, str):
        reason = ""
    close = closing.reopen_year(db.session, municipality, _year_or_404(fy), current_user, reason)
    db.session.commit()
    return _close_json(municipality, close)
