"""The report pages: the participant writes (受講報告), the head or coordinator acknowledges
(確認), the coordinator sees per session who has not written or not been acknowledged."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.errors import DomainError
from regional.extensions import db
from regional.main.helpers import flash_refusal
from regional.reports import bp, services
from regional.reports.forms import AcknowledgeForm, ReportForm
from regional.roles import coordinator_required
from tenants.scoping import acting_as


@bp.app_template_global("report_work")
def report_work() -> dict | None:
    """For the home page's cards: reports to write and reports to acknowledge, or None."""
    if not current_user.is_authenticated:
        return None
    with acting_as(db.session, current_user.municipality_id):
        to_write = services.to_write(current_user)
        to_edit = services.to_edit(current_user)
        to_ack = services.to_acknowledge(current_user)
    if not (to_write or to_edit or to_ack):
        return None
    return {"to_write": to_write, "to_edit": to_edit, "to_acknowledge": to_ack}


@bp.app_template_global("reports_outstanding")
def reports_outstanding() -> int:
    """For the coordinator's card: reports of the member not written or not acknowledged."""
    return services.outstanding_count()


@bp.route("/registrations/<int:reg_id>", methods=["GET", "POST"])
@login_required
def write(reg_id: int):
    """受講報告: the participant writes or edits their report (the template pre-filled)."""
    with acting_as(db.session, current_user.municipality_id):
        reg = services.writable(reg_id, current_user)
        if reg is None:
            abort(404)
        report = services.report_of(reg)
        form = ReportForm()
        if request.method == "GET":
            form.body.data = report.body if report else reg.session.program.report_template
        elif not form.validate_on_submit():
            flash(_("Please check the report and try again."), "error")
        else:
            try:
                services.write(reg, current_user, form.body.data)
            except DomainError as exc:
                flash_refusal(exc)
            else:
                db.session.commit()
                flash(_("Your report was saved."), "success")
                return redirect(url_for("reports.write", reg_id=reg.id))
        return render_template("reports/write.html", reg=reg, report=report, form=form)


@bp.get("/acknowledge")
@login_required
def inbox():
    """The reports waiting for the head's (or the coordinator's) acknowledgement."""
    with acting_as(db.session, current_user.municipality_id):
        if not services.acknowledges(current_user):
            abort(403)
        reports = services.to_acknowledge(current_user)
        return render_template("reports/inbox.html", reports=reports, form=AcknowledgeForm())


@bp.post("/<int:report_id>/acknowledge")
@login_required
def acknowledge(report_id: int):
    with acting_as(db.session, current_user.municipality_id):
        report = services.acknowledgeable(report_id, current_user)
        if report is None:
            abort(404)
        if not AcknowledgeForm().validate_on_submit():
            flash(_("The form has expired. Please try again."), "error")
            return redirect(url_for("reports.inbox"))
        try:
            services.acknowledge(report, current_user)
        except DomainError as exc:
            flash_refusal(exc)
        else:
            db.session.commit()
            flash(_("Acknowledged."), "success")
    return redirect(url_for("reports.inbox"))


@bp.get("/sessions")
@coordinator_required
def overview():
    """Per session, the member's participants who have not written or not been acknowledged."""
    return render_template("reports/overview.html", sessions=services.overview())
