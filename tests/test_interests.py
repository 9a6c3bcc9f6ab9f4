"""関心登録: can a person ask to hear when a programme gets a session, and are they told once?

Interests are owned by the person's municipality: nobody sees or touches another
member's, coordinators see their own member's count, regional administrators a
count per member. Mail goes through the outbox to a real SMTP server on loopback.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from regional.audit.models import AuditEntry
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import AccountStatus
from regional.registrations import interests
from regional.registrations.models import ProgramInterest
from tenants.models import Municipality
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.fixtures_sessions import count, local, person, session_body, session_form, within

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}
SUBJECT_JA = "【研修ポータル】受付開始のお知らせ（"


@pytest.fixture
def program_id(app) -> int:
    """A programme with no session yet."""
    with within(app):
        p = factories.make_program("INT-101", title_ja="関心登録の研修", title_en="Interest course")
        db.session.commit()
        return p.id


def _interest(user_id: int, program_id: int) -> ProgramInterest | None:
    with all_tenants(db.session):
        return db.session.scalar(
            select(ProgramInterest)
            .where(ProgramInterest.employee_id == user_id, ProgramInterest.program_id == program_id)
            .execution_options(populate_existing=True)
        )


def _register(client, program_id: int, **data):
    return client.form_post(f"/catalogue/{program_id}/interest", data, headers=EN)


def _withdraw(client, program_id: int, **data):
    return client.form_post(f"/catalogue/{program_id}/interest/withdraw", data, headers=EN)


def _page(client, url: str, headers=EN) -> str:
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _open_session(program_id: int, **kwargs) -> int:
    program = db.session.get(Program, program_id)
    return factories.make_session(program, **kwargs).id


# -- registering and withdrawing one's own interest ----------------------------------


def test_an_employee_registers_interest_from_the_programme_page(
    app, as_employee_a, world, program_id
):
    page = _page(as_employee_a, f"/catalogue/{program_id}")
    assert f'action="/catalogue/{program_id}/interest"' in page
    resp = _register(as_employee_a, program_id)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/catalogue/{program_id}")
    with within(app):
        interest = _interest(world.employee_a, program_id)
        assert interest is not None and interest.municipality_id == world.muni_a
        assert interest.notified_at is None
    page = _page(as_employee_a, f"/catalogue/{program_id}")
    assert "Interest registered" in page
    assert f'action="/catalogue/{program_id}/interest/withdraw"' in page
    # Listed on the person's home page, with a way to withdraw.
    home = _page(as_employee_a, "/", JA)
    assert "関心登録した研修" in home and "開催回の受付開始待ち" in home


def test_registering_twice_keeps_one_interest_and_says_so(app, as_employee_a, world, program_id):
    _register(as_employee_a, program_id)
    resp = _register(as_employee_a, program_id)
    assert resp.status_code == 302
    assert "You have already registered your interest." in _page(as_employee_a, "/")
    with within(app):
        assert count(ProgramInterest) == 1


def test_the_database_refuses_a_second_interest_of_the_same_person(app, world, program_id):
    with within(app), acting_as(db.session, world.muni_a):
        db.session.add(
            ProgramInterest(
                municipality_id=world.muni_a, employee_id=world.employee_a, program_id=program_id
            )
        )
        db.session.flush()
        db.session.add(
            ProgramInterest(
                municipality_id=world.muni_a, employee_id=world.employee_a, program_id=program_id
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_an_interest_cannot_belong_to_another_members_person(app, world, program_id):
    """The composite key: an interest's person is always of the interest's municipality."""
    with within(app), all_tenants(db.session):
        db.session.add(
            ProgramInterest(
                municipality_id=world.muni_b, employee_id=world.employee_a, program_id=program_id
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_withdrawing_removes_the_interest_and_home_leads_back(
    app, as_employee_a, world, program_id
):
    _register(as_employee_a, program_id)
    resp = _withdraw(as_employee_a, program_id, back="home")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    with within(app):
        assert _interest(world.employee_a, program_id) is None
    resp = _withdraw(as_employee_a, program_id)
    assert resp.status_code == 302
    assert "You had not registered your interest" in _page(
        as_employee_a, f"/catalogue/{program_id}"
    )


def test_back_never_leads_off_the_site(as_employee_a, program_id):
    resp = _register(as_employee_a, program_id, back="https://evil.example/")
    assert resp.headers["Location"].endswith(f"/catalogue/{program_id}")


def test_no_interest_button_while_a_session_is_open_and_the_server_agrees(
    app, as_employee_a, world, program_id
):
    with within(app):
        _open_session(program_id)
        db.session.commit()
    page = _page(as_employee_a, f"/catalogue/{program_id}")
    assert f'action="/catalogue/{program_id}/interest"' not in page
    _register(as_employee_a, program_id)
    assert "open for registration now" in _page(as_employee_a, f"/catalogue/{program_id}")
    with within(app):
        assert count(ProgramInterest) == 0


def test_a_retired_programme_takes_no_interest(app, as_employee_a, world, program_id):
    with within(app):
        db.session.get(Program, program_id).active = False
        db.session.commit()
    assert "Register interest" not in _page(as_employee_a, f"/catalogue/{program_id}")
    _register(as_employee_a, program_id)
    with within(app):
        assert count(ProgramInterest) == 0


def test_a_missing_programme_or_csrf_token_changes_nothing(app, as_employee_a, program_id):
    assert _register(as_employee_a, 999999).status_code == 404
    assert _register(as_employee_a, 2**70).status_code == 404
    resp = as_employee_a.post(f"/catalogue/{program_id}/interest", data={}, headers=EN)
    assert resp.status_code == 400
    resp = as_employee_a.get(f"/catalogue/{program_id}/interest")
    assert resp.status_code == 405
    with within(app):
        assert count(ProgramInterest) == 0


# -- who sees what: the wall between members --------------------------------------


def _interests_of_everyone(app, world, program_id) -> None:
    with within(app):
        for uid, muni in (
            (world.employee_a, world.muni_a),
            (world.employee_a2, world.muni_a),
            (world.employee_b, world.muni_b),
        ):
            with acting_as(db.session, muni):
                interests.register_interest(db.session.get(Program, program_id), person(uid))
        db.session.commit()


def test_coordinators_see_their_own_members_count_only(
    app, world, program_id, as_coordinator_a, as_coordinator_b, as_employee_a
):
    _interests_of_everyone(app, world, program_id)
    page_a = _page(as_coordinator_a, f"/catalogue/{program_id}")
    assert "Staff of your municipality: 2 people" in page_a
    page_b = _page(as_coordinator_b, f"/catalogue/{program_id}")
    assert "Staff of your municipality: 1 person" in page_b
    # Employees see no counts, and no one sees names.
    page_e = _page(as_employee_a, f"/catalogue/{program_id}")
    assert "People interested" not in page_e
    with within(app):
        names = [person(u).name for u in (world.employee_b, world.employee_a2)]
    for page in (page_a, page_b):
        assert not any(name in page for name in names)


def test_regional_administrators_see_a_count_per_member(app, world, program_id, as_admin):
    _interests_of_everyone(app, world, program_id)
    page = _page(as_admin, f"/catalogue/{program_id}")
    with within(app):
        a, b = (db.session.get(Municipality, m).name("en") for m in (world.muni_a, world.muni_b))
    assert a in page and b in page
    assert "In all: 3 people" in page


def test_one_members_unit_of_work_never_reads_anothers_interests(app, world, program_id):
    _interests_of_everyone(app, world, program_id)
    with within(app):
        with acting_as(db.session, world.muni_a):
            rows = list(db.session.scalars(select(ProgramInterest)))
            assert {r.municipality_id for r in rows} == {world.muni_a}
            counts = dict(db.session.execute(ProgramInterest.counts_by_member(program_id)).all())
            assert counts == {world.muni_a: 2}
        with acting_as(db.session, world.muni_b):
            assert interests.interest_of(person(world.employee_b), program_id) is not None
            assert db.session.scalar(select(func.count(ProgramInterest.id))) == 1


def test_withdrawing_touches_only_ones_own_interest(app, world, program_id, as_employee_a):
    _interests_of_everyone(app, world, program_id)
    _withdraw(as_employee_a, program_id)
    with within(app):
        assert _interest(world.employee_a, program_id) is None
        assert _interest(world.employee_a2, program_id) is not None
        assert _interest(world.employee_b, program_id) is not None


# -- told once when a session opens ---------------------------------------------------


def test_a_session_added_open_mails_every_interested_person_once(
    app, world, program_id, as_admin, mailbox
):
    _interests_of_everyone(app, world, program_id)
    mailbox.clear()
    resp = as_admin.form_post("/sessions/new", session_form(program_id), headers=EN)
    assert resp.status_code == 302
    for who in ("employee_a", "employee_a2", "employee_b"):
        got = mailbox.to(world.emails[who])
        assert len(got) == 1, who
        assert got[0]["Subject"].startswith(SUBJECT_JA)
        body = mailbox.body(got[0])
        assert "関心登録の研修" in body and "/sessions/" in body
    with within(app):
        for uid in (world.employee_a, world.employee_a2, world.employee_b):
            interest = _interest(uid, program_id)
            assert interest.notified_at is not None and interest.notified_session_id is not None
        with all_tenants(db.session):
            trail = db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == "interest.notify")
            ).all()
        assert {(e.municipality_id, e.detail["people"]) for e in trail} == {
            (world.muni_a, 2),
            (world.muni_b, 1),
        }
    # A second session opening later mails nobody again.
    mailbox.clear()
    as_admin.form_post("/sessions/new", session_form(program_id), headers=EN)
    assert mailbox.messages == []


def test_only_members_the_session_admits_are_told(
    app, world, program_id, as_coordinator_b, mailbox
):
    _interests_of_everyone(app, world, program_id)
    mailbox.clear()
    # B runs a session for its own staff: A's people are not told, and stay waiting.
    resp = as_coordinator_b.form_post("/sessions/new", session_form(program_id), headers=EN)
    assert resp.status_code == 302
    assert {m["To"] for m in mailbox.messages} == {world.emails["employee_b"]}
    with within(app):
        assert _interest(world.employee_a, program_id).notified_at is None
        assert _interest(world.employee_b, program_id).notified_at is not None


def test_a_session_opening_later_is_told_by_the_cron_command(
    app, world, program_id, as_admin, mailbox
):
    _interests_of_everyone(app, world, program_id)
    form = session_form(program_id, registration_opens_at=local(timedelta(days=2)))
    as_admin.form_post("/sessions/new", form, headers=EN)
    assert mailbox.messages == []  # not open yet
    runner = app.test_cli_runner()
    with app.app_context():
        result = runner.invoke(args=["notify-interested"], catch_exceptions=False)
    assert "interested people told: 0" in result.output
    with within(app):
        from regional.sessions.models import TrainingSession

        ts = db.session.scalar(
            select(TrainingSession).where(TrainingSession.program_id == program_id)
        )
        ts.registration_opens_at = now_utc() - timedelta(minutes=1)
        db.session.commit()
    with app.app_context():
        result = runner.invoke(args=["notify-interested"], catch_exceptions=False)
    assert "interested people told: 3" in result.output
    assert len(mailbox.messages) == 3
    with app.app_context():
        result = runner.invoke(args=["notify-interested"], catch_exceptions=False)
    assert "interested people told: 0" in result.output
    assert len(mailbox.messages) == 3


def test_moving_the_window_to_now_tells_them(app, world, program_id, as_admin, mailbox):
    _interests_of_everyone(app, world, program_id)
    with within(app):
        sid = _open_session(program_id, opens_in=timedelta(days=3))
        db.session.commit()
    edit = session_form(program_id)
    edit.pop("program_id")
    resp = as_admin.form_post(f"/sessions/{sid}/edit", edit, headers=EN)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    assert len(mailbox.messages) == 3


def test_a_session_added_through_the_api_tells_them_too(app, world, program_id, api, mailbox):
    _interests_of_everyone(app, world, program_id)
    client = api(world.emails["admin"])
    resp = client.post("/sessions", json=session_body(program_id))
    assert resp.status_code == 201
    assert len(mailbox.messages) == 3


def test_a_disabled_account_is_not_mailed_and_keeps_waiting(
    app, world, program_id, as_admin, mailbox
):
    _interests_of_everyone(app, world, program_id)
    with within(app), all_tenants(db.session):
        person(world.employee_a2).status = AccountStatus.DISABLED
        db.session.commit()
    as_admin.form_post("/sessions/new", session_form(program_id), headers=EN)
    assert world.emails["employee_a2"] not in {m["To"] for m in mailbox.messages}
    with within(app):
        assert _interest(world.employee_a2, program_id).notified_at is None


def test_after_the_notice_the_person_may_ask_again(
    app, world, program_id, as_admin, as_employee_a, mailbox
):
    _register(as_employee_a, program_id)
    as_admin.form_post("/sessions/new", session_form(program_id), headers=EN)
    with within(app):
        from regional.sessions.models import TrainingSession

        for ts in db.session.scalars(
            select(TrainingSession).where(TrainingSession.program_id == program_id)
        ):
            ts.registration_closes_at = now_utc() - timedelta(minutes=1)
            ts.registration_opens_at = now_utc() - timedelta(days=2)
        db.session.commit()
    home = _page(as_employee_a, "/", JA)
    assert "受付開始をお知らせ済み" in home
    _register(as_employee_a, program_id)
    with within(app):
        assert _interest(world.employee_a, program_id).notified_at is None
