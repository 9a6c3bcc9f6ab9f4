"""The seat rules, straight through the service layer: what the platform promises about seats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from regional import attendance, seats
from regional.attendance.models import Completion, CompletionSource
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import local_date, now_utc, to_local
from regional.mail.models import OutboundMail
from regional.people.models import AccountStatus, JobCategory, Role
from regional.registrations import actions, cancellation
from regional.seats import engine, waitlist
from regional.seats.models import Registration
from regional.seats.models import RegistrationStatus as RS
from regional.sessions.models import SeatAllocation, SessionStatus
from tenants import all_tenants
from tests import factories
from tests.fixtures_registrations import (
    all_registrations,
    cancel,
    inside,
    ja,
    person,
    register,
    registration,
    session_row,
    staff,
)


def outbox(address: str) -> list[OutboundMail]:
    return factories.rendered(
        db.session.scalars(
            select(OutboundMail)
            .execution_options(all_tenants=True)
            .where(OutboundMail.to_addr == address)
        )
    )


def refused(code: str, fn, *args) -> DomainError:
    with pytest.raises(DomainError) as info:
        fn(*args)
    assert info.value.code == code
    return info.value


# -- seats and the waiting list ----------------------------------------------------


def test_full_session_puts_the_next_person_on_the_waiting_list(ctx, world):
    ts = factories.make_session(capacity=1)
    first = register(ts.id, world.employee_a)
    second = register(ts.id, world.employee_b)
    assert first.status == RS.ENROLLED
    assert second.status == RS.WAITLISTED
    assert waitlist.waitlist_position(second) == 1
    assert session_row(ts.id).seats_taken == 1


def test_waitlist_position_counts_people_of_every_municipality(ctx, world):
    ts = factories.make_session(capacity=1)
    register(ts.id, world.employee_a)
    b_waiting = register(ts.id, world.employee_b)
    a_waiting = register(ts.id, world.employee_a2)
    assert waitlist.waitlist_position(b_waiting) == 1
    assert waitlist.waitlist_position(a_waiting) == 2


def test_cancel_gives_the_seat_to_the_first_in_line_and_tells_them(ctx, world):
    ts = factories.make_session(capacity=1)
    first = register(ts.id, world.employee_a)
    waiting = [register(ts.id, e) for e in staff(world.muni_b, 2)]
    promoted = cancel(first.id, world.employee_a)
    assert [r.id for r in promoted] == [waiting[0].id]
    regs = {r.id: r for r in all_registrations(ts.id)}
    assert regs[waiting[0].id].status == RS.ENROLLED
    assert regs[waiting[1].id].status == RS.WAITLISTED
    assert waitlist.waitlist_position(regs[waiting[1].id]) == 1
    mails = outbox(person(waiting[0].employee_id).email)
    subject = "【研修ポータル】" + ja(
        "A seat became free for you: %(title)s", title=ts.program.title_ja
    )
    assert [m.subject for m in mails].count(subject) == 1
    assert any(m.ics for m in mails)


def test_more_capacity_promotes_in_ticket_order(ctx, world):
    ts = factories.make_session(capacity=1)
    register(ts.id, world.employee_a)
    waiting = [register(ts.id, e) for e in staff(world.muni_b, 3)]
    promoted = seats.change_capacity(ts.id, 3)
    assert [r.id for r in promoted] == [waiting[0].id, waiting[1].id]
    assert registration(waiting[2].id).status == RS.WAITLISTED
    assert session_row(ts.id).seats_taken == 3


def test_capacity_cannot_drop_below_seats_taken(ctx, world):
    ts = factories.make_session(capacity=2)
    register(ts.id, world.employee_a)
    register(ts.id, world.employee_b)
    refused("capacity_below_taken", seats.change_capacity, ts.id, 1)


def test_reserved_seats_are_kept_for_their_municipality_until_release(ctx, world):
    ts = factories.make_session(capacity=2)
    seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=3))
    b_people = staff(world.muni_b, 2)
    assert register(ts.id, b_people[0]).status == RS.ENROLLED  # the one pool seat
    assert register(ts.id, b_people[1]).status == RS.WAITLISTED  # A's seat is not theirs
    a_reg = register(ts.id, world.employee_a)
    assert a_reg.status == RS.ENROLLED
    assert a_reg.seat_allocation_id is not None


def test_released_reservation_goes_to_the_waiting_list_first(ctx, world):
    ts = factories.make_session(capacity=2)
    alloc = seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=3))
    b_people = staff(world.muni_b, 3)
    register(ts.id, b_people[0])
    waiting = register(ts.id, b_people[1])
    assert waiting.status == RS.WAITLISTED
    alloc.release_at = now_utc() - timedelta(minutes=1)
    db.session.flush()
    # Nobody touched the session since the release time: the next request must not jump the line.
    newcomer = register(ts.id, b_people[2])
    assert registration(waiting.id).status == RS.ENROLLED
    assert newcomer.status == RS.WAITLISTED
    assert db.session.get(SeatAllocation, alloc.id).released is True


def test_release_seats_command_promotes_when_the_reservation_runs_out(ctx, world):
    ts = factories.make_session(capacity=1)
    alloc = seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=3))
    waiting = register(ts.id, world.employee_b)
    assert waiting.status == RS.WAITLISTED
    alloc.release_at = now_utc() - timedelta(seconds=1)
    db.session.flush()
    assert seats.sessions_with_due_reservations() == [ts.id]
    promoted = seats.release_seats(ts.id)
    assert [r.id for r in promoted] == [waiting.id]
    assert seats.sessions_with_due_reservations() == []


def test_cancelled_reserved_seat_returns_to_its_municipality(ctx, world):
    ts = factories.make_session(capacity=1)
    seats.set_allocation(ts.id, world.muni_a, 1, now_utc() + timedelta(days=3))
    a_reg = register(ts.id, world.employee_a)
    b_waiting = register(ts.id, world.employee_b)
    cancel(a_reg.id, world.employee_a)
    assert registration(b_waiting.id).status == RS.WAITLISTED  # still A's reserved seat
    assert register(ts.id, world.employee_a2).status == RS.ENROLLED


def test_reservations_cannot_overbook(ctx, world):
    ts = factories.make_session(capacity=2)
    register(ts.id, world.employee_b)
    refused(
        "not_enough_free_seats",
        seats.set_allocation,
        ts.id,
        world.muni_a,
        2,
        now_utc() + timedelta(days=1),
    )


# -- overlapping sessions -----------------------------------------------------------


def test_person_holding_an_overlapping_session_is_passed_over_visibly(ctx, world):
    program = factories.make_program()
    ts = factories.make_session(program, capacity=1, starts_in=timedelta(days=10))
    clash = factories.make_session(program, capacity=5, starts_in=timedelta(days=10, hours=1))
    first = register(ts.id, world.employee_b)
    skipped = register(ts.id, world.employee_a)
    behind = register(ts.id, world.employee_a2)
    register(clash.id, world.employee_a)  # now employee_a holds a seat at the same time
    cancel(first.id, world.employee_b)
    skipped, behind = registration(skipped.id), registration(behind.id)
    assert behind.status == RS.ENROLLED
    assert skipped.status == RS.WAITLISTED
    # The note names the clash (its time reads the same in every language).
    assert to_local(clash.starts_at).strftime("%Y-%m-%d %H:%M") in skipped.skip_note
    assert waitlist.waitlist_position(skipped) == 1  # keeps their place


def test_passed_over_person_gets_the_seat_once_the_clash_is_gone(ctx, world):
    program = factories.make_program()
    ts = factories.make_session(program, capacity=2, starts_in=timedelta(days=10))
    clash = factories.make_session(program, capacity=5, starts_in=timedelta(days=10, hours=1))
    holders = [register(ts.id, e) for e in staff(world.muni_b, 2)]
    skipped = register(ts.id, world.employee_a)
    clash_reg = register(clash.id, world.employee_a)
    cancel(holders[0].id, holders[0].employee_id)
    assert registration(skipped.id).skip_note is not None
    # The free seat went to nobody else (nobody else waits): it is still free.
    assert session_row(ts.id).seats_left == 1
    cancel(clash_reg.id, world.employee_a)
    assert registration(skipped.id).status == RS.ENROLLED
    assert registration(skipped.id).skip_note is None


def test_registering_while_holding_an_overlapping_session_is_refused(ctx, world):
    program = factories.make_program()
    ts = factories.make_session(program, starts_in=timedelta(days=10))
    clash = factories.make_session(program, starts_in=timedelta(days=10, hours=2))
    register(ts.id, world.employee_a)
    refused("overlapping_session", register, clash.id, world.employee_a)


# -- approval ---------------------------------------------------------------------------


def test_pending_request_holds_a_seat_until_approved(ctx, world):
    ts = factories.make_session(capacity=1, requires_approval=True)
    pending = register(ts.id, world.employee_a)
    assert pending.status == RS.PENDING
    assert register(ts.id, world.employee_b).status == RS.WAITLISTED
    with inside(world.muni_a):
        actions.approve(registration(pending.id), person(world.coordinator_a))
    assert registration(pending.id).status == RS.ENROLLED
    subject = "【研修ポータル】" + ja("Request approved: %(title)s", title=ts.program.title_ja)
    assert subject in [m.subject for m in outbox(world.emails["employee_a"])]


def test_declined_request_frees_the_seat_for_the_line(ctx, world):
    ts = factories.make_session(capacity=1, requires_approval=True)
    pending = register(ts.id, world.employee_a)
    waiting = register(ts.id, world.employee_b)
    with inside(world.muni_a):
        actions.decline(registration(pending.id), person(world.coordinator_a))
    assert registration(pending.id).status == RS.DECLINED
    assert registration(waiting.id).status == RS.PENDING  # promoted, still needs B's approval


def test_coordinator_of_another_municipality_cannot_approve(ctx, world):
    ts = factories.make_session(requires_approval=True)
    pending = register(ts.id, world.employee_a)
    with inside(world.muni_a):
        refused("forbidden", actions.approve, registration(pending.id), person(world.coordinator_b))


def test_coordinator_registering_own_staff_approves_at_once(ctx, world):
    ts = factories.make_session(requires_approval=True)
    reg = register(ts.id, world.employee_a, actor_id=world.coordinator_a)
    assert reg.status == RS.ENROLLED
    assert reg.approved_by_id == world.coordinator_a


def test_coordinator_registering_themselves_still_needs_approval(ctx, world):
    ts = factories.make_session(requires_approval=True)
    assert register(ts.id, world.coordinator_a).status == RS.PENDING


# -- windows, deadlines, retries ------------------------------------------------------------


def test_self_service_cancellation_stops_at_the_deadline(ctx, world):
    ts = factories.make_session()
    ts.cancellation_deadline = now_utc() - timedelta(hours=1)
    db.session.flush()
    reg = register(ts.id, world.employee_a)
    err = refused("cancellation_closed", cancel, reg.id, world.employee_a)
    assert str(err.message) == ja(
        "The cancellation deadline has passed; please ask your training coordinator."
    )
    cancel(reg.id, world.coordinator_a)  # the coordinator still can
    assert registration(reg.id).status == RS.CANCELLED


def test_leaving_the_waiting_list_is_allowed_after_the_deadline(ctx, world):
    ts = factories.make_session(capacity=1)
    register(ts.id, world.employee_b)
    waiting = register(ts.id, world.employee_a)
    ts.cancellation_deadline = now_utc() - timedelta(hours=1)
    db.session.flush()
    cancel(waiting.id, world.employee_a)
    assert registration(waiting.id).status == RS.CANCELLED


def test_registering_again_after_cancelling_reuses_the_registration(ctx, world):
    ts = factories.make_session(capacity=1)
    reg = register(ts.id, world.employee_a)
    cancel(reg.id, world.employee_a)
    again = register(ts.id, world.employee_a)
    assert again.id == reg.id
    assert again.status == RS.ENROLLED
    assert again.cancelled_at is None
    assert len(all_registrations(ts.id)) == 1


def test_a_retry_finds_the_first_registration(ctx, world):
    ts = factories.make_session(capacity=1)
    first = register(ts.id, world.employee_a)
    ts.registration_closes_at = now_utc() - timedelta(minutes=1)  # even once the window closed
    db.session.flush()
    err = refused("already_registered", register, ts.id, world.employee_a)
    assert err.status == 409
    assert err.details["registration_id"] == first.id
    assert session_row(ts.id).seats_taken == 1


def test_registration_outside_the_window_is_refused_except_for_regional_admins(ctx, world):
    past = factories.make_session(
        starts_in=timedelta(days=-3),
        opens_in=timedelta(days=-30),
        closes_in=timedelta(days=-5),
    )
    refused("registration_closed", register, past.id, world.employee_a)
    refused("registration_closed", register, past.id, world.employee_a, world.coordinator_a)
    late = register(past.id, world.employee_a, actor_id=world.admin)
    assert late.status == RS.ENROLLED


def test_not_yet_open_session_refuses_registration(ctx, world):
    ts = factories.make_session(opens_in=timedelta(days=2))
    refused("registration_closed", register, ts.id, world.employee_a)


def test_ineligible_person_is_refused_with_the_reason(ctx, world):
    program = factories.make_program(eligible_job_categories=[JobCategory.TECHNICAL.value])
    ts = factories.make_session(program)
    err = refused("not_eligible", register, ts.id, world.employee_a)
    assert ja("Technical") in str(err.message)  # the reason names the admitted category


def test_disabled_account_cannot_be_registered(ctx, world):
    ts = factories.make_session()
    disabled = factories.make_user(world.muni_a, status=AccountStatus.DISABLED)
    refused("not_eligible", register, ts.id, disabled.id, world.coordinator_a)


def test_member_session_is_not_found_for_other_members(ctx, world):
    ts = factories.make_session(host_municipality_id=world.muni_a)
    err = refused("session_not_found", register, ts.id, world.employee_b)
    assert err.status == 404


def test_cancelled_session_takes_no_registrations_and_tells_everyone(ctx, world):
    ts = factories.make_session(capacity=1)
    register(ts.id, world.employee_a)
    register(ts.id, world.employee_b)
    told = actions.cancel_session(ts.id, "講師の都合", person(world.admin))
    assert told == 2
    assert {r.status for r in all_registrations(ts.id)} == {RS.CANCELLED}
    assert session_row(ts.id).seats_taken == 0
    assert any("講師の都合" in m.body for m in outbox(world.emails["employee_b"]))
    refused("session_cancelled", register, ts.id, world.employee_a2)


def test_nobody_is_promoted_into_a_session_that_has_started(ctx, world):
    ts = factories.make_session(capacity=1)
    first = register(ts.id, world.employee_a)
    waiting = register(ts.id, world.employee_b)
    ts.starts_at = now_utc() - timedelta(minutes=5)
    ts.ends_at = now_utc() + timedelta(hours=1)
    db.session.flush()
    cancel(first.id, world.coordinator_a)
    assert registration(waiting.id).status == RS.WAITLISTED


# -- attendance ---------------------------------------------------------------------------------


def _started_session(capacity: int = 5):
    return factories.make_session(
        capacity=capacity,
        starts_in=timedelta(hours=-1),
        hours=2,
        opens_in=timedelta(days=-10),
        closes_in=timedelta(days=-1),
    )


def test_attendance_before_the_start_is_refused(ctx, world):
    ts = factories.make_session()
    reg = register(ts.id, world.employee_a)
    refused(
        "session_not_started",
        attendance.record_attendance,
        ts.id,
        [(reg.id, True)],
        person(world.admin),
    )


def test_attending_means_completing_with_the_programme_as_it_was(ctx, world):
    ts = _started_session()
    a = register(ts.id, world.employee_a, world.admin)
    b = register(ts.id, world.employee_b, world.admin)
    assert attendance.record_attendance(
        ts.id, [(a.id, True), (b.id, False)], person(world.admin)
    ) == (
        1,
        1,
    )
    done = db.session.scalars(
        select(Completion).execution_options(all_tenants=True).where(Completion.session_id == ts.id)
    ).all()
    assert [(c.employee_id, c.source) for c in done] == [
        (world.employee_a, CompletionSource.ATTENDANCE)
    ]
    assert done[0].completed_on == local_date(ts.starts_at)
    assert done[0].program_code == ts.program.code
    assert registration(b.id).attended is False
    # Corrected later: absent after all, and the completion goes.
    attendance.record_attendance(ts.id, [(a.id, False)], person(world.admin))
    assert (
        db.session.scalars(
            select(Completion)
            .execution_options(all_tenants=True)
            .where(Completion.session_id == ts.id)
        ).all()
        == []
    )


def test_attendance_batch_with_one_bad_line_records_nothing(ctx, world):
    ts = _started_session()
    a = register(ts.id, world.employee_a, world.admin)
    other = register(factories.make_session().id, world.employee_b)
    err = refused(
        "not_enrolled",
        attendance.record_attendance,
        ts.id,
        [(a.id, True), (other.id, True)],
        person(world.admin),
    )
    assert err.details["ids"] == [other.id]
    assert registration(a.id).attended is None


def test_coordinators_record_their_own_people_and_employees_none(ctx, world):
    shared = _started_session()
    reg = register(shared.id, world.employee_a, world.admin)
    refused(
        "forbidden",
        attendance.record_attendance,
        shared.id,
        [(reg.id, True)],
        person(world.employee_a2),
    )
    with inside(world.muni_b):
        # Another member's coordinator does not even see the registration.
        refused(
            "not_enrolled",
            attendance.record_attendance,
            shared.id,
            [(reg.id, True)],
            person(world.coordinator_b),
        )
    with inside(world.muni_a):
        assert attendance.record_attendance(
            shared.id, [(reg.id, True)], person(world.coordinator_a)
        ) == (1, 0)
    hosted = factories.make_session(
        host_municipality_id=world.muni_a,
        starts_in=timedelta(hours=-6),
        hours=1,
        opens_in=timedelta(days=-3),
        closes_in=timedelta(days=-1),
    )
    own = register(hosted.id, world.employee_a, world.admin)
    with inside(world.muni_a):
        assert attendance.record_attendance(
            hosted.id, [(own.id, True)], person(world.coordinator_a)
        ) == (1, 0)


def test_registration_with_attendance_cannot_be_cancelled(ctx, world):
    ts = _started_session()
    reg = register(ts.id, world.employee_a, world.admin)
    attendance.record_attendance(ts.id, [(reg.id, True)], person(world.admin))
    refused("attendance_recorded", cancel, reg.id, world.coordinator_a)


def test_e_learning_completion_on_the_same_day_is_not_recorded_twice(ctx, world):
    ts = _started_session()
    reg = register(ts.id, world.employee_a, world.admin)
    employee = person(world.employee_a)
    with inside(world.muni_a):
        attendance.add_completions(
            [(employee, ts.program, local_date(ts.starts_at))], person(world.coordinator_a)
        )
    attendance.record_attendance(ts.id, [(reg.id, True)], person(world.admin))
    with inside(world.muni_a):
        rows = db.session.scalars(select(Completion).where(Completion.employee_id == employee.id))
        assert [c.source for c in rows] == [CompletionSource.ELEARNING_IMPORT]


def test_coordinator_cannot_record_completions_for_another_municipality(ctx, world):
    program = factories.make_program()
    with inside(world.muni_a):
        refused(
            "forbidden",
            attendance.add_completions,
            [(person(world.employee_b), program, local_date(now_utc()))],
            person(world.coordinator_a),
        )


def test_a_new_coordinator_role_does_not_let_employees_approve(ctx, world):
    ts = factories.make_session(requires_approval=True)
    pending = register(ts.id, world.employee_a)
    other = factories.make_user(world.muni_a, role=Role.EMPLOYEE)
    with inside(world.muni_a):
        refused("forbidden", actions.approve, registration(pending.id), person(other.id))


# -- the register path without a lock: only in the simple cases ---------------------------


def _quick_seat(ts_id: int, *, in_window: bool = True) -> bool:
    ts = session_row(ts_id)
    return engine.take_pool_seat_now(ts, in_window=in_window)


def _quick_ticket(ts_id: int, *, in_window: bool = True) -> int | None:
    ts = session_row(ts_id)
    return engine.take_ticket_now(ts, in_window=in_window)


def test_quick_seat_in_the_simple_case_only(ctx, world):
    """One conditional UPDATE takes a pool seat only when nothing else could claim it."""
    plain = factories.make_session(capacity=2, starts_in=timedelta(days=21))
    assert _quick_seat(plain.id) and session_row(plain.id).seats_taken == 1

    cancelled = factories.make_session(capacity=2, starts_in=timedelta(days=22))
    session_row(cancelled.id).status = SessionStatus.CANCELLED
    db.session.flush()
    reserved = factories.make_session(capacity=3, starts_in=timedelta(days=23))
    seats.set_allocation(reserved.id, world.muni_b, 1, now_utc() + timedelta(days=3))
    waited = factories.make_session(capacity=1, starts_in=timedelta(days=24))
    register(waited.id, world.employee_a)
    register(waited.id, world.employee_b)  # a ticket was issued: someone may be waiting ahead
    cancel(all_registrations(waited.id)[0].id, world.employee_a)  # B promoted, a seat...
    session_row(waited.id).capacity = 2  # ...and one more free seat, with waitlist_seq = 1
    db.session.flush()
    full = factories.make_session(capacity=1, starts_in=timedelta(days=25))
    register(full.id, world.employee_b)
    closed = factories.make_session(capacity=2, closes_in=timedelta(hours=-1))
    for ts in (cancelled, reserved, waited, full, closed):
        before = session_row(ts.id).seats_taken
        assert not _quick_seat(ts.id), ts
        assert session_row(ts.id).seats_taken == before
    # Administrators register outside the window: the window is then no condition.
    assert _quick_seat(closed.id, in_window=False)


def test_quick_ticket_only_when_simply_full(ctx, world):
    free = factories.make_session(capacity=1, starts_in=timedelta(days=26))
    assert _quick_ticket(free.id) is None
    full = factories.make_session(capacity=1, starts_in=timedelta(days=27))
    register(full.id, world.employee_b)
    assert _quick_ticket(full.id) == 1
    assert _quick_ticket(full.id) == 2
    assert session_row(full.id).waitlist_seq == 2
    held = factories.make_session(capacity=2, starts_in=timedelta(days=28))
    seats.set_allocation(held.id, world.muni_b, 1, now_utc() + timedelta(days=3))
    register(held.id, world.employee_a)  # the pool is full, B's reserved seat is not
    assert _quick_ticket(held.id) is None


def test_newcomer_waits_behind_a_person_whose_clash_went_away(ctx, world):
    """Someone passed over for a clash that has since gone (the other session moved) is
    ahead of a newcomer: the newcomer's request takes the full path and promotes them."""
    program = factories.make_program()
    ts = factories.make_session(program, capacity=1, starts_in=timedelta(days=10))
    clash = factories.make_session(program, capacity=5, starts_in=timedelta(days=10, hours=1))
    first = register(ts.id, world.employee_b)
    skipped = register(ts.id, world.employee_a)
    register(clash.id, world.employee_a)
    cancel(first.id, world.employee_b)
    assert registration(skipped.id).skip_note is not None
    assert session_row(ts.id).seats_left == 1
    moved = session_row(clash.id)
    moved.starts_at += timedelta(days=1)
    moved.ends_at += timedelta(days=1)
    db.session.flush()
    newcomer = register(ts.id, world.employee_a2)
    assert newcomer.status == RS.WAITLISTED
    assert registration(skipped.id).status == RS.ENROLLED


def _behind_the_orms_back(reg_id: int, **values) -> None:
    """Change a registration row as another request would, leaving loaded objects stale."""
    table = Registration.__table__
    with all_tenants(db.session):
        db.session.execute(update(table).where(table.c.id == reg_id).values(**values))


def test_cancel_of_a_pool_seat_with_nobody_waiting_takes_no_lock(ctx, world, monkeypatch):
    ts = factories.make_session(capacity=2)
    reg = register(ts.id, world.employee_a)

    def no_lock(*_a):
        raise AssertionError("the simple cancellation took the session's lock")

    monkeypatch.setattr(actions, "lock_session", no_lock)
    assert cancel(reg.id, world.employee_a) == []
    assert registration(reg.id).status == RS.CANCELLED
    assert session_row(ts.id).seats_taken == 0


def test_cancel_of_a_registration_promoted_meanwhile_gives_its_seat_back(ctx, world):
    """The check saw a place in line; the row was promoted since: the full path returns
    the seat (the quick update of a waiting row does not match a seated one)."""
    ts = factories.make_session(capacity=1)
    seated = register(ts.id, world.employee_b)
    waiting = register(ts.id, world.employee_a)
    stale = registration(waiting.id)
    assert stale.status == RS.WAITLISTED
    # Meanwhile: B left and A got the seat (another request; nothing reloads ``stale``).
    _behind_the_orms_back(seated.id, status=RS.CANCELLED)
    _behind_the_orms_back(waiting.id, status=RS.ENROLLED, waitlist_ticket=None)
    assert stale.status == RS.WAITLISTED
    with inside(world.muni_a):
        cancellation.cancel(stale, person(world.employee_a))
    assert registration(waiting.id).status == RS.CANCELLED
    assert session_row(ts.id).seats_taken == 0  # the seat came back


def test_cancel_after_attendance_was_recorded_meanwhile_is_refused(ctx, world):
    ts = factories.make_session(capacity=2)
    reg = register(ts.id, world.employee_a)
    stale = registration(reg.id)
    _behind_the_orms_back(reg.id, attended=True)
    coordinator = person(world.coordinator_a)
    with inside(world.muni_a), pytest.raises(DomainError) as info:
        cancellation.cancel(stale, coordinator)
    assert info.value.code == "attendance_recorded"
    assert registration(reg.id).status == RS.ENROLLED
    assert session_row(ts.id).seats_taken == 1
