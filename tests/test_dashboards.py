"""Dashboards: a coordinator sees their own member's progress, an administrator the region.

Targets and completions are made directly (tests/fixtures_targets.py); the counting
itself is tested with progress.py. These tests check what people see: the year
selector, ahead/behind in words, drill-down, invitations, exports, the walls.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.mail.models import OutboundMail
from regional.people.models import JobCategory
from tenants import all_tenants
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_registrations import english
from tests.fixtures_targets import complete, target

FY = fiscal_year_of(now_utc())
TODAY = now_utc().date()


@pytest.fixture(autouse=True)
def _english(request):
    """Pages read in English, whatever catalogues are compiled."""
    for name in ("as_coordinator_a", "as_coordinator_b", "as_admin", "as_employee_a"):
        if name in request.fixturenames:
            english(request.getfixturevalue(name))


@pytest.fixture
def progress_data(app, world):
    """Tsuyama (A): a security target of 10 a year; employee A took security this year."""
    with app.app_context():
        target(world.muni_a, "security", 10, start=2024, population=400)
        target(world.muni_b, "security", 5, start=2024)
        day = max(date(FY, 4, 2), TODAY - timedelta(days=1))
        complete(world.muni_a, world.employee_a, "GEN-SEC-101", day)
        complete(world.muni_a, world.employee_a, "GEN-SEC-101", date(FY - 1, 6, 1))
        program = db.session.scalar(select(Program).where(Program.code == "GEN-SEC-102"))
        session = factories.make_session(program, capacity=30, starts_in=timedelta(days=20))
        db.session.commit()
        return {"session_id": session.id}


def test_a_coordinator_sees_their_targets_with_standing_in_words(as_coordinator_a, progress_data):
    page = as_coordinator_a.get(f"/progress/m/{CODE_A}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 / 10 (10%)" in html  # the chart's text
    assert "Behind plan by" in html or "Ahead of plan" in html or "On plan" in html
    assert '<svg class="chart-svg"' in html and '<table class="stack dash-table' in html
    assert 'href="/progress/m/332038/t/security?fy=' in html
    ids = [i for i in re.findall(r' id="([^"]+)"', html) if i != "csrf_token"]
    assert len(ids) == len(set(ids)), "duplicate ids"


def test_the_year_selector_offers_years_never_free_text(as_coordinator_a, progress_data):
    html = as_coordinator_a.get(f"/progress/m/{CODE_A}?fy=2025").get_data(as_text=True)
    assert '<select id="fy" name="fy"' in html
    assert '<option selected value="2025">' in html
    assert 'value="2024"' in html and f'value="{FY}"' in html
    assert 'type="text" name="fy"' not in html
    # A year that is not offered (or not a year) falls back to the current one.
    for bad in ("1999", "abc", "2100", "-1"):
        html = as_coordinator_a.get(f"/progress/m/{CODE_A}?fy={bad}").get_data(as_text=True)
        assert f'<option selected value="{FY}">' in html


def test_the_year_changes_the_figures(as_coordinator_a, progress_data):
    last = as_coordinator_a.get(f"/progress/m/{CODE_A}?fy={FY - 1}").get_data(as_text=True)
    assert "1 / 10 (10%)" in last  # last year's completion counts in last year


def test_fiscal_years_are_labelled_both_ways(app):
    from flask_babel import force_locale

    from regional.dashboards.forms import fiscal_year_choices

    with app.test_request_context():
        day = date(2026, 11, 29)
        with force_locale("ja"):
            assert fiscal_year_choices(day)[0] == (2026, "令和8年度（2026年度）")
        with force_locale("en"):
            assert fiscal_year_choices(day)[0] == (2026, "FY2026 (Reiwa 8)")
        assert [fy for fy, _label in fiscal_year_choices(day)] == [2026, 2025, 2024]


def test_a_coordinator_never_sees_another_members_dashboard(as_coordinator_b, progress_data):
    for path in (
        f"/progress/m/{CODE_A}",
        f"/progress/m/{CODE_A}/print",
        f"/progress/m/{CODE_A}/export.xlsx",
        f"/progress/m/{CODE_A}/export.csv",
        f"/progress/m/{CODE_A}/t/security",
        f"/progress/m/{CODE_A}/t/security/export.csv",
    ):
        assert as_coordinator_b.get(path).status_code == 404, path
    assert as_coordinator_b.get("/progress/region").status_code == 403


def test_employees_are_refused_before_anything_is_looked_up(as_employee_a, progress_data):
    assert as_employee_a.get(f"/progress/m/{CODE_A}").status_code == 403
    assert as_employee_a.get("/progress/").status_code == 403


def test_the_entry_shows_each_role_their_dashboard(as_coordinator_a, as_admin, progress_data):
    own = as_coordinator_a.get("/progress/").get_data(as_text=True)
    assert "Progress: Tsuyama" in own and "1 / 10 (10%)" in own
    region = as_admin.get("/progress/").get_data(as_text=True)
    assert "Progress across the region" in region


def test_drill_down_lists_who_counts_and_who_does_not_yet(
    app, world, as_coordinator_a, progress_data
):
    counted = as_coordinator_a.get(f"/progress/m/{CODE_A}/t/security?fy={FY}&show=counted")
    html = counted.get_data(as_text=True)
    assert "髙橋 太郎" in html and "𠮷野 花子" not in html
    not_yet = as_coordinator_a.get(f"/progress/m/{CODE_A}/t/security?fy={FY}&show=not_yet")
    html = not_yet.get_data(as_text=True)
    assert "𠮷野 花子" in html and "髙橋 太郎" not in html
    assert "Check the invitation" in html  # a coming session of the target's programmes exists


def test_an_unknown_target_key_is_404(as_coordinator_a, progress_data):
    assert as_coordinator_a.get(f"/progress/m/{CODE_A}/t/nothing").status_code == 404


def test_inviting_mails_the_people_ticked_and_skips_other_members(
    app, world, as_coordinator_a, progress_data
):
    resp = as_coordinator_a.form_post(
        f"/progress/m/{CODE_A}/t/security/invite?fy={FY}",
        {
            "session_id": progress_data["session_id"],
            "people": [world.employee_a2, world.employee_b],
        },
    )
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        mails = factories.rendered(
            db.session.scalars(
                select(OutboundMail).execution_options(all_tenants=True).order_by(OutboundMail.id)
            )
        )
        to = [m.to_addr for m in mails]
    assert world.emails["employee_a2"] in to
    assert world.emails["employee_b"] not in to  # another member's person: never mailed
    body = next(m.body for m in mails if m.to_addr == world.emails["employee_a2"])
    assert f"/sessions/{progress_data['session_id']}" in body


def test_an_invitation_is_in_the_audit_trail_and_capped(
    app, world, as_coordinator_a, progress_data, monkeypatch
):
    from regional.audit.models import AuditEntry

    monkeypatch.setattr("regional.dashboards.views.MAX_INVITES", 1)
    extra = None
    with app.app_context():
        extra = factories.make_user(world.muni_a).id
        db.session.commit()
    url = f"/progress/m/{CODE_A}/t/security/invite?fy={FY}"
    session_id = progress_data["session_id"]
    too_many = as_coordinator_a.form_post(
        url, {"session_id": session_id, "people": [world.employee_a2, extra]}
    )
    page = as_coordinator_a.get(too_many.headers["Location"]).get_data(as_text=True)
    assert "At most 1 people can be invited at once." in page
    with app.app_context(), all_tenants(db.session):
        assert (
            db.session.scalar(select(OutboundMail.id).execution_options(all_tenants=True)) is None
        )
    as_coordinator_a.form_post(url, {"session_id": session_id, "people": [extra]})
    with app.app_context(), all_tenants(db.session):
        assert (
            len(list(db.session.scalars(select(OutboundMail).execution_options(all_tenants=True))))
            == 1
        )
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "progress.invite"))
        assert entry is not None and entry.municipality_id == world.muni_a
        assert entry.detail["sent"] == 1


def test_inviting_skips_people_already_registered(app, world, as_coordinator_a, progress_data):
    from regional.people.models import User
    from regional.registrations import actions
    from tenants.scoping import acting_as

    with app.app_context(), acting_as(db.session, world.muni_a):
        person = db.session.get(User, world.employee_a2)
        actions.register(progress_data["session_id"], person, person)
        db.session.commit()
    as_coordinator_a.form_post(
        f"/progress/m/{CODE_A}/t/security/invite?fy={FY}",
        {"session_id": progress_data["session_id"], "people": [world.employee_a2]},
    )
    with app.app_context(), all_tenants(db.session):
        subjects = [
            m.subject
            for m in factories.rendered(
                db.session.scalars(
                    select(OutboundMail)
                    .execution_options(all_tenants=True)
                    .where(OutboundMail.to_addr == world.emails["employee_a2"])
                )
            )
        ]
    assert not any("Invitation" in s or "案内" in s for s in subjects)


def test_inviting_refuses_a_session_not_offered(world, as_coordinator_a, progress_data):
    other = None
    with as_coordinator_a.application.app_context():
        other = factories.make_session(capacity=5, starts_in=timedelta(days=9)).id  # not security
        db.session.commit()
    resp = as_coordinator_a.form_post(
        f"/progress/m/{CODE_A}/t/security/invite?fy={FY}",
        {"session_id": other, "people": [world.employee_a2]},
    )
    assert resp.status_code == 302
    with as_coordinator_a.application.app_context(), all_tenants(db.session):
        assert (
            db.session.scalar(select(OutboundMail.id).execution_options(all_tenants=True)) is None
        )


def test_export_xlsx_is_a_workbook_with_japanese_sheets(as_coordinator_a, progress_data):
    resp = as_coordinator_a.get(f"/progress/m/{CODE_A}/export.xlsx?fy={FY}", headers={})
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].endswith(f'progress-{CODE_A}-FY{FY}.xlsx"')
    wb = load_workbook(io.BytesIO(resp.data))
    assert len(wb.sheetnames) == 3
    ws = wb[wb.sheetnames[0]]
    header = next(r for r in range(1, 8) if ws.cell(r, 2).value in ("Kind", "種類"))
    assert ws.freeze_panes == f"A{header + 1}"
    row = header + 1
    assert ws.cell(row, 4).value == 10 and ws.cell(row, 5).value == 1  # numbers, not text
    assert ws.cell(row, 8).number_format == "0.0%"


def test_export_csv_has_a_bom(as_coordinator_a, progress_data):
    resp = as_coordinator_a.get(f"/progress/m/{CODE_A}/export.csv?fy={FY}")
    assert resp.data.startswith("\ufeff".encode())
    assert as_coordinator_a.get(f"/progress/m/{CODE_A}/export.csv?table=x").status_code == 404
    drill = as_coordinator_a.get(f"/progress/m/{CODE_A}/t/security/export.csv?show=counted")
    assert "髙橋 太郎" in drill.data.decode("utf-8-sig")


def test_print_page_uses_the_print_stylesheet(as_coordinator_a, progress_data):
    html = as_coordinator_a.get(f"/progress/m/{CODE_A}/print").get_data(as_text=True)
    assert "css/dashboards.css" in html and "Figures as of" in html


def test_the_region_side_by_side_for_administrators(as_admin, progress_data):
    page = as_admin.get(f"/progress/region?fy={FY}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Tsuyama" in html or "津山市" in html
    assert f'href="/progress/m/{CODE_A}?fy={FY}"' in html
    assert f'href="/progress/m/{CODE_B}?fy={FY}"' in html
    ids = [i for i in re.findall(r' id="([^"]+)"', html) if i != "csrf_token"]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert as_admin.get(f"/progress/m/{CODE_B}?fy={FY}").status_code == 200
    wb = load_workbook(io.BytesIO(as_admin.get(f"/progress/region/export.xlsx?fy={FY}").data))
    assert len(wb.sheetnames) == 3
    assert as_admin.get("/progress/region/export.csv?table=sessions").status_code == 200
    assert as_admin.get("/progress/region/print").status_code == 200


def test_navigation_and_home_link_the_dashboard(as_coordinator_a, as_admin):
    html = as_coordinator_a.get("/").get_data(as_text=True)
    assert 'href="/progress/"' in html
    assert "this year and over the plan period" in html  # the home card
    admin = as_admin.get("/admin/").get_data(as_text=True)
    assert 'href="/progress/region"' in admin


# -- statements per page do not grow with people -----------------------------------


def _add_people(world, n: int) -> None:
    """People with completions, each in a section of their own (a 局/課/係 path to show)."""
    from tenants.models import OrgLevel

    dept = factories.make_org_unit(world.muni_a, f"局{n}", OrgLevel.DEPARTMENT)
    for k in range(n):
        div = factories.make_org_unit(world.muni_a, f"課{k}", OrgLevel.DIVISION, dept)
        sec = factories.make_org_unit(world.muni_a, f"係{k}", OrgLevel.SECTION, div)
        u = factories.make_user(
            world.muni_a, job_category=JobCategory.ADMINISTRATIVE, org_unit_id=sec.id
        )
        complete(world.muni_a, u.id, "GEN-SEC-101", date(FY, 4, 2 + k % 20))
        if k % 3 == 0:
            complete(world.muni_a, u.id, "CORE-DT-101", date(FY, 5, 1))
    db.session.commit()


def _statements(app, client, path: str) -> int:
    count = 0

    def on(*_args, **_kw):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", on)
    return count


@pytest.mark.parametrize(
    "path",
    [
        f"/progress/region?fy={FY}",
        f"/progress/m/{CODE_A}?fy={FY}",
        f"/progress/m/{CODE_A}/t/security?fy={FY}&show=counted",
    ],
)
def test_statements_per_dashboard_do_not_grow_with_people(app, world, as_admin, path):
    with app.app_context():
        for key, n in (("security", 10), ("core_digital", 3), ("core_pm", 2)):
            target(world.muni_a, key, n, start=2024, end=None if key == "security" else 2027)
        _add_people(world, 3)
    as_admin.get(path)  # warm: the loader's first-request statements
    few = _statements(app, as_admin, path)
    with app.app_context():
        _add_people(world, 40)
    many = _statements(app, as_admin, path)
    assert many == few, (few, many)


def test_qualification_holders_and_on_the_job_training_are_on_both_dashboards(
    app, world, as_coordinator_a, as_admin, progress_data
):
    from regional.growth.models import (
        OjtRecord,
        OjtStatus,
        Qualification,
        QualificationStatus,
    )
    from tenants.scoping import acting_as

    with app.app_context(), acting_as(db.session, world.muni_a):
        db.session.add(
            Qualification(
                employee_id=world.employee_a,
                exam_code="SC",
                passed_on=date(2025, 10, 1),
                certificate_number="SC-1",
                status=QualificationStatus.VERIFIED,
            )
        )
        db.session.add(
            OjtRecord(
                employee_id=world.employee_a,
                title="RPA導入",
                started_on=date(2025, 5, 1),
                status=OjtStatus.CONFIRMED,
            )
        )
        db.session.add(
            OjtRecord(employee_id=world.employee_a2, title="BPR", started_on=date(2025, 5, 1))
        )
        db.session.commit()

    def row(html: str, table: str, heading: str) -> list[str]:
        body = html.split(f'data-testid="{table}"', 1)[1].split("</table>", 1)[0]
        tr = next(t for t in body.split("<tr") if heading in t)
        return re.findall(r'<td class="num"[^>]*>(\d+)</td>', tr)

    mine = as_coordinator_a.get(f"/progress/m/{CODE_A}").get_data(as_text=True)
    assert row(mine, "qualification-holders", " SC ") == ["1"]
    assert row(mine, "ojt-counts", "Tsuyama") == ["1", "1", "1"]
    region = as_admin.get("/progress/region").get_data(as_text=True)
    # The 13 members side by side: Tsuyama's column holds the holder, the others none.
    assert sorted(row(region, "qualification-holders", " SC ")) == ["0"] * 12 + ["1"]
    assert row(region, "ojt-counts", "Tsuyama") == ["1", "1", "1"]
    assert row(region, "ojt-counts", "Tamano") == ["0", "0", "0"]


def test_each_csv_table_is_the_one_it_names(as_coordinator_a, as_admin, progress_data):
    """``?table=`` picks one sheet of the workbook (the first by default); an unknown one is 404."""
    base = f"/progress/m/{CODE_A}/export.csv?fy={FY}"
    first = as_coordinator_a.get(base)
    assert f"-FY{FY}-targets.csv" in first.headers["Content-Disposition"]
    assert first.data == as_coordinator_a.get(base + "&table=targets").data
    for name in ("trend", "coverage"):
        resp = as_coordinator_a.get(base + f"&table={name}")
        assert resp.status_code == 200 and f"-{name}.csv" in resp.headers["Content-Disposition"]
        assert resp.data != first.data
    region = f"/progress/region/export.csv?fy={FY}"
    assert "-members.csv" in as_admin.get(region).headers["Content-Disposition"]
    for name in ("totals", "sessions"):
        assert (
            f"-{name}.csv" in as_admin.get(region + f"&table={name}").headers["Content-Disposition"]
        )
    assert as_admin.get(region + "&table=targets").status_code == 404


# -- one macro for the dashboard tables: a table on a desktop, cards on a phone -----------


class _Tables(HTMLParser):
    """Each ``table.dash-table``: its column headers, and per body cell (tag, data-label)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "dash-table" in (a.get("class") or "").split():
            self.tables.append({"headers": [], "cells": []})
            self._in = "table"
        elif self._in and tag == "thead":
            self._in = "thead"
        elif self._in and tag == "tbody":
            self._in = "tbody"
        elif self._in == "thead" and tag == "th":
            self.tables[-1]["headers"].append("")
            self._in = "th"
        elif self._in == "tbody" and tag in ("td", "th"):
            self.tables[-1]["cells"].append((tag, a.get("data-label"), a.get("scope")))

    def handle_data(self, data):
        if self._in == "th":
            self.tables[-1]["headers"][-1] += data.strip()

    def handle_endtag(self, tag):
        if self._in == "th" and tag == "th":
            self._in = "thead"
        elif tag == "table":
            self._in = None


@pytest.mark.parametrize("path", [f"/progress/m/{CODE_A}", "/progress/region", "/targets/"])
def test_every_dashboard_table_cell_is_named_by_its_column(as_admin, progress_data, path):
    """On a phone each row is a card and each cell shows its column's name (data-label):
    every body cell but the row header carries one, and it is its column's header."""
    parser = _Tables()
    parser.feed(as_admin.get(path, headers={"Accept-Language": "ja"}).get_data(as_text=True))
    assert parser.tables, f"{path}: no dashboard table"
    for table in parser.tables:
        for tag, label, scope in table["cells"]:
            if tag == "th":
                assert scope == "row" and label is None
            else:
                assert label in table["headers"][1:], (path, label, table["headers"])
