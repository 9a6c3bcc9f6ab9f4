"""Org units: each municipality keeps its own 部 > 課 > 係 tree, and only its own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from regional.errors import DomainError
from regional.extensions import db
from regional.people.models import User
from regional.people.units import UnitData, create_unit, find_unit_by_path
from tenants.models import OrgLevel, OrgUnit
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_people import in_app, unit_row

pytest_plugins = ["tests.fixtures_people"]

EN = {"Accept-Language": "en"}


def _units_of(app, municipality_id: int) -> dict[str, object]:
    with app.app_context(), acting_as(db.session, municipality_id):
        rows = db.session.scalars(select(OrgUnit)).all()
        return {u.name: (u.id, u.parent_id, u.level, u.equivalent, u.active) for u in rows}


def _names_of(app, municipality_id: int) -> list[str]:
    with app.app_context(), acting_as(db.session, municipality_id):
        return sorted(db.session.scalars(select(OrgUnit.name)))


def test_tree_lists_own_units_in_order_with_levels(as_coordinator_a, units):
    page = as_coordinator_a.get("/people/units", headers=EN).get_data(as_text=True)
    assert page.index("総務部") < page.index("デジタル推進課") < page.index("企画係")
    assert "depth-2" in page  # 企画係 sits two levels down
    assert "玉野総務課" not in page


def test_tree_counts_people_per_unit_and_below(as_coordinator_a, world, units, app):
    with in_app(app):
        for _ in range(3):
            factories.make_user(world.muni_a, org_unit_id=units["sec"])
        factories.make_user(world.muni_a, org_unit_id=units["div"])
    page = as_coordinator_a.get("/people/units").get_data(as_text=True)
    page = re.sub(r' data-label="[^"]*"', "", page)
    row = page[page.index("デジタル推進課") :]
    row = row[: row.index("</tr>")]
    # Directly in the division: 1; with its section: 4.
    assert '<td class="num">1</td>' in row and '<td class="num">4</td>' in row


def test_coordinator_adds_units_and_marks_equivalents(as_coordinator_a, world, units, app):
    resp = as_coordinator_a.form_post(
        "/people/units/new",
        {
            "name": "情報セキュリティ担当",
            "level": "section",
            "equivalent": "y",
            "parent_id": units["div"],
        },
    )
    assert resp.status_code == 302
    unit_id, parent, level, equivalent, active = _units_of(app, world.muni_a)[
        "情報セキュリティ担当"
    ]
    assert (parent, level, equivalent, active) == (units["div"], OrgLevel.SECTION, True, True)
    page = as_coordinator_a.get("/people/units", headers=EN).get_data(as_text=True)
    assert "Section equivalent" in page


def test_units_are_added_to_own_municipality_only(as_coordinator_b, world, app):
    as_coordinator_b.form_post(
        "/people/units/new", {"name": "観光課", "level": "division", "parent_id": ""}
    )
    assert "観光課" in _units_of(app, world.muni_b)
    assert "観光課" not in _units_of(app, world.muni_a)


def test_parent_must_be_a_unit_of_the_same_municipality(as_coordinator_a, world, units, app):
    resp = as_coordinator_a.form_post(
        "/people/units/new", {"name": "越境課", "level": "division", "parent_id": units["b"]}
    )
    assert resp.status_code == 400
    assert "越境課" not in _units_of(app, world.muni_a)


def test_parent_of_another_municipality_is_refused_by_the_service(app, world, units):
    with app.app_context(), acting_as(db.session, world.muni_a):
        actor = db.session.get(User, world.coordinator_a)
        data = UnitData(name="越境課", level=OrgLevel.DIVISION, parent_id=units["b"])
        with pytest.raises(DomainError) as exc:
            create_unit(data, actor)
        assert exc.value.code == "unknown_org_unit"


def test_rename_and_move_a_unit(as_coordinator_a, world, units, app):
    with in_app(app):
        other = factories.make_org_unit(world.muni_a, "企画部", OrgLevel.DEPARTMENT).id
    resp = as_coordinator_a.form_post(
        f"/people/units/{units['div']}/edit",
        {"name": "DX推進課", "level": "division", "parent_id": other},
    )
    assert resp.status_code == 302
    unit = unit_row(app, units["div"])
    assert (unit.name, unit.parent_id) == ("DX推進課", other)
    # Its section came along.
    assert unit_row(app, units["sec"]).parent_id == units["div"]


def test_a_unit_cannot_move_under_its_own_sub_unit(as_coordinator_a, units, app):
    as_coordinator_a.form_post(
        f"/people/units/{units['dept']}/edit",
        {"name": "総務部", "level": "department", "parent_id": units["sec"]},
    )
    assert unit_row(app, units["dept"]).parent_id is None


def test_levels_keep_their_order(as_coordinator_a, world, units, app):
    # A division cannot sit under a section ...
    resp = as_coordinator_a.form_post(
        "/people/units/new", {"name": "逆転課", "level": "division", "parent_id": units["sec"]}
    )
    assert resp.status_code == 422 and "逆転課" not in _units_of(app, world.muni_a)
    # ... nor can a division with sections become a section.
    as_coordinator_a.form_post(
        f"/people/units/{units['div']}/edit",
        {"name": "デジタル推進課", "level": "section", "parent_id": units["dept"]},
    )
    assert unit_row(app, units["div"]).level == OrgLevel.DIVISION


def test_sibling_names_are_unique_even_at_the_top(as_coordinator_a, world, units, app):
    before = _names_of(app, world.muni_a)
    resp = as_coordinator_a.form_post(
        "/people/units/new", {"name": "総務部", "level": "department", "parent_id": ""}
    )
    assert resp.status_code == 409  # NULL parents escape UNIQUE: the service checks
    resp = as_coordinator_a.form_post(
        "/people/units/new", {"name": "企画係", "level": "section", "parent_id": units["div"]}
    )
    assert resp.status_code == 409
    assert _names_of(app, world.muni_a) == before


def test_deactivating_needs_sub_units_out_of_use_first(as_coordinator_a, units, app):
    as_coordinator_a.form_post(f"/people/units/{units['div']}/deactivate")
    assert unit_row(app, units["div"]).active is True
    as_coordinator_a.form_post(f"/people/units/{units['sec']}/deactivate")
    as_coordinator_a.form_post(f"/people/units/{units['div']}/deactivate")
    assert unit_row(app, units["div"]).active is False
    assert unit_row(app, units["sec"]).active is False


def test_inactive_units_are_not_offered_for_people(as_coordinator_a, units, app):
    as_coordinator_a.form_post(f"/people/units/{units['sec']}/deactivate")
    page = as_coordinator_a.get("/people/new").get_data(as_text=True)
    assert f'value="{units["div"]}"' in page
    assert f'value="{units["sec"]}"' not in page


def test_reactivation_brings_a_unit_back(as_coordinator_a, units, app):
    as_coordinator_a.form_post(f"/people/units/{units['sec']}/deactivate")
    as_coordinator_a.form_post(f"/people/units/{units['sec']}/activate")
    assert unit_row(app, units["sec"]).active is True


def test_coordinator_cannot_touch_another_municipality_unit(as_coordinator_a, units, app):
    assert as_coordinator_a.get(f"/people/units/{units['b']}/edit").status_code == 404
    resp = as_coordinator_a.form_post(f"/people/units/{units['b']}/deactivate")
    assert resp.status_code == 404
    assert unit_row(app, units["b"]).active is True


def test_unit_paths_resolve_within_the_municipality_only(app, world, units):
    with app.app_context(), acting_as(db.session, world.muni_a):
        found = find_unit_by_path("総務部/デジタル推進課/企画係")
        assert found.id == units["sec"]
        assert find_unit_by_path(" 総務部 / デジタル推進課 ").id == units["div"]
        assert find_unit_by_path("デジタル推進課") is None  # paths start at the top
        assert find_unit_by_path("玉野総務課") is None
        assert find_unit_by_path("") is None
