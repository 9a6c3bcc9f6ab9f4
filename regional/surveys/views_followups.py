"""Pages: the 3-month follow-up, answered by its participant; a programme's survey settings
(its questionnaire and whether it asks the follow-up), switched by regional administrators."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.roles import admin_required
from regional.seats.models import Registration
from regional.surveys import bp, followups
from regional.surveys.forms import FollowupForm, FollowupSettingForm
from regional.surveys.models import Questionnaire, SurveyAssignment
from tenants.scoping import acting_as


@bp.app_template_global("followup_work")
def followup_work():
    """For the home page's worklist: the follow-ups waiting for the signed-in person."""
    with acting_as(db.session, current_user.municipality_id):
        return followups.waiting_for(current_user)


@bp.route("/followups/<int:registration_id>", methods=["GET", "POST"])
@login_required
def followup(registration_id: int):
    """Answer the 3-month follow-up of a session I attended (once)."""
    with acting_as(db.session, current_user.municipality_id):
        try:
            found = followups.to_answer(registration_id, current_user)
        except DomainError as exc:
            if exc.status == 404:
                abort(404)
            flash(str(exc.message), "error")
            return redirect(url_for("surveys.mine"))
        reg = db.session.get(Registration, found.registration_id)
        form = FollowupForm()
        error = None
        if form.validate_on_submit():
            try:
                followups.answer(
                    reg.id,
                    current_user,
                    {
                        followups.SCALE_KEY: form.applied.data,
                        followups.TEXT_KEY: form.applied_how.data or "",
                    },
                )
            except DomainError as exc:
                db.session.rollback()
                error = str(exc.message)
            else:
                db.session.commit()
                flash(_("Thank you. Your answers have been sent."), "success")
                return redirect(url_for("surveys.mine"))
        failed = bool(error or form.errors)
        return render_template("surveys/followup.html", reg=reg, form=form, error=error), (
            422 if failed else 200
        )


def _program(program_id: int) -> Program:
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    return program


@bp.route("/programs/<int:program_id>/settings", methods=["GET", "POST"])
@admin_required
def program_settings(program_id: int):
    """A programme's survey settings: its questionnaire, and the 3-month follow-up."""
    program = _program(program_id)
    form = FollowupSettingForm(data={"enabled": followups.is_on(program.id)})
    if form.validate_on_submit():
        followups.switch(program, bool(form.enabled.data), current_user)
        db.session.commit()
        flash(
            _("The 3-month follow-up is now asked for this programme.")
            if form.enabled.data
            else _("The 3-month follow-up is no longer asked for this programme."),
            "success",
        )
        return redirect(url_for(".program_settings", program_id=program.id))
    chosen = db.session.scalar(
        select(Questionnaire)
        .join(SurveyAssignment, SurveyAssignment.questionnaire_id == Questionnaire.id)
        .where(SurveyAssignment.program_id == program.id)
    )
    return render_template(
        "surveys/program_settings.html",
        program=program,
        form=form,
        questionnaire=chosen or db.session.scalars(Questionnaire.standard()).one(),
        chosen=chosen is not None,
        setting=followups.setting_of(program.id),
        due_months=followups.MONTHS,
    )
