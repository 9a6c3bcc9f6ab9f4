"""The home page says what needs doing today, per role (issue 9)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from regional.attendance.models import Completion, CompletionSource
from regional.audit.models import AuditEntry
from regional.catalogue.models import Program, SkillArea
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.mail.models import OutboundMail
from regional.people.models import JobCategory
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.fixtures_sessions import register, within
from tests.test_session_life import _ended_with_registration

EN = {"Accept-Language": "en"}


def _home(client) -> str:
    resp = client.get("/", headers=EN)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _complete(employee_id: int, municipality_id: int, area_key: str, fy: int) -> None:
    program = db.session.scalar(
        select(Program).join(SkillArea).where(SkillArea.key == area_key).limit(1)
    )
    with acting_as(db.session, municipality_id):
        db.session.add(
            Completion(
                employee_id=employee_id,
                program_id=program.id,
                program_revision=program.revision,
                program_code=program.code,
                title_ja=program.title_ja,
                title_en=program.title_en,
                tier=program.tier.value,
                track=program.track.value,
                skill_area_key=area_key,
                hours=program.hours,
                completed_on=date(fy, 6, 1),
                fiscal_year=fy,
                source=CompletionSource.MANUAL,
            )
        )
        db.session.flush()


def test_employee_sees_next_sessions_waiting_places_and_required_training(
    app, as_employee_a, world
):
    with within(app):
        enrolled = factories.make_session(starts_in=timedelta(days=5))
        full = factories.make_session(capacity=1, starts_in=timedelta(days=9))
        other = factories.make_user(world.muni_a)
        register(full.id, other.id)
        register(enrolled.id, world.employee_a)
        register(full.id, world.employee_a)
        ids = enrolled.id, full.id
    page = _home(as_employee_a)
    assert "Your next sessions" in page and f"/sessions/{ids[0]}" in page
    assert "Waiting lists" in page and "number 1 on the waiting list" in page
    assert "Required training in" in page
    assert "情報セキュリティ" not in page  # English page: English names
    assert "Information security" in page


def test_required_training_done_this_year_is_no_longer_listed(app, as_employee_a, world):
    fy = fiscal_year_of(now_utc())
    with within(app):
        _complete(world.employee_a, world.muni_a, "information_security", fy)
        _complete(world.employee_a, world.muni_a, "literacy_required", fy - 1)  # last year's
    page = _home(as_employee_a)
    section = page.split('id="work-required-mine"')[1]
    assert "Information security" not in section
    assert "Digital literacy basics" in section


def test_literacy_is_required_only_of_administrative_staff(app, signed_in, world):
    with within(app):
        nurse = factories.make_user(world.muni_a, job_category=JobCategory.MEDICAL)
        email = nurse.email
    section = _home(signed_in(email)).split('id="work-required-mine"')[1]
    assert "Information security" in section and "Digital literacy basics" not in section


def test_coordinator_sees_approvals_applications_attendance_and_staff_missing_training(
    app, as_coordinator_a, as_coordinator_b, world
):
    with within(app), acting_as(db.session, world.muni_a):
        ts_id, _reg = _ended_with_registration(world.employee_a)
        asked = factories.make_session(requires_approval=True, starts_in=timedelta(days=8))
        register(asked.id, world.employee_a2)
    page = _home(as_coordinator_a)
    for heading in (
        "Requests awaiting approval",
        "Account applications",
        "Attendance to record",
        "Staff who have not done required training",
    ):
        assert heading in page
    assert f"/registrations/session/{ts_id}/attendance" in page
    assert "𠮷野 花子" in page  # the pending request, and staff missing training
    other = _home(as_coordinator_b)
    assert f"/registrations/session/{ts_id}/attendance" not in other
    assert "𠮷野 花子" not in other


def test_the_reminder_mails_each_person_missing_required_training_once_a_day(
    app, as_coordinator_a, world
):
    fy = fiscal_year_of(now_utc())
    with within(app):
        done = factories.make_user(world.muni_a, job_category=JobCategory.MEDICAL)
        _complete(done.id, world.muni_a, "information_security", fy)
        done_email = done.email
        with all_tenants(db.session):
            before = db.session.scalar(
                select(db.func.count(OutboundMail.id)).execution_options(all_tenants=True)
            )
    resp = as_coordinator_a.form_post("/targets/remind-required", headers=EN)
    assert resp.status_code == 302
    with within(app), all_tenants(db.session):
        sent = list(
            db.session.scalars(
                select(OutboundMail).execution_options(all_tenants=True).order_by(OutboundMail.id)
            )
        )[before:]
        to = {m.to_addr for m in sent}
        assert world.emails["employee_a"] in to and world.emails["coordinator_a"] in to
        assert done_email not in to
        assert world.emails["employee_b"] not in to  # another member's staff
        assert all(m.municipality_id == world.muni_a for m in sent)
        assert db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "reminder.required",
                AuditEntry.municipality_id == world.muni_a,
            )
        )
        count = len(sent)
    # A second press the same day sends nothing.
    again = as_coordinator_a.form_post(
        "/targets/remind-required", headers=EN, follow_redirects=True
    )
    assert "already sent" in again.get_data(as_text=True)
    # ...and the home page no longer offers the button, but says when it can be pressed.
    home = _home(as_coordinator_a)
    assert 'href="/targets/remind-required"' not in home
    assert "A reminder was sent on" in home and "The next one can be sent from" in home
    with within(app), all_tenants(db.session):
        total = db.session.scalar(
            select(db.func.count(OutboundMail.id)).execution_options(all_tenants=True)
        )
        assert total == before + count


def test_administrator_sees_sessions_filling_up_and_under_subscribed(app, as_admin, world):
    with within(app):
        filling = factories.make_session(capacity=5, starts_in=timedelta(days=40))
        for _ in range(4):
            register(filling.id, factories.make_user(world.muni_a).id)
        empty = factories.make_session(capacity=20, starts_in=timedelta(days=6))
        ids = filling.id, empty.id
    page = _home(as_admin)
    filling_part = page.split('id="work-filling"')[1].split("</section>")[0]
    under_part = page.split('id="work-under"')[1].split("</section>")[0]
    assert f"/sessions/{ids[0]}" in filling_part and f"/sessions/{ids[1]}" not in filling_part
    assert f"/sessions/{ids[1]}" in under_part and f"/sessions/{ids[0]}" not in under_part


def test_employee_home_has_no_coordinator_worklists(as_employee_a):
    page = _home(as_employee_a)
    assert "Requests awaiting approval" not in page
    assert "remind-required" not in page
