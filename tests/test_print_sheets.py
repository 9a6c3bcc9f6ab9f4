"""A session's printable sheets: the sign-in sheet (出席簿) and the participant list (issue 9).

A4 print pages: No., 氏名, ふりがな (when anyone has one), 所属, 職種, 市町, and a box
to sign (出席簿) or the status (参加者名簿). A coordinator prints only their own
member's people; a regional administrator prints every member's, one after another.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from regional.extensions import db
from regional.people.models import JobCategory
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_sessions import register, within

EN = {"Accept-Language": "en"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def arranged(app, world):  # noqa: ANN001
    """A 3-seat shared session: two of A's people and one of B's enrolled, a third of A's waiting."""
    with within(app):
        ts = factories.make_session(capacity=3, starts_in=timedelta(days=12))
        dept = factories.make_org_unit(world.muni_a, "総務局", OrgLevel.DEPARTMENT)
        unit = factories.make_org_unit(world.muni_a, "デジタル推進課", OrgLevel.DIVISION, dept)
        first = factories.make_user(
            world.muni_a, name="岡田 一郎", org_unit_id=unit.id, job_category=JobCategory.TECHNICAL
        )
        with acting_as(db.session, world.muni_a):
            first.name_kana = "おかだ いちろう"
        second = factories.make_user(world.muni_a, name="<b>山田</b> 花子")
        waiting = factories.make_user(world.muni_a, name="待機 三郎")
        other = factories.make_user(world.muni_b, name="玉野 四郎")
        for person in (first, second, other, waiting):
            register(ts.id, person.id)
        return ts.id


def _rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1] if "<tbody>" in page else ""
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def test_the_sign_in_sheet_lists_the_enrolled_with_a_box_to_sign(app, as_coordinator_a, arranged):
    page = as_coordinator_a.get(
        f"/registrations/session/{arranged}/sign-in-sheet", headers=EN
    ).get_data(as_text=True)
    assert "Sign-in sheet" in page and "Signature" in page
    assert "岡田 一郎" in page and "おかだ いちろう" in page and "Furigana" in page
    assert "総務局/デジタル推進課" in page and "Technical" in page
    assert "&lt;b&gt;山田&lt;/b&gt; 花子" in page and "<b>山田</b>" not in page
    assert "待機 三郎" not in page  # waiting, not enrolled
    assert "玉野 四郎" not in page  # another member's
    assert len(_rows(page)) == 2
    assert 'href="/static/css/print_sheets.css"' in page


def test_the_participant_list_gives_each_status(app, as_coordinator_a, arranged):
    page = as_coordinator_a.get(
        f"/registrations/session/{arranged}/participants", headers=EN
    ).get_data(as_text=True)
    assert "Participant list" in page
    assert "待機 三郎" in page and "No. 1 on the waiting list" in page
    assert "玉野 四郎" not in page


def test_an_administrator_prints_every_member_one_after_another(app, as_admin, arranged, world):
    page = as_admin.get(f"/registrations/session/{arranged}/sign-in-sheet", headers=EN).get_data(
        as_text=True
    )
    sections = re.findall(r'<section class="sheet".*?</section>', page, re.S)
    assert len(sections) == 2
    assert "岡田 一郎" in sections[0] and "玉野 四郎" not in sections[0]
    assert "玉野 四郎" in sections[1] and "岡田 一郎" not in sections[1]
    # Each member's sheet is numbered from 1.
    assert re.search(r'col-no"[^>]*>1</td>', sections[1])


def test_no_furigana_column_when_nobody_has_one(app, as_coordinator_b, arranged):
    page = as_coordinator_b.get(
        f"/registrations/session/{arranged}/sign-in-sheet", headers=EN
    ).get_data(as_text=True)
    assert "玉野 四郎" in page and "Furigana" not in page


def test_an_empty_sheet_says_so(app, as_coordinator_a):
    with within(app):
        ts_id = factories.make_session(starts_in=timedelta(days=5)).id
    page = as_coordinator_a.get(
        f"/registrations/session/{ts_id}/sign-in-sheet", headers=EN
    ).get_data(as_text=True)
    assert "Nobody is enrolled yet." in page


def test_the_sheets_print_on_a4_without_the_site_header():
    css = (ROOT / "regional/static/css/print_sheets.css").read_text(encoding="utf-8")
    assert "@page { size: A4 portrait" in css
    assert re.search(r"@media print \{[^}]*\.site-header", css)


def test_the_session_page_links_to_both_sheets(app, as_coordinator_a, as_employee_a, arranged):
    page = as_coordinator_a.get(f"/sessions/{arranged}").get_data(as_text=True)
    assert f"/registrations/session/{arranged}/sign-in-sheet" in page
    assert f"/registrations/session/{arranged}/participants" in page
    staff = as_employee_a.get(f"/sessions/{arranged}").get_data(as_text=True)
    assert "sign-in-sheet" not in staff
