"""Invitations: imported staff sign in after choosing a password from a mailed link.

Nobody sets or sees another person's password. An imported person has none
(and so cannot sign in) until they follow the invitation, which proves the
address is theirs; the link works once (a password voids it) and for a week.
Invitations go through the outbox, in batches the coordinator sends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from regional import signing as tokens
from regional.audit import record_audit
from regional.errors import Conflict
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.services import queue_mail
from regional.people.models import AccountStatus, User

#: Invitations queued per click: the outbox delivers them after the commit (or by cron).
BATCH = 200


def awaiting_first_sign_in():
    """People with an account in use but no password yet (imported, not signed up)."""
    return select(User).where(User.status == AccountStatus.ACTIVE, User.password_hash.is_(None))


def not_invited():
    return (
        awaiting_first_sign_in()
        .where(User.invited_at.is_(None))
        .order_by(User.employee_number, User.id)
    )


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def may_invite(user: User) -> bool:
    return user.status == AccountStatus.ACTIVE and user.password_hash is None


def _link(token: str) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return base + url_for("auth.welcome", token=token, _external=False)


def invitation_context(user: User, link: str) -> dict:
    """What ``mail/people_invitation.txt`` reads (also for the example a confirmation shows,
    with a stand-in for the personal link)."""
    days = tokens.MAX_AGE[tokens.INVITE] // 86400
    return {
        "person": user,
        "municipality": user.municipality,
        "link": link,
        "max_age_days": days,
        "valid_until": now_utc() + timedelta(days=days),
    }


def invited_lately(user: User, now: datetime | None = None) -> bool:
    """Whether the person's last invitation's link still works (sent within its lifetime)."""
    if user.invited_at is None:
        return False
    sent = user.invited_at if user.invited_at.tzinfo else user.invited_at.replace(tzinfo=UTC)
    return sent > (now or now_utc()) - timedelta(seconds=tokens.MAX_AGE[tokens.INVITE])


def invite(user: User, actor: User) -> None:
    """Queue one invitation (again, if one was sent before) and note it in the audit trail."""
    if not may_invite(user):
        raise Conflict(
            "already_has_password",
            _l("This person can already sign in: they use their password or ask for a new one."),
        )
    queue_mail(
        user.email,
        "people_invitation",
        locale=user.locale or "ja",
        municipality_id=user.municipality_id,
        **invitation_context(user, _link(tokens.make_token(user, tokens.INVITE))),
    )
    again = user.invited_at is not None
    user.invited_at = now_utc()
    record_audit(
        "account.reinvite" if again else "account.invite",
        subject_type="user",
        subject_id=user.id,
        subject_label=user.name,
        actor=actor,
        detail={"again": again},
    )


def invite_batch(actor: User, limit: int = BATCH) -> tuple[int, int]:
    """Invite the next ``limit`` people never invited; returns (invited now, still to invite)."""
    people = list(db.session.scalars(not_invited().limit(limit)))
    for user in people:
        invite(user, actor)
    db.session.flush()
    return len(people), count(not_invited())
