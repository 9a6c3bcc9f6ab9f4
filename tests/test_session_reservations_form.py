"""Every member's reserved seats are set in the session form, in one save (issue 9).

Rows are checked together; a refused row says why next to itself and nothing is
saved, the session included. One audit entry records the reservations.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.sessions.models import SeatAllocation, TrainingSession
from tenants import all_tenants
from tenants.models import Municipality
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_sessions import fresh, session_form, within

EN = {"Accept-Language": "en"}


@pytest.fixture
def program_id(app) -> int:
    with within(app):
        return factories.make_program().id


@pytest.fixture
def codes(app) -> list[str]:
    """Every member's code, in the form's order."""
    with within(app):
        return [m.code for m in db.session.scalars(Municipality.ordered())]


def _day(days: int) -> str:
    return to_local(now_utc() + timedelta(days=days)).date().isoformat()


def rows(codes: list[str], **seats: tuple[str, str]) -> dict:
    """Form fields of the reservations table: ``code=(seats, release day)``, others empty."""
    data = {}
    for i, code in enumerate(codes):
        n, day = seats.get(f"m{code}", ("", ""))
        data[f"reservations-{i}-code"] = code
        data[f"reservations-{i}-seats"] = n
        data[f"reservations-{i}-release_on"] = day
    return data


def _sessions() -> set[int]:
    with all_tenants(db.session):
        return set(db.session.scalars(select(TrainingSession.id)))


def _allocations(ts_id: int) -> dict[str, tuple[int, str]]:
    found = {}
    for a in db.session.scalars(select(SeatAllocation).where(SeatAllocation.session_id == ts_id)):
        found[a.municipality.code] = (a.seats, to_local(a.release_at).date().isoformat())
    return found


def _audits(action: str, ts_id: int) -> list[AuditEntry]:
    with all_tenants(db.session):
        return list(
            db.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.subject_id == str(ts_id)
                )
            )
        )


def test_the_create_form_has_a_row_per_member(as_admin, codes):
    page = as_admin.get("/sessions/new", headers=EN).get_data(as_text=True)
    assert 'id="reservations"' in page
    for code in codes:
        assert f'id="res-seats-{code}"' in page and f'id="res-release-{code}"' in page


def test_coordinators_own_sessions_have_no_reservations(as_coordinator_a):
    page = as_coordinator_a.get("/sessions/new", headers=EN).get_data(as_text=True)
    assert 'id="reservations"' not in page


def test_a_session_and_its_reservations_are_saved_in_one_go(app, as_admin, program_id, codes):
    data = session_form(program_id) | rows(
        codes, **{f"m{CODE_A}": ("3", _day(20)), f"m{CODE_B}": ("2", "")}
    )
    with within(app):
        before = _sessions()
    resp = as_admin.form_post("/sessions/new", data)
    assert resp.status_code == 302
    with within(app):
        (ts_id,) = _sessions() - before
        ts = fresh(ts_id)
        held = _allocations(ts_id)
        # An empty release date is the day registration closes.
        closes = to_local(ts.registration_closes_at).date().isoformat()
        assert held == {CODE_A: (3, _day(20)), CODE_B: (2, closes)}
        assert ts.reserved_unclaimed == 5 and ts.seats_left == ts.capacity - 5
        (entry,) = _audits("reservations.update", ts_id)
        assert set(entry.detail["after"]) == {CODE_A, CODE_B}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("-1", ""), "Between 0 and 1,000."),
        (("1001", ""), "Between 0 and 1,000."),
        (("abc", ""), "Write a whole number."),
        (("٣", ""), "Write a whole number."),
        (("9" * 25, ""), "Write a whole number"),
        (("2", "2020-01-01"), "The release date must be in the future."),
        (("2", "0000-01-01"), "date"),
        (("2", "9999-12-31"), ""),
        (("2", _day(60)), "no later than the start of the session"),
    ],
)
def test_a_bad_row_says_why_next_to_itself_and_nothing_is_saved(
    app, as_admin, program_id, codes, row, message
):
    data = session_form(program_id) | rows(
        codes, **{f"m{CODE_A}": ("1", _day(10)), f"m{CODE_B}": row}
    )
    with within(app):
        before = _sessions()
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert f'id="res-seats-{CODE_B}-error"' in page or f'id="res-release-{CODE_B}-error"' in page
    assert f'id="res-seats-{CODE_A}-error"' not in page
    assert message in page
    assert "Some rows need correcting" in page  # the summary points at the table
    with within(app):
        assert _sessions() == before


def test_reservations_beyond_capacity_are_refused_and_nothing_saved(
    app, as_admin, program_id, codes
):
    data = session_form(program_id, capacity="4") | rows(
        codes, **{f"m{CODE_A}": ("3", _day(10)), f"m{CODE_B}": ("2", _day(10))}
    )
    with within(app):
        before = _sessions()
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    assert resp.status_code == 422
    assert "Reserved seats total 5, more than the capacity of 4." in resp.get_data(as_text=True)
    with within(app):
        assert _sessions() == before


def test_a_member_the_session_is_not_open_to_gets_no_seats(app, as_admin, program_id, codes, world):
    data = session_form(program_id, audience="selected", municipalities=[str(world.muni_a)]) | rows(
        codes, **{f"m{CODE_B}": ("2", _day(10))}
    )
    with within(app):
        before = _sessions()
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert f'id="res-seats-{CODE_B}-error"' in page and "not open to" in page
    with within(app):
        assert _sessions() == before


@pytest.mark.parametrize("tamper", ["unknown", "duplicate"])
def test_rows_that_do_not_match_the_members_are_refused(app, as_admin, program_id, codes, tamper):
    data = session_form(program_id) | rows(codes, **{f"m{CODE_A}": ("1", _day(10))})
    data["reservations-1-code"] = "999999" if tamper == "unknown" else data["reservations-0-code"]
    with within(app):
        before = _sessions()
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    assert resp.status_code == 422
    assert "do not match the members" in resp.get_data(as_text=True)
    with within(app):
        assert _sessions() == before


def test_a_form_without_rows_still_adds_the_session(app, as_admin, program_id):
    with within(app):
        before = _sessions()
    assert as_admin.form_post("/sessions/new", session_form(program_id)).status_code == 302
    with within(app):
        (ts_id,) = _sessions() - before
        assert _allocations(ts_id) == {} and _audits("reservations.update", ts_id) == []


def _shared(app, capacity: int = 10) -> int:  # noqa: ANN001
    with within(app):
        return factories.make_session(capacity=capacity, starts_in=timedelta(days=30)).id


def test_the_edit_form_changes_every_reservation_in_one_save(app, as_admin, world, codes):
    ts_id = _shared(app)
    base = session_form(0, capacity="10")
    base.pop("program_id")
    first = base | rows(codes, **{f"m{CODE_A}": ("4", _day(10)), f"m{CODE_B}": ("4", _day(10))})
    assert as_admin.form_post(f"/sessions/{ts_id}/edit", first).status_code == 302
    # A smaller session: A gives up seats, B keeps its own, in the same save.
    second = (base | {"capacity": "6"}) | rows(
        codes, **{f"m{CODE_A}": ("1", _day(10)), f"m{CODE_B}": ("4", _day(12))}
    )
    assert as_admin.form_post(f"/sessions/{ts_id}/edit", second).status_code == 302
    with within(app):
        assert _allocations(ts_id) == {CODE_A: (1, _day(10)), CODE_B: (4, _day(12))}
        assert fresh(ts_id).capacity == 6 and fresh(ts_id).reserved_unclaimed == 5
        entries = _audits("reservations.update", ts_id)
        assert len(entries) == 2  # one per save, not one per member
    page = as_admin.get(f"/sessions/{ts_id}/edit").get_data(as_text=True)
    assert f'id="res-seats-{CODE_A}"' in page and 'value="1"' in page


def test_a_refused_edit_keeps_the_old_plan_and_reservations(app, as_admin, codes):
    ts_id = _shared(app)
    base = session_form(0, capacity="10")
    base.pop("program_id")
    ok = base | rows(codes, **{f"m{CODE_A}": ("4", _day(10))})
    assert as_admin.form_post(f"/sessions/{ts_id}/edit", ok).status_code == 302
    bad = (base | {"capacity": "12", "venue": "別の会場"}) | rows(
        codes, **{f"m{CODE_A}": ("2", _day(10)), f"m{CODE_B}": ("2", "2020-01-01")}
    )
    assert as_admin.form_post(f"/sessions/{ts_id}/edit", bad, headers=EN).status_code == 422
    with within(app):
        ts = fresh(ts_id)
        assert (ts.capacity, ts.venue) == (10, "岡山市役所 本庁舎 第1会議室")
        assert _allocations(ts_id) == {CODE_A: (4, _day(10))}


def test_setting_zero_removes_a_reservation(app, as_admin, codes):
    ts_id = _shared(app)
    base = session_form(0, capacity="10")
    base.pop("program_id")
    as_admin.form_post(
        f"/sessions/{ts_id}/edit", base | rows(codes, **{f"m{CODE_A}": ("3", _day(10))})
    )
    as_admin.form_post(f"/sessions/{ts_id}/edit", base | rows(codes, **{f"m{CODE_A}": ("0", "")}))
    with within(app):
        assert _allocations(ts_id) == {CODE_A: (0, _day(10))}
        assert fresh(ts_id).reserved_unclaimed == 0


def test_a_coordinator_cannot_reserve_seats_through_the_form(
    app, as_coordinator_a, program_id, codes
):
    """A member's own session has no reservations: rows sent anyway are ignored."""
    data = session_form(program_id) | rows(
        codes, **{f"m{CODE_A}": ("3", _day(10)), f"m{CODE_B}": ("2", _day(10))}
    )
    with within(app):
        before = _sessions()
    assert as_coordinator_a.form_post("/sessions/new", data).status_code == 302
    with within(app):
        (ts_id,) = _sessions() - before
        assert fresh(ts_id).host_municipality_id is not None
        assert _allocations(ts_id) == {} and fresh(ts_id).reserved_unclaimed == 0


def test_the_audit_trail_shows_each_members_reservation(app, as_admin, program_id, codes):
    data = session_form(program_id) | rows(codes, **{f"m{CODE_A}": ("3", _day(20))})
    assert as_admin.form_post("/sessions/new", data).status_code == 302
    page = as_admin.get("/audit/?action=reservations.update", headers=EN).get_data(as_text=True)
    assert "Seat reservations changed" in page
    section = page.split("Seat reservations changed", 1)[1]
    # Labels, not codes: the member by name, the field by its name.
    assert (
        "<dt>Tsuyama City</dt><dd><dl" in section and "<dt>Reserved seats</dt><dd>3</dd>" in section
    )


def test_the_reservations_page_saves_every_member_at_once(app, as_admin, codes):
    ts_id = _shared(app)
    data = rows(codes, **{f"m{CODE_A}": ("2", _day(10)), f"m{CODE_B}": ("3", _day(11))})
    resp = as_admin.form_post(f"/sessions/{ts_id}/allocations", data)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/sessions/{ts_id}")
    with within(app):
        assert _allocations(ts_id) == {CODE_A: (2, _day(10)), CODE_B: (3, _day(11))}
        assert len(_audits("reservations.update", ts_id)) == 1


def test_the_reservations_page_refuses_a_bad_row_and_saves_nothing(app, as_admin, codes):
    ts_id = _shared(app, capacity=4)
    data = rows(codes, **{f"m{CODE_A}": ("2", _day(10)), f"m{CODE_B}": ("3", _day(11))})
    resp = as_admin.form_post(f"/sessions/{ts_id}/allocations", data, headers=EN)
    assert resp.status_code == 422
    assert "more than the capacity of 4" in resp.get_data(as_text=True)
    bad = rows(codes, **{f"m{CODE_A}": ("2", _day(10)), f"m{CODE_B}": ("1", "2020-01-01")})
    resp = as_admin.form_post(f"/sessions/{ts_id}/allocations", bad, headers=EN)
    assert resp.status_code == 422
    assert f'id="res-release-{CODE_B}-error"' in resp.get_data(as_text=True)
    with within(app):
        assert _allocations(ts_id) == {}


def test_saving_the_same_day_keeps_a_release_time_set_to_the_minute(app, as_admin, codes, world):
    """A reservation made through the API may release at 17:00; the form shows only the day."""
    from regional.fiscal import local_to_utc
    from regional.registrations import session_changes

    ts_id = _shared(app)
    with within(app):
        ts = fresh(ts_id)
        muni = db.session.get(Municipality, world.muni_a)
        day = to_local(now_utc() + timedelta(days=10)).replace(hour=17, minute=0, second=0)
        session_changes.reserve_seats(ts, muni, 2, local_to_utc(day.replace(tzinfo=None)))
        release = fresh(ts_id).allocations[0].release_at
    base = session_form(0, capacity="10")
    base.pop("program_id")
    same = base | rows(codes, **{f"m{CODE_A}": ("2", _day(10))})
    assert as_admin.form_post(f"/sessions/{ts_id}/edit", same).status_code == 302
    with within(app):
        assert fresh(ts_id).allocations[0].release_at == release
        assert _audits("reservations.update", ts_id) == []


@pytest.mark.parametrize(
    "extra",
    [
        {"reservations-99999999999999999999-seats": "1"},
        {"reservations-0-seats": "9" * 40},
        {"reservations-0-release_on": "2026-13-45"},
        {f"reservations-{i}-code": "332038" for i in range(60)},
    ],
)
def test_hostile_rows_never_fail_the_server_and_save_nothing(
    app, as_admin, program_id, codes, extra
):
    data = session_form(program_id) | rows(codes) | extra
    with within(app):
        before = _sessions()
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    assert resp.status_code in (302, 422)
    with within(app):
        after = _sessions()
        if resp.status_code == 422:
            assert after == before
        else:
            assert all(not _allocations(i) for i in after - before)
