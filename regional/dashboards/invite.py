"""Inviting eligible people who do not count yet to a coming session.

What a coordinator expects (decided with the issue in mind): an invitation, not
a registration made behind the person's back. Staff register themselves, and
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
from regional.people.models import AccountStatus, User
from regional.sessions.models import TrainingSession

#: At most this many people per invitation (one page of the drill-down).
MAX_INVITES = 200


@dataclass(frozen=True)
class InviteResult:
    sent: int
    skipped: int


def invite(
    training_session: TrainingSession,
    employee_ids: list[int],
    *,
    sender: User,
    municipality_id: int,
    target_label: str,
    fiscal_year: int | None,
) -> InviteResult:
    """Queue one invitation mail per person (of the current municipality only)."""
    ids = list(dict.fromkeys(employee_ids))[:MAX_INVITES]
    # Tenant-scoped: someone of another municipality is simply not found.
    people = list(
        db.session.scalars(
            select(User).where(
                User.id.in_(ids),
                User.municipality_id == municipality_id,
                User.status == AccountStatus.ACTIVE,
            )
        )
    )
    served = already_served(training_session, [p.id for p in people], fiscal_year)
    sent = 0
    for person in people:
        if person.id in served:
            continue
        queue_mail(
            person.email,
            "dashboard_invitation",
            locale=person.locale,
            municipality_id=municipality_id,
            employee=person,
            sender=sender,
            training_session=training_session,
            target_label=target_label,
        )
        sent += 1
    _audit(training_session, sent, len(ids) - sent, municipality_id, target_label)
    return InviteResult(sent=sent, skipped=len(ids) - sent)


def _audit(ts: TrainingSession, sent: int, skipped: int, municipality_id: int, label: str) -> None:
    try:
        from regional.audit import record_audit
    except ImportError:  # the audit trail is another feature's; invitations work without it
        return
    record_audit(
        "progress.invite",
        subject_type="training_session",
        subject_id=ts.id,
        subject_label=f"{ts.program.code} {ts.starts_at:%Y-%m-%d}",
        detail={"sent": sent, "skipped": skipped, "target": label},
        municipality_id=municipality_id,
    )
