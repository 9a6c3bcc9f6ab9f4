"""Survey results: figures only where at least :data:`THRESHOLD` people answered.

Every result carries the number who answered and the number asked (attended), so the
response rate stands beside every figure. Free text is shown without names, sorted by
its text (never in the order people answered), and only once the threshold is reached.
Who sees what is the tenant wall's: a coordinator reads their own people's answers
(for any session they attended), a regional administrator everyone's or one member's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from regional.extensions import db
from regional.fiscal import fiscal_year_utc_range
from regional.people.models import User
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from regional.surveys.models import (
    QuestionKind,
    SurveyAnswer,
    SurveyFollowup,
    SurveyQuestion,
    SurveyResponse,
)
from tenants import all_tenants
from tenants.scoping import acting_as

#: Fewer answers than this and a figure is not shown (回答5人未満のため非表示).
THRESHOLD = 5


def hidden_text() -> str:
    """What stands in for a figure below the threshold, on the pages and in the workbooks."""
    return _("Hidden: fewer than %(n)d people answered", n=THRESHOLD)


@dataclass(frozen=True)
class Scope:
    """What a result covers: any of a programme, a session, a fiscal year, a member."""

    program_id: int | None = None
    session_id: int | None = None
    fiscal_year: int | None = None
    municipality_id: int | None = None


@dataclass
class QuestionResult:
    key: str
    label: str
    kind: QuestionKind
    #: None below the threshold (as are mean and distribution).
    count: int | None
    mean: float | None
    #: (choice label, how many) per choice; None below the threshold.
    distribution: list[tuple[str, int]] | None


@dataclass
class FollowupResult:
    """The 3-month follow-up (業務で活用できたか): asked, answered, and the figures only
    where at least :data:`THRESHOLD` answered."""

    answered: int
    asked: int
    #: None below the threshold (as are the distribution and the comments).
    mean: float | None = None
    #: (1..5, how many); None below the threshold.
    distribution: list[tuple[str, int]] | None = None
    #: Free text, without names, sorted by text; empty below the threshold.
    comments: list[str] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.answered >= THRESHOLD

    @property
    def rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None


@dataclass
class Results:
    responses: int
    invited: int
    questions: list[QuestionResult] = field(default_factory=list)
    #: (question label, text), without names; empty below the threshold.
    comments: list[tuple[str, str]] = field(default_factory=list)
    #: The follow-up's figures where anyone in scope was asked it; else None.
    followup: FollowupResult | None = None

    @property
    def shown(self) -> bool:
        return self.responses >= THRESHOLD

    @property
    def rate(self) -> float | None:
        return self.responses / self.invited if self.invited else None


def viewing(viewer: User, municipality_id: int | None = None):
    """The wall for reading results: a coordinator their own member; an administrator
    every member, or the one asked for."""
    if not viewer.is_regional_admin:
        return acting_as(db.session, viewer.municipality_id)
    if municipality_id is not None:
        return acting_as(db.session, municipality_id)
    return all_tenants(db.session)


def _scope_filters(model: type[SurveyResponse] | type[SurveyFollowup], scope: Scope) -> list:
    """The scope's programme, session and fiscal year as filters on answers or follow-ups
    (both rows carry the three columns)."""
    out = []
    if scope.program_id is not None:
        out.append(model.program_id == scope.program_id)
    if scope.session_id is not None:
        out.append(model.session_id == scope.session_id)
    if scope.fiscal_year is not None:
        out.append(model.fiscal_year == scope.fiscal_year)
    return out


def invited_count(scope: Scope) -> int:
    """People asked: attended registrations of the sessions in scope (the wall applies)."""
    stmt = (
        select(func.count())
        .select_from(Registration)
        .join(TrainingSession, TrainingSession.id == Registration.session_id)
        .where(Registration.attended.is_(True), Registration.status == RegistrationStatus.ENROLLED)
    )
    if scope.program_id is not None:
        stmt = stmt.where(TrainingSession.program_id == scope.program_id)
    if scope.session_id is not None:
        stmt = stmt.where(Registration.session_id == scope.session_id)
    if scope.fiscal_year is not None:
        start, end = fiscal_year_utc_range(scope.fiscal_year)
        stmt = stmt.where(TrainingSession.starts_at >= start, TrainingSession.starts_at < end)
    return db.session.scalar(stmt) or 0


def results(scope: Scope, viewer: User, locale: str) -> Results:
    """The scope's results as the viewer may read them."""
    with viewing(viewer, scope.municipality_id):
        return _results(scope, locale)


def _results(scope: Scope, locale: str) -> Results:
    filters = _scope_filters(SurveyResponse, scope)
    responses = db.session.scalar(select(func.count(SurveyResponse.id)).where(*filters)) or 0
    out = Results(responses=responses, invited=invited_count(scope))
    answers = db.session.execute(
        select(
            SurveyAnswer.response_id,
            SurveyAnswer.question_id,
            SurveyAnswer.value,
            SurveyAnswer.text,
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(*filters)
    ).all()
    versions = _questions({qid for _r, qid, _v, _t in answers})
    grouped: dict[tuple[int, str], list] = defaultdict(list)
    for response_id, qid, value, text in answers:
        q = versions[qid]
        grouped[(q.questionnaire_id, q.key)].append((response_id, value, text))
    latest = _latest_labels(grouped.keys())
    for group_key, rows in sorted(grouped.items(), key=lambda kv: latest[kv[0]].position):
        question = latest[group_key]
        out.questions.append(_question_result(question, rows, locale, out.shown))
        if question.kind == QuestionKind.TEXT and out.shown:
            label = question.label(locale)
            out.comments.extend((label, text) for _r, _v, text in rows if text)
    out.comments.sort()
    out.followup = _followup(scope)
    return out


def _followup(scope: Scope) -> FollowupResult | None:
    """The follow-up's figures in scope (the wall applies): None where nobody was asked."""
    rows = db.session.execute(
        select(SurveyFollowup.value, SurveyFollowup.text, SurveyFollowup.answered_at).where(
            *_scope_filters(SurveyFollowup, scope)
        )
    ).all()
    if not rows:
        return None
    answered = [(value, text) for value, text, at in rows if at is not None]
    out = FollowupResult(answered=len(answered), asked=len(rows))
    if not out.shown:
        return out
    values = [v for v, _t in answered if v is not None]
    out.mean = round(sum(values) / len(values), 2) if values else None
    out.distribution = [(str(n), values.count(n)) for n in range(1, 6)]
    out.comments = sorted(t for _v, t in answered if t)
    return out


def _questions(ids: set[int]) -> dict[int, SurveyQuestion]:
    if not ids:
        return {}
    return {
        q.id: q
        for q in db.session.scalars(select(SurveyQuestion).where(SurveyQuestion.id.in_(ids)))
    }


def _latest_labels(keys) -> dict[tuple[int, str], SurveyQuestion]:
    """The newest version of each (questionnaire, key): past answers read under today's label."""
    out: dict[tuple[int, str], SurveyQuestion] = {}
    for questionnaire_id, key in keys:
        out[(questionnaire_id, key)] = db.session.scalars(
            select(SurveyQuestion)
            .where(SurveyQuestion.questionnaire_id == questionnaire_id, SurveyQuestion.key == key)
            .order_by(SurveyQuestion.version.desc())
        ).first()
    return out


def _question_result(q: SurveyQuestion, rows: list, locale: str, shown: bool) -> QuestionResult:
    people = len({r for r, _v, _t in rows})
    if not shown or people < THRESHOLD:
        return QuestionResult(q.key, q.label(locale), q.kind, None, None, None)
    if q.kind == QuestionKind.TEXT:
        return QuestionResult(q.key, q.label(locale), q.kind, people, None, None)
    labels = q.choice_labels(locale)
    low = 1 if q.kind == QuestionKind.SCALE5 else 0
    counts = [0] * len(labels)
    for _r, value, _t in rows:
        if value is not None and 0 <= value - low < len(counts):
            counts[value - low] += 1
    mean = None
    if q.kind == QuestionKind.SCALE5:
        values = [v for _r, v, _t in rows if v is not None]
        mean = round(sum(values) / len(values), 2) if values else None
    return QuestionResult(
        q.key, q.label(locale), q.kind, people, mean, list(zip(labels, counts, strict=True))
    )


#: The programme review's trend reaches back this many fiscal years (those with answers).
TREND_YEARS = 5


def years_answered(program_id: int, viewer: User) -> list[int]:
    """Fiscal years with answers to the survey or the follow-up for a programme (as the
    viewer may read them; the last :data:`TREND_YEARS`), oldest first."""
    with viewing(viewer):
        years = set(
            db.session.scalars(
                select(SurveyResponse.fiscal_year)
                .where(SurveyResponse.program_id == program_id)
                .distinct()
            )
        ) | set(
            db.session.scalars(
                select(SurveyFollowup.fiscal_year)
                .where(
                    SurveyFollowup.program_id == program_id,
                    SurveyFollowup.answered_at.is_not(None),
                )
                .distinct()
            )
        )
    return sorted(years)[-TREND_YEARS:]


def trend(program_id: int, viewer: User, locale: str) -> list[tuple[int, Results]]:
    """The programme's results per fiscal year answered (the last five), oldest first."""
    return [
        (fy, results(Scope(program_id=program_id, fiscal_year=fy), viewer, locale))
        for fy in years_answered(program_id, viewer)
    ]
