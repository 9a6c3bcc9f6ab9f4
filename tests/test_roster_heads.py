"""A roster's 役職 and 所属長 columns (issue 22): the flagged person becomes head (所属長) or
deputy (代理) of the unit of their row; an empty cell changes nothing; a bad value or two
heads for one unit refuse the whole file; the export writes both columns back unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.heads import services
from regional.people.models import User
from tenants.models import OrgLevel, OrgUnit
from tenants.scoping import acting_as
from tests import factories
from tests.test_roster import DOMAIN_A, _remember_app, coord_a, csv_bytes, people_of, post_roster

__all__ = ["_remember_app", "coord_a"]  # fixtures shared with test_roster

HEADER = "職員番号,氏名,メールアドレス,所属,役職,所属長\r\n"
UNIT = "総務部/人事課"


def heads_of(app, muni: int) -> dict[str, tuple[str | None, str | None]]:
    """Unit path -> (head's number, deputy's number), read afresh."""
    with app.app_context(), acting_as(db.session, muni):
        found = {}
        for unit_id, row in services.heads_by_unit().items():
            unit = db.session.get(OrgUnit, unit_id)
            head = db.session.get(User, row.head_id)
            deputy = db.session.get(User, row.deputy_id) if row.deputy_id else None
            found[unit.path()] = (head.employee_number, deputy.employee_number if deputy else None)
        return found


def imports(coord, *rows: str, encoding: str = "cp932", header: str = HEADER):
    resp = post_roster(coord, csv_bytes(*rows, header=header, encoding=encoding), commit="true")
    return resp.status_code, resp.get_json()


def _row(number: str, name: str, unit: str = UNIT, title: str = "", flag: str = "") -> str:
    return f"{number},{name},{number.lower()}@{DOMAIN_A},{unit},{title},{flag}"


@pytest.fixture
def unit(app, world):
    with app.app_context(), acting_as(db.session, world.muni_a):
        dept = factories.make_org_unit(world.muni_a, "総務部", OrgLevel.DEPARTMENT)
        factories.make_org_unit(world.muni_a, "人事課", OrgLevel.DIVISION, dept)
        db.session.commit()


@pytest.mark.parametrize(
    "flag", ["〇", "○", "1", "１", "はい", "yes", "YES", "true", "True", "所属長", "正", " 所属長 "]
)
def test_each_accepted_value_makes_the_person_head_of_their_unit(app, world, coord_a, unit, flag):
    status, body = imports(coord_a, _row("H-1", "人事 課長", flag=flag), _row("H-2", "人事 主査"))
    assert status == 200 and body["errors"] == [], body
    assert heads_of(app, world.muni_a) == {UNIT: ("H-1", None)}


def test_a_deputy_beside_the_head_and_the_job_title_kept(app, world, coord_a, unit):
    status, body = imports(
        coord_a,
        _row("H-1", "人事 課長", title="課長", flag="所属長"),
        _row("H-2", "人事 補佐", title="課長補佐", flag="代理"),
    )
    assert status == 200, body
    assert heads_of(app, world.muni_a) == {UNIT: ("H-1", "H-2")}
    people = people_of(world.muni_a)
    assert (people["H-1"].job_title, people["H-2"].job_title) == ("課長", "課長補佐")


def test_an_empty_cell_changes_nothing(app, world, coord_a, unit):
    imports(coord_a, _row("H-1", "人事 課長", flag="所属長"), _row("H-2", "人事 補佐", flag="代理"))
    # The next year's file: the column is there, every cell empty; and a file without it.
    imports(coord_a, _row("H-1", "人事 課長"), _row("H-2", "人事 補佐"))
    imports(coord_a, "H-1,人事 課長", "H-2,人事 補佐", header="職員番号,氏名\r\n")
    assert heads_of(app, world.muni_a) == {UNIT: ("H-1", "H-2")}


@pytest.mark.parametrize("flag", ["課長", "×", "0", "no", "副"])
def test_a_bad_value_is_a_row_error_and_nothing_is_imported(app, world, coord_a, unit, flag):
    before = len(people_of(world.muni_a))
    status, body = imports(
        coord_a, _row("H-1", "人事 課長", flag="所属長"), _row("H-2", "誤り", flag=flag)
    )
    assert status == 422
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(3, "所属長")]
    message = body["errors"][0]["message"]
    assert "所属長" in message and "代理" in message and "はい" in message
    assert len(people_of(world.muni_a)) == before and heads_of(app, world.muni_a) == {}


def test_two_heads_of_one_unit_in_a_file_are_an_error_on_both_rows(app, world, coord_a, unit):
    status, body = imports(
        coord_a,
        _row("H-1", "人事 一", flag="所属長"),
        _row("H-2", "人事 二"),
        _row("H-3", "人事 三", flag="○"),
    )
    assert status == 422
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "所属長"), (4, "所属長")]
    assert "2, 4" in body["errors"][0]["message"] and UNIT in body["errors"][0]["message"]
    assert heads_of(app, world.muni_a) == {} and "H-1" not in people_of(world.muni_a)


def test_a_deputy_without_a_head_is_an_error(app, world, coord_a, unit):
    status, body = imports(coord_a, _row("H-2", "人事 補佐", flag="代理"))
    assert status == 422 and body["errors"][0]["row"] == 2


def test_a_row_without_a_unit_cannot_head_one(app, world, coord_a, unit):
    status, body = imports(coord_a, _row("H-1", "無所属", unit="", flag="所属長"))
    assert status == 422 and body["errors"][0]["column"] == "所属長"


def test_the_head_moving_units_heads_the_new_one_and_a_successor_takes_the_old(
    app, world, coord_a, unit
):
    imports(coord_a, _row("H-1", "人事 課長", flag="所属長"), _row("H-2", "人事 補佐", flag="代理"))
    # April: H-1 moves to a new 企画課 as its head; the deputy H-2 succeeds them in 人事課.
    status, body = imports(
        coord_a,
        _row("H-1", "人事 課長", unit="総務部/企画課", flag="所属長"),
        _row("H-2", "人事 補佐", flag="所属長"),
    )
    assert status == 200, body
    assert heads_of(app, world.muni_a) == {UNIT: ("H-2", None), "総務部/企画課": ("H-1", None)}


def test_a_head_who_moves_without_a_successor_stays_head_until_the_coordinator_changes_it(
    app, world, coord_a, unit
):
    imports(coord_a, _row("H-1", "人事 課長", flag="所属長"))
    imports(coord_a, _row("H-1", "人事 課長", unit="総務部"))
    assert heads_of(app, world.muni_a) == {UNIT: ("H-1", None)}


def test_a_new_head_is_in_the_audit_entry_of_the_import(app, world, coord_a, unit):
    imports(coord_a, _row("H-1", "人事 課長", flag="所属長"))
    imports(coord_a, _row("H-1", "人事 課長"), _row("H-2", "人事 新課長", flag="所属長"))
    people = people_of(world.muni_a)
    with app.app_context(), acting_as(db.session, world.muni_a):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "roster.import").order_by(AuditEntry.id)
        ).all()
        # No heads.set entry of its own: the import's entry says it.
        assert not db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "heads.set")
        )
    first, second = (e.detail["heads"] for e in entries)
    assert first[0]["org_unit"] == UNIT
    assert first[0]["before"] == {"head_id": None, "deputy_id": None}
    assert first[0]["after"] == {"head_id": people["H-1"].id, "deputy_id": None}
    assert second[0]["before"]["head_id"] == people["H-1"].id
    assert second[0]["after"]["head_id"] == people["H-2"].id
    assert entries[1].detail["counts"]["heads_changed"] == 1


def test_the_preview_shows_the_change_of_head(app, world, as_coordinator_a, unit):
    from tests.test_roster_pages import upload

    rows = (_row("H-1", "人事 課長", title="課長", flag="所属長"),)
    resp = upload(as_coordinator_a, csv_bytes(*rows, header=HEADER))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'data-testid="roster-heads"' in page
    assert UNIT in page and "— → 人事 課長" in page


def _workbook(rows: list[list[str]]) -> bytes:
    from regional.people.roster_export import to_xlsx

    head = ["職員番号", "氏名", "メールアドレス", "所属", "役職", "所属長"]
    return to_xlsx(head + ["", ""], [r + ["", ""] for r in rows], "名簿")


def test_an_xlsx_file_sets_heads_too(app, world, coord_a, unit):
    rows = [
        ["X-1", "表 課長", f"x-1@{DOMAIN_A}", UNIT, "課長", "所属長"],
        ["X-2", "表 補佐", f"x-2@{DOMAIN_A}", UNIT, "課長補佐", "代理"],
    ]
    resp = post_roster(coord_a, _workbook(rows), name="名簿.xlsx", commit="true")
    assert resp.status_code == 200, resp.get_json()
    assert heads_of(app, world.muni_a) == {UNIT: ("X-1", "X-2")}


@pytest.mark.parametrize(
    "url",
    [
        "/people/roster/export.csv",
        "/people/roster/export.csv?encoding=utf-8",
        "/people/roster/export.xlsx",
    ],
)
def test_the_export_writes_both_columns_and_imports_again_unchanged(
    app, world, coord_a, as_coordinator_a, unit, url
):
    status, _body = imports(
        coord_a,
        _row("H-1", "人事 課長", title="課長", flag="所属長"),
        _row("H-2", "人事 補佐", title="課長補佐", flag="代理"),
        _row("H-3", "人事 主事", title="主事"),
    )
    assert status == 200
    exported = as_coordinator_a.get(url).data
    if url.endswith(".csv"):
        text = exported.decode("utf-8-sig" if "utf-8" in url else "cp932")
        rows = {r[0]: r for r in csv.reader(io.StringIO(text))}
        assert rows["職員番号"][-2:] == ["役職", "所属長"]
        assert rows["H-1"][-2:] == ["課長", "所属長"]
        assert rows["H-2"][-2:] == ["課長補佐", "代理"]
        assert rows["H-3"][-2:] == ["主事", ""]
    resp = post_roster(
        coord_a, exported, name="r.xlsx" if "xlsx" in url else "r.csv", commit="true"
    )
    body = resp.get_json()
    assert body["errors"] == [] and (body["created"], body["updated"]) == (0, 0), body
    with app.app_context(), acting_as(db.session, world.muni_a):
        last = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "roster.import")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert last.detail["heads"] == []
    assert heads_of(app, world.muni_a) == {UNIT: ("H-1", "H-2")}
