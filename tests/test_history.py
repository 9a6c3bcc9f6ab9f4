"""History from before the platform: past sessions, late registrations, attendance that counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from regional.attendance.models import Completion
from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.people.models import User
from regional.sessions.models import TrainingSession
from regional.sessions.services import SessionPlan, create_session
from regional.targets.progress import municipality_progress
from tenants import all_tenants
from tenants.scoping import acting_as
from tests.fixtures_sessions import session_form, within
from tests.fixtures_targets import target

A = "332038"
FY2024 = {
    "starts_at": "2024-06-10T10:00:00+09:00",
    "ends_at": "2024-06-10T12:00:00+09:00",
    "registration_opens_at": "2024-05-01T09:00:00+09:00",
    "registration_closes_at": "2024-06-01T17:00:00+09:00",
}


@pytest.fixture
def security_program(app) -> int:
    with within(app):
        return db.session.scalar(select(Program.id).where(Program.code == "GEN-SEC-101"))


def _body(program_id: int, **overrides) -> dict:
    return {
        "program_id": program_id,
        "venue": "岡山市役所",
        "capacity": 30,
        "requires_approval": False,
        **FY2024,
        **overrides,
    }


def test_an_fy2024_session_entered_afterwards_counts_in_fy2024(app, api, world, security_program):
    admin = api(world.emails["admin"])
    resp = admin.post("/sessions", json=_body(security_program))
    assert resp.status_code == 201, resp.get_json()
    sid = resp.get_json()["id"]
    # Registered long after the window closed: the regional administrator may.
    reg = admin.post(f"/sessions/{sid}/registrations", json={"employee_id": world.employee_a})
    assert reg.status_code == 201 and reg.get_json()["status"] == "enrolled"
    # The coordinator records their own person's attendance.
    coordinator = api(world.emails["coordinator_a"])
    marked = coordinator.post(
        f"/sessions/{sid}/attendance",
        json=[{"registration_id": reg.get_json()["id"], "attended": True}],
    )
    assert marked.status_code == 200, marked.get_json()
    with within(app):
        with all_tenants(db.session):
            c = db.session.scalar(select(Completion).where(Completion.session_id == sid))
            assert (c.completed_on, c.fiscal_year) == (date(2024, 6, 10), 2024)
        target(world.muni_a, "security", 100, 2024)
        mp = municipality_progress(db.session, world.muni_a, 2024, today=date(2026, 1, 1))
        assert mp.targets[0].achieved == 1
    # An employee still cannot register themselves to it: the window is long closed.
    own = api(world.emails["employee_a2"]).post(f"/sessions/{sid}/registrations", json={})
    assert own.status_code == 422


def test_an_administrator_enters_a_past_session_through_the_form(app, as_admin, security_program):
    data = session_form(
        security_program,
        starts_at="2025-02-03T13:00",
        ends_at="2025-02-03T15:00",
        registration_opens_at="2025-01-06T09:00",
        registration_closes_at="2025-01-31T17:00",
    )
    resp = as_admin.form_post("/sessions/new", data)
    assert resp.status_code == 302
    with within(app):
        ts = db.session.scalar(select(TrainingSession).order_by(TrainingSession.id.desc()))
        assert ts.starts_at.year == 2025 and ts.starts_at.month == 2


def test_a_coordinator_cannot_enter_a_past_session(app, as_coordinator_a, security_program):
    data = session_form(
        security_program,
        starts_at="2025-02-03T13:00",
        ends_at="2025-02-03T15:00",
        registration_opens_at="2025-01-06T09:00",
        registration_closes_at="2025-01-31T17:00",
    )
    with within(app):
        before = db.session.scalar(select(db.func.count()).select_from(TrainingSession))
    resp = as_coordinator_a.form_post("/sessions/new", data, headers={"Accept-Language": "en"})
    assert resp.status_code == 422
    assert "The start must be in the future." in resp.get_data(as_text=True)
    with within(app):
        assert db.session.scalar(select(db.func.count()).select_from(TrainingSession)) == before


def test_the_past_rule_is_in_the_service_not_only_the_form(ctx, world, security_program):
    from datetime import datetime

    from regional.fiscal import TOKYO

    with acting_as(db.session, world.muni_a):
        coordinator = db.session.get(User, world.coordinator_a)
        plan = SessionPlan(
            program_id=security_program,
            starts_at=datetime(2024, 6, 10, 10, tzinfo=TOKYO),
            ends_at=datetime(2024, 6, 10, 12, tzinfo=TOKYO),
            venue="津山市役所",
            capacity=10,
            registration_opens_at=datetime(2024, 5, 1, 9, tzinfo=TOKYO),
            registration_closes_at=datetime(2024, 6, 1, 9, tzinfo=TOKYO),
        )
        with pytest.raises(DomainError) as caught:
            create_session(plan, coordinator)
        assert caught.value.code == "starts_in_past"
