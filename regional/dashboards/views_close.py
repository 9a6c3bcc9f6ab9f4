"""Pages: year-end close (年度締め) of a member's fiscal year, and re-opening it.

A coordinator closes their own member's year, a regional administrator any member's or
every member's at once; only a regional administrator re-opens, with a reason. Another
member's code is a 404 for a coordinator, as everywhere.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from regional.dashboards import bp
from regional.dashboards.forms import CloseYearForm, ReopenYearForm
from regional.errors import DomainError
from regional.extensions import db
from regional.i18n import locale_code
from regional.roles import admin_required, coordinator_required
from regional.targets import closing
from regional.targets.progress import municipality_progress
from regional.tenancy import enter_municipality
from tenants import all_tenants
from tenants.models import Municipality
from tenants.scoping import acting_as

FIRST_FY, LAST_FY = 2000, 2100


def _fy_or_404(fy: int) -> int:
    if not FIRST_FY <= fy <= LAST_FY:
        abort(404)
    return fy


@bp.route("/m/<code>/years/<int:fy>/close", methods=["POST"])
@coordinator_required
def close_year(code: str, fy: int):
    municipality = enter_municipality(code)
    fy = _fy_or_404(fy)
    form = CloseYearForm()
    back = redirect(url_for("dashboards.municipality", code=municipality.code, fy=fy))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return back
    try:
        closing.close_year(db.session, municipality, fy, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return back
    db.session.commit()
    flash(_("The fiscal year was closed: its figures are kept as reported."), "success")
    return back


@bp.route("/region/years/<int:fy>/close", methods=["POST"])
@admin_required
def close_region_year(fy: int):
    """Close the year for every member not yet closed (each its own close, audited)."""
    fy = _fy_or_404(fy)
    form = CloseYearForm()
    back = redirect(url_for("dashboards.region", fy=fy))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return back
    with all_tenants(db.session):
        members = list(db.session.scalars(Municipality.ordered()))
    done = set(closing.closes_for(db.session, None, fy))
    closed = 0
    try:
        for m in members:
            if m.id in done:
                continue
            with acting_as(db.session, m.id):
                closing.close_year(db.session, m, fy, current_user)
            closed += 1
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return back
    db.session.commit()
    flash(_("The fiscal year was closed for %(n)d members.", n=closed), "success")
    return back


@bp.route("/m/<code>/years/<int:fy>/reopen", methods=["GET", "POST"])
@admin_required
def reopen_year(code: str, fy: int):
    municipality = enter_municipality(code)
    fy = _fy_or_404(fy)
    mp = municipality_progress(db.session, municipality.id, fy)
    if mp.closed is None:
        abort(404)
    form = ReopenYearForm()
    if form.validate_on_submit():
        try:
            closing.reopen_year(db.session, municipality, fy, current_user, form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            form.reason.errors = [*form.reason.errors, str(exc.message)]
        else:
            db.session.commit()
            flash(_("The fiscal year was re-opened."), "success")
            return redirect(url_for("dashboards.municipality", code=municipality.code, fy=fy))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "dashboards/reopen.html",
        municipality=municipality,
        name=municipality.name(locale_code()),
        mp=mp,
        fy=fy,
        form=form,
    ), status
