"""A coordinator loads a CP932 roster in the browser: preview, fix, import, see people and units;
then the April roster that reorganises units, dated 1 April, choosing what to apply."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from regional import fiscal
from regional.extensions import db
from tenants.models import OrgLevel, OrgUnit, OrgUnitEvent, OrgUnitEventKind
from tenants.scoping import acting_as
from tests import factories
from tests.e2e.helpers import audit, sign_in

DOMAIN = "city.tsuyama.lg.jp"


def _roster(third_address: str) -> bytes:
    rows = [
        "職員番号,氏名,メールアドレス,所属,職種",
        f"E2E-R-001,名簿 一郎,roster1@{DOMAIN},名簿局/名簿推進課/第一係,行政職",
        f"Ｅ２Ｅ－Ｒ－００２,名簿 二子,{third_address},名簿局/名簿推進課/第一係,技術職",
        f"E2E-R-003,名簿 三郎,roster3@{DOMAIN},名簿局/名簿推進室,行政職",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def _upload(page, data: bytes) -> None:
    page.goto("/people/roster")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "職員名簿.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.locator("form[action$='/people/roster'] button[type=submit]").click()


def test_a_coordinator_imports_a_cp932_roster(page, world, live_server):
    sign_in(page, world.emails["coordinator_a"])
    page.goto("/people/roster")
    audit(page, "roster upload")

    _upload(page, _roster("someone@example.com"))  # line 3: not this municipality's domain
    problems = page.locator(".error-summary")
    expect(problems).to_be_visible()
    expect(page.locator("table td.num", has_text="3").first).to_be_visible()
    expect(page.locator("form[action$='/people/roster/confirm']")).to_have_count(0)
    audit(page, "roster preview with a problem")

    _upload(page, _roster(f"roster2@{DOMAIN}"))  # the file, fixed
    expect(page.locator("form[action$='/people/roster/confirm']")).to_be_visible()
    expect(page.get_by_text("名簿局/名簿推進課/第一係").first).to_be_visible()
    audit(page, "roster preview, ready")

    page.locator("form[action$='/people/roster/confirm'] button[type=submit]").click()
    page.wait_for_url("**/people/roster/done")
    audit(page, "roster imported")

    page.goto("/people/?q=E2E-R-002")
    expect(page.get_by_text("名簿 二子")).to_be_visible()
    page.goto("/people/units")
    expect(page.locator(".tree-name", has_text="名簿推進室")).to_be_visible()


def _reorganised_tree(live_server, m: int) -> dict:
    """改編局 with 情報政策課 (企画係), 統計課 and 人事課, someone in each."""
    with live_server.db():
        dept = factories.make_org_unit(m, "改編局", OrgLevel.DEPARTMENT)
        policy = factories.make_org_unit(m, "情報政策課", OrgLevel.DIVISION, dept)
        planning = factories.make_org_unit(m, "企画係", OrgLevel.SECTION, policy)
        stats = factories.make_org_unit(m, "統計課", OrgLevel.DIVISION, dept)
        hr = factories.make_org_unit(m, "人事課", OrgLevel.DIVISION, dept)
        people = [
            factories.make_user(m, email=f"reorg{i}@{DOMAIN}", name=f"改編 {i}", org_unit_id=u.id)
            for i, u in enumerate((planning, planning, stats, hr), start=1)
        ]
        lines = [
            f"{p.employee_number},{p.name},,{path},行政職"
            for p, path in zip(
                people,
                ("改編局/デジタル推進課/企画係",) * 2 + ("改編局/人事課", "改編局/人事課"),
                strict=True,
            )
        ]
        return {"policy": policy.id, "planning": planning.id, "stats": stats.id, "lines": lines}


def test_a_coordinator_imports_the_april_reorganisation(page, world, live_server):
    m = world.muni_a
    tree = _reorganised_tree(live_server, m)
    april = date(fiscal.fiscal_year_of(fiscal.today()), 4, 1)
    data = (
        "\r\n".join(["職員番号,氏名,メールアドレス,所属,職種", *tree["lines"]]) + "\r\n"
    ).encode("cp932")
    sign_in(page, world.emails["coordinator_a"])
    page.goto("/people/roster")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "4月1日付異動.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.locator("input[name=effective_on]").fill(april.isoformat())
    page.locator("form[action$='/people/roster'] button[type=submit]").click()

    section = page.locator("#reorganisation")
    expect(section).to_be_visible()
    expect(section.get_by_text("名称変更：情報政策課 → デジタル推進課")).to_be_visible()
    expect(section.get_by_text("統合：統計課 → 改編局/人事課")).to_be_visible()
    rename = section.get_by_role("checkbox", name="名称変更する 改編局/情報政策課")
    retire = section.get_by_role("checkbox", name="廃止する 改編局/統計課")
    expect(rename).to_be_checked()
    expect(retire).to_be_checked()
    audit(page, "roster preview with a reorganisation")
    retire.uncheck()  # 統計課 stays in use (a vacancy, say): only the rename is applied
    page.locator("form[action$='/people/roster/confirm'] button[type=submit]").click()
    page.wait_for_url("**/people/roster/done")
    expect(page.get_by_role("row", name="名称変更した所属")).to_contain_text("1")
    audit(page, "roster imported with a reorganisation")

    page.goto("/people/units")
    expect(page.locator(".tree-name", has_text="デジタル推進課")).to_be_visible()
    expect(page.locator(".tree-name", has_text="情報政策課")).to_have_count(0)
    with live_server.db(), acting_as(db.session, m):
        renamed = db.session.scalar(select(OrgUnit).where(OrgUnit.id == tree["policy"]))
        assert renamed.name == "デジタル推進課" and renamed.active
        stats = db.session.scalar(select(OrgUnit).where(OrgUnit.id == tree["stats"]))
        assert stats.active  # unticked: kept as it was
        kinds = {
            (e.unit_id, e.kind, e.on)
            for e in db.session.scalars(
                select(OrgUnitEvent).where(
                    OrgUnitEvent.unit_id.in_([tree["policy"], tree["stats"]])
                )
            )
        }
    assert kinds == {(tree["policy"], OrgUnitEventKind.RENAMED, april)}


def test_training_record_pages_pass_the_audit(page, world, live_server):
    """My record and a person's record (受講履歴) as the employee and their coordinator see them."""
    sign_in(page, world.emails["employee_a"])
    page.goto("/records/my-training/history")
    expect(page.locator("h1")).to_be_visible()
    audit(page, "my training record")
    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login")
    sign_in(page, world.emails["coordinator_a"])
    page.goto(f"/records/people/{world.employee_a}")
    expect(page.locator("h1")).to_be_visible()
    audit(page, "a person's training record")
