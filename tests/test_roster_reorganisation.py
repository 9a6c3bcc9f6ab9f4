"""Does the April reorganisation, imported with the roster, leave last year as it was?

A member imports its April roster on 10 April 2026, dated 1 April (異動日). 情報政策課 is
renamed デジタル推進課 (its people all move there, its sections with it); 統計課 is emptied
into 人事課; two divisions merge into a new one; one is split. The preview proposes each
change, the coordinator may untick any, and the import applies what was ticked from the
effective date: a renamed unit keeps its id and its past coverage, an emptied one leaves
the coverage total from that day, and FY2025 still counts as it did.
"""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import select

from regional import fiscal
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.people.models import UnitMembership
from regional.targets.progress import municipality_progress
from tenants import all_tenants
from tenants.models import OrgLevel, OrgUnit, OrgUnitEvent, OrgUnitEventKind
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A
from tests.fixtures_targets import DIGITAL, complete_all, target

TODAY = date(2026, 4, 10)
APRIL = date(2026, 4, 1)
DOMAIN = "city.tsuyama.lg.jp"
HEADER = "職員番号,氏名,メールアドレス,所属,職種\r\n"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The day in Japan: 10 April 2026, the import of the April reorganisation."""
    monkeypatch.setattr(fiscal, "today", lambda: TODAY)


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\r\n" for r in rows)).encode("cp932")


def row(user: dict, path: str) -> str:
    """A roster line for an existing person (no address: theirs is kept)."""
    return f"{user['number']},{user['name']},,{path},行政職"


def person(m: int, unit: OrgUnit, n: int) -> dict:
    u = factories.make_user(m, email=f"reorg{n}@{DOMAIN}", name=f"改編 {n}", org_unit_id=unit.id)
    return {"id": u.id, "number": u.employee_number, "name": u.name}


def api_roster(client, data: bytes, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(
        f"/municipalities/{CODE_A}/roster" + (f"?{qs}" if qs else ""),
        data={"file": (io.BytesIO(data), "april.csv")},
        content_type="multipart/form-data",
    )


def upload(client, data: bytes, **fields):
    form = {"file": (io.BytesIO(data), "april.csv"), "csrf_token": client.csrf_token(), **fields}
    return client.post("/people/roster", data=form, content_type="multipart/form-data")


def confirm_fields(page: str) -> dict[str, str]:
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
        for name in ("upload", "token")
    }


def ticked(page: str) -> dict[str, list[str]]:
    """The proposals ticked on the preview page, as a browser would send them."""
    found: dict[str, list[str]] = {}
    for name, value in re.findall(
        r'<input type="checkbox" id="reorg-\d+" name="(rename|retire)" value="(\d+)" checked>', page
    ):
        found.setdefault(name, []).append(value)
    return found


def unit(uid: int) -> OrgUnit:
    db.session.expire_all()
    with all_tenants(db.session):
        return db.session.scalar(select(OrgUnit).where(OrgUnit.id == uid))


def units_by_path(m: int) -> dict[str, OrgUnit]:
    from regional.people.units import UnitTree

    db.session.expire_all()
    with acting_as(db.session, m):
        tree = UnitTree()
        return {tree.path(u.id): u for u in tree.units.values()}


def events(m: int, uid: int | None = None) -> list[tuple[int, OrgUnitEventKind, date, dict]]:
    db.session.expire_all()
    with acting_as(db.session, m):
        rows = db.session.scalars(select(OrgUnitEvent).order_by(OrgUnitEvent.id)).all()
    return [(e.unit_id, e.kind, e.on, e.detail) for e in rows if uid is None or e.unit_id == uid]


def coverage(m: int, fy: int) -> tuple:
    c = municipality_progress(db.session, m, fy, today=TODAY).coverage
    return (
        c.divisions_total,
        c.divisions_covered,
        sorted(x.unit_id for x in c.covered),
        sorted(g.unit_id for g in c.uncovered_divisions),
        c.sections_total,
        sorted(g.unit_id for g in c.uncovered_sections),
    )


@pytest.fixture
def april(ctx, world):
    """総務局 with 情報政策課 (企画係, システム係), 統計課 and 人事課; someone in each."""
    m = world.muni_a
    dept = factories.make_org_unit(m, "総務局", OrgLevel.DEPARTMENT)
    policy = factories.make_org_unit(m, "情報政策課", OrgLevel.DIVISION, dept)
    planning = factories.make_org_unit(m, "企画係", OrgLevel.SECTION, policy)
    systems = factories.make_org_unit(m, "システム係", OrgLevel.SECTION, policy)
    stats = factories.make_org_unit(m, "統計課", OrgLevel.DIVISION, dept)
    hr = factories.make_org_unit(m, "人事課", OrgLevel.DIVISION, dept)
    people = {
        "p1": person(m, planning, 1),
        "p2": person(m, planning, 2),
        "p3": person(m, systems, 3),
        "p4": person(m, stats, 4),
        "p5": person(m, hr, 5),
    }
    # p1 reached the core digital persona in FY2025: 情報政策課 was covered then.
    complete_all(m, people["p1"]["id"], DIGITAL, date(2025, 6, 1))
    target(m, "core_digital", 10, 2024, 2027)
    db.session.commit()
    ids = {
        "dept": dept.id,
        "policy": policy.id,
        "planning": planning.id,
        "systems": systems.id,
        "stats": stats.id,
        "hr": hr.id,
    }
    return m, ids, people


def april_roster(people: dict) -> bytes:
    return csv(
        row(people["p1"], "総務局/デジタル推進課/企画係"),
        row(people["p2"], "総務局/デジタル推進課/企画係"),
        row(people["p3"], "総務局/デジタル推進課/システム係"),
        row(people["p4"], "総務局/人事課"),
        row(people["p5"], "総務局/人事課"),
    )


# -- the API -----------------------------------------------------------------------------


def test_the_preview_proposes_the_rename_and_the_emptied_unit(april, api, world):
    m, ids, people = april
    resp = api_roster(api(world.emails["coordinator_a"]), april_roster(people))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["reorganisation"] == {
        "renames": [
            {"unit_id": ids["policy"], "from": "総務局/情報政策課", "to": "総務局/デジタル推進課"}
        ],
        "merges": [
            {"units": ["総務局/統計課"], "unit_ids": [ids["stats"]], "into": "総務局/人事課"}
        ],
        "splits": [],
        "retire": [],
    }
    assert body["effective_on"] == TODAY.isoformat() and body["reorganisation_applied"] is False
    # The v1 fields are all still there.
    assert {"created", "updated", "deactivated", "moved", "unchanged", "units_created"} <= set(body)
    assert body["units_created"] == [
        "総務局/デジタル推進課",
        "総務局/デジタル推進課/システム係",
        "総務局/デジタル推進課/企画係",
    ]
    assert events(m) == []  # a preview changes nothing


def test_applied_the_renamed_unit_keeps_its_id_and_past_coverage(april, api, world):
    m, ids, people = april
    fy25, fy26 = coverage(m, 2025), coverage(m, 2026)
    assert ids["policy"] in fy25[2]  # covered by p1 in FY2025
    resp = api_roster(
        api(world.emails["coordinator_a"]),
        april_roster(people),
        commit="true",
        apply_reorganisation="true",
        effective_on="2026-04-01",
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["committed"] is True and body["reorganisation_applied"] is True
    assert body["units_created"] == []
    assert body["moved"] == 1  # p4; the renamed unit's people stayed in it
    units = units_by_path(m)
    # The rename: the same unit (and its sections) under the new name; nothing created.
    assert units["総務局/デジタル推進課"].id == ids["policy"]
    assert units["総務局/デジタル推進課/企画係"].id == ids["planning"]
    assert units["総務局/デジタル推進課/システム係"].id == ids["systems"]
    assert "総務局/情報政策課" not in units
    assert events(m, ids["policy"]) == [
        (
            ids["policy"],
            OrgUnitEventKind.RENAMED,
            APRIL,
            {"from": "情報政策課", "to": "デジタル推進課"},
        )
    ]
    # The emptied unit: merged into 人事課, out of use from the effective date.
    stats = unit(ids["stats"])
    assert not stats.active and stats.retired_on == APRIL
    assert events(m, ids["stats"]) == [
        (ids["stats"], OrgUnitEventKind.MERGED, APRIL, {"into": [ids["hr"]]})
    ]
    # p4's move is dated by the effective date; the renamed unit's people never moved.
    with acting_as(db.session, m):
        rows = db.session.scalars(
            select(UnitMembership)
            .where(UnitMembership.employee_id.in_([people["p1"]["id"], people["p4"]["id"]]))
            .order_by(UnitMembership.id)
        ).all()
    assert [(r.employee_id, r.org_unit_id, r.valid_to) for r in rows if r.valid_to] == [
        (people["p4"]["id"], ids["stats"], APRIL)
    ]
    assert (people["p4"]["id"], ids["hr"], APRIL) in [
        (r.employee_id, r.org_unit_id, r.valid_from) for r in rows
    ]
    assert [r.org_unit_id for r in rows if r.employee_id == people["p1"]["id"]] == [ids["planning"]]
    # FY2025 counts as it did; FY2026 no longer counts the emptied division.
    assert coverage(m, 2025) == fy25
    after = coverage(m, 2026)
    assert after[0] == fy26[0] - 1
    assert ids["stats"] not in after[3] and ids["policy"] in after[2]


def test_without_the_apply_flag_the_import_does_what_it_did_before(april, api, world):
    m, ids, people = april
    resp = api_roster(
        api(world.emails["coordinator_a"]), april_roster(people), commit="true", effective_on=""
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["reorganisation_applied"] is False and len(body["units_created"]) == 3
    units = units_by_path(m)
    assert units["総務局/情報政策課"].active and units["総務局/統計課"].active
    assert units["総務局/デジタル推進課"].id != ids["policy"]
    assert units["総務局/デジタル推進課"].valid_from == TODAY  # no date given: today
    assert {k for _u, k, _d, _x in events(m)} == {OrgUnitEventKind.CREATED}


def test_a_merge_and_a_split_are_recorded_as_events(ctx, world, api):
    m = world.muni_a
    dept = factories.make_org_unit(m, "市民局", OrgLevel.DEPARTMENT)
    one = factories.make_org_unit(m, "旧一課", OrgLevel.DIVISION, dept)
    two = factories.make_org_unit(m, "旧二課", OrgLevel.DIVISION, dept)
    three = factories.make_org_unit(m, "旧三課", OrgLevel.DIVISION, dept)
    section = factories.make_org_unit(m, "旧三係", OrgLevel.SECTION, three)
    hr = factories.make_org_unit(m, "市民課", OrgLevel.DIVISION, dept)
    a, b = person(m, one, 11), person(m, two, 12)
    c, d = person(m, three, 13), person(m, section, 14)
    stays = person(m, hr, 15)
    db.session.commit()
    data = csv(
        row(a, "市民局/市民協働課"),
        row(b, "市民局/市民協働課"),
        row(c, "市民局/市民課"),
        row(d, "市民局/市民協働課"),
        row(stays, "市民局/市民課"),
    )
    client = api(world.emails["coordinator_a"])
    body = api_roster(client, data).get_json()
    # The section of the split division went (whole) into the new division: one merge.
    assert body["reorganisation"]["merges"] == [
        {
            "units": ["市民局/旧一課", "市民局/旧二課", "市民局/旧三課/旧三係"],
            "unit_ids": [one.id, two.id, section.id],
            "into": "市民局/市民協働課",
        }
    ]
    assert body["reorganisation"]["splits"] == [
        {
            "unit": "市民局/旧三課",
            "unit_id": three.id,
            "into": ["市民局/市民協働課", "市民局/市民課"],
        }
    ]
    resp = api_roster(client, data, commit="true", apply_reorganisation="true")
    assert resp.status_code == 200, resp.get_json()
    new = units_by_path(m)["市民局/市民協働課"].id
    assert events(m, one.id) == [(one.id, OrgUnitEventKind.MERGED, TODAY, {"into": [new]})]
    assert events(m, two.id) == [(two.id, OrgUnitEventKind.MERGED, TODAY, {"into": [new]})]
    assert events(m, three.id) == [
        (three.id, OrgUnitEventKind.SPLIT, TODAY, {"into": [new, hr.id]})
    ]
    # The section went with its division, recorded as what happened to its people.
    assert events(m, section.id) == [
        (section.id, OrgUnitEventKind.MERGED, TODAY, {"into": [new], "with": three.id})
    ]
    assert not any(unit(x).active for x in (one.id, two.id, three.id, section.id))


# -- the pages ---------------------------------------------------------------------------


def test_the_preview_page_shows_the_proposals_ticked_in_japanese(april, as_coordinator_a):
    _m, ids, people = april
    resp = upload(as_coordinator_a, april_roster(people), effective_on="2026-04-01")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "異動日：2026年4月1日" in page
    assert "組織改編" in page
    assert "名称変更：情報政策課 → デジタル推進課" in page
    assert "統合：統計課 → 総務局/人事課" in page
    assert "廃止する" in page and "名称変更する" in page
    assert ticked(page) == {"rename": [str(ids["policy"])], "retire": [str(ids["stats"])]}


def test_the_page_import_applies_what_is_ticked_from_the_effective_date(
    april, as_coordinator_a, world
):
    m, ids, people = april
    page = upload(as_coordinator_a, april_roster(people), effective_on="2026-04-01")
    page = page.get_data(as_text=True)
    resp = as_coordinator_a.form_post(
        "/people/roster/confirm", {**confirm_fields(page), **ticked(page)}
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/people/roster/done")
    done = as_coordinator_a.get("/people/roster/done").get_data(as_text=True)
    assert "異動日：2026年4月1日" in done
    assert units_by_path(m)["総務局/デジタル推進課"].id == ids["policy"]
    assert unit(ids["stats"]).retired_on == APRIL
    assert {(u, k, d) for u, k, d, _x in events(m)} == {
        (ids["policy"], OrgUnitEventKind.RENAMED, APRIL),
        (ids["stats"], OrgUnitEventKind.MERGED, APRIL),
    }
    # The audit entry names what the import did to the organisation.
    with acting_as(db.session, m):
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "roster.import")
        ).one()
    assert entry.detail["effective_on"] == "2026-04-01"
    assert entry.detail["reorganisation"] == {
        "renamed": [
            {"id": ids["policy"], "from": "総務局/情報政策課", "to": "総務局/デジタル推進課"}
        ],
        "merged": [
            {
                "id": ids["stats"],
                "path": "総務局/統計課",
                "into": [ids["hr"]],
                "into_paths": ["総務局/人事課"],
            }
        ],
        "split": [],
        "retired": [],
    }
    assert entry.detail["counts"]["units_created"] == 0
    assert entry.detail["counts"]["units_renamed"] == 1
    assert entry.detail["counts"]["units_retired"] == 1


def test_unticking_the_proposals_gives_the_old_behaviour(april, as_coordinator_a):
    m, ids, people = april
    page = upload(as_coordinator_a, april_roster(people)).get_data(as_text=True)
    resp = as_coordinator_a.form_post("/people/roster/confirm", confirm_fields(page))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/people/roster/done")
    units = units_by_path(m)
    assert units["総務局/情報政策課"].active and units["総務局/統計課"].active
    assert units["総務局/デジタル推進課"].id != ids["policy"]
    assert units["総務局/デジタル推進課/企画係"].id != ids["planning"]
    assert {k for _u, k, _d, _x in events(m)} == {OrgUnitEventKind.CREATED}


def test_a_change_to_an_emptied_unit_since_the_preview_needs_a_new_preview(april, as_coordinator_a):
    m, ids, people = april
    page = upload(as_coordinator_a, april_roster(people)).get_data(as_text=True)
    factories.make_user(m, email=f"late@{DOMAIN}", org_unit_id=ids["stats"])  # 統計課 not empty
    db.session.commit()
    resp = as_coordinator_a.form_post(
        "/people/roster/confirm", {**confirm_fields(page), **ticked(page)}
    )
    assert resp.status_code == 409
    assert "統計課" not in ticked(resp.get_data(as_text=True)).get("retire", [])
    assert unit(ids["stats"]).active and events(m) == []


def test_a_merged_unit_may_take_the_new_name(ctx, world, as_coordinator_a):
    m = world.muni_a
    dept = factories.make_org_unit(m, "市民局", OrgLevel.DEPARTMENT)
    one = factories.make_org_unit(m, "旧一課", OrgLevel.DIVISION, dept)
    two = factories.make_org_unit(m, "旧二課", OrgLevel.DIVISION, dept)
    a, b = person(m, one, 21), person(m, two, 22)
    db.session.commit()
    data = csv(row(a, "市民局/市民協働課"), row(b, "市民局/市民協働課"))
    page = upload(as_coordinator_a, data).get_data(as_text=True)
    assert "市民局/旧一課が新しい名称を引き継ぐ" in page
    fields = {**confirm_fields(page), **ticked(page), "adopt-0": str(one.id)}
    resp = as_coordinator_a.form_post("/people/roster/confirm", fields)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    units = units_by_path(m)
    assert units["市民局/市民協働課"].id == one.id and not unit(two.id).active
    assert events(m, one.id) == [
        (one.id, OrgUnitEventKind.RENAMED, TODAY, {"from": "旧一課", "to": "市民協働課"})
    ]
    assert events(m, two.id) == [(two.id, OrgUnitEventKind.MERGED, TODAY, {"into": [one.id]})]


def test_a_section_renamed_inside_a_renamed_division_follows_its_rename(
    ctx, world, as_coordinator_a
):
    m = world.muni_a
    dept = factories.make_org_unit(m, "企画局", OrgLevel.DEPARTMENT)
    div = factories.make_org_unit(m, "情報政策課", OrgLevel.DIVISION, dept)
    sec = factories.make_org_unit(m, "企画係", OrgLevel.SECTION, div)
    a = person(m, sec, 31)
    db.session.commit()
    data = csv(row(a, "企画局/デジタル推進課/DX企画係"))
    page = upload(as_coordinator_a, data).get_data(as_text=True)
    assert ticked(page) == {"rename": [str(div.id), str(sec.id)]}
    assert "情報政策課の名称変更を行う場合に限ります" in page
    # The division's rename unticked: the section's proposal cannot apply without it.
    fields = {**confirm_fields(page), "rename": [str(sec.id)]}
    assert as_coordinator_a.form_post("/people/roster/confirm", fields).status_code == 302
    units = units_by_path(m)
    assert units["企画局/情報政策課/企画係"].id == sec.id and unit(sec.id).active
    assert units["企画局/デジタル推進課/DX企画係"].id not in (div.id, sec.id)


def test_a_section_renamed_with_its_division_keeps_its_id(ctx, world, api):
    m = world.muni_a
    dept = factories.make_org_unit(m, "企画局", OrgLevel.DEPARTMENT)
    div = factories.make_org_unit(m, "情報政策課", OrgLevel.DIVISION, dept)
    sec = factories.make_org_unit(m, "企画係", OrgLevel.SECTION, div)
    a = person(m, sec, 32)
    db.session.commit()
    data = csv(row(a, "企画局/デジタル推進課/DX企画係"))
    client = api(world.emails["coordinator_a"])
    resp = api_roster(client, data, commit="true", apply_reorganisation="true")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["reorganisation"]["renames"] == [
        {"unit_id": div.id, "from": "企画局/情報政策課", "to": "企画局/デジタル推進課"},
        {
            "unit_id": sec.id,
            "from": "企画局/情報政策課/企画係",
            "to": "企画局/デジタル推進課/DX企画係",
        },
    ]
    units = units_by_path(m)
    assert units["企画局/デジタル推進課/DX企画係"].id == sec.id
    assert units["企画局/デジタル推進課"].id == div.id


def test_a_unit_everyone_left_is_retired_with_its_empty_sections(ctx, world, api):
    m = world.muni_a
    dept = factories.make_org_unit(m, "消防局", OrgLevel.DEPARTMENT)
    div = factories.make_org_unit(m, "旧予防課", OrgLevel.DIVISION, dept)
    sec = factories.make_org_unit(m, "旧査察係", OrgLevel.SECTION, div)
    never = factories.make_org_unit(m, "空き係", OrgLevel.SECTION, div)
    person(m, sec, 41)
    stays = person(m, dept, 42)
    db.session.commit()
    data = csv(row(stays, "消防局"))
    client = api(world.emails["coordinator_a"])
    # Without deactivate_missing the leaver stays where they are: nothing is emptied.
    assert api_roster(client, data).get_json()["reorganisation"]["retire"] == []
    body = api_roster(client, data, deactivate_missing="true").get_json()
    mine = [p for p in body["reorganisation"]["retire"] if p.startswith("消防局/")]
    assert mine == ["消防局/旧予防課", "消防局/旧予防課/旧査察係", "消防局/旧予防課/空き係"]
    resp = api_roster(
        client, data, deactivate_missing="true", commit="true", apply_reorganisation="true"
    )
    assert resp.status_code == 200, resp.get_json()
    assert events(m, div.id) == [(div.id, OrgUnitEventKind.RETIRED, TODAY, {})]
    assert events(m, sec.id) == [(sec.id, OrgUnitEventKind.RETIRED, TODAY, {"with": div.id})]
    assert events(m, never.id) == [(never.id, OrgUnitEventKind.RETIRED, TODAY, {"with": div.id})]


# -- hostile input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["2026-04-11", "2099-01-01", "1999-12-31", "2026-02-30", "令和8年4月1日", "x" * 300]
)
def test_a_bad_effective_date_is_refused_on_the_page_and_in_the_api(
    april, as_coordinator_a, api, world, value
):
    m, _ids, people = april
    resp = upload(as_coordinator_a, april_roster(people), effective_on=value)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'class="error-summary"' in page and "/people/roster/confirm" not in page
    resp = api_roster(api(world.emails["coordinator_a"]), april_roster(people), effective_on=value)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "invalid_field"
    assert resp.get_json()["error"]["field"] == "effective_on"


def test_a_bad_apply_flag_is_refused(april, api, world):
    _m, _ids, people = april
    resp = api_roster(
        api(world.emails["coordinator_a"]),
        april_roster(people),
        commit="true",
        apply_reorganisation="perhaps",
    )
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_field"
    assert events(_m) == []


@pytest.mark.parametrize(
    "choice",
    [
        {"rename": "OTHER"},  # another member's unit
        {"retire": "OTHER"},
        {"rename": "STATS"},  # a unit proposed for retirement, sent as a rename
        {"retire": "abc"},
        {"retire": str(2**70)},
        {"retire": "１２"},
        {"adopt-0": "STATS"},  # no merge offers a choice of name here
    ],
)
def test_foreign_choices_are_refused_and_nothing_is_imported(
    april, as_coordinator_a, world, choice
):
    m, ids, people = april
    with acting_as(db.session, world.muni_b):
        other = db.session.scalars(select(OrgUnit)).first().id
    page = upload(as_coordinator_a, april_roster(people)).get_data(as_text=True)
    value = {"OTHER": str(other), "STATS": str(ids["stats"])}
    sent = {k: value.get(v, v) for k, v in choice.items()}
    resp = as_coordinator_a.form_post("/people/roster/confirm", {**confirm_fields(page), **sent})
    assert resp.status_code == 400
    assert "/people/roster/confirm" in resp.get_data(as_text=True)  # the preview, to choose again
    assert events(m) == [] and unit(ids["stats"]).active


# -- the unit pages, by hand ---------------------------------------------------------------


def _trail(m: int, prefix: str) -> list[AuditEntry]:
    with acting_as(db.session, m):
        rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    return [r for r in rows if r.action.startswith(prefix)]


def test_a_rename_by_hand_takes_effect_on_the_day_given(april, as_coordinator_a):
    m, ids, _people = april
    page = as_coordinator_a.get(f"/people/units/{ids['stats']}/edit").get_data(as_text=True)
    assert 'value="2026-04-10"' in page  # today by default
    resp = as_coordinator_a.form_post(
        f"/people/units/{ids['stats']}/edit",
        {
            "name": "統計分析課",
            "level": "division",
            "parent_id": ids["dept"],
            "effective_on": "2026-04-01",
        },
    )
    assert resp.status_code == 302
    assert events(m, ids["stats"]) == [
        (ids["stats"], OrgUnitEventKind.RENAMED, APRIL, {"from": "統計課", "to": "統計分析課"})
    ]
    entry = _trail(m, "unit.")[-1]
    assert entry.action == "unit.update" and entry.subject_id == str(ids["stats"])
    assert (
        entry.detail["before"]["name"] == "統計課" and entry.detail["after"]["name"] == "統計分析課"
    )


def test_a_retirement_by_hand_takes_effect_on_the_day_given(april, as_coordinator_a):
    m, ids, _people = april
    resp = as_coordinator_a.form_post(
        f"/people/units/{ids['hr']}/deactivate", {"effective_on": "2026-04-01"}
    )
    assert resp.status_code == 302
    hr = unit(ids["hr"])
    assert not hr.active and hr.retired_on == APRIL
    assert events(m, ids["hr"]) == [(ids["hr"], OrgUnitEventKind.RETIRED, APRIL, {})]
    assert [e.action for e in _trail(m, "unit.")] == ["unit.deactivate"]
    # The list's button, without a day: today.
    as_coordinator_a.form_post(f"/people/units/{ids['stats']}/deactivate")
    assert unit(ids["stats"]).retired_on == TODAY


@pytest.mark.parametrize("value", ["2026-04-11", "1999-03-31", "2026-13-01", "today"])
def test_a_bad_day_on_the_unit_pages_changes_nothing(april, as_coordinator_a, value):
    m, ids, _people = april
    resp = as_coordinator_a.form_post(
        f"/people/units/{ids['hr']}/deactivate", {"effective_on": value}
    )
    assert resp.status_code == 400
    assert 'id="retire_effective_on"' in resp.get_data(as_text=True)
    resp = as_coordinator_a.form_post(
        f"/people/units/{ids['stats']}/edit",
        {
            "name": "統計分析課",
            "level": "division",
            "parent_id": ids["dept"],
            "effective_on": value,
        },
    )
    assert resp.status_code == 400
    assert unit(ids["hr"]).active and unit(ids["stats"]).name == "統計課"
    assert events(m) == [] and _trail(m, "unit.") == []


def test_another_members_unit_cannot_be_retired(april, as_coordinator_b):
    _m, ids, _people = april
    resp = as_coordinator_b.form_post(
        f"/people/units/{ids['hr']}/deactivate", {"effective_on": "2026-04-01"}
    )
    assert resp.status_code == 404 and unit(ids["hr"]).active


def test_a_unit_moved_to_another_department_is_merged_not_renamed(ctx, world, api):
    m = world.muni_a
    old = factories.make_org_unit(m, "総務局", OrgLevel.DEPARTMENT)
    new = factories.make_org_unit(m, "企画局", OrgLevel.DEPARTMENT)
    div = factories.make_org_unit(m, "情報政策課", OrgLevel.DIVISION, old)
    person(m, factories.make_org_unit(m, "秘書課", OrgLevel.DIVISION, old), 52)  # 総務局 stays
    factories.make_org_unit(m, "政策課", OrgLevel.DIVISION, new)
    a = person(m, div, 51)
    db.session.commit()
    body = api_roster(api(world.emails["coordinator_a"]), csv(row(a, "企画局/デジタル推進課")))
    reorg = body.get_json()["reorganisation"]
    assert reorg["renames"] == []
    assert reorg["merges"] == [
        {"units": ["総務局/情報政策課"], "unit_ids": [div.id], "into": "企画局/デジタル推進課"}
    ]


def test_the_import_itself_refuses_choices_its_plan_did_not_propose(april, world):
    from regional.errors import DomainError
    from regional.people import roster_import
    from regional.people.models import User
    from regional.people.reorganisation import Choices
    from tenants.models import Municipality

    m, ids, people = april
    with acting_as(db.session, m):
        here = db.session.scalar(select(Municipality).where(Municipality.id == m))
        actor = db.session.scalar(select(User).where(User.id == world.coordinator_a))
        plan = roster_import.preview(april_roster(people), here, actor)
        with pytest.raises(DomainError) as refused:
            roster_import.commit(
                plan, actor, filename="x.csv", file_hash="0", choices=Choices(retire={ids["hr"]})
            )
    assert refused.value.status == 400 and unit(ids["hr"]).active
