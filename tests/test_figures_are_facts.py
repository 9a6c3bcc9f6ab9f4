"""Can a member put its figures in front of its council, and find them unchanged later?

Achievement is a fact in time: a catalogue change (a programme added to a track, revised,
retired), a qualification rule or a measure edited from today never moves a past year's
figure; only a deliberate re-definition from a past day does, after a preview. The plan
line is rounded up, so a target of 1 never reads "on plan" with nobody trained. Plan
periods follow each other.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from regional import fiscal
from regional.catalogue.models import SkillArea
from regional.catalogue.services import create_program, revise_program, set_program_active
from regional.extensions import db
from regional.growth.models import QualificationPersona
from regional.targets import preview
from regional.targets.models import Measure
from regional.targets.progress import (
    expected_on,
    municipality_progress,
    next_due,
    region_progress,
)
from regional.targets.services import set_measure, set_target
from tenants.models import Municipality
from tenants.scoping import acting_as
from tests import factories, oracle
from tests.fixtures_targets import ADVANCED, DIGITAL, PM, complete, complete_all, program, target

TODAY = date(2026, 11, 29)
KEYS = ("advanced", "core_digital", "core_pm", "literacy_required", "security")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(fiscal, "today", lambda: TODAY)


def _figures(muni: int) -> dict[tuple[str, int], int]:
    """Every figure of the member: (key, fiscal year) -> people, FY2024 to FY2026."""
    out = {}
    for fy in (2024, 2025, 2026):
        mp = municipality_progress(db.session, muni, fy, today=TODAY)
        for t in mp.targets:
            out[(t.key, fy)] = t.achieved
        out[("coverage_divisions", fy)] = mp.coverage.divisions_covered
    return out


def _history(muni: int) -> None:
    """Three years of people reaching personas and taking required training."""
    for i in range(3):
        complete_all(muni, factories.make_user(muni).id, DIGITAL, date(2024 + i, 6, 1))
        complete_all(muni, factories.make_user(muni).id, PM, date(2024 + i, 7, 1))
        complete_all(muni, factories.make_user(muni).id, ADVANCED, date(2024 + i, 8, 1))
        complete(muni, factories.make_user(muni).id, "GEN-SEC-101", date(2024 + i, 9, 1))
        complete(muni, factories.make_user(muni).id, "GEN-LIT-101", date(2024 + i, 9, 2))
    # Someone part-way through each track.
    complete_all(muni, factories.make_user(muni).id, DIGITAL[:2], date(2025, 6, 1))


def _admin(world):
    from regional.people.models import User

    with acting_as(db.session, world.muni_admin):
        return db.session.get(User, world.admin)


def test_a_year_of_catalogue_work_moves_no_past_figure(ctx, world):
    for muni in (world.muni_a, world.muni_b):
        _history(muni)
        for key in ("advanced", "core_digital", "core_pm"):
            target(muni, key, 30, 2024, 2026)
        for key in ("security", "literacy_required"):
            target(muni, key, 100, 2024)
    before = {m: _figures(m) for m in (world.muni_a, world.muni_b)}
    assert before[world.muni_a][("core_digital", 2026)] == 3
    admin = _admin(world)
    with acting_as(db.session, world.muni_admin):
        # A programme added to each persona track ...
        for area in ("cloud", "project_management", "advanced_ict"):
            a = db.session.scalar(select(SkillArea).where(SkillArea.key == area))
            create_program(
                f"NEW-{area[:8].upper()}",
                {
                    "title_ja": "新しい研修",
                    "title_en": "New programme",
                    "skill_area_id": a.id,
                    "delivery": "classroom",
                    "hours": "3",
                },
                admin.id,
            )
        # ... one revised, one retired, a qualification rule and a measure edited (today).
        revise_program(program("CORE-DT-101"), {"hours": program("CORE-DT-101").hours + 1}, None)
        set_program_active(program("CORE-PM-301"), False, None)
        db.session.add(QualificationPersona(exam_code="PM", persona="core_pm"))
        measure = db.session.scalar(select(Measure).where(Measure.key == "core_digital"))
        set_measure(measure, {"rule": "at_least", "min_programs": 3}, admin)
        security = db.session.scalar(select(Measure).where(Measure.key == "security"))
        set_measure(security, {"skill_areas": ["information_security", "cloud"]}, admin)
        db.session.flush()
    after = {m: _figures(m) for m in (world.muni_a, world.muni_b)}
    assert after == before
    # The stored figures are still what an independent count of the records gives.
    counts, persona, annual = oracle.expected(db.session.connection())
    from regional.targets import tallies

    got = tallies.stored(db.session.connection())
    assert got == ({k: v for k, v in counts.items() if v}, persona, annual)


def test_what_a_person_still_needs_follows_todays_catalogue(ctx, world):
    muni = world.muni_a
    target(muni, "core_digital", 30, 2024, 2026)
    partway = factories.make_user(muni).id
    complete_all(muni, partway, DIGITAL, date(2026, 12, 5))  # after the change below
    done = factories.make_user(muni).id
    complete_all(muni, done, DIGITAL, date(2025, 6, 1))
    new = factories.make_program("CORE-DT-999", area="cloud")
    db.session.flush()
    from regional.targets.measures import missing_for, personas_of

    with acting_as(db.session, muni):
        assert personas_of(db.session, done) == ["core_digital"]
        assert [p.code for p in missing_for(db.session, partway, "core_digital")] == [new.code]
        assert personas_of(db.session, partway) == []
    complete(muni, partway, new.code, date(2026, 12, 6))
    with acting_as(db.session, muni):
        assert personas_of(db.session, partway) == ["core_digital"]
    t = next(
        t
        for t in municipality_progress(db.session, muni, 2026, today=TODAY).targets
        if t.key == "core_digital"
    )
    assert dict(t.by_year) == {2024: 0, 2025: 1, 2026: 1}


def test_the_catalogue_preview_says_whom_a_new_programme_affects(ctx, world):
    muni = world.muni_a
    complete_all(muni, factories.make_user(muni).id, DIGITAL[:2], date(2025, 6, 1))
    complete_all(muni, factories.make_user(muni).id, DIGITAL, date(2025, 6, 1))
    code = db.session.scalar(select(Municipality.code).where(Municipality.id == muni))
    counted_before = oracle.expected(db.session.connection())
    effect = preview.effect_of(db.session, lambda: factories.make_program("CORE-DT-998"))
    (key,) = effect.keys
    assert (key.key, key.need_before, key.need_after) == ("core_digital", 5, 6)
    assert key.partway == {code: 1}  # the one part-way; the one who reached it keeps it
    assert effect.changes == [] and effect.past_changes == []
    # Nothing was kept: no programme, no new rule version, the same figures.
    assert db.session.scalar(select(SkillArea.id).where(SkillArea.key == "nothing")) is None
    from regional.catalogue.models import Program

    assert db.session.scalar(select(Program).where(Program.code == "CORE-DT-998")) is None
    assert oracle.expected(db.session.connection()) == counted_before


def test_a_retroactive_redefinition_previews_the_past_years_it_moves(ctx, world):
    muni = world.muni_a
    complete_all(muni, factories.make_user(muni).id, PM[:2], date(2024, 6, 1))
    admin = _admin(world)
    measure = db.session.scalar(select(Measure).where(Measure.key == "core_pm"))
    with acting_as(db.session, world.muni_admin):
        effect = preview.effect_of(
            db.session,
            lambda: set_measure(
                measure,
                {"rule": "at_least", "min_programs": 2},
                admin,
                effective_from=date(2024, 4, 1),
            ),
        )
    assert [(c.key, c.fiscal_year, c.before, c.after) for c in effect.past_changes] == [
        ("core_pm", 2024, 0, 1)
    ]
    assert measure.rule.value == "all_current"  # the preview kept nothing


# -- the plan line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "day", "line"),
    [
        (1, date(2024, 3, 31), None),  # before the period
        (1, date(2024, 4, 1), 1),  # a target of 1 is due from the first day
        (1, date(2024, 4, 2), 1),
        (1, date(2027, 3, 31), 1),
        (2, date(2024, 4, 1), 1),
        (2, date(2025, 9, 29), 1),  # 2 × 547 / 1,095 < 1
        (2, date(2025, 9, 30), 2),  # 2 × 548 / 1,095 > 1: the second person is due
        (2, date(2027, 3, 31), 2),
        (30, date(2024, 4, 1), 1),
        (30, date(2024, 4, 2), 1),
        (30, date(2027, 3, 31), 30),
    ],
)
def test_the_plan_line_is_rounded_up(number, day, line):
    assert expected_on(number, 2024, 2026, day) == line


def test_the_next_person_is_due_when_the_straight_line_reaches_them():
    assert next_due(1, 0, 2024, 2026) == date(2027, 3, 31)  # the whole period for the first
    assert next_due(30, 0, 2024, 2026) == date(2024, 5, 7)  # 1,095 / 30 = 36.5 → day 37
    assert next_due(30, 29, 2024, 2026) == date(2027, 3, 31)
    assert next_due(30, 30, 2024, 2026) is None


@pytest.mark.parametrize("number", [1, 2, 30])
def test_a_small_target_with_nobody_trained_is_never_on_plan(ctx, world, number):
    target(world.muni_a, "advanced", number, 2024, 2026)
    for day in (date(2024, 4, 1), date(2024, 4, 2), date(2026, 12, 7), date(2027, 3, 31)):
        t = next(
            t
            for t in municipality_progress(
                db.session, world.muni_a, fiscal.fiscal_year_of(day), today=day
            ).targets
            if t.key == "advanced"
        )
        assert t.status == "not_started" and t.expected_by_now >= 1, (number, day)
    ended = next(
        t
        for t in municipality_progress(
            db.session, world.muni_a, 2027, today=date(2027, 6, 1)
        ).targets
        if t.key == "advanced"
    )
    assert ended.status == "ended" and ended.no_current_period


def test_the_regions_line_is_computed_on_the_summed_target(ctx, world):
    # 13 members with a target of 1 each would give 13 × ⌈…⌉; the region's line is one line.
    target(world.muni_a, "advanced", 1, 2024, 2026)
    target(world.muni_b, "advanced", 1, 2024, 2026)
    target(world.muni_admin, "advanced", 48, 2024, 2026)
    rp = region_progress(db.session, 2024, today=date(2024, 4, 1), coverage=False)
    total = next(t for t in rp.totals if t.key == "advanced")
    assert total.target == 50 and total.expected_by_now == 1  # ⌈50 × 1 / 1,095⌉
    assert sum(t.expected_by_now for mp in rp.members for t in mp.targets) == 3
    rp = region_progress(db.session, 2026, today=TODAY, coverage=False)
    total = next(t for t in rp.totals if t.key == "advanced")
    assert total.expected_by_now == -(-50 * 973 // 1095)  # 29 November 2026 is day 973


def test_a_finished_year_reads_ended_for_the_region_as_for_each_member(ctx, world):
    target(world.muni_a, "security", 10, 2024)
    target(world.muni_b, "security", 10, 2024)
    complete(world.muni_a, factories.make_user(world.muni_a).id, "GEN-SEC-101", date(2025, 6, 1))
    rp = region_progress(db.session, 2025, today=TODAY, coverage=False)
    assert {t.status for mp in rp.members for t in mp.targets} == {"ended"}
    assert next(t for t in rp.totals if t.key == "security").status == "ended"


# -- plan periods ---------------------------------------------------------------------------


def test_the_next_plan_period_counts_people_reaching_after_the_first(ctx, world):
    muni = world.muni_a
    with acting_as(db.session, muni):
        m = db.session.get(Municipality, muni)
        set_target(
            m, "advanced", {"target": 2, "period_start_fy": 2024, "period_end_fy": 2026}, None
        )
        set_target(
            m, "advanced", {"target": 5, "period_start_fy": 2027, "period_end_fy": 2029}, None
        )
    complete_all(muni, factories.make_user(muni).id, ADVANCED, date(2025, 6, 1))
    complete_all(muni, factories.make_user(muni).id, ADVANCED, date(2027, 6, 1))
    first = next(
        t
        for t in municipality_progress(db.session, muni, 2026, today=TODAY).targets
        if t.key == "advanced"
    )
    assert (first.period_start_fy, first.target, first.achieved) == (2024, 2, 1)
    later = next(
        t
        for t in municipality_progress(db.session, muni, 2027, today=date(2027, 7, 1)).targets
        if t.key == "advanced"
    )
    assert (later.period_start_fy, later.target, later.achieved) == (2027, 5, 1)
    assert dict(later.by_year) == {2024: 0, 2025: 1, 2026: 0, 2027: 1}  # the trend spans both


def test_periods_of_one_target_never_overlap(app, api, world):
    caller = api(world.emails["coordinator_a"])
    path = "/municipalities/332038/targets/advanced"
    body = {"kind": "cumulative", "target": 3, "period_start_fy": 2024, "period_end_fy": 2026}
    assert caller._call("PUT", path, json=body).status_code == 200
    nxt = {**body, "period_start_fy": 2027, "period_end_fy": 2029, "target": 4}
    assert caller._call("PUT", path, json=nxt).status_code == 200
    clash = {**body, "period_start_fy": 2026, "period_end_fy": 2028}
    resp = caller._call("PUT", path, json=clash)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "period_overlap"
    items = caller.get("/municipalities/332038/targets").get_json()["items"]
    assert [(i["period_start_fy"], i["target"]) for i in items] == [(2024, 3), (2027, 4)]
    progress = caller.get("/municipalities/332038/progress?fiscal_year=2027").get_json()
    row = next(t for t in progress["targets"] if t["key"] == "advanced")
    assert (row["period_start_fy"], row["target"], row["achieved"]) == (2027, 4, 0)
    assert row["status"] == "not_started"


def test_a_next_person_past_due_is_said_to_be_overdue(app, ctx, world):
    from types import SimpleNamespace

    from regional.dashboards.tables import due_text

    with app.test_request_context(headers={"Accept-Language": "ja"}):
        soon = due_text(SimpleNamespace(next_due_on=date(2026, 12, 24)))
        late = due_text(SimpleNamespace(next_due_on=date(2026, 6, 1)))
    assert soon.startswith("次の1人の期限：2026年12月24日") and "過ぎて" not in soon
    assert "期限を過ぎています" in late
