"""The seat sentence and the reservations table come from one breakdown (issue 21).

A session said 「2027年1月29日（金）まで、7席は他の市町の優先枠です」 while its table showed
玉野市's 3 seats held until 2/5: the sentence took the earliest release for all. Now
each member's line is computed once (``seating.member_seats``) and the sentence says
how many seats are held until each release time. A member's own session says whose
staff its seats are for, never 全市町.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from regional.extensions import db
from regional.fiscal import now_utc
from regional.main.helpers import local_datetime
from regional.seats import set_allocation
from regional.sessions.models import TrainingSession
from regional.sessions.seating import breakdown
from tests import factories
from tests.fixtures_sessions import fill, within

EN = {"Accept-Language": "en"}


@pytest.fixture
def two_releases(app, world) -> int:
    """Capacity 20: 4 seats for 岡山市 until day 10, 3 for B until day 12; 1 of B's taken."""
    with within(app):
        ts = factories.make_session(capacity=20, starts_in=timedelta(days=20))
        set_allocation(ts.id, world.muni_admin, 4, now_utc() + timedelta(days=10))
        set_allocation(ts.id, world.muni_b, 3, now_utc() + timedelta(days=12))
        fill(ts.id, world.muni_b, 1)
        return ts.id


def _sentence(page: str) -> str:
    match = re.search(r'<p data-testid="held-for-others">(.*?)</p>', page, re.S)
    assert match, "no sentence about seats held for others"
    return match.group(1)


def test_the_breakdown_holds_each_members_line(ctx, world, two_releases):
    ts = db.session.get(TrainingSession, two_releases)
    seats = breakdown(ts, world.muni_a)
    lines = {m.municipality.id: (m.reserved, m.claimed, m.held) for m in seats.members}
    assert lines == {world.muni_admin: (4, 0, 4), world.muni_b: (3, 1, 2)}
    assert [n for _at, n in seats.others_by_release] == [4, 2]
    assert sum(n for _at, n in seats.others_by_release) == seats.held_for_others == seats.held


def test_the_sentence_names_every_release_time(app, world, two_releases, as_employee_a):
    with within(app):
        ts = db.session.get(TrainingSession, two_releases)
        first, second = (a.release_at for a in ts.allocations)
        days = [local_datetime(first), local_datetime(second)]
    page = as_employee_a.get(f"/sessions/{two_releases}").get_data(as_text=True)
    sentence = _sentence(page)
    assert sentence.startswith("他の市町の優先枠：")
    assert f"{days[0]}まで4席" in sentence and f"{days[1]}まで2席" in sentence


def test_the_table_and_the_sentence_agree(app, world, two_releases, as_admin):
    """Every release time of the administrator's table is in the sentences above it."""
    page = as_admin.get(f"/sessions/{two_releases}").get_data(as_text=True)
    seats = re.search(r'<section class="card" aria-labelledby="seats">.*?</section>', page, re.S)
    sentence, table = seats.group(0).split('<div class="table-wrap">')
    with within(app):
        ts = db.session.get(TrainingSession, two_releases)
        for a in ts.allocations:
            when = local_datetime(a.release_at)
            assert when in table and when in sentence


def test_one_release_time_keeps_the_one_sentence(app, world, as_employee_a):
    with within(app):
        ts = factories.make_session(capacity=20, starts_in=timedelta(days=20))
        set_allocation(ts.id, world.muni_b, 5, now_utc() + timedelta(days=10))
        ts_id = ts.id
    page = as_employee_a.get(f"/sessions/{ts_id}", headers=EN).get_data(as_text=True)
    assert "5 seats are held for other member municipalities until" in _sentence(page)


@pytest.fixture
def own_session(app, world) -> int:
    with within(app):
        return factories.make_session(
            capacity=8, host_municipality_id=world.muni_a, open_to_all=False
        ).id


def test_a_member_only_session_says_whose_staff_it_counts(own_session, as_coordinator_a):
    page = as_coordinator_a.get(f"/sessions/{own_session}").get_data(as_text=True)
    assert "全市町" not in page
    assert re.search(r"<dt>申込み済み（.+の職員のみ）</dt>", page)
    assert re.search(r"<dt>残席（.+の職員のみ）</dt>", page)


def test_a_member_only_session_for_the_administrator(own_session, as_admin):
    page = as_admin.get(f"/sessions/{own_session}").get_data(as_text=True)
    assert "全市町" not in page
    assert re.search(r"の職員の申込状況", page)
    registrants = as_admin.get(f"/registrations/session/{own_session}").get_data(as_text=True)
    assert "全市町" not in registrants


def test_a_shared_session_still_counts_every_member(app, as_admin):
    with within(app):
        ts_id = factories.make_session(capacity=8).id
    page = as_admin.get(f"/sessions/{ts_id}").get_data(as_text=True)
    assert "申込み済み（全市町）" in page and "全市町の申込状況" in page
