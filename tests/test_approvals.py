"""Coordinators approve and decline in bulk, with a reason that reaches the person (issue 9)."""

from __future__ import annotations

import pytest

from regional.extensions import db
from regional.people.models import JobCategory
from regional.seats.models import RegistrationStatus as RS
from tenants.models import OrgLevel
from tests import factories
from tests.fixtures_registrations import english, register
from tests.test_registrations_pages import status_of, text


@pytest.fixture
def make(app):
    def _make(fn):  # noqa: ANN001, ANN202
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


def _requests(world, make, n: int = 2):  # noqa: ANN001, ANN202
    def setup():  # noqa: ANN202
        ts = factories.make_session(requires_approval=True)
        unit = factories.make_org_unit(world.muni_a, "デジタル推進課", OrgLevel.DIVISION)
        people = [
            factories.make_user(
                world.muni_a, org_unit_id=unit.id, job_category=JobCategory.TECHNICAL
            )
            for _ in range(n)
        ]
        return [register(ts.id, p.id).id for p in people], [p.email for p in people]

    return make(setup)


def test_approval_rows_show_unit_and_job_category(as_coordinator_a, world, make):
    english(as_coordinator_a)
    _requests(world, make, 1)
    page = text(as_coordinator_a.get("/registrations/"))
    assert "デジタル推進課" in page and "Technical" in page


def test_bulk_approve_approves_every_ticked_request(as_coordinator_a, world, make, app):
    english(as_coordinator_a)
    regs, _emails = _requests(world, make)
    resp = as_coordinator_a.form_post(
        "/registrations/bulk", {"reg_id": [str(r) for r in regs], "action": "approve"}
    )
    assert resp.status_code == 302
    assert [status_of(app, r) for r in regs] == [RS.ENROLLED, RS.ENROLLED]


def test_bulk_decline_mails_the_reason_to_each_person(as_coordinator_a, world, make, app, mailbox):
    english(as_coordinator_a)
    regs, emails = _requests(world, make)
    mailbox.clear()
    resp = as_coordinator_a.form_post(
        "/registrations/bulk",
        {"reg_id": [str(r) for r in regs], "action": "decline", "reason": "定員を超えたため"},
    )
    assert resp.status_code == 302
    assert [status_of(app, r) for r in regs] == [RS.DECLINED, RS.DECLINED]
    for email in emails:
        (mail,) = mailbox.to(email)
        assert "定員を超えたため" in mailbox.body(mail)


def test_bulk_is_all_or_nothing_and_never_reaches_another_member(
    as_coordinator_b, world, make, app
):
    regs, _emails = _requests(world, make)
    resp = as_coordinator_b.form_post(
        "/registrations/bulk", {"reg_id": [str(r) for r in regs], "action": "approve"}
    )
    assert resp.status_code == 404
    assert [status_of(app, r) for r in regs] == [RS.PENDING, RS.PENDING]


def test_bulk_without_a_choice_changes_nothing(as_coordinator_a, world, make, app):
    english(as_coordinator_a)
    regs, _emails = _requests(world, make, 1)
    page = as_coordinator_a.form_post(
        "/registrations/bulk", {"action": "approve"}, follow_redirects=True
    )
    assert "Choose at least one request" in text(page)
    bad = as_coordinator_a.form_post(
        "/registrations/bulk", {"reg_id": str(regs[0]), "action": "decline", "reason": "x\x07y"}
    )
    assert bad.status_code == 302
    assert status_of(app, regs[0]) == RS.PENDING


def test_a_single_decline_offers_a_reason_box_in_its_row(as_coordinator_a, world, make):
    english(as_coordinator_a)
    regs, _emails = _requests(world, make, 1)
    for path in ("/registrations/", _registrants_path(make, regs[0])):
        page = as_coordinator_a.get(path).get_data(as_text=True)
        assert f'id="decline-reason-{regs[0]}"' in page
        assert f'<label for="decline-reason-{regs[0]}">' in page


def _registrants_path(make, reg_id: int) -> str:  # noqa: ANN001
    from regional.seats.models import Registration
    from tenants import all_tenants

    def find():  # noqa: ANN202
        with all_tenants(db.session):
            return db.session.get(Registration, reg_id).session_id

    return f"/registrations/session/{make(find)}"


def test_a_single_decline_mails_its_reason(as_coordinator_a, world, make, app, mailbox):
    english(as_coordinator_a)
    regs, emails = _requests(world, make, 1)
    mailbox.clear()
    resp = as_coordinator_a.form_post(
        f"/registrations/{regs[0]}/decline", {"reason": "今回は予算の都合により見送ります。"}
    )
    assert resp.status_code == 302
    assert status_of(app, regs[0]) == RS.DECLINED
    (mail,) = mailbox.to(emails[0])
    assert "今回は予算の都合により見送ります。" in mailbox.body(mail)


def test_a_single_decline_without_a_reason_still_declines(
    as_coordinator_a, world, make, app, mailbox
):
    regs, emails = _requests(world, make, 1)
    mailbox.clear()
    assert as_coordinator_a.form_post(f"/registrations/{regs[0]}/decline", {}).status_code == 302
    assert status_of(app, regs[0]) == RS.DECLINED
    (mail,) = mailbox.to(emails[0])
    assert "Reason given" not in mailbox.body(mail) and "理由" not in mailbox.body(mail)


@pytest.mark.parametrize("reason", ["x\x07y", "名前\u202eを逆に", "a" * 1001])
def test_a_hostile_decline_reason_changes_nothing(as_coordinator_a, world, make, app, reason):
    english(as_coordinator_a)
    regs, _emails = _requests(world, make, 1)
    page = as_coordinator_a.form_post(
        f"/registrations/{regs[0]}/decline", {"reason": reason}, follow_redirects=True
    )
    assert page.status_code == 200
    assert "plain text of at most 1,000 characters" in text(page)
    assert status_of(app, regs[0]) == RS.PENDING


def test_another_members_request_is_not_found_whatever_the_reason(
    as_coordinator_b, world, make, app
):
    regs, _emails = _requests(world, make, 1)
    resp = as_coordinator_b.form_post(f"/registrations/{regs[0]}/decline", {"reason": "x\x07"})
    assert resp.status_code == 404
    assert status_of(app, regs[0]) == RS.PENDING
