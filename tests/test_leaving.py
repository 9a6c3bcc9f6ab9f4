"""People who leave: disabling an account (by hand or by a roster import) gives up their
future registrations through the seat engine, and keeps their history."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from regional import attendance, seats
from regional.attendance.models import Completion
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import fiscal_year_of, local_date, now_utc
from regional.people import departures, people
from regional.people.models import AccountStatus, User
from regional.seats.models import CancelReason, Registration
from regional.seats.models import RegistrationStatus as RS
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.conftest import CODE_A
from tests.fixtures_registrations import english, ja, person, register
from tests.fixtures_targets import program, target

DOMAIN_A = "city.tsuyama.lg.jp"
HEADER = "職員番号,氏名,メールアドレス,所属,職種\r\n"


@pytest.fixture
def make(app):
    """Build rows in the test's transaction (committed to its savepoint) and return plain ids."""

    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


def _reg(app, reg_id: int) -> Registration:
    """A registration read afresh, detached (nothing stale from before the request)."""
    with app.app_context(), all_tenants(db.session):
        reg = db.session.get(Registration, reg_id)
        db.session.expunge(reg)
        return reg


def _session(app, ts_id: int) -> tuple[int, int]:
    """(seats taken, reserved seats still free) of a session."""
    with app.app_context():
        ts = db.session.get(TrainingSession, ts_id)
        return ts.seats_taken, ts.reserved_unclaimed


def _trail(app, muni: int, action: str) -> list[AuditEntry]:
    with app.app_context(), acting_as(db.session, muni):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        ).all()
        for e in entries:
            db.session.expunge(e)
        return entries


def _subjects(mailbox, address: str) -> list[str]:
    return [m["Subject"] for m in mailbox.to(address)]


def _promoted_subject(app, ts_id: int) -> str:
    with app.app_context():
        title = db.session.get(TrainingSession, ts_id).program.title_ja
        return "【研修ポータル】" + ja("A seat became free for you: %(title)s", title=title)


def _leaver_with_a_line(world, make):
    """employee_a holds the one seat of a session next week; a person of B waits for it."""

    def setup():
        ts = factories.make_session(capacity=1, starts_in=timedelta(days=7))
        mine = register(ts.id, world.employee_a)
        waiting = register(ts.id, world.employee_b)
        return ts.id, mine.id, waiting.id

    return make(setup)


# -- by hand, on the person's page ---------------------------------------------------------------


def test_the_confirmation_says_how_many_registrations_go(as_coordinator_a, world, make):
    english(as_coordinator_a)

    def setup():
        for days in (5, 9):
            register(factories.make_session(starts_in=timedelta(days=days)).id, world.employee_a)

    make(setup)
    detail = as_coordinator_a.get(f"/people/{world.employee_a}").get_data(as_text=True)
    assert f'href="/people/{world.employee_a}/disable"' in detail
    resp = as_coordinator_a.get(f"/people/{world.employee_a}/disable")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "2 registrations for sessions still to come will be cancelled" in page
    assert "does not restore cancelled registrations" in page
    # Asking changes nothing.
    assert person_status(as_coordinator_a, world.employee_a) == AccountStatus.ACTIVE


def person_status(client, user_id: int) -> AccountStatus:
    with client.application.app_context(), all_tenants(db.session):
        return db.session.get(User, user_id).status


def test_disabling_passes_the_seat_to_the_line_and_mails_only_the_promoted_once(
    app, as_coordinator_a, world, make, mailbox
):
    english(as_coordinator_a)
    ts_id, mine, waiting = _leaver_with_a_line(world, make)
    mailbox.clear()
    resp = as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    assert resp.status_code == 302
    flashed = as_coordinator_a.get(resp.headers["Location"]).get_data(as_text=True)
    assert "1 registration for a session still to come was cancelled" in flashed
    gone = _reg(app, mine)
    assert gone.status == RS.CANCELLED
    assert gone.cancelled_by_id == world.coordinator_a
    assert gone.cancel_reason == CancelReason.LEFT
    assert gone.seat_allocation_id is None
    assert _reg(app, waiting).status == RS.ENROLLED
    assert _session(app, ts_id) == (1, 0)  # the seat changed hands: still one taken
    assert _subjects(mailbox, world.emails["employee_b"]) == [_promoted_subject(app, ts_id)]
    assert mailbox.to(world.emails["employee_a"]) == []  # they left: nobody mails them


def test_a_seat_nobody_waits_for_is_released(app, as_coordinator_a, world, make, mailbox):
    def setup():
        ts = factories.make_session(capacity=3)
        return ts.id, register(ts.id, world.employee_a).id

    ts_id, mine = make(setup)
    assert _session(app, ts_id) == (1, 0)
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    assert _reg(app, mine).status == RS.CANCELLED
    assert _session(app, ts_id) == (0, 0)
    assert mailbox.messages == []


def test_pending_and_waiting_places_go_too(app, as_coordinator_a, world, make):
    def setup():
        full = factories.make_session(capacity=1)
        register(full.id, world.employee_b)
        waiting = register(full.id, world.employee_a)
        asks = factories.make_session(requires_approval=True, starts_in=timedelta(days=20))
        pending = register(asks.id, world.employee_a)
        return full.id, waiting.id, asks.id, pending.id

    full, waiting, asks, pending = make(setup)
    assert (_reg(app, waiting).status, _reg(app, pending).status) == (RS.WAITLISTED, RS.PENDING)
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    for reg_id in (waiting, pending):
        reg = _reg(app, reg_id)
        assert (reg.status, reg.waitlist_ticket, reg.cancel_reason) == (
            RS.CANCELLED,
            None,
            CancelReason.LEFT,
        )
    assert _session(app, full) == (1, 0)
    assert _session(app, asks) == (0, 0)


def test_history_stays_and_still_counts(app, as_coordinator_a, api, world, make):
    """A past session attended, and one under way: neither is touched; progress still counts."""

    def setup():
        past = factories.make_session(
            program("GEN-SEC-101"),
            starts_in=timedelta(days=-2),
            opens_in=timedelta(days=-20),
            closes_in=timedelta(days=-3),
        )
        attended = register(past.id, world.employee_a, world.admin)
        with acting_as(db.session, world.muni_a):
            attendance.record_attendance(
                past.id, [(attended.id, True)], person(world.coordinator_a)
            )
        under_way = factories.make_session(
            starts_in=timedelta(minutes=-30), opens_in=timedelta(days=-9), closes_in=timedelta(0)
        )
        now_on = register(under_way.id, world.employee_a, world.admin)
        fy = fiscal_year_of(local_date(past.starts_at))
        target(world.muni_a, "security", 10, fy, fy)
        return attended.id, now_on.id, under_way.id, fy

    attended, now_on, under_way, fy = make(setup)

    def achieved() -> int:
        body = api(world.emails["coordinator_a"]).get(
            f"/municipalities/{CODE_A}/progress?fiscal_year={fy}"
        )
        return next(t for t in body.get_json()["targets"] if t["key"] == "security")["achieved"]

    assert achieved() == 1
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    assert person_status(as_coordinator_a, world.employee_a) == AccountStatus.DISABLED
    kept = _reg(app, attended)
    assert (kept.status, kept.attended, kept.cancel_reason) == (RS.ENROLLED, True, None)
    started = _reg(app, now_on)
    assert (started.status, started.cancelled_at) == (RS.ENROLLED, None)
    assert _session(app, under_way) == (1, 0)
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.scalar(
            select(func.count(Completion.id)).where(Completion.employee_id == world.employee_a)
        )
    assert achieved() == 1
    record = as_coordinator_a.get(f"/records/people/{world.employee_a}")
    assert record.status_code == 200
    with app.app_context():
        assert program("GEN-SEC-101").code in record.get_data(as_text=True)


def test_a_reserved_seat_goes_back_to_its_member(app, as_coordinator_a, world, make, mailbox):
    """A's reserved seat returns to A's reservation: the next person of A takes it, not B's."""

    def setup():
        ts = factories.make_session(capacity=2)
        alloc = seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=5))
        register(ts.id, factories.make_user(world.muni_b).id)  # the pool seat
        mine = register(ts.id, world.employee_a)  # A's reserved seat
        b_waiting = register(ts.id, world.employee_b)
        a_waiting = register(ts.id, world.employee_a2)
        return ts.id, alloc.id, mine.id, b_waiting.id, a_waiting.id

    ts_id, alloc_id, mine, b_waiting, a_waiting = make(setup)
    assert _reg(app, mine).seat_allocation_id == alloc_id
    mailbox.clear()
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    assert _reg(app, mine).status == RS.CANCELLED
    moved_up = _reg(app, a_waiting)
    assert (moved_up.status, moved_up.seat_allocation_id) == (RS.ENROLLED, alloc_id)
    assert _reg(app, b_waiting).status == RS.WAITLISTED
    with app.app_context():
        alloc = db.session.get(SeatAllocation, alloc_id)
        assert (alloc.claimed, alloc.released) == (1, False)
    assert _session(app, ts_id) == (2, 0)
    assert _subjects(mailbox, world.emails["employee_a2"]) == [_promoted_subject(app, ts_id)]
    assert mailbox.to(world.emails["employee_b"]) == []


def test_a_reserved_seat_nobody_of_the_member_waits_for_is_held_for_it_again(
    app, as_coordinator_a, world, make
):
    def setup():
        ts = factories.make_session(capacity=2)
        alloc = seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=5))
        register(ts.id, factories.make_user(world.muni_b).id)
        mine = register(ts.id, world.employee_a)
        b_waiting = register(ts.id, world.employee_b)
        return ts.id, alloc.id, mine.id, b_waiting.id

    ts_id, alloc_id, mine, b_waiting = make(setup)
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    assert _reg(app, b_waiting).status == RS.WAITLISTED  # not theirs until released
    assert _session(app, ts_id) == (1, 1)
    with app.app_context():
        assert db.session.get(SeatAllocation, alloc_id).claimed == 0


def test_another_members_coordinator_cannot_disable_or_even_ask(app, as_coordinator_b, world, make):
    _ts, mine, waiting = _leaver_with_a_line(world, make)
    assert as_coordinator_b.get(f"/people/{world.employee_a}/disable").status_code == 404
    assert as_coordinator_b.form_post(f"/people/{world.employee_a}/disable").status_code == 404
    assert person_status(as_coordinator_b, world.employee_a) == AccountStatus.ACTIVE
    assert (_reg(app, mine).status, _reg(app, waiting).status) == (RS.ENROLLED, RS.WAITLISTED)


def test_the_audit_entry_names_the_cancelled_registrations(app, as_coordinator_a, world, make):
    ts_id, mine, _waiting = _leaver_with_a_line(world, make)
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    (entry,) = _trail(app, world.muni_a, "account.disable")
    assert entry.actor_id == world.coordinator_a
    assert entry.subject_id == str(world.employee_a)
    assert entry.detail["registrations_cancelled"] == [
        {"registration_id": mine, "session_id": ts_id}
    ]
    # The departure is one entry; the registration is not mailed nor audited a second time.
    assert _trail(app, world.muni_a, "registration.cancel") == []


def test_enabling_again_restores_nothing_and_says_so(app, as_coordinator_a, world, make):
    english(as_coordinator_a)
    ts_id, mine, waiting = _leaver_with_a_line(world, make)
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    detail = as_coordinator_a.get(f"/people/{world.employee_a}").get_data(as_text=True)
    assert "Cancelled because the person left" in detail
    assert "are not restored" in detail
    resp = as_coordinator_a.form_post(f"/people/{world.employee_a}/enable")
    page = as_coordinator_a.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Registrations cancelled when it was disabled are not restored" in page
    assert person_status(as_coordinator_a, world.employee_a) == AccountStatus.ACTIVE
    assert _reg(app, mine).status == RS.CANCELLED
    assert _reg(app, waiting).status == RS.ENROLLED


def test_the_api_shows_why_a_registration_was_cancelled(api, as_coordinator_a, world, make):
    _ts, mine, _waiting = _leaver_with_a_line(world, make)
    as_coordinator_a.form_post(f"/people/{world.employee_a}/disable")
    body = api(world.emails["coordinator_a"]).get(f"/registrations/{mine}").get_json()
    assert (body["status"], body["cancel_reason"]) == ("cancelled", "left")


def test_without_the_handler_a_deactivation_refuses_to_run(ctx, world, monkeypatch):
    """Nothing may disable a person and silently leave their seats taken."""
    monkeypatch.setattr(departures, "_handler", None)
    with acting_as(db.session, world.muni_a), pytest.raises(RuntimeError):
        people.disable_person(person(world.employee_a), person(world.coordinator_a))


# -- by roster import ------------------------------------------------------------------------------


def _numbered(world, make):
    """employee_a (T-001) stays in the file; employee_a2 (T-002) and a third (T-003) leave.

    T-002 holds a seat next week with someone of B waiting, and waits for another session;
    T-003 holds a seat in a session under way (left alone).
    """

    def setup():
        with acting_as(db.session, world.muni_a):
            ea = db.session.get(User, world.employee_a)
            ea.employee_number, ea.email = "T-001", f"taro@{DOMAIN_A}"
            db.session.get(User, world.employee_a2).employee_number = "T-002"
            db.session.flush()
        third = factories.make_user(world.muni_a)
        with acting_as(db.session, world.muni_a):
            third.employee_number = "T-003"
            db.session.flush()
        full = factories.make_session(capacity=1, starts_in=timedelta(days=7))
        seat = register(full.id, world.employee_a2)
        waiting = register(full.id, world.employee_b)
        other = factories.make_session(capacity=1, starts_in=timedelta(days=8))
        register(other.id, factories.make_user(world.muni_b).id)
        in_line = register(other.id, world.employee_a2)
        under_way = factories.make_session(
            starts_in=timedelta(minutes=-30), opens_in=timedelta(days=-9), closes_in=timedelta(0)
        )
        started = register(under_way.id, third.id, world.admin)
        return {
            "full": full.id,
            "seat": seat.id,
            "waiting": waiting.id,
            "other": other.id,
            "in_line": in_line.id,
            "started": started.id,
            "third": third.id,
        }

    return make(setup)


def _roster_csv() -> bytes:
    return (HEADER + f"T-001,津山 太郎,taro@{DOMAIN_A},,\r\n").encode("cp932")


def _post_roster(client, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(
        f"/municipalities/{CODE_A}/roster?{qs}",
        data={"file": (io.BytesIO(_roster_csv()), "roster.csv")},
        content_type="multipart/form-data",
    )


def test_the_api_preview_counts_what_each_deactivation_cancels(app, api, world, make):
    ids = _numbered(world, make)
    coord = api(world.emails["coordinator_a"])
    body = _post_roster(coord, deactivate_missing="true").get_json()
    assert body["deactivated"] == 2
    assert body["registrations_cancelled"] == 2
    by_number = {p["employee_number"]: p for p in body["deactivated_people"]}
    assert by_number["T-002"]["registrations_cancelled"] == 2
    assert by_number["T-002"]["id"] == world.employee_a2
    assert by_number["T-003"]["registrations_cancelled"] == 0  # only a session under way
    assert body["committed"] is False
    assert _reg(app, ids["seat"]).status == RS.ENROLLED  # a preview changes nothing
    # Without deactivation nothing is cancelled.
    plain = _post_roster(coord).get_json()
    assert (plain["registrations_cancelled"], plain["deactivated_people"]) == (0, [])


def test_the_import_cancels_through_the_seat_engine(app, api, world, make, mailbox):
    ids = _numbered(world, make)
    mailbox.clear()
    resp = _post_roster(
        api(world.emails["coordinator_a"]), deactivate_missing="true", commit="true"
    )
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["committed"], body["registrations_cancelled"]) == (True, 2)
    for key in ("seat", "in_line"):
        reg = _reg(app, ids[key])
        assert (reg.status, reg.cancelled_by_id, reg.cancel_reason) == (
            RS.CANCELLED,
            world.coordinator_a,
            CancelReason.LEFT,
        )
    assert _reg(app, ids["waiting"]).status == RS.ENROLLED
    assert _session(app, ids["full"]) == (1, 0)
    assert _reg(app, ids["started"]).status == RS.ENROLLED  # under way: untouched
    assert _subjects(mailbox, world.emails["employee_b"]) == [_promoted_subject(app, ids["full"])]
    assert mailbox.to(world.emails["employee_a2"]) == []
    assert len(mailbox.messages) == 1  # the one promotion; nobody who left is mailed
    (entry,) = _trail(app, world.muni_a, "roster.import")
    assert entry.detail["counts"]["registrations_cancelled"] == 2
    assert entry.detail["registrations_cancelled"] == [
        {
            "employee_id": world.employee_a2,
            "registrations": [
                {"registration_id": ids["seat"], "session_id": ids["full"]},
                {"registration_id": ids["in_line"], "session_id": ids["other"]},
            ],
        }
    ]


def _confirm_fields(page: str) -> dict[str, str]:
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
        for name in ("upload", "token")
    }


def _upload(client):
    form = {
        "file": (io.BytesIO(_roster_csv()), "roster.csv"),
        "csrf_token": client.csrf_token(),
        "deactivate_missing": "y",
    }
    return client.post("/people/roster", data=form, content_type="multipart/form-data")


def _cells(page: str, name: str) -> str:
    """The text of the preview's row of ``name`` (tags dropped)."""
    row = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(name)}(?:(?!</tr>).)*</tr>", page, re.S)
    return re.sub(r"<[^>]+>", " ", row.group(0))


def test_the_preview_page_shows_the_counts_and_the_import_does_them(
    app, as_coordinator_a, world, make, mailbox
):
    english(as_coordinator_a)
    ids = _numbered(world, make)
    page = _upload(as_coordinator_a).get_data(as_text=True)
    assert "2" in _cells(page, "Registrations cancelled (sessions still to come)").split()
    with app.app_context():
        name_a2 = person(world.employee_a2).name
    assert _cells(page, name_a2).split()[-1] == "2"
    assert _cells(page, "T-003").split()[-1] == "0"
    assert "enabling them again later does not restore" in page
    mailbox.clear()
    resp = as_coordinator_a.form_post("/people/roster/confirm", _confirm_fields(page))
    assert resp.status_code == 302
    done = as_coordinator_a.get("/people/roster/done").get_data(as_text=True)
    assert "2" in _cells(done, "Registrations cancelled (sessions still to come)").split()
    assert _reg(app, ids["seat"]).status == RS.CANCELLED
    assert _reg(app, ids["waiting"]).status == RS.ENROLLED
    assert len(mailbox.to(world.emails["employee_b"])) == 1


def test_a_registration_made_after_the_preview_needs_a_new_preview(
    app, as_coordinator_a, world, make
):
    """The import does what the preview said it would cancel, or shows the new figures."""
    ids = _numbered(world, make)
    page = _upload(as_coordinator_a).get_data(as_text=True)
    make(lambda: register(factories.make_session(starts_in=timedelta(days=30)).id, ids["third"]))
    resp = as_coordinator_a.form_post("/people/roster/confirm", _confirm_fields(page))
    assert resp.status_code == 409
    assert person_status(as_coordinator_a, world.employee_a2) == AccountStatus.ACTIVE
    assert _reg(app, ids["seat"]).status == RS.ENROLLED


def test_the_bulk_path_mails_each_promoted_person_once_and_no_leaver(ctx, world):
    """Many leavers in many sessions: one lock per session, one mail per promotion."""
    from regional.mail.models import OutboundMail

    leavers = [factories.make_user(world.muni_a) for _ in range(4)]
    sessions = [factories.make_session(capacity=2, starts_in=timedelta(days=d)) for d in (3, 4)]
    waiting = []
    for ts in sessions:
        for leaver in leavers[:2]:
            register(ts.id, leaver.id)
        for _ in range(3):
            waiting.append(register(ts.id, factories.make_user(world.muni_b).id))
    for leaver in leavers[2:]:
        register(sessions[0].id, leaver.id)  # waiting behind B's people
    before = set(db.session.scalars(select(OutboundMail.id).execution_options(all_tenants=True)))
    with acting_as(db.session, world.muni_a):
        for leaver in leavers:
            leaver.status = AccountStatus.DISABLED
        db.session.flush()
        withdrawn = departures.withdraw(leavers, person(world.coordinator_a))
    assert len(withdrawn) == 6
    with all_tenants(db.session):
        mails = db.session.scalars(
            select(OutboundMail)
            .execution_options(all_tenants=True)
            .where(OutboundMail.id.not_in(before))
        ).all()
    promoted = {r.id for r in waiting[:2] + waiting[3:5]}
    assert sorted(m.params["registration_id"] for m in mails) == sorted(promoted)
    assert {m.template for m in mails} == {"registration_promoted"}
    for ts in sessions:
        db.session.refresh(ts)
        assert ts.seats_taken == 2
