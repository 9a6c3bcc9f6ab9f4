"""Targets and measures pages: WTForms with CSRF, fiscal years by name, refusals that change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.targets.models import Measure, PersonaRule, Target
from tenants import all_tenants
from tenants.scoping import acting_as

A, B = "332038", "332046"


def _targets(app):
    with app.app_context(), all_tenants(db.session):
        return {
            (t.municipality_id, t.key): (t.target, t.period_start_fy, t.period_end_fy, t.population)
            for t in db.session.scalars(select(Target))
        }


GOOD = {"target": "25", "period_start_fy": "2024", "period_end_fy": "2026", "population": ""}


def test_the_form_offers_fiscal_years_by_their_japanese_names(as_coordinator_a):
    html = as_coordinator_a.get("/targets/advanced").get_data(as_text=True)
    assert '<option selected value="2024">令和6年度（2024年度）</option>' in html
    assert "令和元年度（2019年度）" in html and "(FY" not in html


def test_a_coordinator_sets_their_own_target_and_it_is_audited(app, world, as_coordinator_a):
    resp = as_coordinator_a.form_post("/targets/advanced", GOOD)
    assert resp.status_code == 302
    assert _targets(app) == {(world.muni_a, "advanced"): (25, 2024, 2026, None)}
    with app.app_context(), all_tenants(db.session):
        entry = db.session.scalars(select(AuditEntry)).all()[-1]
        assert entry.action == "target.create" and entry.municipality_id == world.muni_a
    listing = as_coordinator_a.get("/targets/").get_data(as_text=True)
    assert "25" in listing and "令和6年度" in listing


def test_annual_targets_may_run_every_year(app, world, as_coordinator_a):
    resp = as_coordinator_a.form_post(
        "/targets/security",
        {"target": "300", "period_start_fy": "2024", "period_end_fy": "", "population": "700"},
    )
    assert resp.status_code == 302
    assert _targets(app)[(world.muni_a, "security")] == (300, 2024, None, 700)


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("advanced", {**GOOD, "target": "-5"}),
        ("advanced", {**GOOD, "target": "999999999"}),
        ("advanced", {**GOOD, "target": "abc"}),
        ("advanced", {**GOOD, "target": ""}),
        ("advanced", {**GOOD, "period_end_fy": "2023"}),
        ("advanced", {**GOOD, "period_end_fy": ""}),  # a cumulative target needs an end
        ("advanced", {**GOOD, "period_start_fy": "1850"}),  # not a choice
        ("advanced", {**GOOD, "period_start_fy": "x\u202e"}),
        ("advanced", {**GOOD, "population": "10"}),  # target larger than the population
        ("advanced", {**GOOD, "population": "-1"}),
        ("advanced", {**GOOD, "period_end_fy": "2050"}),  # more than 20 years
    ],
)
def test_hostile_form_values_are_refused_and_change_nothing(
    app, world, as_coordinator_a, key, data
):
    resp = as_coordinator_a.form_post(f"/targets/{key}", data)
    assert resp.status_code == 400
    assert 'class="errors"' in resp.get_data(as_text=True)
    assert _targets(app) == {}


def test_the_form_needs_its_csrf_token(app, as_coordinator_a):
    resp = as_coordinator_a.post("/targets/advanced", data=GOOD)
    assert resp.status_code == 400
    assert _targets(app) == {}


def test_a_coordinator_cannot_reach_another_members_targets(app, as_coordinator_a):
    assert as_coordinator_a.get(f"/targets/?municipality={B}").status_code == 404
    resp = as_coordinator_a.form_post(f"/targets/advanced?municipality={B}", GOOD)
    assert resp.status_code == 404
    assert _targets(app) == {}


def test_an_admin_sets_a_members_target_from_the_selector(app, world, as_admin):
    html = as_admin.get(f"/targets/?municipality={B}").get_data(as_text=True)
    assert 'name="municipality"' in html
    resp = as_admin.form_post(
        f"/targets/core_pm?municipality={B}", {**GOOD, "period_end_fy": "2028"}
    )
    assert resp.status_code == 302
    assert _targets(app) == {(world.muni_b, "core_pm"): (25, 2024, 2028, None)}


def test_unknown_measures_are_not_found(as_coordinator_a):
    assert as_coordinator_a.get("/targets/mindset").status_code == 404
    assert as_coordinator_a.get("/targets/" + "x" * 500).status_code == 404


# -- measures -------------------------------------------------------------------------------


def _measure(app, key):
    with app.app_context():
        m = db.session.scalar(select(Measure).where(Measure.key == key))
        return (m.rule, m.min_programs, list(m.skill_areas))


def test_an_admin_changes_a_persona_rule_and_it_is_audited(app, as_admin):
    data = {"rule": "at_least", "min_programs": "2", "applies": "today"}
    # First the effect on the figures, with nothing saved.
    resp = as_admin.form_post("/targets/measures/core_pm", data)
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'data-testid="effect"' in page and 'name="confirmed" value="1"' in page
    assert _measure(app, "core_pm") == (PersonaRule.ALL_CURRENT, None, [])
    resp = as_admin.form_post("/targets/measures/core_pm", {**data, "confirmed": "1"})
    assert resp.status_code == 302
    assert _measure(app, "core_pm") == (PersonaRule.AT_LEAST, 2, [])
    with app.app_context(), all_tenants(db.session):
        entry = db.session.scalars(select(AuditEntry)).all()[-1]
        assert entry.action == "measure.update"
        assert entry.detail["before"]["rule"] == "all_current"


def test_an_admin_changes_an_annual_measures_skill_areas(app, as_admin):
    data = {"skill_areas": ["information_security", "cloud"], "applies": "today"}
    resp = as_admin.form_post("/targets/measures/security", {**data, "confirmed": "1"})
    assert resp.status_code == 302
    assert _measure(app, "security")[2] == ["cloud", "information_security"]


def test_a_retroactive_redefinition_shows_the_past_it_changes_and_is_audited(app, as_admin, world):
    from datetime import date

    from tests import factories
    from tests.fixtures_targets import PM, complete_all, target

    with app.app_context():
        p = factories.make_user(world.muni_a).id
        complete_all(world.muni_a, p, PM[:2], date(2024, 6, 1))
        target(world.muni_a, "core_pm", 240, 2024, 2028)
        db.session.commit()
    data = {
        "rule": "at_least",
        "min_programs": "2",
        "applies": "past",
        "effective_from": "2024-04-01",
    }
    resp = as_admin.form_post("/targets/measures/core_pm", data, headers={"Accept-Language": "ja"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "終わった年度の数値が変わります" in page  # the warning, in Japanese
    assert "津山市" in page and "令和6年度" in page
    resp = as_admin.form_post("/targets/measures/core_pm", {**data, "confirmed": "1"})
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        entry = db.session.scalars(select(AuditEntry)).all()[-1]
        assert entry.action == "measure.redefine"
        assert entry.detail["effective_from"] == "2024-04-01"


@pytest.mark.parametrize("day", ["", "2999-01-01", "1999-04-01", "not-a-day"])
def test_a_redefinition_needs_a_past_day(app, as_admin, day):
    before = _measure(app, "core_pm")
    data = {"rule": "at_least", "min_programs": "2", "applies": "past", "effective_from": day}
    resp = as_admin.form_post("/targets/measures/core_pm", {**data, "confirmed": "1"})
    assert resp.status_code == 400
    assert _measure(app, "core_pm") == before


@pytest.mark.parametrize(
    ("key", "data"),
    [
        ("core_pm", {"rule": "at_least", "min_programs": ""}),
        ("core_pm", {"rule": "at_least", "min_programs": "0"}),
        ("core_pm", {"rule": "sometimes"}),
        ("security", {"skill_areas": []}),
        ("security", {"skill_areas": ["no_such_area"]}),
    ],
)
def test_bad_measures_are_refused_and_change_nothing(app, as_admin, key, data):
    before = _measure(app, key)
    resp = as_admin.form_post(f"/targets/measures/{key}", data)
    assert resp.status_code == 400
    assert _measure(app, key) == before


def test_a_changed_rule_counts_from_the_day_it_is_made(ctx, world, monkeypatch):
    from datetime import date

    from regional import fiscal
    from regional.targets.progress import municipality_progress
    from regional.targets.services import set_measure
    from tests import factories
    from tests.fixtures_targets import PM, complete_all, target

    monkeypatch.setattr(fiscal, "today", lambda: date(2026, 11, 29))
    p = factories.make_user(world.muni_a).id
    complete_all(world.muni_a, p, PM[:2], date(2024, 6, 1))
    target(world.muni_a, "core_pm", 240, 2024, 2028)

    def achieved(fy):
        mp = municipality_progress(db.session, world.muni_a, fy, today=date(2026, 11, 30))
        return dict(mp.targets[0].by_year).get(fy, 0)

    assert achieved(2024) == 0
    measure = db.session.scalar(select(Measure).where(Measure.key == "core_pm"))
    with acting_as(db.session, world.muni_admin):
        set_measure(measure, {"rule": "at_least", "min_programs": 2}, None)
        db.session.flush()
    # The rule applies from today: FY2024 as it was, the person counts in FY2026.
    assert (achieved(2024), achieved(2026)) == (0, 1)
    # Re-defined from the first day of FY2024 on purpose: FY2024 is counted again.
    with acting_as(db.session, world.muni_admin):
        set_measure(
            measure,
            {"rule": "at_least", "min_programs": 2},
            None,
            effective_from=date(2024, 4, 1),
        )
        db.session.flush()
    assert (achieved(2024), achieved(2026)) == (1, 0)
