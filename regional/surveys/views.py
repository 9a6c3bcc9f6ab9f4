"""Pages: my surveys and answering one; results with charts; the programme review; XLSX."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.catalogue.models import Program
from regional.dashboards.exports import attachment
from regional.dashboards.forms import chosen_fiscal_year
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.roles import coordinator_required
from regional.sessions.models import TrainingSession
from regional.surveys import bp, followups
from regional.surveys.charts import distribution_charts, review_trend_charts
from regional.surveys.exports import results_workbook, review_workbook
from regional.surveys.forms import AnswerForm
from regional.surveys.models import QuestionKind
from regional.surveys.results import Scope, hidden_text, results
from regional.surveys.review import program_review
from regional.surveys.services import questions_of, registration_to_answer, submit, waiting_for
from regional.validation import record_id
from tenants.models import Municipality
from tenants.scoping import acting_as


def _own():
    return acting_as(db.session, current_user.municipality_id)


@bp.app_template_global("survey_hidden_text")
def _survey_hidden_text() -> str:
    """The words for a figure below the threshold (surveys/_figures.html), from the threshold."""
    return hidden_text()


@bp.app_template_global("survey_work")
def survey_work():
    """For the home page's worklist: the surveys waiting for the signed-in person."""
    with _own():
        return waiting_for(current_user)


@bp.get("/")
@login_required
def mine():
    """The surveys waiting for me (研修アンケート)."""
    with _own():
        return render_template(
            "surveys/mine.html",
            waiting=waiting_for(current_user),
            followups=followups.waiting_for(current_user),
        )


def _answers_from(form, questions) -> dict:
    out: dict = {}
    for q in questions:
        if q.kind == QuestionKind.MULTIPLE:
            out[q.key] = form.getlist(q.key)
        else:
            out[q.key] = form.get(q.key, "")
    return out


@bp.route("/registrations/<int:registration_id>", methods=["GET", "POST"])
@login_required
def answer(registration_id: int):
    """Answer the survey of a session I attended (once)."""
    with _own():
        try:
            reg, questionnaire_id = registration_to_answer(registration_id, current_user)
        except DomainError as exc:
            if exc.status == 404:
                abort(404)
            flash(str(exc.message), "error")
            return redirect(url_for("surveys.mine"))
        questions = questions_of(questionnaire_id)
        form = AnswerForm()
        error = None
        if form.validate_on_submit():
            try:
                submit(reg.id, current_user, _answers_from(request.form, questions))
            except DomainError as exc:
                db.session.rollback()
                error = str(exc.message)
            else:
                db.session.commit()
                flash(_("Thank you. Your answers have been sent."), "success")
                return redirect(url_for("surveys.mine"))
        return render_template(
            "surveys/answer.html",
            reg=reg,
            questions=questions,
            form=form,
            error=error,
            given=request.form if request.method == "POST" else {},
        ), (422 if error else 200)


def _scope_from_args(viewer) -> tuple[Scope, dict]:
    """The results' scope from the query string: bad or unseen ids are 404."""
    args = request.args
    names: dict = {}
    program_id = session_id = municipality_id = None
    if args.get("program"):
        program_id = record_id(args["program"])
        program = db.session.get(Program, program_id) if program_id else None
        if program is None:
            abort(404)
        names["program"] = program
    if args.get("session"):
        session_id = record_id(args["session"])
        seen = TrainingSession.visible_to(
            None if viewer.is_regional_admin else viewer.municipality_id
        )
        ts = db.session.scalar(seen.where(TrainingSession.id == session_id)) if session_id else None
        if ts is None:
            abort(404)
        names["session"] = ts
    if args.get("member"):
        member = db.session.scalar(
            Municipality.ordered().where(Municipality.code == args["member"][:6])
        )
        if member is None or not viewer.is_regional_admin:
            abort(404)
        municipality_id = member.id
        names["member"] = member
    form, fy = chosen_fiscal_year(args, fiscal_year_of(now_utc()))
    names["form"] = form
    return Scope(program_id, session_id, fy, municipality_id), names


@bp.get("/results")
@coordinator_required
def results_page():
    """Results by programme, session, member or the whole region, with charts."""
    scope, names = _scope_from_args(current_user)
    locale = locale_code()
    found = results(scope, current_user, locale)
    return render_template(
        "surveys/results.html",
        scope=scope,
        names=names,
        results=found,
        charts=distribution_charts(found),
        members=list(db.session.scalars(Municipality.ordered())),
    )


@bp.get("/results.xlsx")
@coordinator_required
def results_xlsx():
    """The same results as a formatted workbook."""
    scope, names = _scope_from_args(current_user)
    found = results(scope, current_user, locale_code())
    return attachment(results_workbook(found, scope, names), "xlsx", f"survey-{scope.fiscal_year}")


def _review(program_id: int):
    program = db.session.get(Program, program_id)
    if program is None:
        abort(404)
    form, fy = chosen_fiscal_year(request.args, fiscal_year_of(now_utc()))
    return form, program_review(program, fy, current_user, locale_code())


@bp.get("/programs/<int:program_id>/review")
@coordinator_required
def review(program_id: int):
    """The programme review for the yearly meeting (a coordinator: their member's part)."""
    form, found = _review(program_id)
    return render_template(
        "surveys/review.html",
        form=form,
        review=found,
        charts=distribution_charts(found.survey),
        trend_charts=review_trend_charts(
            found.trend, locale_code(), _("Could you use it in your work? (3 months on)")
        ),
    )


@bp.get("/programs/<int:program_id>/review.xlsx")
@coordinator_required
def review_xlsx(program_id: int):
    """The programme review as a workbook for the review meeting."""
    _form, found = _review(program_id)
    return attachment(
        review_workbook(found), "xlsx", f"review-{found.program.code}-{found.fiscal_year}"
    )
