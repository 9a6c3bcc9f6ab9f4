"""Every model, imported once so Alembic and the ORM see the whole schema."""

from regional.auth.models import LoginThrottle
from regional.catalogue.models import Program, ProgramRevision, SkillArea
from regional.mail.models import OutboundMail
from regional.people.models import User
from regional.registrations.models import Completion, Registration
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants.models import Municipality, OrgUnit

__all__ = [
    "Completion",
    "LoginThrottle",
    "Municipality",
    "OrgUnit",
    "OutboundMail",
    "Program",
    "ProgramRevision",
    "Registration",
    "SeatAllocation",
    "SkillArea",
    "TrainingSession",
    "User",
]
