"""Inviting eligible people who do not count yet to a coming session.

What a coordinator expects (decided with the issue in mind): an invitation, not
a registration made behind the person's back. The coordinator first sees who gets
what and the mail itself (:mod:`regional.people.mailing`); people who have never
signed in get the invitation to choose a password instead. Staff register themselves, and
their 所属長 may need to agree, so the coordinator sends each person ticked a mail
(through the outbox, in the same transaction) naming the session, with the link
where they register in one step. People already registered for the session or
who already completed its programme are skipped and counted. The invitation is
recorded in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from regional.dashboards.queries import already_served
from regional.extensions import db
from regional.mail.services import queue_mail
from regional.people import mailing
from regional.people.mailing import Mailing
from regional.people.models import AccountStatus, User
from regional.sessions.models import TrainingSession

#: At most this many people per invitation (one page of the drill-down).
MAX_INVITES = 200


@dataclass(frozen=True)
class InvitePlan:
    """Who an invitation to a session reaches (confirmation page and sending alike)."""

    mailing: Mailing
    #: Already registered for the session or already served by its programme.
    served: int
    #: Ids not found among the municipality's active staff (another member's, unknown).
    not_found: int

    @property
    def skipped(self) -> int:
        return self.served + self.not_found + len(self.mailing.invited_lately)


def plan(
    training_session: TrainingSession,
    employee_ids: list[int],
    *,
    municipality_id: int,
    fiscal_year: int | None,
) -> InvitePlan:
    """Who gets the invitation to the session, who the invitation to choose a password
    first (never signed in), and how many are skipped (of the current municipality only)."""
    ids = list(dict.fromkeys(employee_ids))[:MAX_INVITES]
    # Tenant-scoped: someone of another municipality is simply not found.
    people = list(
        db.session.scalars(
            select(User)
            .where(
                User.id.in_(ids),
                User.municipality_id == municipality_id,
                User.status == AccountStatus.ACTIVE,
            )
            .order_by(User.employee_number, User.id)
        )
    )
    served = already_served(training_session, [p.id for p in people], fiscal_year)
    chosen = mailing.split(p for p in people if p.id not in served)
    return InvitePlan(
        chosen,
        served=len(people) - len(chosen.people) - len(chosen.invited_lately),
        not_found=len(ids) - len(people),
    )


def context(training_session: TrainingSession, sender: User, target_label: str):
    """The context of ``mail/dashboard_invitation.txt`` for one person."""
    return lambda person: {
        "employee": person,
        "sender": sender,
        "training_session": training_session,
        "target_label": target_label,
    }


def invite(
    training_session: TrainingSession,
    invite_plan: InvitePlan,
    *,
    sender: User,
    municipality_id: int,
    target_label: str,
) -> None:
    """Queue the mail of each person of the plan, and note the invitation in the trail."""
    of = context(training_session, sender, target_label)
    mailing.send(
        invite_plan.mailing,
        sender,
        lambda person: queue_mail(
            person.email,
            "dashboard_invitation",
            locale=person.locale,
            municipality_id=municipality_id,
            **of(person),
        ),
    )
    _audit(training_session, invite_plan, municipality_id, target_label)


def _audit(ts: TrainingSession, p: InvitePlan, municipality_id: int, label: str) -> None:
    from regional.audit import record_audit

    record_audit(
        "progress.invite",
        subject_type="training_session",
        subject_id=ts.id,
        subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d}",
        detail={
            "sent": len(p.mailing.notices),
            "invited_to_sign_in": len(p.mailing.invitations),
            "skipped": p.skipped,
            "target": label,
        },
        municipality_id=municipality_id,
    )
