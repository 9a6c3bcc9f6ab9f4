"""A session's life as people see it: 募集前, 受付中, 締切, 開催中, 終了（出欠未記録／記録済み）, 中止."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.seats.models import Registration
from regional.sessions.lifecycle import Phase, phase_clause, phase_of
from regional.sessions.models import SessionStatus, TrainingSession
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_sessions import register, within

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}


def _text(client, url: str, headers=EN) -> str:
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def _sessions_of_every_phase() -> dict[Phase, int]:
    p = factories.make_program()
    made = {
        Phase.BEFORE_OPEN: factories.make_session(
            p, opens_in=timedelta(days=2), starts_in=timedelta(days=20)
        ),
        Phase.OPEN: factories.make_session(p),
        Phase.CLOSED: factories.make_session(
            p,
            opens_in=timedelta(days=-5),
            closes_in=timedelta(days=-1),
            starts_in=timedelta(days=16),
        ),
        Phase.RUNNING: factories.make_session(
            p,
            starts_in=timedelta(hours=-1),
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-2),
        ),
        Phase.ENDED: factories.make_session(
            p,
            starts_in=timedelta(days=-3),
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-4),
        ),
        Phase.CANCELLED: factories.make_session(p, starts_in=timedelta(days=30)),
    }
    made[Phase.CANCELLED].status = SessionStatus.CANCELLED
    db.session.flush()
    return {phase: ts.id for phase, ts in made.items()}


def test_each_session_has_the_phase_its_times_say(ctx):
    ids = _sessions_of_every_phase()
    now = now_utc()
    for phase, ts_id in ids.items():
        assert phase_of(db.session.get(TrainingSession, ts_id), now) is phase


def test_the_sql_filter_agrees_with_the_phase_of_each_session(ctx):
    ids = _sessions_of_every_phase()
    now = now_utc()
    for phase in Phase:
        found = set(
            db.session.scalars(
                select(TrainingSession.id).where(
                    TrainingSession.id.in_(ids.values()), phase_clause(phase, now)
                )
            )
        )
        assert found == {ids[phase]}, phase


def test_the_list_shows_upcoming_by_default_and_past_or_all_on_request(app, as_employee_a):
    with within(app):
        ids = _sessions_of_every_phase()
    upcoming = _text(as_employee_a, "/sessions/")
    past = _text(as_employee_a, "/sessions/?when=past")
    everything = _text(as_employee_a, "/sessions/?when=all")
    ended = f'/sessions/{ids[Phase.ENDED]}"'
    assert ended not in upcoming
    assert ended in past and ended in everything
    assert f'/sessions/{ids[Phase.OPEN]}"' in upcoming
    assert f'/sessions/{ids[Phase.OPEN]}"' not in past
    assert f'/sessions/{ids[Phase.RUNNING]}"' in upcoming
    for phase in Phase:
        assert f'/sessions/{ids[phase]}"' in everything
    assert "Ended" in past and "Registration closed" in upcoming and "Not yet open" in upcoming


def test_the_list_filters_on_a_phase(app, as_employee_a):
    with within(app):
        ids = _sessions_of_every_phase()
    page = _text(as_employee_a, "/sessions/?phase=closed")
    assert f'/sessions/{ids[Phase.CLOSED]}"' in page
    assert f'/sessions/{ids[Phase.OPEN]}"' not in page
    page = _text(as_employee_a, "/sessions/?phase=ended")  # no 'when': the phase decides
    assert f'/sessions/{ids[Phase.ENDED]}"' in page


def test_fiscal_year_is_chosen_from_a_select_named_both_ways(as_employee_a):
    page = _text(as_employee_a, "/sessions/", headers=JA)
    fy = fiscal_year_of(now_utc())
    assert '<select id="fy" name="fy">' in page
    assert f'<option value="{fy}">令和{fy - 2018}年度（{fy}年度）</option>' in page
    assert '<select id="month" name="month">' in page
    assert f">{fy}年4月</option>" in page


def test_a_fiscal_year_shows_its_past_sessions_too(app, as_employee_a):
    with within(app):
        ids = _sessions_of_every_phase()
    fy = fiscal_year_of(now_utc() - timedelta(days=3))
    page = _text(as_employee_a, f"/sessions/?fy={fy}")
    assert f'/sessions/{ids[Phase.ENDED]}"' in page


@pytest.mark.parametrize("query", ["fy=1999", "fy=%FF", "month=2026-13", "phase=nope", "when=x"])
def test_a_bad_filter_is_ignored_not_an_error(as_employee_a, query):
    assert as_employee_a.get(f"/sessions/?{query}", headers=EN).status_code == 200


def _ended_with_registration(employee_id: int) -> tuple[int, int]:
    ts = factories.make_session()
    reg = register(ts.id, employee_id)
    ts.starts_at = now_utc() - timedelta(days=2)
    ts.ends_at = ts.starts_at + timedelta(hours=3)
    ts.registration_opens_at = ts.starts_at - timedelta(days=10)
    ts.registration_closes_at = ts.starts_at - timedelta(days=1)
    db.session.flush()
    return ts.id, reg.id


def test_recorders_see_whether_an_ended_sessions_attendance_is_recorded(
    app, as_employee_a, as_coordinator_a, as_admin, world
):
    with within(app), acting_as(db.session, world.muni_a):
        ts_id, reg_id = _ended_with_registration(world.employee_a)
    for client in (as_coordinator_a, as_admin):
        assert "Ended (attendance not recorded)" in _text(client, f"/sessions/{ts_id}")
    employee_page = _text(as_employee_a, f"/sessions/{ts_id}")
    assert "attendance not recorded" not in employee_page and "Ended" in employee_page
    with within(app), acting_as(db.session, world.muni_a):
        db.session.get(Registration, reg_id).attended = True
        db.session.flush()
    assert "Ended (attendance recorded)" in _text(as_coordinator_a, f"/sessions/{ts_id}")


def test_api_sessions_carry_their_phase_and_keep_the_old_status(app, api, world):
    with within(app):
        ids = _sessions_of_every_phase()
    for phase in (Phase.OPEN, Phase.CANCELLED, Phase.ENDED):
        body = api(world.emails["employee_a"]).get(f"/sessions/{ids[phase]}").get_json()
        assert body["phase"] == phase.value
        assert body["status"] == ("cancelled" if phase is Phase.CANCELLED else "scheduled")


def test_coordinators_page_lists_ended_sessions_to_record_until_recorded(
    app, as_coordinator_a, as_coordinator_b, world
):
    with within(app), acting_as(db.session, world.muni_a):
        ts_id, reg_id = _ended_with_registration(world.employee_a)
    attendance = f"/registrations/session/{ts_id}/attendance"
    page = _text(as_coordinator_a, "/registrations/")
    assert "Attendance to record" in page and attendance in page
    # Another member's coordinator has nobody there to record.
    assert attendance not in _text(as_coordinator_b, "/registrations/")
    with within(app), acting_as(db.session, world.muni_a):
        db.session.get(Registration, reg_id).attended = False
        db.session.flush()
    assert attendance not in _text(as_coordinator_a, "/registrations/")


def test_coordinators_page_shows_upcoming_then_past_on_request(app, as_coordinator_a, world):
    with within(app):
        ids = _sessions_of_every_phase()
    upcoming = _text(as_coordinator_a, "/registrations/")
    past = _text(as_coordinator_a, "/registrations/?when=past")
    ended = f'/registrations/session/{ids[Phase.ENDED]}"'
    assert ended not in upcoming and ended in past
    assert f'/registrations/session/{ids[Phase.OPEN]}"' in upcoming
    fy = fiscal_year_of(now_utc())
    assert f'<option selected value="{fy}">' in _text(as_coordinator_a, "/registrations/")
