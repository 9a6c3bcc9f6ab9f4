"""Heads of unit (所属長): who decides a person's own application, and what a head may see.

Issue 22. The member's setting routes an employee's own application to their head first
(status ``awaiting_head``, holding a seat); the head or the deputy decides; a head's own
application goes to the head above; nobody above: the step is skipped and audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.heads import services
from regional.seats.models import RegistrationStatus as RS
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_registrations import english, person, register, registration, session_row
from tests.test_registrations_pages import text


@dataclass
class Unit:
    """A 部 > 課 > 係 of member A with a head and a deputy of the 課, and staff in the 係."""

    dept: int
    division: int
    section: int
    head: int
    deputy: int
    staff: int
    dept_head: int
    other_staff: int  # in a unit of member A that nobody here heads


def _unit_tree(world, *, on: bool = True, dept_head: bool = True) -> Unit:
    a = world.muni_a
    dept = factories.make_org_unit(a, "総務局", OrgLevel.DEPARTMENT)
    division = factories.make_org_unit(a, "デジタル推進課", OrgLevel.DIVISION, dept)
    section = factories.make_org_unit(a, "企画係", OrgLevel.SECTION, division)
    elsewhere = factories.make_org_unit(a, "市民課", OrgLevel.DIVISION)
    head = factories.make_user(a, org_unit_id=division.id, name="課長 太郎")
    deputy = factories.make_user(a, org_unit_id=division.id, name="課長代理 花子")
    staff = factories.make_user(a, org_unit_id=section.id, name="係員 一郎")
    boss = factories.make_user(a, org_unit_id=dept.id, name="局長 次郎")
    other = factories.make_user(a, org_unit_id=elsewhere.id, name="他課 三郎")
    coordinator = person(world.coordinator_a)
    with acting_as(db.session, a):
        services.set_head(division, head.id, deputy.id, coordinator)
        if dept_head:
            services.set_head(dept, boss.id, None, coordinator)
        services.set_head_approval(on, coordinator)
    return Unit(dept.id, division.id, section.id, head.id, deputy.id, staff.id, boss.id, other.id)


@pytest.fixture
def tree(app, world):
    with app.app_context():
        u = _unit_tree(world)
        db.session.commit()
        return u


def _decide(fn, reg_id, actor_id, *args):
    reg = registration(reg_id)
    with acting_as(db.session, reg.municipality_id):
        return fn(reg, person(actor_id), *args)


# -- routing ------------------------------------------------------------------------------


def test_an_employees_own_application_waits_for_their_head_and_holds_a_seat(ctx, world):
    u = _unit_tree(world)
    ts = factories.make_session(capacity=2)
    reg = register(ts.id, u.staff)
    assert reg.status == RS.AWAITING_HEAD
    assert reg.head_unit_id == u.division  # the 係 has no head: the 課 above decides
    assert session_row(ts.id).seats_taken == 1


def test_without_the_setting_nothing_changes(ctx, world):
    u = _unit_tree(world, on=False)
    reg = register(factories.make_session().id, u.staff)
    assert reg.status == RS.ENROLLED and reg.head_unit_id is None


def test_a_coordinator_registering_someone_skips_the_head(ctx, world):
    u = _unit_tree(world)
    reg = register(factories.make_session().id, u.staff, world.coordinator_a)
    assert reg.status == RS.ENROLLED and reg.head_unit_id is None


def test_a_head_applying_is_routed_to_the_head_above(ctx, world):
    u = _unit_tree(world)
    reg = register(factories.make_session().id, u.head)
    assert reg.status == RS.AWAITING_HEAD and reg.head_unit_id == u.dept


def test_with_no_head_above_the_step_is_skipped_and_audited(ctx, world):
    u = _unit_tree(world, dept_head=False)
    reg = register(factories.make_session().id, u.head)
    assert reg.status == RS.ENROLLED and reg.head_unit_id is None
    with acting_as(db.session, world.muni_a):
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_id == str(reg.id))
        ).all()
    assert "registration.head_skipped" in actions


def test_a_full_session_puts_the_application_in_line_and_the_head_may_approve_early(ctx, world):
    u = _unit_tree(world)
    ts = factories.make_session(capacity=1)
    first = register(ts.id, u.other_staff)  # nobody heads 市民課 nor above: skipped
    assert first.status == RS.ENROLLED
    reg = register(ts.id, u.staff)
    assert reg.status == RS.WAITLISTED and reg.head_unit_id == u.division
    _decide(services.head_approve, reg.id, u.head)
    assert registration(reg.id).status == RS.WAITLISTED
    from tests.fixtures_registrations import cancel

    cancel(first.id, u.other_staff)
    assert registration(reg.id).status == RS.ENROLLED  # promoted, approved already


def test_promoted_before_the_heads_decision_the_seat_still_waits_for_it(ctx, world):
    u = _unit_tree(world)
    ts = factories.make_session(capacity=1)
    first = register(ts.id, u.other_staff)
    reg = register(ts.id, u.staff)
    from tests.fixtures_registrations import cancel

    cancel(first.id, u.other_staff)
    assert registration(reg.id).status == RS.AWAITING_HEAD
    assert session_row(ts.id).seats_taken == 1


# -- decisions ----------------------------------------------------------------------------


def test_the_heads_approval_goes_on_to_the_coordinator_where_the_session_asks(ctx, world):
    u = _unit_tree(world)
    reg = register(factories.make_session(requires_approval=True).id, u.staff)
    _decide(services.head_approve, reg.id, u.head)
    assert registration(reg.id).status == RS.PENDING


def test_the_deputy_acts_for_the_head(ctx, world):
    u = _unit_tree(world)
    reg = register(factories.make_session().id, u.staff)
    _decide(services.head_approve, reg.id, u.deputy)
    got = registration(reg.id)
    assert got.status == RS.ENROLLED and got.head_approved_by_id == u.deputy


def test_declining_frees_the_seat_and_needs_a_reason(ctx, world):
    from regional.errors import DomainError

    u = _unit_tree(world)
    ts = factories.make_session(capacity=1)
    reg = register(ts.id, u.staff)
    with pytest.raises(DomainError):
        _decide(services.head_decline, reg.id, u.head, "  ")
    _decide(services.head_decline, reg.id, u.head, "繁忙期のため")
    assert registration(reg.id).status == RS.DECLINED
    assert session_row(ts.id).seats_taken == 0


def test_nobody_else_decides(ctx, world):
    from regional.errors import NotFound

    u = _unit_tree(world)
    reg = register(factories.make_session().id, u.staff)
    for outsider in (u.other_staff, u.staff, world.coordinator_a):
        with pytest.raises(NotFound):
            _decide(services.head_approve, reg.id, outsider)
    assert registration(reg.id).status == RS.AWAITING_HEAD


def test_a_head_never_decides_their_own_application(ctx, world):
    u = _unit_tree(world)
    # The deputy's application goes to the 課's head, whom the deputy cannot replace.
    reg = register(factories.make_session().id, u.deputy)
    assert reg.head_unit_id == u.division
    with acting_as(db.session, world.muni_a):
        assert services.decidable(reg.id, person(u.deputy)) is None
        assert services.decidable(reg.id, person(u.head)) is not None


def test_a_head_sees_only_their_units_applications(ctx, world):
    u = _unit_tree(world)
    ts = factories.make_session()
    mine = register(ts.id, u.staff)
    theirs = register(ts.id, u.head)  # goes to the 局長
    with acting_as(db.session, world.muni_a):
        ids = [r.id for r in db.session.scalars(services.awaiting(person(u.head)))]
        boss = [r.id for r in db.session.scalars(services.awaiting(person(u.dept_head)))]
    assert ids == [mine.id]
    assert boss == [theirs.id]


def test_another_member_sees_no_head(ctx, world):
    _unit_tree(world)
    with acting_as(db.session, world.muni_b):
        assert services.heads_by_unit() == {}
        assert not services.head_approval_on()


def test_a_head_must_be_of_the_units_own_member(ctx, world):
    from regional.errors import NotFound

    u = _unit_tree(world)
    with acting_as(db.session, world.muni_a):
        unit = db.session.get(__import__("tenants.models").models.OrgUnit, u.section)
        with pytest.raises(NotFound):
            services.set_head(unit, world.employee_b, None, person(world.coordinator_a))


# -- pages --------------------------------------------------------------------------------


def test_the_heads_page_lists_the_application_with_the_persons_record(app, world, tree, signed_in):
    with app.app_context():
        register(factories.make_session().id, tree.staff)
        db.session.commit()
        head_email = person(tree.head).email
        other_email = person(tree.other_staff).email
    page = text(english(signed_in(head_email)).get("/heads/"))
    assert "係員 一郎" in page and "Completed training" in page
    assert signed_in(other_email).get("/heads/").status_code == 403
    units = text(english(signed_in(head_email)).get("/heads/units"))
    assert "係員 一郎" in units and "他課 三郎" not in units


def test_the_head_declines_on_the_page_and_the_reason_is_mailed(
    app, world, tree, signed_in, mailbox
):
    with app.app_context():
        reg_id = register(factories.make_session().id, tree.staff).id
        db.session.commit()
        head_email, staff_email = person(tree.head).email, person(tree.staff).email
    mailbox.clear()
    client = signed_in(head_email)
    refused = client.form_post(f"/heads/registrations/{reg_id}/decline", {"reason": ""})
    assert refused.status_code == 302
    with app.app_context():
        assert registration(reg_id).status == RS.AWAITING_HEAD
    resp = client.form_post(f"/heads/registrations/{reg_id}/decline", {"reason": "繁忙期のため"})
    assert resp.status_code == 302
    with app.app_context():
        assert registration(reg_id).status == RS.DECLINED
    (mail,) = mailbox.to(staff_email)
    assert "繁忙期のため" in mailbox.body(mail)
    assert mail["Subject"].startswith("【研修ポータル】")


def test_the_coordinator_names_heads_and_turns_the_step_on(app, world, as_coordinator_a):
    with app.app_context():
        unit = factories.make_org_unit(world.muni_a, "財政課", OrgLevel.DIVISION)
        head = factories.make_user(world.muni_a, org_unit_id=unit.id)
        db.session.commit()
        unit_id, head_id = unit.id, head.id
    page = text(as_coordinator_a.get("/heads/setup"))
    assert "財政課" in page
    form = as_coordinator_a.get(f"/heads/units/{unit_id}/head").get_data(as_text=True)
    options = re.findall(
        r'<option[^>]*value="([^"]*)"', form.split(f'id="u{unit_id}-head"')[1].split("</select>")[0]
    )
    assert options[:2] == ["None", str(head_id)]  # nobody, then the unit's own staff
    resp = as_coordinator_a.form_post(
        f"/heads/units/{unit_id}/head", {f"u{unit_id}-head": "999999", f"u{unit_id}-deputy": ""}
    )
    assert resp.status_code == 400  # not a choice: the form again, with its error
    resp = as_coordinator_a.form_post(
        f"/heads/units/{unit_id}/head", {f"u{unit_id}-head": head_id, f"u{unit_id}-deputy": ""}
    )
    assert resp.status_code == 302
    resp = as_coordinator_a.form_post("/heads/setting", {"head_approval": "y"})
    assert resp.status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert services.heads_by_unit()[unit_id].head_id == head_id
        assert services.head_approval_on()
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("heads.%"))
        ).all()
    assert sorted(actions) == ["heads.set", "heads.setting"]


def test_a_reserved_seat_may_await_the_head_and_comes_back_on_cancel(ctx, world):
    from datetime import timedelta

    from regional.fiscal import now_utc
    from regional.seats import set_allocation
    from tests.fixtures_registrations import cancel

    u = _unit_tree(world)
    ts = factories.make_session(capacity=3)
    set_allocation(ts.id, world.muni_a, 2, now_utc() + timedelta(days=3))
    reg = register(ts.id, u.staff)
    assert reg.status == RS.AWAITING_HEAD and reg.seat_allocation_id is not None
    assert session_row(ts.id).seats_taken == 1
    cancel(reg.id, u.staff)
    row = session_row(ts.id)
    assert row.seats_taken == 0 and row.reserved_unclaimed == 2


def test_the_applicant_sees_their_application_awaiting_the_head(app, world, tree, signed_in):
    with app.app_context():
        ts_id = factories.make_session().id
        register(ts_id, tree.staff)
        db.session.commit()
        email = person(tree.staff).email
    client = english(signed_in(email))
    assert "Awaiting the head of unit" in text(client.get("/records/my-training"))
    session_page = text(client.get(f"/sessions/{ts_id}"))
    assert "Your head of unit will approve or decline" in session_page
