"""Targets and progress API: shapes, refusals that change nothing, and the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.targets.models import Target
from regional.targets.services import load_policy_targets
from tenants import all_tenants
from tests import factories
from tests.fixtures_people import in_app
from tests.fixtures_targets import ADVANCED, complete_all, target

pytest_plugins = ["tests.fixtures_people"]

A, B, OKAYAMA = "332038", "332046", "331007"
GOOD = {"kind": "cumulative", "target": 12, "period_start_fy": 2024, "period_end_fy": 2026}


def _rows(app, model):
    with app.app_context(), all_tenants(db.session):
        rows = db.session.scalars(select(model).order_by(model.id)).all()
        for r in rows:
            db.session.expunge(r)
        return rows


def test_put_then_get_a_target_with_the_documented_shape(app, api, world):
    caller = api(world.emails["coordinator_a"])
    resp = caller._call("PUT", f"/municipalities/{A}/targets/advanced", json=GOOD)
    assert resp.status_code == 200, resp.get_json()
    body = caller.get(f"/municipalities/{A}/targets").get_json()
    assert body["items"] == [
        {
            "key": "advanced",
            "label": "高度デジタル人材",
            "kind": "cumulative",
            "target": 12,
            "period_start_fy": 2024,
            "period_end_fy": 2026,
            "population": None,
            # What a change of it sends in If-Match (tests/test_api_etags.py).
            "etag": resp.headers["ETag"],
        }
    ]
    # B sees none of it.
    assert (
        api(world.emails["coordinator_b"]).get(f"/municipalities/{B}/targets").get_json()["items"]
        == []
    )


def test_every_change_is_audited_with_before_and_after(app, api, world):
    caller = api(world.emails["coordinator_a"])
    caller._call("PUT", f"/municipalities/{A}/targets/advanced", json=GOOD)
    caller._call("PUT", f"/municipalities/{A}/targets/advanced", json={**GOOD, "target": 15})
    caller._call("PUT", f"/municipalities/{A}/targets/advanced", json={**GOOD, "target": 15})
    entries = [e for e in _rows(app, AuditEntry) if e.action.startswith("target.")]
    assert [e.action for e in entries] == ["target.create", "target.update"]  # no-op: no entry
    assert entries[1].detail["before"]["target"] == 12
    assert entries[1].detail["after"]["target"] == 15
    assert entries[1].municipality_id == world.muni_a
    assert world.emails["coordinator_a"] in entries[1].actor_label
    trail = caller.get(f"/municipalities/{A}/audit?action=target.update").get_json()
    assert trail["items"][0]["detail"]["after"]["target"] == 15


def test_an_admin_sets_any_members_target_and_it_lands_in_that_members_trail(app, api, world):
    resp = api(world.emails["admin"])._call(
        "PUT",
        f"/municipalities/{B}/targets/security",
        json={"target": 500, "period_start_fy": 2024},
    )
    assert resp.status_code == 200 and resp.get_json()["kind"] == "annual"
    entries = _rows(app, AuditEntry)
    assert entries[-1].municipality_id == world.muni_b
    assert world.emails["admin"] in entries[-1].actor_label


@pytest.mark.parametrize(
    ("key", "body", "code"),
    [
        ("advanced", {**GOOD, "target": -1}, "invalid_target"),
        ("advanced", {**GOOD, "target": 10**9}, "invalid_target"),
        ("advanced", {**GOOD, "target": 1.5}, "invalid_field"),
        ("advanced", {**GOOD, "target": "12"}, "invalid_field"),
        ("advanced", {**GOOD, "target": True}, "invalid_field"),
        ("advanced", {**GOOD, "target": None}, "missing_field"),
        ("advanced", {**GOOD, "period_end_fy": 2023}, "invalid_period"),
        ("advanced", {**GOOD, "period_end_fy": None}, "missing_field"),
        ("advanced", {**GOOD, "period_start_fy": 1900}, "invalid_period"),
        ("advanced", {**GOOD, "period_start_fy": 2024, "period_end_fy": 2090}, "invalid_period"),
        ("advanced", {**GOOD, "kind": "annual"}, "kind_mismatch"),
        ("advanced", {**GOOD, "kind": "weekly"}, "invalid_kind"),
        ("advanced", {**GOOD, "kind": ["x"]}, "invalid_kind"),
        ("security", {"kind": "cumulative", "target": 5, "period_start_fy": 2024}, "kind_mismatch"),
        ("advanced", {**GOOD, "population": 0}, "invalid_population"),
        ("advanced", {**GOOD, "population": 5}, "target_exceeds_population"),
        ("nonsense", GOOD, "unknown_key"),
        ("x" * 300, GOOD, "unknown_key"),
        ("mindset", GOOD, "unknown_key"),
    ],
)
def test_hostile_values_are_refused_with_422_and_change_nothing(app, api, world, key, body, code):
    caller = api(world.emails["coordinator_a"])
    caller._call("PUT", f"/municipalities/{A}/targets/advanced", json=GOOD)
    before = [(t.key, t.target, t.period_end_fy) for t in _rows(app, Target)]
    audit_before = len(_rows(app, AuditEntry))
    resp = caller._call("PUT", f"/municipalities/{A}/targets/{key}", json=body)
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert [(t.key, t.target, t.period_end_fy) for t in _rows(app, Target)] == before
    assert len(_rows(app, AuditEntry)) == audit_before


@pytest.mark.parametrize("raw", ["[1]", "nope", '"x"'])
def test_malformed_bodies_are_400(api, world, raw):
    resp = api(world.emails["coordinator_a"])._call(
        "PUT",
        f"/municipalities/{A}/targets/advanced",
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code == 400


def test_messages_follow_accept_language(api, world):
    resp = api(world.emails["coordinator_a"])._call(
        "PUT",
        f"/municipalities/{A}/targets/advanced",
        json={**GOOD, "period_end_fy": 2020},
        headers={"Accept-Language": "en"},
    )
    assert resp.get_json()["error"]["message"] == "The period ends before it starts."
    ja = api(world.emails["coordinator_a"])._call(
        "PUT", f"/municipalities/{A}/targets/advanced", json={**GOOD, "period_end_fy": 2020}
    )
    assert ja.get_json()["error"]["message"] != "The period ends before it starts."


def test_progress_api_shape(app, api, world):
    with in_app(app):
        target(world.muni_a, "advanced", 30, 2024, 2026)
        p = factories.make_user(world.muni_a).id
        complete_all(world.muni_a, p, ADVANCED, date(2024, 6, 1))
    body = (
        api(world.emails["coordinator_a"])
        .get(f"/municipalities/{A}/progress?fiscal_year=2024")
        .get_json()
    )
    assert body["municipality_code"] == A and body["fiscal_year"] == 2024
    t = body["targets"][0]
    assert {
        "key",
        "label",
        "kind",
        "period_start_fy",
        "period_end_fy",
        "target",
        "achieved",
        "expected_by_now",
    } <= set(t)
    assert t["achieved"] == 1 and t["key"] == "advanced"
    assert set(body["coverage"]) == {"divisions", "sections"}
    assert {"total", "covered"} <= set(body["coverage"]["divisions"])


@pytest.mark.parametrize("fy", ["abc", "1999", "2101", "-1", "2025.0", "²⁰²⁵", "٢٠٢٥", ""])
def test_progress_refuses_unreadable_fiscal_years(api, world, fy):
    resp = api(world.emails["coordinator_a"]).get(f"/municipalities/{A}/progress?fiscal_year={fy}")
    if fy == "":  # no year: the current one
        assert resp.status_code == 200
        return
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_fiscal_year"


def test_progress_reads_a_full_width_fiscal_year_as_its_ascii_value(api, world):
    resp = api(world.emails["coordinator_a"]).get(
        f"/municipalities/{A}/progress?fiscal_year=２０２５"
    )
    assert resp.status_code == 200
    assert resp.get_json()["fiscal_year"] == 2025


def test_region_progress_lists_every_member_and_totals(app, api, world):
    with in_app(app):
        target(world.muni_a, "advanced", 30, 2024, 2026)
        target(world.muni_b, "advanced", 20, 2024, 2026)
    body = api(world.emails["admin"]).get("/region/progress?fiscal_year=2025").get_json()
    assert len(body["members"]) == 13
    total = next(t for t in body["totals"] if t["key"] == "advanced")
    assert total["target"] == 50


def test_seed_loads_okayamas_six_targets_once(app, world):
    with app.app_context():
        assert load_policy_targets(db.session) == 6
        assert load_policy_targets(db.session) == 0
        with all_tenants(db.session):
            rows = {
                t.key: (t.kind.value, t.target, t.period_start_fy, t.period_end_fy, t.population)
                for t in db.session.scalars(select(Target))
            }
        db.session.rollback()
    assert rows == {
        "advanced": ("cumulative", 30, 2024, 2026, None),
        "core_digital": ("cumulative", 190, 2024, 2027, None),
        "core_pm": ("cumulative", 240, 2024, 2028, None),
        "literacy_required": ("annual", 3000, 2024, None, 3000),
        "literacy_elective": ("annual", 600, 2024, None, 3000),
        "security": ("annual", 7700, 2024, None, 7700),
    }


def test_a_change_kept_is_answered_as_kept_when_the_database_goes_away_after_its_commit(
    app, api, world, monkeypatch
):
    """The answer is read before the commit (faults/run.py write-paths found it read after:
    a connection lost just then answered 503, "nothing was kept, send it again", for a change
    that was kept, and the client's retry with its If-Match then met 412)."""
    from tests.outage import database_down

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caller = api(world.emails["coordinator_a"])
    first = caller._call("PUT", f"/municipalities/{A}/targets/advanced", json=GOOD)
    with database_down(app, at="after-commit"):
        resp = caller._call(
            "PUT",
            f"/municipalities/{A}/targets/advanced",
            json={**GOOD, "target": 15},
            headers={"If-Match": first.headers["ETag"]},
        )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["target"] == 15
    assert resp.headers["ETag"] != first.headers["ETag"]
    again = caller.get(f"/municipalities/{A}/targets/advanced?period_start_fy=2024")
    assert again.get_json()["target"] == 15
    assert again.headers["ETag"] == resp.headers["ETag"]
