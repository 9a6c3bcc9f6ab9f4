"""Can a mayor, a council or a 課長 read the figures on one page, and are they the dashboards'?

The council page (議会・庁内報告用) arranges what ``region_progress`` and
``municipality_progress`` return, judged on the same day: every cell of the page and of
its XLSX is compared here with those functions' figure for that member and target, for
every member of the region, on data where several members have targets and completions.
"""

from __future__ import annotations

import html
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from regional import fiscal
from regional.dashboards import tables
from regional.extensions import db
from regional.main.helpers import local_day
from regional.targets.models import Measure
from regional.targets.progress import municipality_progress, region_progress
from tenants import all_tenants
from tenants.models import Municipality, OrgLevel
from tests import factories
from tests.conftest import CODE_A, CODE_ADMIN, CODE_B
from tests.fixtures_registrations import english
from tests.fixtures_sessions import within
from tests.fixtures_targets import DIGITAL, PM, complete, complete_all, target

TODAY = date(2026, 11, 29)  # two thirds into 令和8年度
FY = 2026
KEYS = ("advanced", "core_digital", "core_pm", "literacy_required", "literacy_elective", "security")


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """One fixed day in Japan for the pages and for the figures they are compared with."""
    monkeypatch.setattr(fiscal, "today", lambda: TODAY)


@pytest.fixture(autouse=True)
def _english(request):
    for name in ("as_coordinator_a", "as_coordinator_b", "as_admin"):
        if name in request.fixturenames:
            english(request.getfixturevalue(name))


def _people_in(muni: int, section, n: int, codes, day: date) -> None:
    for _ in range(n):
        person = factories.make_user(muni, org_unit_id=section.id)
        complete_all(muni, person.id, codes, day)


@pytest.fixture
def council_data(app, world):
    """Three members with targets and people: every status, coverage, a gap in the grid.

    A (津山市): all six targets; core people in two of its three divisions and sections.
    B (玉野市): four targets (no advanced, no elective literacy); one core digital person.
    Okayama City: two targets, one achieved. The other ten members: no target at all.
    """
    with within(app):
        for key, n in zip(KEYS, (3, 6, 8, 40, 10, 50), strict=True):
            end = 2026 if key == "advanced" else (2027 if key.startswith("core") else None)
            target(world.muni_a, key, n, start=2024, end=end)
        for key, n in (("core_digital", 4), ("core_pm", 5), ("literacy_required", 20)):
            target(world.muni_b, key, n, start=2024, end=None if "lit" in key else 2027)
        target(world.muni_b, "security", 30, start=2024)
        target(world.muni_admin, "security", 2, start=2024)
        target(world.muni_admin, "core_digital", 190, start=2024, end=2027)

        dept = factories.make_org_unit(world.muni_a, "総務局", OrgLevel.DEPARTMENT)
        sections = []
        for i in range(3):
            div = factories.make_org_unit(world.muni_a, f"第{i}課", OrgLevel.DIVISION, dept)
            sections.append(
                factories.make_org_unit(world.muni_a, f"第{i}係", OrgLevel.SECTION, div)
            )
        _people_in(world.muni_a, sections[0], 2, DIGITAL, date(2025, 6, 1))
        _people_in(world.muni_a, sections[1], 1, DIGITAL, date(2026, 6, 1))
        _people_in(world.muni_a, sections[0], 2, PM, date(2026, 5, 1))
        _people_in(world.muni_a, sections[2], 1, PM, date(2026, 7, 1))
        for i in range(12):
            person = factories.make_user(world.muni_a, org_unit_id=sections[i % 3].id)
            complete(world.muni_a, person.id, "GEN-SEC-101", date(2026, 4 + i % 6, 10))
            if i < 5:
                complete(world.muni_a, person.id, "GEN-LIT-101", date(2026, 9, 2))
        complete(world.muni_a, world.employee_a, "GEN-SEC-101", date(2025, 6, 1))

        b_div = factories.make_org_unit(world.muni_b, "企画課", OrgLevel.DIVISION)
        b_sec = factories.make_org_unit(world.muni_b, "企画係", OrgLevel.SECTION, b_div)
        _people_in(world.muni_b, b_sec, 1, DIGITAL, date(2026, 8, 1))
        for i in range(3):
            person = factories.make_user(world.muni_b, org_unit_id=b_sec.id)
            complete(world.muni_b, person.id, "GEN-SEC-101", date(2026, 10, 1 + i))
        for i in range(2):
            person = factories.make_user(world.muni_admin)
            complete(world.muni_admin, person.id, "GEN-SEC-101", date(2026, 5, 1 + i))


# -- reading the page -------------------------------------------------------------------

_CELL = re.compile(
    r'<td class="cc[^"]*" data-member="([^"]+)" data-key="([^"]+)">(.*?)</td>', re.DOTALL
)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split()


def _span(fragment: str, cls: str) -> str | None:
    m = re.search(rf'<span class="{cls}[^"]*">(.*?)</span>', fragment, re.DOTALL)
    return None if m is None else " ".join(_text(m.group(1)))


def _cells(page: str) -> dict[tuple[str, str], str]:
    body = page.split('data-testid="council-matrix"', 1)[1].split("</table>", 1)[0]
    return {(member, key): inner for member, key, inner in _CELL.findall(body)}


def _expected_cell(tp) -> dict[str, str | None]:
    """What the dashboards' figure reads as in a cell: counted / target, share, standing."""
    if tp is None:
        return {"count": None, "rate": None, "status": None, "none": "No target set"}
    return {
        "count": f"{tp.achieved:,} / {tp.target:,}",
        "rate": f"{tables.rate(tp) * 100:.1f}%",
        "status": tables.standing(tp),
        "none": None,
    }


def _read_cell(inner: str) -> dict[str, str | None]:
    return {
        "count": _span(inner, "cc-count"),
        "rate": _span(inner, "cc-rate"),
        "status": _span(inner, "status-word"),
        "none": _span(inner, "muted"),
    }


def _members(app):
    with app.app_context(), all_tenants(db.session):
        return [(m.id, m.code, m.name_en) for m in db.session.scalars(Municipality.ordered())]


def _measure_keys(app) -> list[str]:
    with app.app_context():
        return [m.key for m in db.session.scalars(Measure.ordered())]


def _dashboard(app):
    """The dashboards' figures, from their own functions, on the same day, in English."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask import session

        session["lang"] = "en"
        rp = region_progress(db.session, FY, today=TODAY)
        figures = {(mp.code, tp.key): _expected_cell(tp) for mp in rp.members for tp in mp.targets}
        totals = {tp.key: _expected_cell(tp) for tp in rp.totals}
        coverage = {}
        for mid, code, _name in _members(app):
            cov = municipality_progress(db.session, mid, FY, today=TODAY).coverage
            coverage[code] = (
                f"Divisions {cov.divisions_covered} / {cov.divisions_total} "
                f"Sections {cov.sections_covered} / {cov.sections_total}",
                cov,
            )
        return rp, figures, totals, coverage


# -- the region's matrix -----------------------------------------------------------------


def test_every_cell_of_the_council_page_is_the_dashboards_figure(app, as_admin, council_data):
    page = as_admin.get(f"/progress/region/council?fy={FY}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    cells = _cells(body)
    rp, figures, totals, coverage = _dashboard(app)
    members = _members(app)
    keys = _measure_keys(app)
    assert len(members) == 13 and len(keys) == 6
    # Rows in the members' order, columns in the measures' order, the totals last.
    table = body.split('data-testid="council-matrix"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<th scope="row" data-member="([^"]+)"', table) == [
        code for _id, code, _n in members
    ] + ["region"]
    assert re.findall(r'<th scope="col" data-key="([^"]+)"', table) == keys
    checked = 0
    for _id, code, _name in members:
        for key in keys:
            assert _read_cell(cells[(code, key)]) == figures.get(
                (code, key), _expected_cell(None)
            ), (code, key)
            checked += 1
        text, _cov = coverage[code]
        assert " ".join(_text(cells[(code, "coverage")])) == text, code
    for key in keys:
        assert _read_cell(cells[("region", key)]) == totals.get(key, _expected_cell(None)), key
    assert checked == 78
    # The data is not one-sided: several members, several statuses, real coverage.
    statuses = {tp.status for mp in rp.members for tp in mp.targets}
    assert {"achieved", "behind", "not_started"} <= statuses, statuses
    assert len({code for code, _key in figures}) == 3
    assert coverage[CODE_A][1].divisions_covered == 2 and coverage[CODE_A][1].sections_covered == 1


def test_the_regional_totals_are_the_line_on_the_summed_target(app, as_admin, council_data):
    """The last row is ``RegionProgress.totals``: summed targets, one line rounded up once."""
    rp, _figures, totals, _coverage = _dashboard(app)
    security = next(t for t in rp.totals if t.key == "security")
    members = [t for mp in rp.members for t in mp.targets if t.key == "security"]
    assert security.target == sum(t.target for t in members) == 50 + 30 + 2
    assert security.achieved == sum(t.achieved for t in members)
    cells = _cells(as_admin.get(f"/progress/region/council?fy={FY}").get_data(as_text=True))
    assert _read_cell(cells[("region", "security")])["count"] == (
        f"{security.achieved} / {security.target}"
    )


def test_the_caption_names_the_year_and_the_day_and_the_rule_is_said(as_admin, council_data):
    body = as_admin.get(f"/progress/region/council?fy={FY}").get_data(as_text=True)
    caption = body.split('id="council-cap">', 1)[1].split("</caption>", 1)[0]
    assert "FY2026 (Reiwa 8)" in caption and "Sun 29 Nov 2026" in caption
    assert "Each cell: people counted / target" in caption
    assert str(tables.PLAN_RULE).split(",")[0] in html.unescape(body)
    assert "divisions (課 and 課相当) with at least one core" in body
    # A real table: a caption, scoped headers, a labelled scrolling frame.
    assert '<th scope="col">' in body and '<th scope="row"' in body
    assert 'role="region" aria-labelledby="council-cap" tabindex="0"' in body
    ids = [i for i in re.findall(r' id="([^"]+)"', body) if i != "csrf_token"]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert "css/council.css" in body


def test_a_past_year_is_judged_on_its_last_day(app, as_admin, council_data):
    body = as_admin.get("/progress/region/council?fy=2025").get_data(as_text=True)
    caption = body.split('id="council-cap">', 1)[1].split("</caption>", 1)[0]
    assert "FY2025 (Reiwa 7)" in caption and "31 Mar 2026" in caption
    with app.test_request_context():
        rp = region_progress(db.session, 2025, today=TODAY)
        a = next(mp for mp in rp.members if mp.code == CODE_A)
        security = next(t for t in a.targets if t.key == "security")
    cell = _read_cell(_cells(body)[(CODE_A, "security")])
    assert cell["count"] == f"{security.achieved} / {security.target}" == "1 / 50"
    assert '<option selected value="2025">' in body


def test_the_print_stylesheet_makes_one_a4_landscape_page(app):
    css = app.static_folder + "/css/council.css"
    with open(css, encoding="utf-8") as fh:
        text = fh.read()
    assert "@page { size: A4 landscape" in text


def test_the_xlsx_is_one_sheet_in_the_same_shape(app, as_admin, council_data):
    resp = as_admin.get(f"/progress/region/council.xlsx?fy={FY}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].endswith(f'council-region-FY{FY}.xlsx"')
    wb = load_workbook(io.BytesIO(resp.data))
    assert len(wb.sheetnames) == 1
    ws = wb[wb.sheetnames[0]]
    rp, figures, totals, coverage = _dashboard(app)
    keys = _measure_keys(app)
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "Municipality")
    # One group of four columns per target, in the measures' order, named in the row above.
    labels = {t.key: t.label for t in rp.totals}
    for i, key in enumerate(keys):
        group = ws.cell(header - 1, 2 + 4 * i).value
        assert group == labels.get(key, group)
        assert [ws.cell(header, 2 + 4 * i + j).value for j in range(4)] == [
            "Counted",
            "Target (people)",
            "Share of target",
            "Standing",
        ]
    assert ws.freeze_panes == f"B{header + 1}"
    setup = ws.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 1)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        by_code = {
            mp.code: {tp.key: tp for tp in mp.targets}
            for mp in region_progress(db.session, FY, today=TODAY).members
        }
        region = {tp.key: tp for tp in region_progress(db.session, FY, today=TODAY).totals}
        members = _members(app)
        for offset, (_id, code, name) in enumerate(members + [(None, "region", None)]):
            row = header + 1 + offset
            assert ws.cell(row, 1).value == (name or "Regional totals")
            targets = region if code == "region" else by_code[code]
            for i, key in enumerate(keys):
                tp = targets.get(key)
                got = [ws.cell(row, 2 + 4 * i + j) for j in range(4)]
                if tp is None:
                    assert [c.value for c in got] == [None, None, None, "No target set"]
                    continue
                assert [c.value for c in got] == [
                    tp.achieved,
                    tp.target,
                    pytest.approx(tables.rate(tp)),
                    tables.standing(tp),
                ], (code, key)
                assert got[2].number_format == "0.0%" and got[0].number_format == "#,##0"
            cov_col = 2 + 4 * len(keys)
            values = [ws.cell(row, cov_col + j).value for j in range(4)]
            if code == "region":
                assert values == [None] * 4
            else:
                cov = coverage[code][1]
                assert values == [
                    cov.divisions_covered,
                    cov.divisions_total,
                    cov.sections_covered,
                    cov.sections_total,
                ]
    notes = [ws.cell(r, 1).value or "" for r in range(header + 15, ws.max_row + 1)]
    assert any(n.startswith("The plan line rises evenly") for n in notes)


# -- one member's report ----------------------------------------------------------------


def _member_figures(app, muni: int):
    with app.test_request_context():
        from flask import session

        session["lang"] = "en"
        mp = municipality_progress(db.session, muni, FY, today=TODAY)
        rows = {
            tp.key: [
                f"{tp.achieved:,} / {tp.target:,}",
                "—" if tp.expected_by_now is None else f"{tp.expected_by_now:,}",
                f"{tables.rate(tp) * 100:.1f}%",
                tables.standing(tp),
                local_day(tp.next_due_on) if tp.next_due_on else "— Nothing due",
            ]
            for tp in mp.targets
        }
        sheet = [
            [
                tp.label,
                tables.period_text(tp),
                tp.achieved,
                tp.target,
                tp.expected_by_now,
                pytest.approx(tables.rate(tp)),
                tables.standing(tp),
            ]
            for tp in mp.targets
        ]
        return mp, rows, sheet


def _check_member_page(app, client, muni: int, code: str):
    """Every figure of a member's report page is its dashboard's: targets, coverage, trend."""
    page = client.get(f"/progress/m/{code}/council?fy={FY}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    mp, expected, _sheet = _member_figures(app, muni)
    table = body.split('data-testid="council-targets"', 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', table, re.DOTALL))
    assert list(rows) == [tp.key for tp in mp.targets]
    for key, row in rows.items():
        got = [
            " ".join(_text(re.search(rf'class="[^"]*{c}[^"]*"[^>]*>(.*?)</td>', row, re.DOTALL)[1]))
            for c in ("cc-count", "cc-plan", "cc-rate", "status-word", "cc-due")
        ]
        got[3] = _span(row, "status-word")
        assert got == expected[key], (code, key)
    cov_table = body.split('data-testid="council-coverage"', 1)[1].split("</table>", 1)[0]
    cov = mp.coverage
    cov_rows = dict(re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', cov_table, re.DOTALL))
    for key, covered, total in (
        ("divisions", cov.divisions_covered, cov.divisions_total),
        ("sections", cov.sections_covered, cov.sections_total),
    ):
        shown = re.search(r'class="num cc-count">(.*?)</td>', cov_rows[key])[1]
        assert shown == f"{covered} / {total}", (code, key)
    trend = body.split('data-testid="council-trend"', 1)[1].split("</table>", 1)[0]
    trend_rows = dict(re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', trend, re.DOTALL))
    for tp in mp.targets:
        cells = dict(re.findall(r'data-fy="(\d+)">([\d,]+)</td>', trend_rows[tp.key]))
        assert {int(y): int(n.replace(",", "")) for y, n in cells.items()} == dict(tp.by_year)
    assert "FY2026 (Reiwa 8)" in body and "Sun 29 Nov 2026" in body
    assert "css/council.css" in body and 'aria-labelledby="member-cap"' in body
    return mp


def _check_member_xlsx(app, client, muni: int, code: str):
    """The member's one sheet holds the same figures, as numbers, dates and percentages."""
    resp = client.get(f"/progress/m/{code}/council.xlsx?fy={FY}")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].endswith(f'council-{code}-FY{FY}.xlsx"')
    wb = load_workbook(io.BytesIO(resp.data))
    assert len(wb.sheetnames) == 1
    ws = wb[wb.sheetnames[0]]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value == "Target")
    assert ws.freeze_panes == f"A{header + 1}"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    mp, _rows, sheet = _member_figures(app, muni)
    for i, tp in enumerate(mp.targets):
        row = [ws.cell(header + 1 + i, j).value for j in range(1, 9)]
        assert row[:7] == sheet[i], (code, tp.key)
        assert (None if row[7] is None else row[7].date()) == tp.next_due_on
        assert ws.cell(header + 1 + i, 6).number_format == "0.0%"
    values = [[c.value for c in r] for r in ws.iter_rows()]
    cov = mp.coverage
    for label, covered, total in (
        ("Divisions", cov.divisions_covered, cov.divisions_total),
        ("Sections", cov.sections_covered, cov.sections_total),
    ):
        row = next(r for r in values if r[0] == label)
        assert row[1:4] == [covered, total, pytest.approx(covered / total) if total else None]
    trend_header = next(i for i, r in enumerate(values) if r[0] == "Target" and r[1] != "Period")
    for tp in mp.targets:
        row = next(r for r in values[trend_header:] if r[0] == tp.label)
        assert row[1 : 1 + len(tp.by_year)] == [n for _fy, n in tp.by_year], (code, tp.key)
    return mp


def test_a_coordinators_report_is_their_dashboards_figures(
    app, world, as_coordinator_a, council_data
):
    mp = _check_member_page(app, as_coordinator_a, world.muni_a, CODE_A)
    assert [tp.key for tp in mp.targets] == list(KEYS)
    assert any(tp.next_due_on for tp in mp.targets)  # a due day is shown somewhere
    assert mp.coverage.divisions_covered == 2 and mp.coverage.divisions_total > 2
    _check_member_xlsx(app, as_coordinator_a, world.muni_a, CODE_A)


def test_every_members_report_page_and_sheet_is_its_dashboards(app, world, as_admin, council_data):
    for muni, code in (
        (world.muni_a, CODE_A),
        (world.muni_b, CODE_B),
        (world.muni_admin, CODE_ADMIN),
    ):
        mp = _check_member_page(app, as_admin, muni, code)
        _check_member_xlsx(app, as_admin, muni, code)
        assert mp.targets, code
    assert _check_member_xlsx(app, as_admin, world.muni_b, CODE_B).coverage.divisions_covered == 1


# -- who reaches what, and where it is linked ---------------------------------------------


def test_who_reaches_the_council_pages(as_coordinator_a, as_coordinator_b, as_admin, council_data):
    assert as_coordinator_a.get(f"/progress/m/{CODE_A}/council").status_code == 200
    assert as_coordinator_a.get(f"/progress/m/{CODE_A}/council.xlsx").status_code == 200
    assert as_coordinator_b.get(f"/progress/m/{CODE_A}/council").status_code == 404
    assert as_coordinator_b.get(f"/progress/m/{CODE_A}/council.xlsx").status_code == 404
    assert as_coordinator_a.get("/progress/region/council").status_code == 403
    assert as_coordinator_a.get("/progress/region/council.xlsx").status_code == 403
    for code in (CODE_A, CODE_B, CODE_ADMIN):
        assert as_admin.get(f"/progress/m/{code}/council").status_code == 200


def test_the_region_page_opens_with_the_matrix_and_folds_the_long_list(app, as_admin, council_data):
    body = as_admin.get(f"/progress/region?fy={FY}").get_data(as_text=True)
    matrix = body.index('data-testid="council-matrix"')
    assert matrix < body.index('id="behind-h"') < body.index('id="totals-h"')
    behind = body.split('id="behind-h"', 1)[1].split("</section>", 1)[0]
    assert "<details" in behind and "<summary>" in behind and "behind plan, one row each" in behind
    assert f'href="/progress/region/council?fy={FY}"' in body
    # The matrix there is the same function's, without coverage (the region page skips it).
    cells = _cells(body)
    _rp, figures, totals, _coverage = _dashboard(app)
    for (code, key), want in figures.items():
        assert _read_cell(cells[(code, key)]) == want, (code, key)
    assert not any(key == "coverage" for _code, key in cells)
    member = as_admin.get(f"/progress/m/{CODE_A}?fy={FY}").get_data(as_text=True)
    assert f'href="/progress/m/{CODE_A}/council?fy={FY}"' in member


def test_the_print_of_the_region_keeps_the_list_open(as_admin, council_data):
    body = as_admin.get(f"/progress/region/print?fy={FY}").get_data(as_text=True)
    behind = body.split('id="behind-h"', 1)[1].split("</section>", 1)[0]
    assert "<details" not in behind and "<table class=" in behind


def test_without_targets_the_pages_say_so(as_admin, as_coordinator_a):
    region = as_admin.get("/progress/region/council").get_data(as_text=True)
    assert "No member has a target yet." in region and "council-matrix" not in region
    glance = as_admin.get("/progress/region").get_data(as_text=True)
    assert "council-matrix" not in glance
    member = as_coordinator_a.get(f"/progress/m/{CODE_A}/council").get_data(as_text=True)
    assert "No target is set for this municipality yet." in member
    assert as_admin.get("/progress/region/council.xlsx").status_code == 200
    assert as_coordinator_a.get(f"/progress/m/{CODE_A}/council.xlsx").status_code == 200


@pytest.mark.parametrize("fy", ["1e20", "9" * 30, "-1", "2100", "abc", "2025.5", "%EF%BC%92"])
def test_a_year_that_is_not_offered_shows_the_current_one(as_admin, fy):
    body = as_admin.get(f"/progress/region/council?fy={fy}").get_data(as_text=True)
    current = fiscal.fiscal_year_of(fiscal.now_utc())
    assert f'<option selected value="{current}">' in body
    assert as_admin.get(f"/progress/region/council.xlsx?fy={fy}").status_code == 200
    assert as_admin.get(f"/progress/m/{CODE_A}/council?fy={fy}").status_code == 200


@pytest.mark.parametrize("code", ["9" * 5000, "33203９", "000000", "332038%00", "..%2F331007"])
def test_a_code_that_names_no_member_is_not_found(as_admin, code):
    for suffix in ("/council", "/council.xlsx"):
        assert as_admin.get(f"/progress/m/{code}{suffix}").status_code in (400, 404), code
