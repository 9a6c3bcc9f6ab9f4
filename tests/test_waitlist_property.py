"""The seat and waiting-list rules under random sequences of operations (Hypothesis).

A state machine registers, cancels, approves and declines people of three
municipalities on two or three sessions (some overlapping, one needing
approval), changes capacities, reserves seats for municipalities and lets
reservations run out. After every step the invariants must hold:

* ``seats_taken`` equals the pending and enrolled registrations, and together
  with the unclaimed reserved seats never exceeds the capacity;
* each reservation's ``claimed`` equals the registrations sitting in it, and
  never exceeds its seats;
* nobody is registered twice for one session;
* the waiting list is first come, first served: tickets follow request order;
* nobody waits while a seat they could take is free, unless they hold an
  overlapping session and their note says so;
* whoever got a seat in a step did not overtake anyone who could have taken
  it (promotion in ticket order; reserved seats excepted);
* every promotion is told by mail.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import or_, select

from regional import seats
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.models import OutboundMail
from regional.people.models import User
from regional.registrations import actions, cancellation
from regional.seats.models import SEAT_HOLDING, Registration
from regional.seats.models import RegistrationStatus as RS
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_registrations import ja_subject

#: Refusals a random operation may meet; anything else is a bug.
EXPECTED_REFUSALS = {
    "already_registered",
    "overlapping_session",
    "not_active",
    "not_pending",
    "capacity_below_taken",
    "not_enough_free_seats",
    "below_claimed",
}


def _fresh(stmt):
    with all_tenants(db.session):
        return list(db.session.scalars(stmt.execution_options(populate_existing=True)))


@dataclass(frozen=True)
class Reg:
    id: int
    session_id: int
    employee_id: int
    municipality_id: int
    status: RS
    ticket: int | None
    allocation_id: int | None
    skip_note: str | None
    requested_at: datetime


@dataclass(frozen=True)
class Alloc:
    id: int
    municipality_id: int
    seats: int
    claimed: int
    released: bool

    @property
    def unclaimed(self) -> int:
        return 0 if self.released else self.seats - self.claimed


@dataclass
class Seats:
    id: int
    capacity: int
    seats_taken: int
    reserved_unclaimed: int
    starts_at: datetime
    ends_at: datetime
    allocations: list[Alloc] = field(default_factory=list)

    def seats_left_for(self, municipality_id: int) -> int:
        own = sum(a.unclaimed for a in self.allocations if a.municipality_id == municipality_id)
        return max(0, self.capacity - self.seats_taken - self.reserved_unclaimed) + own


def load_state(session_ids: list[int]) -> tuple[list[Reg], dict[int, Seats]]:
    """The rows as the database has them now (plain values, never the session's cached objects)."""
    R, T, A = Registration, TrainingSession, SeatAllocation
    regs = [
        Reg(*row)
        for row in db.session.execute(
            select(
                R.id,
                R.session_id,
                R.employee_id,
                R.municipality_id,
                R.status,
                R.waitlist_ticket,
                R.seat_allocation_id,
                R.skip_note,
                R.requested_at,
            )
            .where(R.session_id.in_(session_ids))
            .execution_options(all_tenants=True)
        )
    ]
    sessions = {
        row[0]: Seats(*row)
        for row in db.session.execute(
            select(
                T.id, T.capacity, T.seats_taken, T.reserved_unclaimed, T.starts_at, T.ends_at
            ).where(T.id.in_(session_ids))
        )
    }
    for row in db.session.execute(
        select(A.session_id, A.id, A.municipality_id, A.seats, A.claimed, A.released).where(
            A.session_id.in_(session_ids)
        )
    ):
        sessions[row[0]].allocations.append(Alloc(*row[1:]))
    return regs, sessions


def clashes(w: Reg, sessions: dict[int, Seats], holding: list[Reg]) -> bool:
    """Whether the person holds a seat in another session overlapping this one."""
    ts = sessions[w.session_id]
    return any(
        r.employee_id == w.employee_id
        and r.session_id != ts.id
        and sessions[r.session_id].starts_at < ts.ends_at
        and sessions[r.session_id].ends_at > ts.starts_at
        for r in holding
    )


def _promoted_mail_count() -> int:
    # Mail goes out in the recipient's language: Japanese for these people.
    subject = ja_subject("A seat became free for you: %(title)s", title="テスト研修")
    # Registration notices are rendered at delivery: render each one and read its subject.
    # As the mailer does: every member's outbox, each rendering written with the wall lifted.
    with all_tenants(db.session):
        mails = db.session.scalars(
            select(OutboundMail).where(
                or_(
                    OutboundMail.template == "registration_promoted",
                    OutboundMail.subject == subject,
                )
            )
        )
        count = sum(1 for m in factories.rendered(mails) if m.subject == subject)
        db.session.flush()
    return count


def build_machine(world, people: dict[int, list[int]], actors: dict[int, int]):
    """The machine class, closed over accounts made once for the whole test."""
    employees = [e for ids in people.values() for e in ids]

    class Waitlist(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.tx = db.session.begin_nested()
            self.sessions: list[int] = []
            self.promotions = 0
            self.mail_before = _promoted_mail_count()
            self.seated_before: set[int] = set()
            self.tickets_before: dict[int, int] = {}

        def teardown(self) -> None:
            self.tx.rollback()
            db.session.expire_all()

        # -- set-up ----------------------------------------------------------------

        @initialize(
            capacities=st.lists(st.integers(0, 3), min_size=2, max_size=3),
            approval=st.booleans(),
            overlap=st.booleans(),
        )
        def make_sessions(self, capacities: list[int], approval: bool, overlap: bool) -> None:
            program = factories.make_program()
            for i, capacity in enumerate(capacities):
                # Sessions 0 and 1 overlap when ``overlap``; the others sit a day apart.
                offset = (
                    timedelta(days=10, hours=1) if (i == 1 and overlap) else timedelta(days=10 + i)
                )
                ts = factories.make_session(
                    program,
                    capacity=capacity,
                    starts_in=offset,
                    hours=3,
                    requires_approval=approval and i == len(capacities) - 1,
                )
                self.sessions.append(ts.id)
            self._snapshot()

        # -- helpers -----------------------------------------------------------------

        def _reg(self, session_id: int, employee_id: int) -> Registration | None:
            regs = _fresh(
                select(Registration).where(
                    Registration.session_id == session_id, Registration.employee_id == employee_id
                )
            )
            return regs[0] if regs else None

        def _attempt(self, fn, *args) -> None:
            """One operation as one request: all of it, or (refused by a rule) none of it."""
            savepoint = db.session.begin_nested()
            try:
                fn(*args)
            except DomainError as exc:
                savepoint.rollback()
                assert exc.code in EXPECTED_REFUSALS, (
                    f"unexpected refusal {exc.code}: {exc.message}"
                )
                return
            savepoint.commit()

        def _snapshot(self, regs: list[Reg] | None = None) -> None:
            """Who held a seat, and the tickets, before the next step (to judge overtaking)."""
            if regs is None:
                regs, _sessions = load_state(self.sessions)
            self.seated_before = {r.id for r in regs if r.status in SEAT_HOLDING}
            self.tickets_before = {r.id: r.ticket for r in regs if r.ticket}

        # -- rules -------------------------------------------------------------------

        @rule(s=st.integers(0, 2), e=st.sampled_from(employees), by_coordinator=st.booleans())
        def register(self, s: int, e: int, by_coordinator: bool) -> None:
            session_id = self.sessions[s % len(self.sessions)]
            with all_tenants(db.session):
                employee = db.session.get(User, e)
                actor = db.session.get(
                    User, actors[employee.municipality_id] if by_coordinator else e
                )
            with acting_as(db.session, employee.municipality_id):
                self._attempt(actions.register, session_id, employee, actor)

        @rule(s=st.integers(0, 2), e=st.sampled_from(employees), by_coordinator=st.booleans())
        def cancel(self, s: int, e: int, by_coordinator: bool) -> None:
            reg = self._reg(self.sessions[s % len(self.sessions)], e)
            if reg is None:
                return
            with all_tenants(db.session):
                actor = db.session.get(User, actors[reg.municipality_id] if by_coordinator else e)
            with acting_as(db.session, reg.municipality_id):
                self._attempt(cancellation.cancel, reg, actor)

        @rule(s=st.integers(0, 2), e=st.sampled_from(employees), approve=st.booleans())
        def decide(self, s: int, e: int, approve: bool) -> None:
            reg = self._reg(self.sessions[s % len(self.sessions)], e)
            if reg is None:
                return
            with all_tenants(db.session):
                actor = db.session.get(User, actors[reg.municipality_id])
            with acting_as(db.session, reg.municipality_id):
                self._attempt(actions.approve if approve else actions.decline, reg, actor)

        @rule(s=st.integers(0, 2), delta=st.integers(-2, 3))
        def change_capacity(self, s: int, delta: int) -> None:
            session_id = self.sessions[s % len(self.sessions)]
            capacity = db.session.get(TrainingSession, session_id).capacity
            self._attempt(seats.change_capacity, session_id, max(0, capacity + delta))

        @rule(s=st.integers(0, 2), m=st.sampled_from(sorted(people)), seat_count=st.integers(0, 2))
        def reserve(self, s: int, m: int, seat_count: int) -> None:
            session_id = self.sessions[s % len(self.sessions)]
            release_at = now_utc() + timedelta(days=5)
            self._attempt(seats.set_allocation, session_id, m, seat_count, release_at)

        @rule(s=st.integers(0, 2), release_now=st.booleans())
        def reservations_run_out(self, s: int, release_now: bool) -> None:
            """Time passes the release date; released now by cron, or lazily by the next write."""
            session_id = self.sessions[s % len(self.sessions)]
            for alloc in _fresh(
                select(SeatAllocation).where(SeatAllocation.session_id == session_id)
            ):
                alloc.release_at = now_utc() - timedelta(seconds=1)
            db.session.flush()
            if release_now:
                self._attempt(seats.release_seats, session_id)

        # -- invariants ---------------------------------------------------------------

        @invariant()
        def rules_hold(self) -> None:
            """All checks, in order; the last one takes the snapshot for the next step."""
            if not self.sessions:
                return
            regs, sessions = load_state(self.sessions)
            holding = [r for r in regs if r.status in SEAT_HOLDING]
            for ts in sessions.values():
                mine = [r for r in regs if r.session_id == ts.id]
                self.seats_add_up(ts, mine)
                self.line_is_first_come_and_nobody_waits_for_a_free_seat(
                    ts, mine, sessions, holding
                )
            self.nobody_was_overtaken(regs, sessions, holding)
            self.promotions += sum(
                1 for r in holding if r.id not in self.seated_before and r.id in self.tickets_before
            )
            assert _promoted_mail_count() - self.mail_before == self.promotions
            self._snapshot(regs)

        @staticmethod
        def seats_add_up(ts: Seats, mine: list[Reg]) -> None:
            holding = [r for r in mine if r.status in SEAT_HOLDING]
            assert ts.seats_taken == len(holding)
            assert ts.seats_taken + ts.reserved_unclaimed <= ts.capacity
            assert ts.reserved_unclaimed == sum(a.unclaimed for a in ts.allocations)
            for alloc in ts.allocations:
                sitting = [r for r in holding if r.allocation_id == alloc.id]
                assert alloc.claimed == len(sitting)
                assert alloc.claimed <= alloc.seats
                assert all(r.municipality_id == alloc.municipality_id for r in sitting)
            once = Counter(r.employee_id for r in mine)
            assert max(once.values(), default=0) <= 1

        @staticmethod
        def line_is_first_come_and_nobody_waits_for_a_free_seat(
            ts: Seats, mine: list[Reg], sessions: dict, holding: list[Reg]
        ) -> None:
            line = sorted((r for r in mine if r.status == RS.WAITLISTED), key=lambda r: r.ticket)
            assert [r.requested_at for r in line] == sorted(r.requested_at for r in line)
            for w in line:
                if ts.seats_left_for(w.municipality_id) > 0:
                    assert clashes(w, sessions, holding), (
                        f"registration {w.id} waits for a free seat"
                    )
                    assert w.skip_note, f"registration {w.id} passed over without a note"

        def nobody_was_overtaken(self, regs: list[Reg], sessions: dict, holding: list[Reg]) -> None:
            for newly in (r for r in holding if r.id not in self.seated_before):
                their_ticket = self.tickets_before.get(newly.id)
                for w in regs:
                    if w.session_id != newly.session_id or w.status != RS.WAITLISTED:
                        continue
                    if their_ticket is not None and w.ticket > their_ticket:
                        continue  # behind the promoted person: not overtaken
                    reserved_for_them = (
                        newly.allocation_id is not None
                        and w.municipality_id != newly.municipality_id
                    )
                    passed_over = clashes(w, sessions, holding) and w.skip_note
                    assert reserved_for_them or passed_over, (
                        f"registration {newly.id} took a seat ahead of {w.id}"
                    )

    return Waitlist


@pytest.mark.slow
def test_waiting_list_rules_hold_under_any_sequence(ctx, world):
    people: dict[int, list[int]] = {
        muni: [factories.make_user(muni).id for _ in range(2)]
        for muni in (world.muni_a, world.muni_b, world.muni_admin)
    }
    actors = {
        world.muni_a: world.coordinator_a,
        world.muni_b: world.coordinator_b,
        world.muni_admin: world.admin,
    }
    machine = build_machine(world, people, actors)
    run_state_machine_as_test(
        machine,
        settings=settings(),  # the profile's budget (tests/conftest.py)
    )
