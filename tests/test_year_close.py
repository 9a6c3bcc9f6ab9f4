"""Does a fiscal year stay as it was reported?

A member closes FY2025 on 15 April 2026. Afterwards a person is transferred, a unit is
renamed, two units are merged and a late attendance is recorded: FY2025 still shows the
reported figures, with each correction beside them; FY2026 counts on the new
organisation. Coverage of any year counts people in the unit they were in on its last day.
"""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from regional import fiscal
from regional.audit.models import AuditEntry
from regional.errors import Conflict, DomainError
from regional.extensions import db
from regional.people.models import User
from regional.people.units import UnitData, deactivate_unit, update_unit
from regional.targets import closing
from regional.targets.models import YearClose
from regional.targets.progress import live_progress, municipality_progress, people_counted
from tenants import all_tenants
from tenants.models import Municipality, OrgLevel, OrgUnitEvent, OrgUnitEventKind
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_targets import DIGITAL, complete, complete_all, target

CLOSING_DAY = date(2026, 4, 15)
LATER = date(2026, 11, 29)
A, B = "332038", "332046"


@pytest.fixture
def clock(monkeypatch):
    """Set the day in Japan for the rules, the organisation and closing."""
    state = {"day": CLOSING_DAY}
    monkeypatch.setattr(fiscal, "today", lambda: state["day"])
    # Closing stamps its time: noon in Japan on the clock's day.
    monkeypatch.setattr(
        closing,
        "now_utc",
        lambda: fiscal.local_to_utc(datetime.combine(state["day"], time(12))),
    )

    def set_day(day: date) -> None:
        state["day"] = day

    return set_day


def _t(mp, key):
    return next(t for t in mp.targets if t.key == key)


def _member(mid: int) -> Municipality:
    with all_tenants(db.session):
        return db.session.get(Municipality, mid)


def _user(mid: int, uid: int) -> User:
    with acting_as(db.session, mid):
        return db.session.get(User, uid)


def _tree(m: int):
    dept = factories.make_org_unit(m, "総務局", OrgLevel.DEPARTMENT)
    policy = factories.make_org_unit(m, "情報政策課", OrgLevel.DIVISION, dept)
    people = factories.make_org_unit(m, "人事課", OrgLevel.DIVISION, dept)
    old1 = factories.make_org_unit(m, "旧一課", OrgLevel.DIVISION, dept)
    old2 = factories.make_org_unit(m, "旧二課", OrgLevel.DIVISION, dept)
    return dept, policy, people, old1, old2


def test_a_closed_year_keeps_its_figures_through_a_reorganisation_and_corrections(
    ctx, world, clock
):
    m = world.muni_a
    admin = _user(world.muni_admin, world.admin)
    dept, policy, people, old1, old2 = _tree(m)
    core = factories.make_user(m, org_unit_id=policy.id).id
    complete_all(m, core, DIGITAL, date(2025, 6, 1))
    merged = factories.make_user(m, org_unit_id=old1.id).id
    complete_all(m, merged, DIGITAL, date(2025, 7, 1))
    sec_person = factories.make_user(m, org_unit_id=people.id).id
    complete(m, sec_person, "GEN-SEC-101", date(2025, 9, 1))
    target(m, "core_digital", 10, 2024, 2027)
    target(m, "security", 100, 2024)

    reported = municipality_progress(db.session, m, 2025, today=CLOSING_DAY)
    assert _t(reported, "core_digital").achieved == 2
    assert _t(reported, "security").achieved == 1
    covered_then = reported.coverage.divisions_covered
    with acting_as(db.session, m):
        closing.close_year(db.session, _member(m), 2025, admin)
        db.session.flush()

    clock(LATER)
    with acting_as(db.session, m):
        # A transfer: the core person moves from 情報政策課 to 人事課.
        _user(m, core).org_unit_id = people.id
        # A rename keeps the unit: 情報政策課 → デジタル推進課.
        update_unit(policy, UnitData("デジタル推進課", OrgLevel.DIVISION, dept.id, False), admin)
        # A merge: 旧一課 and 旧二課 become 人事課's neighbour 旧一課 (old2 retired).
        _user(m, merged).org_unit_id = old1.id
        deactivate_unit(old2, admin)
        db.session.flush()
    # A late attendance correction for FY2025 (an e-learning result recorded late).
    late = factories.make_user(m, org_unit_id=people.id).id
    complete(m, late, "GEN-SEC-101", date(2026, 3, 20))

    after = municipality_progress(db.session, m, 2025, today=LATER)
    assert after.closed is not None and after.closed.day == CLOSING_DAY
    sec = _t(after, "security")
    assert sec.achieved == 1 and sec.achieved_now == 2  # reported 1; corrected to 2 beside it
    assert (
        _t(after, "core_digital").achieved == 2 and _t(after, "core_digital").achieved_now is None
    )
    assert after.coverage.divisions_covered == covered_then
    # The people behind the figure are the ones reported.
    with acting_as(db.session, m):
        counted = {u.id for u in db.session.scalars(people_counted(m, "security", 2025))}
    assert counted == {sec_person}
    # FY2026 counts on today's organisation: the core person covers 人事課 now.
    now = municipality_progress(db.session, m, 2026, today=LATER)
    uncovered = {g.unit_id for g in now.coverage.uncovered_divisions}
    assert people.id not in uncovered and policy.id in uncovered
    assert old2.id not in {g.unit_id for g in now.coverage.uncovered_divisions}  # retired
    # ... while FY2025 counted now (not as reported) still has them where they were then.
    live = live_progress(db.session, m, 2025, today=LATER)
    assert policy.id not in {g.unit_id for g in live.coverage.uncovered_divisions}
    assert people.id in {g.unit_id for g in live.coverage.uncovered_divisions}
    with acting_as(db.session, m):
        events = db.session.scalars(select(OrgUnitEvent).order_by(OrgUnitEvent.id)).all()
    kinds = [(e.unit_id, e.kind, e.on) for e in events]
    assert (policy.id, OrgUnitEventKind.RENAMED, LATER) in kinds
    assert (old2.id, OrgUnitEventKind.RETIRED, LATER) in kinds


def test_coverage_of_a_past_year_counts_the_unit_people_were_in_on_31_march(ctx, world, clock):
    m = world.muni_a
    _dept, policy, people, _o1, _o2 = _tree(m)
    p = factories.make_user(m, org_unit_id=policy.id).id
    complete_all(m, p, DIGITAL, date(2025, 6, 1))
    target(m, "core_digital", 10, 2024, 2027)
    clock(date(2026, 4, 1))  # the April transfer
    with acting_as(db.session, m):
        _user(m, p).org_unit_id = people.id
        db.session.flush()
    fy25 = municipality_progress(db.session, m, 2025, today=LATER)
    fy26 = municipality_progress(db.session, m, 2026, today=LATER)
    assert policy.id not in {g.unit_id for g in fy25.coverage.uncovered_divisions}
    assert people.id in {g.unit_id for g in fy25.coverage.uncovered_divisions}
    assert people.id not in {g.unit_id for g in fy26.coverage.uncovered_divisions}
    assert policy.id in {g.unit_id for g in fy26.coverage.uncovered_divisions}


def test_a_unit_retired_after_a_year_still_counts_in_that_year_not_after(ctx, world, clock):
    m = world.muni_a
    admin = _user(world.muni_admin, world.admin)
    _dept, _policy, _people, old1, _old2 = _tree(m)
    clock(date(2026, 4, 1))
    with acting_as(db.session, m):
        deactivate_unit(old1, admin)
        db.session.flush()
    fy25 = municipality_progress(db.session, m, 2025, today=LATER)
    fy26 = municipality_progress(db.session, m, 2026, today=LATER)
    assert old1.id in {g.unit_id for g in fy25.coverage.uncovered_divisions}
    assert old1.id not in {g.unit_id for g in fy26.coverage.uncovered_divisions}
    assert fy26.coverage.divisions_total == fy25.coverage.divisions_total - 1


def test_closing_is_for_ended_years_once_and_reopening_needs_an_administrator_and_a_reason(
    ctx, world, clock
):
    m = world.muni_a
    coordinator = _user(m, world.coordinator_a)
    admin = _user(world.muni_admin, world.admin)
    target(m, "security", 100, 2024)
    with acting_as(db.session, m):
        with pytest.raises(DomainError) as refused:
            closing.close_year(db.session, _member(m), 2026, coordinator)
        assert refused.value.code == "year_not_over"
        closing.close_year(db.session, _member(m), 2025, coordinator)
        with pytest.raises(Conflict):
            closing.close_year(db.session, _member(m), 2025, coordinator)
        with pytest.raises(DomainError):
            closing.reopen_year(db.session, _member(m), 2025, admin, "  ")
        closing.reopen_year(
            db.session, _member(m), 2025, admin, "遅れて届いた修了報告を反映するため"
        )
        again = closing.close_year(db.session, _member(m), 2025, coordinator)
        db.session.flush()
        rows = db.session.scalars(select(YearClose).order_by(YearClose.id)).all()
        actions = [
            e.action
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.action.startswith("year.")
        ]
    assert [r.reopened_at is None for r in rows] == [False, True] and rows[-1] is again
    assert rows[0].reopen_reason == "遅れて届いた修了報告を反映するため"
    assert actions == ["year.close", "year.reopen", "year.close"]


# -- pages and API -------------------------------------------------------------------------


def _arrange(app, world) -> None:
    with app.app_context():
        p = factories.make_user(world.muni_a).id
        complete(world.muni_a, p, "GEN-SEC-101", date(2025, 9, 1))
        target(world.muni_a, "security", 100, 2024)
        target(world.muni_b, "security", 100, 2024)
        db.session.commit()


def test_the_api_closes_and_the_progress_answer_keeps_the_reported_figures(app, api, world, clock):
    _arrange(app, world)
    coordinator = api(world.emails["coordinator_a"])
    resp = coordinator.post(f"/municipalities/{A}/years/2025/close")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["municipality_code"], body["fiscal_year"]) == (A, 2025)
    assert coordinator.post(f"/municipalities/{A}/years/2025/close").status_code == 409
    assert coordinator.post(f"/municipalities/{A}/years/2026/close").status_code == 422
    assert coordinator.post(f"/municipalities/{B}/years/2025/close").status_code == 404
    assert coordinator.post(f"/municipalities/{A}/years/99999/close").status_code == 404
    with app.app_context():
        complete(
            world.muni_a, factories.make_user(world.muni_a).id, "GEN-SEC-101", date(2026, 1, 9)
        )
        db.session.commit()
    progress = coordinator.get(f"/municipalities/{A}/progress?fiscal_year=2025").get_json()
    row = next(t for t in progress["targets"] if t["key"] == "security")
    assert progress["closed_at"] and (row["achieved"], row["achieved_now"]) == (1, 2)
    open_b = api(world.emails["coordinator_b"]).get(
        f"/municipalities/{B}/progress?fiscal_year=2025"
    )
    assert open_b.get_json()["closed_at"] is None
    # Re-opening: administrators only, with a reason.
    assert (
        coordinator.post(f"/municipalities/{A}/years/2025/reopen", json={"reason": "x"}).status_code
        == 403
    )
    admin = api(world.emails["admin"])
    resp = admin.post(f"/municipalities/{A}/years/2025/reopen", json={})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "reason_required"
    resp = admin.post(f"/municipalities/{A}/years/2025/reopen", json={"reason": "修正のため"})
    assert resp.status_code == 200 and resp.get_json()["reopened_at"]
    progress = coordinator.get(f"/municipalities/{A}/progress?fiscal_year=2025").get_json()
    row = next(t for t in progress["targets"] if t["key"] == "security")
    assert progress["closed_at"] is None and row["achieved"] == 2 and "achieved_now" not in row


def test_the_page_closes_a_year_and_names_it_closed_in_japanese(
    app, as_coordinator_a, world, clock
):
    _arrange(app, world)
    page = as_coordinator_a.get(f"/progress/m/{A}?fy=2025").get_data(as_text=True)
    assert "年度を締める" in page
    resp = as_coordinator_a.form_post(f"/progress/m/{A}/years/2025/close", {})
    assert resp.status_code == 302  # without the tick: nothing closed, a message
    with app.app_context(), all_tenants(db.session):
        assert db.session.scalar(select(YearClose)) is None
    resp = as_coordinator_a.form_post(f"/progress/m/{A}/years/2025/close", {"checked": "y"})
    assert resp.status_code == 302
    page = as_coordinator_a.get(f"/progress/m/{A}?fy=2025").get_data(as_text=True)
    assert "令和7年度（締め済み　令和8年4月15日）" in page
    with app.app_context():
        complete(
            world.muni_a, factories.make_user(world.muni_a).id, "GEN-SEC-101", date(2026, 1, 9)
        )
        db.session.commit()
    page = as_coordinator_a.get(f"/progress/m/{A}?fy=2025").get_data(as_text=True)
    assert "締め後の修正" in page
    # The export of a closed year says so and carries the reported figure.
    from io import BytesIO

    from openpyxl import load_workbook

    data = as_coordinator_a.get(f"/progress/m/{A}/export.xlsx?fy=2025").data
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("締め済み" in c for c in cells)


def test_an_administrator_closes_the_year_for_every_member(app, as_admin, world, clock):
    _arrange(app, world)
    resp = as_admin.form_post("/progress/region/years/2025/close", {"checked": "y"})
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        closed = set(db.session.scalars(select(YearClose.municipality_id)))
        members = set(db.session.scalars(select(Municipality.id)))
    assert closed == members
    page = as_admin.get("/progress/region?fy=2025").get_data(as_text=True)
    assert f'data-testid="closed-{A}"' in page


def test_the_council_report_prints_a_closed_year_as_reported(app, as_admin, world, clock):
    _arrange(app, world)
    assert (
        as_admin.form_post(f"/progress/m/{A}/years/2025/close", {"checked": "y"}).status_code == 302
    )
    with app.app_context():
        complete(
            world.muni_a, factories.make_user(world.muni_a).id, "GEN-SEC-101", date(2026, 1, 9)
        )
        db.session.commit()
    region = as_admin.get("/progress/region/council?fy=2025").get_data(as_text=True)
    assert "令和8年4月15日締め済み" in region
    member = as_admin.get(f"/progress/m/{A}/council?fy=2025").get_data(as_text=True)
    assert "令和7年度（締め済み　令和8年4月15日）" in member
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(
        BytesIO(as_admin.get(f"/progress/m/{A}/council.xlsx?fy=2025").data)
    ).worksheets[0]
    values = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("締め済み" in str(v) for v in values)
    # The reported 1, not the corrected 2, in the security row.
    row = next(r for r in sheet.iter_rows(values_only=True) if r and r[0] == "情報セキュリティ")
    assert row[2] == 1
