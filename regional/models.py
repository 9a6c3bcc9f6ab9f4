"""Every model, imported once so Alembic and the ORM see the whole schema."""

from regional.attendance.models import Certificate, Completion
from regional.audit.models import AuditEntry
from regional.auth.models import LoginThrottle
from regional.catalogue.models import Program, ProgramRevision, SkillArea
from regional.growth.models import (
    Material,
    OjtRecord,
    Qualification,
    QualificationPersona,
)
from regional.heads.models import HeadSetting, UnitHead
from regional.mail.models import MailSignature, OutboundMail
from regional.notices.models import Notice, NoticeRead
from regional.people.job_categories import JobCategoryWord
from regional.people.models import User
from regional.people.uploads import RosterUpload
from regional.registrations.models import ProgramInterest
from regional.reports.models import ParticipantReport
from regional.seats.models import Registration
from regional.sessions.models import SeatAllocation, TrainingSession
from regional.surveys.models import (
    Questionnaire,
    SurveyAnswer,
    SurveyAssignment,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)
from regional.targets.models import Measure, PersonaProgress, ProgressCount, Target
from tenants.models import Municipality, OrgUnit

__all__ = [
    "AuditEntry",
    "Certificate",
    "HeadSetting",
    "JobCategoryWord",
    "Completion",
    "LoginThrottle",
    "MailSignature",
    "Notice",
    "NoticeRead",
    "Material",
    "Measure",
    "Municipality",
    "OrgUnit",
    "OjtRecord",
    "OutboundMail",
    "ParticipantReport",
    "PersonaProgress",
    "Program",
    "ProgramInterest",
    "ProgressCount",
    "ProgramRevision",
    "Qualification",
    "QualificationPersona",
    "Questionnaire",
    "Registration",
    "RosterUpload",
    "SeatAllocation",
    "SkillArea",
    "SurveyAnswer",
    "SurveyAssignment",
    "SurveyInvitation",
    "SurveyQuestion",
    "SurveyResponse",
    "Target",
    "TrainingSession",
    "UnitHead",
    "User",
]
