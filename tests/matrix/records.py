"""Records of municipality A and B (and shared ones) that matrix cases point at.

Feature modules may add their own records with a function ``extend(records)``
listed in EXTENSIONS (import it from their matrix module).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from regional.extensions import db
from regional.people.models import AccountStatus, Role, User
from regional.registrations import actions
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories


@dataclass
class Records:
    world: object
    #: kind -> owner ("A"/"B"/"-") -> id or value
    ids: dict[str, dict[str, object]] = field(default_factory=dict)
    #: the whole database's fingerprint right after the records were built
    fingerprint: str = ""

    def __getitem__(self, kind: str) -> dict[str, object]:
        return self.ids[kind]

    def put(self, kind: str, owner: str, value: object) -> None:
        self.ids.setdefault(kind, {})[owner] = value

    def code(self, owner: str) -> str:
        return {"A": "332038", "B": "332046", "-": "331007"}[owner]


def build(world) -> Records:
    """Made inside the test's transaction, so every test starts from the same state."""
    rec = Records(world=world)
    rec.put("user", "A", world.employee_a)
    rec.put("user", "B", world.employee_b)
    for owner, muni in (("A", world.muni_a), ("B", world.muni_b)):
        dept = factories.make_org_unit(muni, f"総務部{owner}", OrgLevel.DEPARTMENT)
        div = factories.make_org_unit(muni, f"デジタル推進課{owner}", OrgLevel.DIVISION, dept)
        rec.put("org_unit", owner, div.id)
        pending = factories.make_user(muni, status=AccountStatus.PENDING_APPROVAL)
        rec.put("pending_user", owner, pending.id)
        factories.make_user(muni, role=Role.EMPLOYEE)
    program = factories.make_program()
    rec.put("program", "-", program.id)
    shared = factories.make_session(program, capacity=20)
    rec.put("session", "-", shared.id)
    past = factories.make_session(
        program,
        capacity=20,
        starts_in=timedelta(hours=-2),
        hours=1,
        closes_in=timedelta(hours=-3),
        opens_in=timedelta(days=-10),
    )
    rec.put("past_session", "-", past.id)
    approval = factories.make_session(
        program, capacity=20, requires_approval=True, starts_in=timedelta(days=20)
    )
    rec.put("approval_session", "-", approval.id)
    for owner, muni in (("A", world.muni_a), ("B", world.muni_b)):
        hosted = factories.make_session(
            program, capacity=5, host_municipality_id=muni, starts_in=timedelta(days=30)
        )
        rec.put("hosted_session", owner, hosted.id)
    # Registrations: one per municipality on the shared, the past and the approval session.
    for owner, muni, emp in (
        ("A", world.muni_a, world.employee_a),
        ("B", world.muni_b, world.employee_b),
    ):
        with acting_as(db.session, muni):
            employee = db.session.get(User, emp)
            admin = None
            with acting_as(db.session, world.muni_admin):
                admin = db.session.get(User, world.admin)
            reg = actions.register(shared.id, employee, employee)
            rec.put("registration", owner, reg.id)
            past_reg = actions.register(past.id, employee, admin)
            rec.put("past_registration", owner, past_reg.id)
            pending_reg = actions.register(approval.id, employee, employee)
            rec.put("pending_registration", owner, pending_reg.id)
    db.session.flush()
    for extend in EXTENSIONS:
        extend(rec)
    db.session.flush()
    return rec


#: Functions that add feature-specific records: ``def extend(records) -> None``.
EXTENSIONS: list = []
