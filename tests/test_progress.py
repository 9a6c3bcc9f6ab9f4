"""Counting that is right: every rule of regional/targets/progress.py at its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select

from regional import attendance
from regional.catalogue.services import revise_program, set_program_active
from regional.extensions import db
from regional.people.models import AccountStatus, Role, User
from regional.registrations import actions
from regional.sessions.models import TrainingSession
from regional.targets.measures import missing_for, personas_of
from regional.targets.models import PersonaProgress
from regional.targets.progress import (
    expected_on,
    municipality_progress,
    people_counted,
    people_not_yet,
    region_progress,
)
from tenants.models import UNITS_EPOCH, OrgLevel, OrgUnit
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_targets import (
    ADVANCED,
    DIGITAL,
    PM,
    complete,
    complete_all,
    program,
    target,
)

TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _rules_change_on_today(monkeypatch):
    """A catalogue change made in a test starts its rules on TODAY, whatever the real date."""
    from regional import fiscal

    monkeypatch.setattr(fiscal, "today", lambda: TODAY)


def _t(mp, key):
    return next(t for t in mp.targets if t.key == key)


def _progress(muni, fy, today=TODAY):
    return municipality_progress(db.session, muni, fy, today=today)


def _person(muni, **kw) -> int:
    return factories.make_user(muni, **kw).id


# -- fiscal year by the date in Japan ------------------------------------------------------


def _past_session(code: str, starts_at: datetime) -> TrainingSession:
    ts = TrainingSession(
        program_id=program(code).id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        venue="岡山市役所",
        capacity=10,
        registration_opens_at=starts_at - timedelta(days=30),
        registration_closes_at=starts_at - timedelta(days=1),
        requires_approval=False,
        open_to_all=True,
    )
    db.session.add(ts)
    db.session.flush()
    return ts


def _attend(world, ts: TrainingSession, employee_id: int) -> None:
    with acting_as(db.session, world.muni_admin):
        admin = db.session.get(User, world.admin)
    with acting_as(db.session, world.muni_a):
        employee = db.session.get(User, employee_id)
        reg = actions.register(ts.id, employee, admin)
    with acting_as(db.session, world.muni_admin):
        attendance.record_attendance(ts.id, [(reg.id, True)], admin)


def test_a_session_at_0800_jst_on_1_april_counts_in_the_new_fiscal_year(ctx, world):
    # 2025-04-01 08:00 JST is 2025-03-31 23:00 UTC: still FY2024 by the UTC date.
    new_year = _past_session("GEN-LIT-101", datetime(2025, 3, 31, 23, 0, tzinfo=UTC))
    # 2025-03-31 23:30 JST is 14:30 UTC the same day: FY2024 both ways.
    old_year = _past_session("GEN-LIT-102", datetime(2025, 3, 31, 14, 30, tzinfo=UTC))
    a1 = _person(world.muni_a)
    a2 = _person(world.muni_a)
    _attend(world, new_year, a1)
    _attend(world, old_year, a2)
    target(world.muni_a, "literacy_required", 100)
    assert _t(_progress(world.muni_a, 2025), "literacy_required").achieved == 1
    assert _t(_progress(world.muni_a, 2024), "literacy_required").achieved == 1
    by_year = dict(_t(_progress(world.muni_a, 2025), "literacy_required").by_year)
    assert by_year == {2024: 1, 2025: 1}


@pytest.mark.parametrize(
    ("day", "fy"),
    [(date(2025, 3, 31), 2024), (date(2025, 4, 1), 2025), (date(2024, 4, 1), 2024)],
)
def test_fiscal_year_edges_for_annual_targets(ctx, world, day, fy):
    p = _person(world.muni_a)
    complete(world.muni_a, p, "GEN-SEC-101", day)
    target(world.muni_a, "security", 10)
    assert _t(_progress(world.muni_a, fy), "security").achieved == 1
    other = 2025 if fy == 2024 else 2024
    assert _t(_progress(world.muni_a, other), "security").achieved == 0


# -- distinct people -------------------------------------------------------------------------


def test_annual_counts_distinct_people_not_completions(ctx, world):
    p = _person(world.muni_a)
    complete(world.muni_a, p, "GEN-LIT-101", date(2025, 5, 1))
    complete(world.muni_a, p, "GEN-LIT-102", date(2025, 6, 1))
    complete(world.muni_a, p, "GEN-LIT-101", date(2025, 7, 1))  # the same programme again
    q = _person(world.muni_a)
    complete(world.muni_a, q, "GEN-LIT-201", date(2025, 5, 1))  # elective: another measure
    target(world.muni_a, "literacy_required", 10)
    target(world.muni_a, "literacy_elective", 10)
    mp = _progress(world.muni_a, 2025)
    assert _t(mp, "literacy_required").achieved == 1
    assert _t(mp, "literacy_elective").achieved == 1


def test_a_persona_is_counted_once_per_target_and_period(ctx, world):
    p = _person(world.muni_a)
    complete_all(world.muni_a, p, ADVANCED, date(2024, 6, 1))
    complete_all(world.muni_a, p, ADVANCED, date(2025, 6, 1))  # everything again the next year
    target(world.muni_a, "advanced", 30, 2024, 2026)
    t = _t(_progress(world.muni_a, 2026), "advanced")
    assert t.achieved == 1
    assert t.by_year == [(2024, 1), (2025, 0), (2026, 0)]


def test_a_persona_needs_every_current_programme_of_the_track(ctx, world):
    p = _person(world.muni_a)
    complete_all(world.muni_a, p, ADVANCED[:2], date(2024, 6, 1))
    target(world.muni_a, "advanced", 30, 2024, 2026)
    assert _t(_progress(world.muni_a, 2024), "advanced").achieved == 0
    complete(world.muni_a, p, ADVANCED[2], date(2025, 4, 1))
    t = _t(_progress(world.muni_a, 2025), "advanced")
    # Reached in the year of the programme that completed the set.
    assert t.achieved == 1 and t.by_year == [(2024, 0), (2025, 1)]
    assert _t(_progress(world.muni_a, 2024), "advanced").achieved == 0


def test_a_completion_of_an_earlier_revision_counts(ctx, world):
    p = _person(world.muni_a)
    complete_all(world.muni_a, p, ADVANCED, date(2024, 6, 1))
    revise_program(program("ADV-101"), {"hours": program("ADV-101").hours + 1}, None)
    assert program("ADV-101").revision == 2
    target(world.muni_a, "advanced", 30, 2024, 2026)
    assert _t(_progress(world.muni_a, 2024), "advanced").achieved == 1
    with acting_as(db.session, world.muni_a):
        assert "advanced" in personas_of(db.session, p)
        assert missing_for(db.session, p, "advanced") == []


def test_retired_programmes_still_count_for_completions_made_while_current(ctx, world):
    p = _person(world.muni_a)
    complete(world.muni_a, p, "GEN-LIT-102", date(2024, 9, 1))
    set_program_active(program("GEN-LIT-102"), False, None)
    target(world.muni_a, "literacy_required", 10)
    assert _t(_progress(world.muni_a, 2024), "literacy_required").achieved == 1
    # A retired programme is no longer required for a persona from the day it is retired:
    # someone who had done every other one reaches the persona that day (not in the past).
    q = _person(world.muni_a)
    complete_all(world.muni_a, q, ADVANCED[:2], date(2024, 9, 1))
    set_program_active(program(ADVANCED[2]), False, None)
    target(world.muni_a, "advanced", 30, 2024, 2026)
    assert _t(_progress(world.muni_a, 2024), "advanced").achieved == 0
    t = _t(_progress(world.muni_a, 2026), "advanced")
    assert t.achieved == 1 and dict(t.by_year) == {2024: 0, 2025: 0, 2026: 1}
    with acting_as(db.session, world.muni_a):
        row = db.session.get(PersonaProgress, (world.muni_a, q, "advanced"))
    assert row.reached_on == TODAY and row.reached_fy == 2026


def test_retiring_every_programme_keeps_who_reached_the_persona(ctx, world):
    done = _person(world.muni_a)
    complete_all(world.muni_a, done, ADVANCED, date(2024, 9, 1))
    partway = _person(world.muni_a)
    complete_all(world.muni_a, partway, ADVANCED[:2], date(2024, 9, 1))
    for code in ADVANCED:
        set_program_active(program(code), False, None)
    target(world.muni_a, "advanced", 30, 2024, 2026)
    # Reached in FY2024 under the catalogue of the day; nobody reaches it by courses now.
    assert _t(_progress(world.muni_a, 2024), "advanced").achieved == 1
    assert _t(_progress(world.muni_a, 2026), "advanced").achieved == 1
    complete(world.muni_a, partway, ADVANCED[2], date(2026, 12, 1))
    assert _t(_progress(world.muni_a, 2026), "advanced").achieved == 1
    with acting_as(db.session, world.muni_a):
        assert personas_of(db.session, done) == ["advanced"]
        assert personas_of(db.session, partway) == []


# -- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "counted"),
    [
        (date(2024, 3, 31), False),  # FY2023: before the period
        (date(2024, 4, 1), True),  # first day
        (date(2027, 3, 31), True),  # last day of FY2026
        (date(2027, 4, 1), False),  # FY2027: after the period
    ],
)
def test_cumulative_period_edges(ctx, world, day, counted):
    p = _person(world.muni_a)
    complete_all(world.muni_a, p, ADVANCED, day)
    target(world.muni_a, "advanced", 30, 2024, 2026)
    assert _t(_progress(world.muni_a, 2027, today=date(2028, 1, 1)), "advanced").achieved == int(
        counted
    )


def test_annual_targets_outside_their_span(ctx, world):
    p = _person(world.muni_a)
    complete(world.muni_a, p, "GEN-SEC-101", date(2023, 5, 1))
    complete(world.muni_a, p, "GEN-SEC-101", date(2027, 5, 1))
    target(world.muni_a, "security", 10, 2024, 2026)
    before = _t(_progress(world.muni_a, 2023), "security")
    assert before.achieved == 0 and before.status == "not_started"
    after = _t(_progress(world.muni_a, 2027, today=date(2028, 1, 1)), "security")
    assert after.achieved == 0 and after.status == "ended"


# -- moved people ------------------------------------------------------------------------------


def test_a_person_who_moved_unit_is_counted_once_and_covers_the_unit_of_each_year(ctx, world):
    """Coverage of a year counts people in the unit they were in on its last day (or today
    for the year running): the transfer (today) does not rewrite FY2025."""
    dept = factories.make_org_unit(world.muni_a, "総務部", OrgLevel.DEPARTMENT)
    div1 = factories.make_org_unit(world.muni_a, "情報政策課", OrgLevel.DIVISION, dept)
    div2 = factories.make_org_unit(world.muni_a, "人事課", OrgLevel.DIVISION, dept)
    p = _person(world.muni_a, org_unit_id=div1.id)
    complete_all(world.muni_a, p, DIGITAL, date(2025, 6, 1))
    with acting_as(db.session, world.muni_a):
        db.session.get(User, p).org_unit_id = div2.id
        db.session.flush()
    target(world.muni_a, "core_digital", 190, 2024, 2027)
    last_year = _progress(world.muni_a, 2025)
    assert _t(last_year, "core_digital").achieved == 1
    uncovered = {g.unit_id for g in last_year.coverage.uncovered_divisions}
    assert div2.id in uncovered and div1.id not in uncovered
    this_year = _progress(world.muni_a, 2026)
    assert _t(this_year, "core_digital").achieved == 1
    uncovered = {g.unit_id for g in this_year.coverage.uncovered_divisions}
    assert div1.id in uncovered and div2.id not in uncovered


def test_a_person_who_moved_member_is_never_counted_twice_in_one(ctx, world):
    # Their account in A holds what they did in A; their new account in B what they did in B.
    in_a = _person(world.muni_a)
    complete_all(world.muni_a, in_a, ADVANCED, date(2024, 6, 1))
    in_b = _person(world.muni_b)
    complete_all(world.muni_b, in_b, ADVANCED, date(2025, 6, 1))
    target(world.muni_a, "advanced", 30, 2024, 2026)
    target(world.muni_b, "advanced", 30, 2024, 2026)
    region = region_progress(db.session, 2025, today=TODAY)
    by_code = {m.code: m for m in region.members}
    assert _t(by_code["332038"], "advanced").achieved == 1
    assert _t(by_code["332046"], "advanced").achieved == 1
    assert next(t for t in region.totals if t.key == "advanced").achieved == 2
    assert next(t for t in region.totals if t.key == "advanced").target == 60


def test_one_members_progress_never_counts_anothers_people(ctx, world):
    b = _person(world.muni_b)
    complete_all(world.muni_b, b, ADVANCED, date(2024, 6, 1))
    target(world.muni_a, "advanced", 30, 2024, 2026)
    assert _t(_progress(world.muni_a, 2024), "advanced").achieved == 0


# -- the plan line --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 3, 31), None),
        (date(2024, 4, 1), 1),  # 30 × 1 / 1095, rounded up
        (date(2024, 5, 6), 1),  # 30 × 36 / 1095 = 0.99
        (date(2024, 5, 7), 2),  # 30 × 37 / 1095 = 1.01
        (date(2025, 3, 31), 10),  # 30 × 365 / 1095
        (date(2026, 3, 31), 20),  # 30 × 730 / 1095
        (date(2027, 3, 31), 30),
        (date(2030, 1, 1), 30),  # capped at the period's end
    ],
)
def test_expected_by_now_is_the_straight_line_by_elapsed_days(as_of, expected):
    assert expected_on(30, 2024, 2026, as_of) == expected


def test_expected_and_status_in_a_dashboard(ctx, world):
    target(world.muni_a, "advanced", 30, 2024, 2026)
    # FY2025 seen from a later year: judged at 31 March 2026.
    t = _t(_progress(world.muni_a, 2025, today=date(2026, 11, 29)), "advanced")
    assert t.expected_by_now == 20 and t.status == "not_started"  # nobody yet
    complete_all(world.muni_a, _person(world.muni_a), ADVANCED, date(2024, 6, 1))
    t = _t(_progress(world.muni_a, 2025, today=date(2026, 11, 29)), "advanced")
    assert t.achieved == 1 and t.status == "behind"
    for _ in range(20):
        complete_all(world.muni_a, _person(world.muni_a), ADVANCED, date(2024, 6, 1))
    t = _t(_progress(world.muni_a, 2025, today=date(2026, 11, 29)), "advanced")
    assert t.achieved == 21 and t.status == "on_track"
    assert _t(_progress(world.muni_a, 2023), "advanced").status == "not_started"
    ended = _t(_progress(world.muni_a, 2026, today=date(2027, 6, 1)), "advanced")
    assert ended.status == "ended" and ended.expected_by_now == 30
    for _ in range(9):
        complete_all(world.muni_a, _person(world.muni_a), ADVANCED, date(2026, 6, 1))
    done = _t(_progress(world.muni_a, 2026, today=date(2027, 6, 1)), "advanced")
    assert done.status == "achieved"


# -- coverage -------------------------------------------------------------------------------


def test_coverage_of_divisions_and_sections_with_equivalents(ctx, world):
    m = world.muni_a
    # The base world's own tree (where its accounts sit) was retired long ago: this test
    # counts only the units it builds.
    with acting_as(db.session, m):
        for unit in db.session.scalars(select(OrgUnit)):
            unit.active, unit.retired_on = False, UNITS_EPOCH
        db.session.flush()
    dept = factories.make_org_unit(m, "総務局", OrgLevel.DEPARTMENT)
    div = factories.make_org_unit(m, "デジタル推進課", OrgLevel.DIVISION, dept)
    office = factories.make_org_unit(m, "DX推進室", OrgLevel.DIVISION, dept)  # 課相当
    sec = factories.make_org_unit(m, "企画係", OrgLevel.SECTION, div)
    team = factories.make_org_unit(m, "システム担当", OrgLevel.SECTION, office)  # 係相当
    closed = factories.make_org_unit(m, "旧課", OrgLevel.DIVISION, dept)
    with acting_as(db.session, m):
        office.equivalent = team.equivalent = True
        closed.active, closed.retired_on = False, UNITS_EPOCH
        db.session.flush()
    # A core digital person in a section covers its division.
    d = _person(m, org_unit_id=sec.id)
    complete_all(m, d, DIGITAL, date(2024, 6, 1))
    # Two PM people in the 係相当: covered; one in the 係: not.
    for _ in range(2):
        complete_all(m, _person(m, org_unit_id=team.id), PM, date(2025, 6, 1))
    complete_all(m, _person(m, org_unit_id=sec.id), PM, date(2025, 6, 1))
    partway = _person(m, org_unit_id=sec.id, name="途中 一郎")
    complete_all(m, partway, PM[:2], date(2025, 6, 1))
    # A disabled account does not cover anything.
    gone = _person(m, org_unit_id=office.id, status=AccountStatus.DISABLED)
    complete_all(m, gone, DIGITAL, date(2024, 6, 1))
    cov = _progress(m, 2025).coverage
    assert (cov.divisions_total, cov.divisions_covered) == (2, 1)
    assert (cov.sections_total, cov.sections_covered) == (2, 1)
    assert [g.unit_id for g in cov.uncovered_divisions] == [office.id]
    gap = cov.uncovered_sections[0]
    assert (gap.unit_id, gap.have, gap.need) == (sec.id, 1, 2)
    assert gap.path == "総務局/デジタル推進課/企画係"
    assert gap.candidates == [(partway, "途中 一郎")]
    # As of FY2024 the PM people had not reached yet.
    cov24 = _progress(m, 2024).coverage
    assert cov24.sections_covered == 0 and cov24.divisions_covered == 1


# -- drill-down and personas -------------------------------------------------------------------


def test_people_counted_and_not_yet(ctx, world):
    m = world.muni_a
    done = _person(m)
    complete(m, done, "GEN-SEC-101", date(2025, 5, 1))
    target(m, "security", 10)
    with acting_as(db.session, m):
        counted = db.session.scalars(people_counted(m, "security", 2025)).all()
        assert [u.id for u in counted] == [done]
        not_yet = {u.id for u in db.session.scalars(people_not_yet(m, "security", 2025))}
        assert done not in not_yet and world.employee_a in not_yet
        # Another member's id through a coordinator's session finds nobody.
        assert db.session.scalars(people_counted(world.muni_b, "security", 2025)).all() == []


def test_personas_of_and_missing_for(ctx, world):
    m = world.muni_a
    p = _person(m)
    complete_all(m, p, PM, date(2025, 5, 1))
    complete(m, p, DIGITAL[0], date(2025, 5, 1))
    with acting_as(db.session, m):
        assert personas_of(db.session, p) == ["core_pm"]
        assert [x.code for x in missing_for(db.session, p, "core_digital")] == list(DIGITAL[1:])
        assert missing_for(db.session, p, "security") == []


# -- a fixed number of statements -----------------------------------------------------------


def _statements(fn) -> int:
    count = 0

    def before(*_args, **_kwargs):
        nonlocal count
        count += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count


def _population(world, n: int) -> None:
    m = world.muni_a
    dept = factories.make_org_unit(m, f"局{n}", OrgLevel.DEPARTMENT)
    div = factories.make_org_unit(m, f"課{n}", OrgLevel.DIVISION, dept)
    sec = factories.make_org_unit(m, f"係{n}", OrgLevel.SECTION, div)
    for i in range(n):
        p = _person(m, org_unit_id=sec.id if i % 2 else div.id, role=Role.EMPLOYEE)
        complete_all(m, p, PM[: 1 + i % 4], date(2024 + i % 3, 6, 1))
        complete(m, p, "GEN-SEC-101", date(2025, 5, 1))


@pytest.mark.parametrize("which", ["municipality", "region"])
def test_statements_do_not_grow_with_people(ctx, world, which):
    for key, n in (("core_pm", 240), ("security", 7700), ("advanced", 30)):
        target(world.muni_a, key, n, 2024, 2028 if key != "security" else None)

    def run():
        if which == "municipality":
            _progress(world.muni_a, 2025)
        else:
            region_progress(db.session, 2025, today=TODAY)

    _population(world, 10)
    small = _statements(run)
    _population(world, 100)
    large = _statements(run)
    assert small == large, (small, large)
    assert 0 < small <= 20, small


# -- qualifications counted towards a persona -------------------------------------------------


def _pass(muni, employee_id, code, passed_on, status):
    from regional.growth.models import Qualification

    with acting_as(db.session, muni):
        db.session.add(
            Qualification(
                employee_id=employee_id,
                exam_code=code,
                passed_on=passed_on,
                certificate_number="SC-0001",
                status=status,
            )
        )
        db.session.flush()


def test_a_verified_pass_counts_towards_a_persona_only_where_the_region_says_so(ctx, world):
    from regional.growth.models import QualificationPersona, QualificationStatus

    m = world.muni_a
    target(m, "advanced", 30, 2024, 2026)
    holder = _person(m)
    unverified = _person(m)
    # Passed on 20 March 2025 (Japan): fiscal year 2024.
    _pass(m, holder, "SC", date(2025, 3, 20), QualificationStatus.VERIFIED)
    _pass(m, unverified, "SC", date(2025, 3, 20), QualificationStatus.UNVERIFIED)
    assert _t(_progress(m, 2026), "advanced").achieved == 0  # no rule yet
    with acting_as(db.session, m):
        assert "advanced" not in personas_of(db.session, holder)
    db.session.add(QualificationPersona(exam_code="SC", persona="advanced"))
    db.session.flush()
    progress = _t(_progress(m, 2026), "advanced")
    assert progress.achieved == 1  # the verified holder only
    # The rule counts from the day it was made (TODAY), not back to the pass in FY2024.
    assert dict(progress.by_year) == {2024: 0, 2025: 0, 2026: 1}
    with acting_as(db.session, m):
        assert "advanced" in personas_of(db.session, holder)
        assert "advanced" not in personas_of(db.session, unverified)
        counted = [u.id for u in db.session.scalars(people_counted(m, "advanced", 2026))]
    assert counted == [holder]
    # A person who also completed the whole track is counted once, in the earlier year.
    complete_all(m, holder, ADVANCED, date(2026, 6, 1))
    assert _t(_progress(m, 2026), "advanced").achieved == 1
