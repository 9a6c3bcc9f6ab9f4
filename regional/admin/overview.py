"""The region side by side: a few counts per member, read across the wall on purpose."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from regional.attendance.models import Completion
from regional.extensions import db
from regional.fiscal import fiscal_year_utc_range
from regional.people.models import AccountStatus, Role, User
from regional.seats.models import SEAT_HOLDING, Registration
from regional.sessions.models import SessionStatus, TrainingSession
from tenants import all_tenants
from tenants.models import Municipality, OrgUnit


@dataclass
class MemberCounts:
    municipality: Municipality
    people: int = 0
    active: int = 0
    #: the people page's 承認待ち and メールアドレス確認待ち (User.count_by_status)
    awaiting_approval: int = 0
    awaiting_email: int = 0
    disabled: int = 0
    coordinators: int = 0
    org_units: int = 0
    registrations: int = 0
    completions: int = 0


@dataclass
class RegionOverview:
    fiscal_year: int
    rows: list[MemberCounts] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.rows)


def region_overview(fiscal_year: int) -> RegionOverview:
    """Counts for every member in one pass per table (grouped by municipality, never per row)."""
    members = db.session.scalars(Municipality.ordered()).all()
    rows = {m.id: MemberCounts(municipality=m) for m in members}
    start, end = fiscal_year_utc_range(fiscal_year)
    # Regional administrators compare members: a deliberate, read-only cross-tenant aggregate.
    with all_tenants(db.session):
        by_status = db.session.execute(User.count_by_status(by_municipality=True)).all()
        coordinators = db.session.execute(
            select(User.municipality_id, func.count())
            .where(User.role == Role.COORDINATOR, User.status == AccountStatus.ACTIVE)
            .group_by(User.municipality_id)
        ).all()
        units = db.session.execute(
            select(OrgUnit.municipality_id, func.count())
            .where(OrgUnit.active.is_(True))
            .group_by(OrgUnit.municipality_id)
        ).all()
        registrations = db.session.execute(
            select(Registration.municipality_id, func.count())
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .where(
                Registration.status.in_(SEAT_HOLDING),
                TrainingSession.status == SessionStatus.SCHEDULED,
                TrainingSession.starts_at >= start,
                TrainingSession.starts_at < end,
            )
            .group_by(Registration.municipality_id)
        ).all()
        completions = db.session.execute(
            select(Completion.municipality_id, func.count())
            .where(Completion.fiscal_year == fiscal_year)
            .group_by(Completion.municipality_id)
        ).all()
    field_of = {
        AccountStatus.ACTIVE: "active",
        AccountStatus.PENDING_APPROVAL: "awaiting_approval",
        AccountStatus.PENDING_EMAIL: "awaiting_email",
        AccountStatus.DISABLED: "disabled",
    }
    for mid, status, count in by_status:
        if mid in rows:
            setattr(rows[mid], field_of[status], int(count))
    for row in rows.values():
        row.people = row.active + row.awaiting_approval + row.awaiting_email
    for attr, result in (
        ("coordinators", coordinators),
        ("org_units", units),
        ("registrations", registrations),
        ("completions", completions),
    ):
        for mid, count in result:
            if mid in rows:
                setattr(rows[mid], attr, int(count))
    return RegionOverview(fiscal_year=fiscal_year, rows=list(rows.values()))


def coordinators_by_member() -> list[tuple[Municipality, list[User]]]:
    """Every member with its training coordinators (a cross-tenant read for the region's admins)."""
    members = db.session.scalars(Municipality.ordered()).all()
    with all_tenants(db.session):
        people = db.session.scalars(User.coordinators()).all()
    by_member: dict[int, list[User]] = {}
    for user in people:
        by_member.setdefault(user.municipality_id, []).append(user)
    return [(m, by_member.get(m.id, [])) for m in members]
