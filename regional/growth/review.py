"""The coordinator's review of what a person recorded: qualifications and on-the-job training.

One flow for both: a record waits; the coordinator accepts it (a qualification is
verified, a project confirmed) or, where the kind allows, sends it back with a reason and
the person is told by mail. Nobody reviews their own record (the one guard,
:func:`regional.roles.require_confirmer`). Every step is audited with the before and after
of the record; views commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from regional.audit import audited
from regional.fiscal import now_utc
from regional.growth import rules
from regional.mail.services import queue_mail
from regional.roles import require_confirmer


@dataclass(frozen=True)
class Review:
    """How one kind of record is reviewed."""

    #: Audit subject type ("qualification", "ojt").
    kind: str
    #: The refusal when the reviewer is the record's person.
    own_message: Any
    snapshot: Callable[[Any], dict]
    #: The entry's subject label.
    label: Callable[[Any], str]
    #: Accepting: the audit action (written out, so a search for it finds it) and the
    #: status it sets.
    accept_action: str
    accepted: Enum
    #: Who reviewed and when (the record's column names).
    reviewer_field: str
    reviewed_at_field: str
    #: Sending back, if the kind allows it: the audit action, the status, the reason's
    #: column and the mail.
    return_action: str | None = None
    returned: Enum | None = None
    reason_field: str | None = None
    return_mail: str | None = None
    mail_context: Callable[[Any], dict] | None = None


def check_reviewer(review: Review, record: Any, actor: Any) -> None:
    """Refuse a reviewer who may not review this record (their own, another member's)."""
    require_confirmer(actor, record.employee_id, record.municipality_id, review.own_message)


def _step(review: Review, action: str, record: Any, actor: Any):
    return audited(
        action,
        target=record,
        snapshot=review.snapshot,
        changed_only=False,
        always=True,
        subject_type=review.kind,
        subject_label=review.label,
        actor=actor,
    )


def _mark(review: Review, record: Any, status: Enum, actor: Any) -> None:
    record.status = status
    setattr(record, review.reviewer_field, actor.id)
    setattr(record, review.reviewed_at_field, now_utc())


def accept(review: Review, record: Any, actor: Any) -> Any:
    """Accept the record (verify, confirm); accepting it again changes nothing."""
    check_reviewer(review, record, actor)
    if record.status == review.accepted:
        return record
    with _step(review, review.accept_action, record, actor):
        if review.reason_field:
            setattr(record, review.reason_field, None)
        _mark(review, record, review.accepted, actor)
    return record


def send_back(review: Review, record: Any, reason: object, actor: Any) -> Any:
    """Return the record to its person with a reason; they are told by mail."""
    check_reviewer(review, record, actor)
    reason = rules.text(reason, "reason", max_len=1000, lines=True)
    with _step(review, review.return_action, record, actor) as trail:
        _mark(review, record, review.returned, actor)
        setattr(record, review.reason_field, reason)
        trail.detail["reason"] = reason
    employee = record.employee
    queue_mail(
        employee.email,
        review.return_mail,
        locale=employee.locale,
        municipality_id=employee.municipality_id,
        employee=employee,
        reason=reason,
        **review.mail_context(record),
    )
    return record
