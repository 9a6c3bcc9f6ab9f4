"""API: a municipality's audit trail (``GET /municipalities/<code>/audit``).

Its coordinators and regional administrators; newest first; filters
``action`` (a code such as ``target.update``, or a prefix ending in ``.``),
``from`` and ``to`` (a day in Japan, both inclusive, or an ISO 8601 time),
``page`` and ``per_page``. There is no route that changes an entry.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _

from regional.api import bp
from regional.api.common import BadRequest, paging, require_role
from regional.audit.filters import FilterError, parse_filters
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.roles import is_coordinator
from regional.tenancy import enter_municipality


@bp.get("/municipalities/<code>/audit")
@require_role(is_coordinator)
def audit(code: str):
    municipality = enter_municipality(code)
    page, per_page = paging()
    try:
        filters = parse_filters(request.args.to_dict())
    except FilterError as exc:
        raise BadRequest(
            "invalid_filter",
            _("The filter %(name)s cannot be read.", name=exc.name),
            field=exc.name,
        ) from exc
    stmt = AuditEntry.listing(action=filters.action, start=filters.start, end=filters.end)
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
    return {
        "municipality_code": municipality.code,
        "items": [e.as_json() for e in result.items],
        "page": page,
        "per_page": per_page,
        "total": result.total,
    }
