"""Who is mailed about a member's waiting work: its coordinators (and, in the coordinating
member, its regional administrators) who can sign in and have not turned the mail off."""

from __future__ import annotations

from sqlalchemy import select

from regional.extensions import db
from regional.people.models import AccountStatus, Role, User


def mailed_coordinators_stmt():
    """Coordinators and administrators who get the digest and the approval notices (in
    the current municipality; inside ``all_tenants``, of every member)."""
    return (
        select(User)
        .where(
            User.role.in_([Role.COORDINATOR, Role.REGIONAL_ADMIN]),
            User.status == AccountStatus.ACTIVE,
            User.password_hash.is_not(None),
            User.mail_digest.is_(True),
        )
        .order_by(User.municipality_id, User.id)
    )


def mailed_coordinators() -> list[User]:
    return list(db.session.scalars(mailed_coordinators_stmt()))
