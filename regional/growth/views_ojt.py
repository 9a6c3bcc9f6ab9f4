"""Pages: my on-the-job training, and the coordinator's list to record and confirm."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.catalogue.models import SkillArea
from regional.errors import DomainError
from regional.extensions import db
from regional.growth import bp, ojt
from regional.growth.access import load_personal
from regional.growth.common import find_staff, my_training_tab, refused
from regional.growth.forms import ActionForm, OjtForm
from regional.growth.models import OjtRecord
from regional.i18n import locale_code
from regional.roles import coordinator_required
from regional.tenancy import member_of, own_records, record_member


def _form() -> OjtForm:
    form = OjtForm()
    lang = locale_code()
    areas = db.session.scalars(SkillArea.ordered()).all()
    form.skill_areas.choices = [(a.key, a.name(lang)) for a in areas]
    return form


def _data(form: OjtForm) -> ojt.OjtData:
    return ojt.OjtData(
        title=form.title.data,
        started_on=form.started_on.data,
        ended_on=form.ended_on.data,
        skill_areas=form.skill_areas.data or [],
        supported_by=form.supported_by.data,
        division=form.division.data,
        outcome=form.outcome.data,
    )


def area_names() -> dict[str, str]:
    lang = locale_code()
    return {a.key: a.name(lang) for a in db.session.scalars(SkillArea.ordered())}


def my_ojt_form() -> OjtForm:
    """The form to record one's own project (the 資格・OJT tab shows it)."""
    form = _form()
    del form.employee
    return form


@bp.route("/ojt", methods=["GET", "POST"])
@login_required
@own_records
def ojt_mine():
    """Record a project; my projects are shown on the 資格・OJT tab of my training (GET goes there)."""
    if request.method == "GET":
        return redirect(my_training_tab("qualifications"))
    form = my_ojt_form()
    if form.validate_on_submit():
        try:
            ojt.record_ojt(current_user, _data(form), current_user)
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("Recorded. Your training coordinator will confirm it."), "success")
            return redirect(my_training_tab("qualifications"))
    rows = db.session.scalars(OjtRecord.of_employee(current_user.id)).all()
    return render_template(
        "growth/ojt_mine.html", tab="qualifications", form=form, rows=rows, areas=area_names()
    )


@bp.route("/ojt/review", methods=["GET", "POST"])
@coordinator_required
def ojt_review():
    """Unconfirmed projects of the municipality; record one for a member of staff."""
    form = _form()
    if form.validate_on_submit():
        employee = find_staff(form.employee.data) if form.employee.data else current_user
        if employee is None or employee.municipality_id != _tenant_id():
            form.employee.errors = [_("No active member of your staff has this number or address.")]
        else:
            try:
                ojt.record_ojt(employee, _data(form), current_user)
            except DomainError as exc:
                refused(exc)
            else:
                db.session.commit()
                flash(_("Recorded for %(name)s.", name=employee.name), "success")
                return redirect(url_for(".ojt_review"))
    rows = db.session.scalars(OjtRecord.awaiting().limit(500)).all()
    return render_template(
        "growth/ojt_review.html",
        form=form,
        rows=rows,
        areas=area_names(),
        action_form=ActionForm(),
    )


def _tenant_id() -> int | None:
    from tenants.scoping import current_tenant_id

    return current_tenant_id(db.session)


@bp.post("/ojt/<int:oid>/confirm")
@coordinator_required
@record_member(member_of(OjtRecord, "oid"))
def ojt_confirm(oid: int):
    record = load_personal(OjtRecord, oid)
    if record is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            ojt.confirm(record, current_user)
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("Confirmed."), "success")
    return redirect(url_for(".ojt_review"))
