"""Pages: regional administration (Okayama City's regional administrators only).

The region side by side, the visible switch of the municipality one works in,
and the appointment of each member's training coordinators. Not a tenant's
record: anyone else is refused with 403.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from regional.admin.forms import DemoteForm, PromoteForm, SwitchForm
from regional.admin.overview import coordinators_by_member, region_overview
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.people.models import AccountStatus, Role, User, normalize_email
from regional.people.people import normalize_employee_number, set_role
from regional.roles import blueprint_role_hook, is_regional_admin
from regional.tenancy import ACTING_KEY, current_municipality, enter_municipality, get_or_404
from tenants.models import Municipality

bp = Blueprint("admin", __name__)
log = logging.getLogger("regional.audit")


bp.before_request(blueprint_role_hook(is_regional_admin))  # regional administrators only


@bp.get("/")
def index():
    overview = region_overview(fiscal_year_of(now_utc()))
    return render_template("admin/index.html", overview=overview, statuses=AccountStatus)


@bp.route("/switch", methods=["GET", "POST"])
def switch():
    members = db.session.scalars(Municipality.ordered()).all()
    form = SwitchForm()
    form.municipality.choices = [(m.code, f"{m.code} {m.name(locale_code())}") for m in members]
    acting = current_municipality() or current_user.municipality
    if not form.is_submitted():
        form.municipality.data = acting.code
    if form.validate_on_submit():
        chosen = next(m for m in members if m.code == form.municipality.data)
        if chosen.id == current_user.municipality_id:
            session.pop(ACTING_KEY, None)
        else:
            session[ACTING_KEY] = chosen.code
        log.info("acting municipality user=%s code=%s", current_user.id, chosen.code)
        flash(_("You are now working in %(name)s.", name=chosen.name(locale_code())), "success")
        return redirect(url_for("people.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/switch.html", form=form, acting=acting), status


@bp.get("/coordinators")
def coordinators():
    return render_template("admin/coordinators.html", members=coordinators_by_member())


@bp.route("/municipalities/<code>/coordinators", methods=["GET", "POST"])
def municipality_coordinators(code: str):
    municipality = enter_municipality(code)
    form = PromoteForm()
    status = 200
    if form.validate_on_submit():
        person = _find_person(form.who.data)
        if person is None:
            form.who.errors.append(_("No one in this municipality has this address or number."))
        else:
            try:
                set_role(person, Role.COORDINATOR, current_user)
            except DomainError as exc:
                db.session.rollback()
                form.who.errors.append(str(exc.message))
            else:
                db.session.commit()
                flash(_("%(name)s is now a training coordinator.", name=person.name), "success")
                return redirect(url_for("admin.municipality_coordinators", code=code))
    if form.is_submitted() and form.errors:
        status = 400
    people = db.session.scalars(User.coordinators()).all()
    return render_template(
        "admin/municipality_coordinators.html",
        municipality=municipality,
        people=people,
        form=form,
        demote=DemoteForm(),
    ), status


def _find_person(who: str) -> User | None:
    """An account of the entered municipality by e-mail or employee number (the wall scopes it)."""
    email = normalize_email(who)
    number = normalize_employee_number(who)
    return db.session.scalar(
        select(User).where(or_(User.email == email, User.employee_number == number)).limit(1)
    )


@bp.post("/municipalities/<code>/coordinators/<int:user_id>/demote")
def demote(code: str, user_id: int):
    enter_municipality(code)
    person = get_or_404(User, user_id)
    if not DemoteForm().validate_on_submit():
        abort(400)
    try:
        set_role(person, Role.EMPLOYEE, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is no longer a training coordinator.", name=person.name), "success")
    return redirect(url_for("admin.municipality_coordinators", code=code))
