"""Pages: questionnaires kept by regional administrators (add, add a question, reword one,
use one for a programme or a session). Every change is audited by the services."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.roles import admin_required
from regional.sessions.models import TrainingSession
from regional.surveys import bp
from regional.surveys.forms import AttachForm, LabelForm, QuestionForm, QuestionnaireForm
from regional.surveys.models import QuestionKind, Questionnaire, SurveyAssignment, SurveyQuestion
from regional.surveys.services import add_question, attach, create_questionnaire, edit_question
from regional.validation import record_id


@bp.route("/questionnaires", methods=["GET", "POST"])
@admin_required
def questionnaires():
    """Every questionnaire, and a new one."""
    form = QuestionnaireForm()
    if form.validate_on_submit():
        made = create_questionnaire(
            (form.name_ja.data or "").strip(), (form.name_en.data or "").strip(), current_user
        )
        db.session.commit()
        flash(_("The questionnaire was added. Add its questions."), "success")
        return redirect(url_for(".questionnaire", questionnaire_id=made.id))
    rows = list(db.session.scalars(select(Questionnaire).order_by(Questionnaire.id)))
    return render_template("surveys/questionnaires.html", form=form, rows=rows), (
        422 if request.method == "POST" else 200
    )


def _page(questionnaire: Questionnaire, status: int = 200, **forms):
    assigned = db.session.execute(
        select(SurveyAssignment, Program, TrainingSession)
        .outerjoin(Program, Program.id == SurveyAssignment.program_id)
        .outerjoin(TrainingSession, TrainingSession.id == SurveyAssignment.session_id)
        .where(SurveyAssignment.questionnaire_id == questionnaire.id)
    ).all()
    return render_template(
        "surveys/questionnaire.html",
        questionnaire=questionnaire,
        questions=list(db.session.scalars(SurveyQuestion.asked(questionnaire.id))),
        assigned=assigned,
        form=forms.get("form") or QuestionForm(formdata=None),
        attach_form=forms.get("attach_form") or AttachForm(formdata=None),
        label_form=LabelForm(formdata=None),
        error=forms.get("error"),
    ), status


def _load(questionnaire_id: int) -> Questionnaire:
    found = db.session.get(Questionnaire, questionnaire_id)
    if found is None:
        abort(404)
    return found


@bp.route("/questionnaires/<int:questionnaire_id>", methods=["GET", "POST"])
@admin_required
def questionnaire(questionnaire_id: int):
    """One questionnaire's questions, and a question added at the end."""
    found = _load(questionnaire_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _page(found, 422 if request.method == "POST" else 200, form=form)
    try:
        add_question(
            found,
            kind=QuestionKind(form.kind.data),
            label_ja=(form.label_ja.data or "").strip(),
            label_en=(form.label_en.data or "").strip(),
            choices=form.parsed_choices(),
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        return _page(found, 422, form=form, error=str(exc.message))
    db.session.commit()
    flash(_("The question was added. It is asked from now on."), "success")
    return redirect(url_for(".questionnaire", questionnaire_id=found.id))


@bp.post("/questions/<int:question_id>/label")
@admin_required
def reword(question_id: int):
    """Reword a question: a new version; the answers already given keep theirs."""
    question = db.session.get(SurveyQuestion, question_id)
    if question is None:
        abort(404)
    form = LabelForm()
    if not form.validate_on_submit():
        return _page(_load(question.questionnaire_id), 422, error=_("Write the question."))
    try:
        edit_question(
            question,
            label_ja=(form.label_ja.data or "").strip(),
            label_en=(form.label_en.data or "").strip(),
            actor=current_user,
        )
    except DomainError as exc:
        db.session.rollback()
        return _page(_load(question.questionnaire_id), 409, error=str(exc.message))
    db.session.commit()
    flash(_("The question was reworded. Past answers are kept with it."), "success")
    return redirect(url_for(".questionnaire", questionnaire_id=question.questionnaire_id))


@bp.post("/questionnaires/<int:questionnaire_id>/attach")
@admin_required
def attach_to(questionnaire_id: int):
    """Use the questionnaire for a programme's sessions, or for one session."""
    found = _load(questionnaire_id)
    form = AttachForm()
    program = session = None
    if form.validate_on_submit():
        code = (form.program_code.data or "").strip()
        if code:
            program = db.session.scalar(select(Program).where(Program.code == code))
        sid = record_id(form.session_id.data) if form.session_id.data else None
        if sid:
            session = db.session.get(TrainingSession, sid)
    if (program is None) == (session is None):
        return _page(
            found,
            422,
            attach_form=form,
            error=_("Give one programme code or one session number that exists."),
        )
    attach(
        found,
        program_id=program.id if program else None,
        session_id=session.id if session else None,
        actor=current_user,
    )
    db.session.commit()
    flash(_("The questionnaire is used from the next attendance recorded."), "success")
    return redirect(url_for(".questionnaire", questionnaire_id=found.id))
