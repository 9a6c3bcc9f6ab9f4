"""Asking and answering: who is asked (attendance recorded), what, and keeping one answer.

A participant is asked when their attendance is recorded as 出席 (:func:`ask_attended`,
called by the attendance recording through its one hook), by mail and on their home
page, and reminded once by ``flask send-survey-reminders``. Questionnaires are kept by
regional administrators (:func:`add_question`, :func:`edit_question`, :func:`attach`):
questions are append-only, so past answers keep the question they answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from regional.audit import record_audit
from regional.errors import Conflict, DomainError, Forbidden, NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.mail.services import queue_mail
from regional.people.models import User
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from regional.surveys.models import (
    QuestionKind,
    Questionnaire,
    SurveyAnswer,
    SurveyAssignment,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)
from regional.validation import InputProblem, text_problem, whole_number
from tenants import all_tenants

#: Longest free-text answer kept.
TEXT_MAX = 2000
#: Only sessions that ended this recently are asked about: history entered after the fact
#: (sessions before the platform) asks nobody.
ASK_WITHIN = timedelta(days=30)


def questionnaire_for(ts: TrainingSession) -> Questionnaire:
    """The session's own questionnaire, else its programme's, else the standard one."""
    for column, value in (
        (SurveyAssignment.session_id, ts.id),
        (SurveyAssignment.program_id, ts.program_id),
    ):
        qid = db.session.scalar(select(SurveyAssignment.questionnaire_id).where(column == value))
        if qid is not None:
            return db.session.get(Questionnaire, qid)
    return db.session.scalars(Questionnaire.standard()).one()


def ask_attended(regs: Iterable[Registration], actor: User | None = None) -> int:
    """Ask each newly attended participant (once per registration): a mail and a worklist
    line. Runs in the attendance's transaction, wherever the wall stands for it."""
    since = now_utc() - ASK_WITHIN
    regs = [r for r in regs if r.attended and r.session.ends_at >= since]
    if not regs:
        return 0
    ids = [r.id for r in regs]
    asked = set(
        db.session.scalars(
            select(SurveyInvitation.registration_id)
            .where(SurveyInvitation.registration_id.in_(ids))
            .execution_options(all_tenants=True)
        )
    )
    count = 0
    for reg in regs:
        if reg.id in asked:
            continue
        questionnaire = questionnaire_for(reg.session)
        db.session.add(
            SurveyInvitation(
                municipality_id=reg.municipality_id,
                registration_id=reg.id,
                employee_id=reg.employee_id,
                session_id=reg.session_id,
                questionnaire_id=questionnaire.id,
            )
        )
        mail_participant(reg, "survey_request")
        count += 1
    db.session.flush()
    return count


def mail_participant(reg: Registration, template: str) -> None:
    """Mail a participant about their registration (a survey asked, reminded, followed up)."""
    employee = reg.employee
    queue_mail(
        employee.email,
        template,
        locale=employee.locale or "ja",
        municipality_id=reg.municipality_id,
        registration=reg,
        training_session=reg.session,
        employee=employee,
    )


def queue_survey_reminders(days: int) -> int:
    """Remind, once, everyone asked at least ``days`` days ago who has not answered."""
    due = now_utc() - timedelta(days=days)
    answered = exists().where(SurveyResponse.registration_id == SurveyInvitation.registration_id)
    with all_tenants(db.session):  # cron: every member's people, each mailed alone
        invitations = db.session.scalars(
            select(SurveyInvitation)
            .where(
                SurveyInvitation.reminded_at.is_(None),
                SurveyInvitation.asked_at <= due,
                ~answered,
            )
            .order_by(SurveyInvitation.id)
            .with_for_update(of=SurveyInvitation, skip_locked=True)
        ).all()
        now = now_utc()
        for inv in invitations:
            reg = db.session.get(Registration, inv.registration_id)
            if reg is not None and reg.attended:
                mail_participant(reg, "survey_reminder")
            inv.reminded_at = now
        db.session.flush()
    return len(invitations)


@dataclass(frozen=True)
class Waiting:
    """A survey the person has yet to answer."""

    registration: Registration
    questionnaire_id: int


def waiting_for(person: User) -> list[Waiting]:
    """The person's unanswered surveys, newest session first (read in their own member)."""
    answered = exists().where(SurveyResponse.registration_id == SurveyInvitation.registration_id)
    rows = db.session.execute(
        select(Registration, SurveyInvitation.questionnaire_id)
        .join(SurveyInvitation, SurveyInvitation.registration_id == Registration.id)
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .where(
            SurveyInvitation.employee_id == person.id,
            Registration.employee_id == person.id,
            Registration.attended.is_(True),
            ~answered,
        )
        .order_by(TrainingSession.starts_at.desc(), Registration.id)
    ).all()
    return [Waiting(reg, qid) for reg, qid in rows]


def questions_of(questionnaire_id: int) -> list[SurveyQuestion]:
    return list(db.session.scalars(SurveyQuestion.asked(questionnaire_id)))


def registration_to_answer(registration_id: int, person: User) -> tuple[Registration, int]:
    """The person's own registration and the questionnaire it asks; 404 for anyone else's,
    422 while not attended, 409 once answered."""
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.employee_id != person.id or reg.municipality_id != person.municipality_id:
        raise NotFound("not_found", _l("Not found."))
    if not reg.attended or reg.status != RegistrationStatus.ENROLLED:
        raise DomainError("not_attended", _l("A survey is answered after attending the session."))
    if _answered(reg.id):
        raise Conflict("already_answered", _l("You have already answered this survey."))
    qid = db.session.scalar(
        select(SurveyInvitation.questionnaire_id).where(SurveyInvitation.registration_id == reg.id)
    )
    return reg, qid if qid is not None else questionnaire_for(reg.session).id


def _answered(registration_id: int) -> bool:
    return (
        db.session.scalar(
            select(SurveyResponse.id).where(SurveyResponse.registration_id == registration_id)
        )
        is not None
    )


def _bad(key: str) -> DomainError:
    return DomainError(
        "invalid_answer",
        _l("The answer to question %(key)s is not one of its choices.", key=key),
        key=key,
    )


def _parse_int(raw: object) -> int | None:
    try:
        return whole_number(raw, minimum=0, maximum=99)
    except InputProblem:
        return None


def _values(q: SurveyQuestion, raw: object) -> list[tuple[int | None, str | None]]:
    """The rows one answer makes; [] for no answer; DomainError when out of range."""
    if raw is None or raw == "" or raw == []:
        if q.required:
            raise DomainError("answer_required", _l("Please answer every required question."))
        return []
    if q.kind == QuestionKind.TEXT:
        if not isinstance(raw, str):
            raise _bad(q.key)
        problem = text_problem(raw, multiline=True)
        if problem:
            raise DomainError("invalid_text", problem)
        text = raw.strip()
        if len(text) > TEXT_MAX:
            raise DomainError(
                "invalid_text", _l("Free text is at most %(n)s characters.", n=TEXT_MAX)
            )
        return [(None, text)] if text else []
    top = 5 if q.kind == QuestionKind.SCALE5 else len(q.choices) - 1
    low = 1 if q.kind == QuestionKind.SCALE5 else 0
    items = raw if q.kind == QuestionKind.MULTIPLE and isinstance(raw, list) else [raw]
    values = [_parse_int(v) for v in items]
    if any(v is None or not low <= v <= top for v in values) or len(set(values)) != len(values):
        raise _bad(q.key)
    return [(v, None) for v in values]


def submit(registration_id: int, person: User, answers: dict) -> SurveyResponse:
    """Keep the person's answers (all or nothing). 409 if already answered."""
    if not isinstance(answers, dict):
        raise DomainError("invalid_answer", _l("Answers must be given by question."))
    reg, questionnaire_id = registration_to_answer(registration_id, person)
    questions = {q.key: q for q in questions_of(questionnaire_id)}
    unknown = sorted(k for k in answers if k not in questions)
    if unknown:
        raise _bad(str(unknown[0])[:40])
    response = SurveyResponse(
        municipality_id=reg.municipality_id,
        registration_id=reg.id,
        employee_id=person.id,
        session_id=reg.session_id,
        program_id=reg.session.program_id,
        questionnaire_id=questionnaire_id,
        fiscal_year=fiscal_year_of(reg.session.starts_at),
    )
    for key, q in questions.items():
        for value, text in _values(q, answers.get(key)):
            response.answers.append(
                SurveyAnswer(
                    municipality_id=reg.municipality_id, question_id=q.id, value=value, text=text
                )
            )
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except IntegrityError:
        raise Conflict("already_answered", _l("You have already answered this survey.")) from None
    return response


# -- keeping questionnaires (regional administrators) -------------------------------------


def _require_admin(actor: User) -> None:
    if not actor.is_regional_admin:
        raise Forbidden("forbidden", _l("Questionnaires are kept by regional administrators."))


def create_questionnaire(name_ja: str, name_en: str, actor: User) -> Questionnaire:
    """A new, empty questionnaire (its key: ``q<id>``)."""
    _require_admin(actor)
    questionnaire = Questionnaire(
        key=f"new-{now_utc():%Y%m%d%H%M%S%f}", name_ja=name_ja, name_en=name_en
    )
    db.session.add(questionnaire)
    db.session.flush()
    questionnaire.key = f"q{questionnaire.id}"
    record_audit(
        "survey.questionnaire_add",
        subject_type="questionnaire",
        subject_id=questionnaire.id,
        subject_label=name_ja,
        after={"name_ja": name_ja, "name_en": name_en},
        actor=actor,
    )
    return questionnaire


def _choices(kind: QuestionKind, choices: list[dict]) -> list[dict]:
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        if len(choices) < 2:
            raise DomainError("choices_required", _l("Give at least two choices."))
        return choices
    return []


def add_question(
    questionnaire: Questionnaire,
    *,
    kind: QuestionKind,
    label_ja: str,
    label_en: str,
    choices: list[dict],
    actor: User,
) -> SurveyQuestion:
    """Add a question at the end (asked from the next invitation on)."""
    _require_admin(actor)
    last = db.session.scalars(
        select(SurveyQuestion.position)
        .where(SurveyQuestion.questionnaire_id == questionnaire.id)
        .order_by(SurveyQuestion.position.desc())
    ).first()
    taken = set(
        db.session.scalars(
            select(SurveyQuestion.key).where(SurveyQuestion.questionnaire_id == questionnaire.id)
        )
    )
    n = len(taken) + 1
    while f"q{n}" in taken:
        n += 1
    question = SurveyQuestion(
        questionnaire_id=questionnaire.id,
        key=f"q{n}",
        version=1,
        position=(last or 0) + 1,
        kind=kind,
        label_ja=label_ja,
        label_en=label_en,
        choices=_choices(kind, choices),
    )
    db.session.add(question)
    db.session.flush()
    record_audit(
        "survey.question_add",
        subject_type="questionnaire",
        subject_id=questionnaire.id,
        subject_label=questionnaire.name_ja,
        after={"key": question.key, "kind": str(kind), "label_ja": label_ja, "label_en": label_en},
        actor=actor,
    )
    return question


def edit_question(question: SurveyQuestion, *, label_ja: str, label_en: str, actor: User):
    """A new version with the new labels; the old one is retired and keeps its answers."""
    _require_admin(actor)
    if question.retired_at is not None:
        raise Conflict("question_retired", _l("This question has been replaced already."))
    question.retired_at = now_utc()
    newer = SurveyQuestion(
        questionnaire_id=question.questionnaire_id,
        key=question.key,
        version=question.version + 1,
        position=question.position,
        kind=question.kind,
        label_ja=label_ja,
        label_en=label_en,
        choices=list(question.choices),
        required=question.required,
    )
    db.session.add(newer)
    db.session.flush()
    record_audit(
        "survey.question_edit",
        subject_type="questionnaire",
        subject_id=question.questionnaire_id,
        subject_label=question.key,
        before={"label_ja": question.label_ja, "label_en": question.label_en},
        after={"label_ja": label_ja, "label_en": label_en},
        actor=actor,
    )
    return newer


def attach(
    questionnaire: Questionnaire,
    *,
    program_id: int | None = None,
    session_id: int | None = None,
    actor: User,
) -> SurveyAssignment:
    """Use a questionnaire for a programme (every session) or one session."""
    _require_admin(actor)
    if (program_id is None) == (session_id is None):
        raise DomainError("invalid_target", _l("Choose a programme or a session."))
    column = SurveyAssignment.program_id if program_id else SurveyAssignment.session_id
    target = program_id or session_id
    row = db.session.scalar(select(SurveyAssignment).where(column == target))
    if row is None:
        row = SurveyAssignment(program_id=program_id, session_id=session_id)
        db.session.add(row)
    row.questionnaire_id = questionnaire.id
    db.session.flush()
    record_audit(
        "survey.attach",
        subject_type="program" if program_id else "session",
        subject_id=target,
        subject_label=questionnaire.name_ja,
        after={"questionnaire": questionnaire.key},
        actor=actor,
    )
    return row
