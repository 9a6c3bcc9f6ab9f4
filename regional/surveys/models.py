"""Questionnaires (研修アンケート), the questions they ask, and people's answers.

Questions are append-only: a label edited, or a question withdrawn, makes a new version or
marks the old one retired, never rewrites it. An answer names the question version it
answered, so past results read as they were asked.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from regional.enums import str_enum
from regional.extensions import db
from tenants import TenantScoped
from tenants.base import utcnow


class QuestionKind(enum.StrEnum):
    SCALE5 = "scale5"  # 1 (lowest) to 5 (highest)
    SINGLE = "single"  # one of the choices (its index)
    MULTIPLE = "multiple"  # any of the choices (their indexes)
    TEXT = "text"  # free text, shown without names


#: The questionnaire every programme uses unless another is attached.
STANDARD_KEY = "standard"


class Questionnaire(db.Model):
    """A set of questions kept by regional administrators; shared by the region."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A stable name for scripts: ``standard`` for the one the platform came with.
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def name(self, locale: str) -> str:
        return (self.name_en or self.name_ja) if locale == "en" else self.name_ja

    @classmethod
    def standard(cls):
        return select(cls).where(cls.key == STANDARD_KEY)


class SurveyQuestion(db.Model):
    """One version of one question; a new label is a new row with the same key."""

    __tablename__ = "survey_questions"
    __table_args__ = (
        UniqueConstraint("questionnaire_id", "key", "version", name="uq_survey_question_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: Names the question across its versions (the API's answer key).
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    label_ja: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300), default="")
    #: Choices of single and multiple choice questions: ``[{"ja": ..., "en": ...}]``.
    choices: Mapped[list[dict]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Set when a newer version replaced it or it was withdrawn: no longer asked.
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def label(self, locale: str) -> str:
        return (self.label_en or self.label_ja) if locale == "en" else self.label_ja

    def choice_labels(self, locale: str) -> list[str]:
        if self.kind == QuestionKind.SCALE5:
            return ["1", "2", "3", "4", "5"]
        return [(c.get("en") or c["ja"]) if locale == "en" else c["ja"] for c in self.choices]

    @classmethod
    def asked(cls, questionnaire_id: int):
        """The questions a questionnaire asks now, in order."""
        return (
            select(cls)
            .where(cls.questionnaire_id == questionnaire_id, cls.retired_at.is_(None))
            .order_by(cls.position, cls.id)
        )


class SurveyAssignment(db.Model):
    """Which questionnaire a programme or one session uses (none: the standard one)."""

    __tablename__ = "survey_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), unique=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_sessions.id"), unique=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))


class SurveyInvitation(TenantScoped, db.Model):
    """A participant asked to answer (when their attendance was recorded), and reminded once."""

    __tablename__ = "survey_invitations"
    tenant_index = False
    __table_args__ = (
        UniqueConstraint("registration_id", name="uq_survey_invitation_registration"),
        Index("ix_survey_invitations_person", "municipality_id", "employee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    employee_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]


class SurveyResponse(TenantScoped, db.Model):
    """One person's answer to one session's questionnaire; the participant's member owns it."""

    __tablename__ = "survey_responses"
    tenant_index = False
    __table_args__ = (
        # One answer per person and session: a second submission finds this row.
        UniqueConstraint("session_id", "employee_id", name="uq_survey_response_once"),
        UniqueConstraint("registration_id", name="uq_survey_response_registration"),
        Index("ix_survey_responses_member_program", "municipality_id", "program_id"),
        Index("ix_survey_responses_program", "program_id", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    employee_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    #: The fiscal year of the session (results are read per year).
    fiscal_year: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    answers: Mapped[list[SurveyAnswer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class SurveyAnswer(TenantScoped, db.Model):
    """One answer to one question version (a multiple choice: one row per choice)."""

    __tablename__ = "survey_answers"
    tenant_index = False
    __table_args__ = (Index("ix_survey_answers_response", "municipality_id", "response_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), index=True)
    #: 1-5 for a scale, the choice's index for single and multiple choice.
    value: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[SurveyResponse] = relationship(back_populates="answers")


class FollowupSetting(db.Model):
    """Whether a programme asks the 3-month follow-up (業務で活用できたか); the region's.

    No row: off. Switching keeps the row and its time, so a session whose three months
    passed before the switch off is still asked, and one whose months had not is not.
    """

    __tablename__ = "survey_followup_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When it was last switched on or off (UTC).
    switched_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyFollowup(TenantScoped, db.Model):
    """One participant asked, three months after a session, whether they could use it at
    work; their answer fills the same row (one per person and session)."""

    __tablename__ = "survey_followups"
    tenant_index = False
    __table_args__ = (
        # One follow-up per person and session: asked once, answered once.
        UniqueConstraint("session_id", "employee_id", name="uq_survey_followup_once"),
        UniqueConstraint("registration_id", name="uq_survey_followup_registration"),
        Index("ix_survey_followups_person", "municipality_id", "employee_id"),
        Index("ix_survey_followups_program", "program_id", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    employee_id: Mapped[int] = mapped_column(Integer)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    #: The fiscal year of the session (results are read per year, beside the survey's).
    fiscal_year: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: 1 (全く活用できていない) to 5 (大いに活用できた); NULL until answered.
    value: Mapped[int | None] = mapped_column(Integer)
    #: How they used it, or why they could not (optional; shown without names).
    text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
