"""My training in one place: one page, four tabs, each its own address (issue 21).

受講状況, 私の受講履歴 and 修了証 showed the same completions in three shapes. Now the tabs
予定 / 履歴 / 修了証 / 資格・OJT are links (the current one ``aria-current="page"``), each
works without script, and the old addresses redirect to their tab.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from regional.extensions import db
from regional.growth.models import OjtRecord
from tenants.scoping import acting_as

TABS = {
    "/records/my-training": "予定",
    "/records/my-training/history": "履歴",
    "/records/my-training/certificates": "修了証",
    "/records/my-training/qualifications": "資格・OJT",
}


def _tab_bar(page: str) -> str:
    match = re.search(r'<nav class="tabs".*?</nav>', page, re.S)
    assert match, "no tab bar"
    return match.group(0)


@pytest.mark.parametrize("address", list(TABS))
def test_each_tab_is_its_own_page_and_marks_itself(as_employee_a, address):
    resp = as_employee_a.get(address)
    assert resp.status_code == 200
    bar = _tab_bar(resp.get_data(as_text=True))
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', bar)
    assert [(href, label) for href, _cur, label in links] == list(TABS.items())
    assert [href for href, current, _label in links if current] == [address]


@pytest.mark.parametrize(
    ("old", "tab"),
    [
        ("/registrations/mine", "/records/my-training"),
        ("/records/me", "/records/my-training/history"),
        ("/growth/certificates", "/records/my-training/certificates"),
        ("/growth/qualifications", "/records/my-training/qualifications"),
        ("/growth/ojt", "/records/my-training/qualifications"),
    ],
)
def test_the_old_addresses_lead_to_their_tab(as_employee_a, old, tab):
    resp = as_employee_a.get(old)
    assert resp.status_code in (301, 302)
    assert resp.headers["Location"].endswith(tab)


def test_an_unknown_tab_is_not_found(as_employee_a):
    assert as_employee_a.get("/records/my-training/nothing").status_code == 404


def test_the_navigation_has_one_entry_for_my_training(as_employee_a):
    page = as_employee_a.get("/records/my-training/history").get_data(as_text=True)
    nav = re.search(r'<nav class="main-nav".*?</nav>', page, re.S).group(0)
    assert nav.count('href="/records/my-training"') == 1
    assert "/growth/certificates" not in nav and "/records/me" not in nav
    assert re.search(r'href="/records/my-training" aria-current="page"', nav)


def test_ojt_recorded_from_the_tab_comes_back_to_it(app, world, as_employee_a):
    page = as_employee_a.get("/records/my-training/qualifications").get_data(as_text=True)
    assert 'action="/growth/ojt"' in page and 'action="/growth/qualifications"' in page
    resp = as_employee_a.form_post(
        "/growth/ojt",
        {"title": "窓口DX", "started_on": "2025-04-01", "skill_areas": ["cloud"]},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/records/my-training/qualifications")
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.scalar(select(OjtRecord.title)) == "窓口DX"


def test_a_refused_pass_shows_the_tab_with_its_error(as_employee_a):
    resp = as_employee_a.form_post(
        "/growth/qualifications", {"exam": "FE", "passed_on": "", "certificate_number": ""}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'class="error-summary"' in page
    assert re.search(r'aria-current="page">資格・OJT<', _tab_bar(page))


def test_the_history_tab_no_longer_repeats_the_schedule(as_employee_a):
    """予定 holds what is ahead, 履歴 what is done: one place for each."""
    history = as_employee_a.get("/records/my-training/history").get_data(as_text=True)
    upcoming = as_employee_a.get("/records/my-training").get_data(as_text=True)
    assert 'id="upcoming"' not in history and 'id="completions"' in history
    assert 'id="upcoming"' in upcoming and 'id="completions"' not in upcoming
