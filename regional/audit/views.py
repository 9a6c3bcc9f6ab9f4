"""Page: a municipality's audit trail (its coordinators; regional administrators for any member).

Read-only: there is no route that edits or deletes an entry. A coordinator
naming another member gets 404, as everywhere.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from regional.audit.forms import AuditFilterForm
from regional.audit.labels import action_label, field_label, roster_change_label, value_label
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import TOKYO
from regional.i18n import locale_code
from regional.roles import blueprint_role_hook, is_coordinator
from regional.tenancy import current_municipality, enter_municipality
from regional.validation import whole_number
from tenants.models import Municipality

bp = Blueprint("audit", __name__)

PER_PAGE = 50


bp.before_request(blueprint_role_hook(is_coordinator))  # coordinators and regional administrators


@bp.get("/")
def index():
    code = (request.args.get("municipality") or "").strip()
    municipality = enter_municipality(code) if code else current_municipality()
    if municipality is None:
        abort(404)
    present = db.session.scalars(AuditEntry.actions()).all()
    form = AuditFilterForm(request.args, present_actions=present)
    if current_user.is_regional_admin:
        members = db.session.scalars(Municipality.ordered()).all()
        form.municipality.choices = [(m.code, f"{m.code} {m.name(locale_code())}") for m in members]
        form.municipality.data = municipality.code
    else:
        del form.municipality
    filters: dict = {}
    status = 200
    if form.validate():
        filters["action"] = form.action.data or None
        if form.start.data:
            filters["start"] = datetime.combine(form.start.data, time(0), TOKYO)
        if form.end.data:
            filters["end"] = datetime.combine(form.end.data + timedelta(days=1), time(0), TOKYO)
    else:
        status = 400
    page = db.paginate(
        AuditEntry.listing(**filters),
        page=request.args.get("page", 1, type=whole_number),
        per_page=PER_PAGE,
        error_out=False,
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit/index.html",
        municipality=municipality,
        form=form,
        page=page,
        args=args,
        action_label=action_label,
        field_label=field_label,
        value_label=value_label,
        roster_change_label=roster_change_label,
    ), status
