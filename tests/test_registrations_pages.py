"""Registration pages: the session panel, my training, the coordinators' view."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.registrations import cancellation
from regional.seats.models import RegistrationStatus as RS
from tests import factories
from tests.fixtures_registrations import (
    all_registrations,
    english,
    inside,
    ja,
    person,
    register,
    registration,
)


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


def text(resp) -> str:
    return resp.get_data(as_text=True)


def status_of(app, reg_id: int) -> RS:
    with app.app_context():
        return registration(reg_id).status


# -- the panel on the session page -------------------------------------------------------


def test_employee_registers_from_the_session_page(as_employee_a, world, make, app):
    english(as_employee_a)
    ts = make(lambda: factories.make_session(capacity=3).id)
    page = text(as_employee_a.get(f"/sessions/{ts}"))
    assert f'action="/registrations/session/{ts}/register"' in page
    resp = as_employee_a.form_post(f"/registrations/session/{ts}/register")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/sessions/{ts}")
    page = text(as_employee_a.get(f"/sessions/{ts}"))
    assert "You are enrolled in this session." in page
    assert "/registrations/1.ics" in page or re.search(r"/registrations/\d+\.ics", page)


def test_waiting_person_sees_their_position_and_why_they_were_passed_over(
    as_employee_a, world, make
):
    english(as_employee_a)

    def setup():
        program = factories.make_program()
        ts = factories.make_session(program, capacity=1, starts_in=timedelta(days=10))
        clash = factories.make_session(program, starts_in=timedelta(days=10, hours=1))
        first = register(ts.id, world.employee_b)
        register(ts.id, world.employee_a)
        register(ts.id, world.employee_a2)
        register(clash.id, world.employee_a)
        reg = registration(first.id)
        with inside(world.muni_b):
            cancellation.cancel(reg, person(world.employee_b))
        # The note (in the person's own language) names the clash by its time.
        return ts.id, to_local(clash.starts_at).strftime("%Y-%m-%d %H:%M")

    ts, clash_time = make(setup)
    page = text(as_employee_a.get(f"/sessions/{ts}"))
    assert "On the waiting list · No. 1" in page
    assert clash_time in page
    assert 'class="flash flash-warning" role="status"' in page
    mine = text(as_employee_a.get("/records/my-training"))
    assert "No. 1" in mine
    assert clash_time in mine


def test_cancel_button_respects_the_deadline(as_employee_a, world, make, app):
    english(as_employee_a)

    def setup():
        ts = factories.make_session()
        ts.cancellation_deadline = now_utc() - timedelta(hours=2)
        return ts.id, register(ts.id, world.employee_a).id

    ts, reg = make(setup)
    page = text(as_employee_a.get(f"/sessions/{ts}"))
    assert "Cancel my registration" not in page
    assert "cancellation deadline has passed" in page
    resp = as_employee_a.form_post(f"/registrations/{reg}/cancel")
    assert resp.status_code == 302
    assert status_of(app, reg) == RS.ENROLLED
    page = text(as_employee_a.get(f"/sessions/{ts}"))
    assert "cancellation deadline has passed" in page


def test_employee_cancels_and_registers_again(as_employee_a, world, make, app):
    english(as_employee_a)
    ts = make(lambda: factories.make_session().id)
    as_employee_a.form_post(f"/registrations/session/{ts}/register")
    with app.app_context():
        reg_id = all_registrations(ts)[0].id
    assert as_employee_a.form_post(f"/registrations/{reg_id}/cancel").status_code == 302
    assert status_of(app, reg_id) == RS.CANCELLED
    assert "Your earlier registration was cancelled." in text(as_employee_a.get(f"/sessions/{ts}"))
    as_employee_a.form_post(f"/registrations/session/{ts}/register")
    assert status_of(app, reg_id) == RS.ENROLLED


def test_coordinator_registers_own_staff_from_the_panel(as_coordinator_a, world, make, app):
    english(as_coordinator_a)
    ts = make(lambda: factories.make_session(requires_approval=True).id)
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts}/register-staff",
        {"employee": world.emails["employee_a2"], "next": f"/sessions/{ts}"},
    )
    assert resp.status_code == 302
    with app.app_context():
        (reg,) = all_registrations(ts)
        assert (reg.employee_id, reg.status) == (world.employee_a2, RS.ENROLLED)
    follow = text(as_coordinator_a.get(f"/sessions/{ts}"))
    assert "𠮷野 花子" in follow


def test_coordinator_cannot_register_another_municipalitys_staff(
    as_coordinator_a, world, make, app
):
    english(as_coordinator_a)
    ts = make(lambda: factories.make_session().id)
    resp = as_coordinator_a.form_post(
        f"/registrations/session/{ts}/register-staff", {"employee": world.emails["employee_b"]}
    )
    assert resp.status_code == 302
    page = text(as_coordinator_a.get(resp.headers["Location"]))
    assert "No active member of staff of your municipality" in page
    with app.app_context():
        assert all_registrations(ts) == []


def test_coordinator_b_never_sees_a_names_on_a_shared_session(as_coordinator_b, world, make):
    english(as_coordinator_b)

    def setup():
        ts = factories.make_session(capacity=1)
        register(ts.id, world.employee_a)
        register(ts.id, world.employee_a2)
        register(ts.id, world.employee_b)
        return ts.id

    ts = make(setup)
    for url in (
        f"/sessions/{ts}",
        f"/registrations/session/{ts}",
        f"/registrations/session/{ts}/export.csv",
        "/registrations/",
    ):
        page = text(as_coordinator_b.get(url))
        assert "髙橋" not in page and "𠮷野" not in page, url
        assert "taro.tsuyama" not in page, url
    panel = text(as_coordinator_b.get(f"/sessions/{ts}"))
    assert "玉野 次郎" in panel  # their own person
    assert "<dd>1 / 1</dd>" in panel  # whole-session numbers, names of nobody else
    assert "<dd>2</dd>" in panel  # two wait ahead of or behind B's person, counted only


def test_admin_sees_every_municipalitys_registrants_grouped(as_admin, world, make):
    english(as_admin)

    def setup():
        ts = factories.make_session()
        register(ts.id, world.employee_a)
        register(ts.id, world.employee_b)
        return ts.id

    ts = make(setup)
    page = text(as_admin.get(f"/registrations/session/{ts}"))
    assert "<h3>Tsuyama City</h3>" in page and "<h3>Tamano City</h3>" in page
    assert "髙橋 太郎" in page and "玉野 次郎" in page


def test_coordinator_approves_from_the_queue(as_coordinator_a, world, make, app, mailbox):
    english(as_coordinator_a)

    def setup():
        ts = factories.make_session(requires_approval=True)
        return register(ts.id, world.employee_a).id

    reg = make(setup)
    queue = text(as_coordinator_a.get("/registrations/"))
    assert "髙橋 太郎" in queue
    assert f'action="/registrations/{reg}/approve"' in queue
    mailbox.clear()
    resp = as_coordinator_a.form_post(f"/registrations/{reg}/approve", {"next": "/registrations/"})
    assert resp.headers["Location"].endswith("/registrations/")
    assert status_of(app, reg) == RS.ENROLLED
    with app.app_context():
        subject = "【研修ポータル】" + ja("Request approved: %(title)s", title="テスト研修")
    assert [m["Subject"] for m in mailbox.to(world.emails["employee_a"])] == [subject]
    assert "No request is waiting for approval." in text(as_coordinator_a.get("/registrations/"))


def test_coordinator_b_cannot_approve_a_request_of_a(as_coordinator_b, world, make, app):
    english(as_coordinator_b)
    reg = make(
        lambda: register(factories.make_session(requires_approval=True).id, world.employee_a).id
    )
    assert as_coordinator_b.form_post(f"/registrations/{reg}/approve").status_code == 404
    assert status_of(app, reg) == RS.PENDING


def test_employees_do_not_get_the_coordinator_pages(as_employee_a, make):
    english(as_employee_a)
    ts = make(lambda: factories.make_session().id)
    assert as_employee_a.get("/registrations/").status_code == 403
    assert as_employee_a.get(f"/registrations/session/{ts}").status_code == 403


def test_staff_search_lists_only_own_active_unregistered_people(as_coordinator_a, world, make):
    english(as_coordinator_a)

    def setup():
        ts = factories.make_session()
        register(ts.id, world.employee_a)
        return ts.id

    ts = make(setup)
    page = text(as_coordinator_a.get(f"/registrations/session/{ts}?q=tsuyama"))
    found = page.split("who are not yet registered", 1)[1].split("</table>", 1)[0]
    assert "𠮷野 花子" in found
    assert "髙橋 太郎" not in found  # already registered
    assert "玉野" not in found


# -- my training --------------------------------------------------------------------------------


def test_my_training_lists_my_sessions_and_the_feed(as_employee_a, world, make):
    english(as_employee_a)

    def setup():
        upcoming = factories.make_session(starts_in=timedelta(days=5))
        register(upcoming.id, world.employee_a)
        register(factories.make_session(starts_in=timedelta(days=20)).id, world.employee_b)
        return person(world.employee_a).calendar_token

    token = make(setup)
    page = text(as_employee_a.get("/records/my-training"))
    assert "Upcoming sessions" in page
    assert "Test programme" in page
    assert f"/registrations/feed/{token}.ics" in page


def test_resetting_the_feed_revokes_the_old_address(as_employee_a, client, world, make):
    english(as_employee_a)
    token = make(lambda: person(world.employee_a).calendar_token)
    assert client.get(f"/registrations/feed/{token}.ics").status_code == 200
    assert as_employee_a.form_post("/registrations/feed/reset").status_code == 302
    assert client.get(f"/registrations/feed/{token}.ics").status_code == 404
    page = text(as_employee_a.get("/records/my-training"))
    new = re.search(r"/registrations/feed/([A-Za-z0-9_-]+)\.ics", page).group(1)
    assert new != token
    assert client.get(f"/registrations/feed/{new}.ics").status_code == 200


def test_admin_acting_in_another_member_still_sees_their_own_training(as_admin, world, make):
    english(as_admin)
    make(lambda: register(factories.make_session().id, world.admin).id)
    with as_admin.session_transaction() as s:
        s["acting_municipality"] = "332038"
    page = text(as_admin.get("/records/my-training"))
    assert "Test programme" in page


def test_admin_acting_in_another_member_sees_their_own_registration_on_a_session(
    as_admin, world, make
):
    english(as_admin)
    ts = make(lambda: register(factories.make_session().id, world.admin).session_id)
    with as_admin.session_transaction() as s:
        s["acting_municipality"] = "332038"
    page = text(as_admin.get(f"/sessions/{ts}"))
    assert "You are enrolled in this session." in page
    assert "Registrations of every municipality" in page
