"""The 3-month follow-up (業務で活用できたか): optional per programme.

A regional administrator switches it on or off for a programme (:func:`switch`, audited).
Three calendar months after a session's end day in Tokyo (:func:`due_at`), the cron
command ``flask send-survey-followups`` asks each participant who attended it, once
(:func:`queue_followups`): a row in ``survey_followups`` (one per person and session, kept
by the database) and one mail; the home page lists it until answered. The answer (5-point,
and an optional free text) fills the same row, once (:func:`answer`).

Nobody is asked about a session they did not attend, nor when the follow-up was switched
off before the three months passed, nor about a session whose three months passed more
than :data:`ASK_WITHIN` ago (switching it on does not mail about years of history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from regional.audit import record_audit
from regional.errors import Conflict, DomainError, Forbidden, NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_of, months_after_utc, now_utc
from regional.people.models import User
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from regional.surveys.models import FollowupSetting, SurveyFollowup
from regional.surveys.services import TEXT_MAX, mail_participant
from regional.validation import InputProblem, text_problem, whole_number
from tenants import all_tenants

#: Calendar months from the session's end day to the follow-up.
MONTHS = 3
#: A follow-up whose day passed longer ago than this is not asked any more.
ASK_WITHIN = timedelta(days=30)
#: The answer's keys (the API's, as a survey's question keys).
SCALE_KEY = "applied"
TEXT_KEY = "applied_how"


def due_at(ts: TrainingSession) -> datetime:
    """When a session's follow-up is due: Tokyo midnight, three months after its end day."""
    return months_after_utc(ts.ends_at, MONTHS)


def setting_of(program_id: int) -> FollowupSetting | None:
    return db.session.scalar(
        select(FollowupSetting).where(FollowupSetting.program_id == program_id)
    )


def is_on(program_id: int) -> bool:
    setting = setting_of(program_id)
    return bool(setting and setting.enabled)


def switch(program, enabled: bool, actor: User) -> FollowupSetting:
    """Switch a programme's follow-up on or off (regional administrators; audited)."""
    if not actor.is_regional_admin:
        raise Forbidden("forbidden", _l("Questionnaires are kept by regional administrators."))
    setting = setting_of(program.id)
    before = bool(setting and setting.enabled)
    if setting is None:
        setting = FollowupSetting(program_id=program.id, enabled=enabled)
        db.session.add(setting)
    if before == enabled and setting.id is not None:
        return setting
    setting.enabled = enabled
    setting.switched_at = now_utc()
    db.session.flush()
    record_audit(
        "survey.followup_on" if enabled else "survey.followup_off",
        subject_type="program",
        subject_id=program.id,
        subject_label=program.code,
        before={"followup": before},
        after={"followup": enabled},
        actor=actor,
    )
    return setting


def _asks(ts: TrainingSession, setting: FollowupSetting, now: datetime) -> bool:
    due = due_at(ts)
    if not now - ASK_WITHIN < due <= now:
        return False
    # Switched off after the three months passed: those already due are still asked.
    return setting.enabled or setting.switched_at >= due


def _due_sessions(now: datetime) -> list[TrainingSession]:
    """Sessions of programmes with a follow-up setting whose follow-up is due now."""
    # Three calendar months are 89 to 92 days: a wide window in SQL, the exact day below.
    rows = db.session.execute(
        select(TrainingSession, FollowupSetting)
        .join(FollowupSetting, FollowupSetting.program_id == TrainingSession.program_id)
        .where(
            TrainingSession.ends_at <= now - timedelta(days=88),
            TrainingSession.ends_at >= now - ASK_WITHIN - timedelta(days=94),
        )
        .order_by(TrainingSession.id)
    ).all()
    return [ts for ts, setting in rows if _asks(ts, setting, now)]


def queue_followups() -> int:
    """Ask, once, every attended participant of each session whose follow-up is due
    (cron; every member's people, each mailed alone). Returns how many were asked."""
    now = now_utc()
    asked = 0
    with all_tenants(db.session):
        for ts in _due_sessions(now):
            already = exists().where(SurveyFollowup.registration_id == Registration.id)
            regs = db.session.scalars(
                select(Registration)
                .where(
                    Registration.session_id == ts.id,
                    Registration.attended.is_(True),
                    Registration.status == RegistrationStatus.ENROLLED,
                    ~already,
                )
                .order_by(Registration.id)
            ).all()
            for reg in regs:
                if _ask(reg, ts):
                    mail_participant(reg, "survey_followup")
                    asked += 1
        db.session.flush()
    return asked


def _ask(reg: Registration, ts: TrainingSession) -> bool:
    """One follow-up row; False when another run made it first (the database's key)."""
    try:
        with db.session.begin_nested():
            db.session.add(
                SurveyFollowup(
                    municipality_id=reg.municipality_id,
                    registration_id=reg.id,
                    employee_id=reg.employee_id,
                    session_id=ts.id,
                    program_id=ts.program_id,
                    fiscal_year=fiscal_year_of(ts.starts_at),
                )
            )
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class WaitingFollowup:
    """A follow-up the person has yet to answer."""

    registration: Registration
    followup: SurveyFollowup


def waiting_for(person: User) -> list[WaitingFollowup]:
    """The person's unanswered follow-ups, newest session first (read in their member)."""
    rows = db.session.execute(
        select(Registration, SurveyFollowup)
        .join(SurveyFollowup, SurveyFollowup.registration_id == Registration.id)
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .where(
            SurveyFollowup.employee_id == person.id,
            Registration.employee_id == person.id,
            SurveyFollowup.answered_at.is_(None),
        )
        .order_by(TrainingSession.starts_at.desc(), Registration.id)
    ).all()
    return [WaitingFollowup(reg, f) for reg, f in rows]


def to_answer(registration_id: int, person: User) -> SurveyFollowup:
    """The person's own follow-up for a registration; 404 for anyone else's or one never
    asked, 409 once answered."""
    found = db.session.scalar(
        select(SurveyFollowup).where(SurveyFollowup.registration_id == registration_id)
    )
    if (
        found is None
        or found.employee_id != person.id
        or found.municipality_id != person.municipality_id
    ):
        raise NotFound("not_found", _l("Not found."))
    if found.answered_at is not None:
        raise Conflict("already_answered", _l("You have already answered this survey."))
    return found


def _parsed(answers: object) -> tuple[int, str | None]:
    if not isinstance(answers, dict):
        raise DomainError("invalid_answer", _l("Answers must be given by question."))
    unknown = sorted(str(k)[:40] for k in answers if k not in (SCALE_KEY, TEXT_KEY))
    if unknown:
        raise DomainError(
            "invalid_answer",
            _l("The answer to question %(key)s is not one of its choices.", key=unknown[0]),
            key=unknown[0],
        )
    raw = answers.get(SCALE_KEY)
    if raw is None or raw == "":
        raise DomainError("answer_required", _l("Please answer every required question."))
    try:
        value = whole_number(raw, minimum=1, maximum=5)
    except InputProblem:
        raise DomainError(
            "invalid_answer",
            _l("The answer to question %(key)s is not one of its choices.", key=SCALE_KEY),
            key=SCALE_KEY,
        ) from None
    return value, _text(answers.get(TEXT_KEY))


def _text(raw: object) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise DomainError(
            "invalid_answer",
            _l("The answer to question %(key)s is not one of its choices.", key=TEXT_KEY),
            key=TEXT_KEY,
        )
    problem = text_problem(raw, multiline=True)
    if problem:
        raise DomainError("invalid_text", problem)
    text = raw.strip()
    if len(text) > TEXT_MAX:
        raise DomainError("invalid_text", _l("Free text is at most %(n)s characters.", n=TEXT_MAX))
    return text or None


def answer(registration_id: int, person: User, answers: object) -> SurveyFollowup:
    """Keep the person's follow-up answer (``{applied: 1-5, applied_how: text}``), once:
    the row is filled only while unanswered (a second answer, even at the same moment, 409)."""
    found = to_answer(registration_id, person)
    value, text = _parsed(answers)
    now = now_utc()
    done = db.session.execute(
        update(SurveyFollowup)
        .where(
            SurveyFollowup.id == found.id,
            SurveyFollowup.municipality_id == person.municipality_id,
            SurveyFollowup.employee_id == person.id,
            SurveyFollowup.answered_at.is_(None),
        )
        .values(value=value, text=text, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise Conflict("already_answered", _l("You have already answered this survey."))
    db.session.refresh(found)
    return found
