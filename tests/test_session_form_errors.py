"""The session form answers every mistake on one submit, each beside its field (issue 21).

Missing venue, an end before the start and 優先枠 7 > 定員 5 used to take three
submits. Now every field check, every scheduling rule and the reservation rows are
checked together; each error is tied to its field (aria-describedby, aria-invalid) and
listed in the summary at the top, which links to the field. Nothing is saved.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from regional.extensions import db
from regional.fiscal import now_utc, to_local
from regional.sessions.models import TrainingSession
from regional.sessions.services import SessionPlan, check_plan, plan_problems
from tenants import all_tenants
from tenants.models import Municipality
from tests import factories
from tests.conftest import CODE_A, CODE_B
from tests.fixtures_sessions import fresh, local, session_form, within

EN = {"Accept-Language": "en"}


@pytest.fixture
def program_id(app) -> int:
    with within(app):
        return factories.make_program().id


@pytest.fixture
def codes(app) -> list[str]:
    with within(app):
        return [m.code for m in db.session.scalars(Municipality.ordered())]


def rows(codes: list[str], **seats: tuple[str, str]) -> dict:
    """The reservations table's fields: ``m<code>=(seats, release day)``, others empty."""
    data = {}
    for i, code in enumerate(codes):
        n, day = seats.get(f"m{code}", ("", ""))
        data[f"reservations-{i}-code"] = code
        data[f"reservations-{i}-seats"] = n
        data[f"reservations-{i}-release_on"] = day
    return data


def _count() -> int:
    with all_tenants(db.session):
        return db.session.scalar(select(func.count()).select_from(TrainingSession))


def _day(days: int) -> str:
    return to_local(now_utc() + timedelta(days=days)).date().isoformat()


def _input(page: str, name: str) -> str:
    """The HTML tag of the input (or select, textarea) named ``name``."""
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert match, name
    return match.group(0)


def _summary(page: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert match, "no error summary"
    return match.group(0)


def test_three_mistakes_are_answered_on_one_submit(app, as_admin, program_id, codes):
    data = session_form(
        program_id,
        venue="",
        capacity="5",
        ends_at=local(timedelta(days=29)),  # the day before the start
    ) | rows(codes, **{f"m{CODE_A}": ("4", ""), f"m{CODE_B}": ("3", "")})
    with within(app):
        before = _count()
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    with within(app):
        assert _count() == before  # nothing saved
    summary = _summary(page)
    for anchor, message in (
        ("#venue", "Give a venue or an online address."),
        ("#ends_at", "The end must be after the start."),
        ("#reservations", "Reserved seats total 7, more than the capacity of 5."),
    ):
        assert f'href="{anchor}"' in summary and message in summary
    for name in ("venue", "ends_at"):
        tag = _input(page, name)
        assert 'aria-invalid="true"' in tag and f"{name}-error" in tag
        assert f'id="{name}-error"' in page
    assert 'aria-describedby="reservations-hint reservations-error"' in page
    # A field that is right is not marked.
    assert "aria-invalid" not in _input(page, "starts_at")


def test_a_coordinators_own_session_shows_all_its_errors_too(as_coordinator_a, program_id):
    data = session_form(
        program_id,
        venue="",
        capacity="abc",
        registration_closes_at=local(timedelta(days=31)),  # after the start
        cancellation_deadline=local(timedelta(days=32)),
    )
    resp = as_coordinator_a.form_post("/sessions/new", data, headers=EN)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    summary = _summary(page)
    assert "Give a venue or an online address." in summary
    assert "Write a whole number." in summary
    assert "Registration must close no later than the start of the session." in summary
    assert "The cancellation deadline must be no later than the start." in summary
    for name in ("venue", "capacity", "registration_closes_at", "cancellation_deadline"):
        assert 'aria-invalid="true"' in _input(page, name), name


def test_a_field_that_cannot_be_read_is_not_judged_by_the_rules(as_admin, program_id, codes):
    """An unreadable start says so once; the rules that need it wait for it."""
    data = session_form(program_id, starts_at="not a time") | rows(codes)
    page = as_admin.form_post("/sessions/new", data, headers=EN).get_data(as_text=True)
    errors = re.search(r'<ul class="errors" id="starts_at-error">(.*?)</ul>', page, re.S)
    assert errors and errors.group(1).count("<li>") == 1
    assert "The end must be after the start." not in page


def test_reservation_rows_are_checked_in_the_same_submit(as_admin, program_id, codes):
    data = session_form(program_id, venue="") | rows(
        codes, **{f"m{CODE_A}": ("2", _day(40)), f"m{CODE_B}": ("2", "2020-01-01")}
    )
    page = as_admin.form_post("/sessions/new", data, headers=EN).get_data(as_text=True)
    assert "Give a venue or an online address." in page
    after_start = re.search(
        rf'<ul class="errors" id="res-release-{CODE_A}-error">(.*?)</ul>', page, re.S
    )
    assert after_start and "no later than the start of the session" in after_start.group(1)
    past = re.search(rf'<ul class="errors" id="res-release-{CODE_B}-error">(.*?)</ul>', page, re.S)
    assert past and "The release date must be in the future." in past.group(1)
    assert "Some rows need correcting; each shows its message." in _summary(page)


def test_edit_shows_every_error_at_once(app, as_admin):
    with within(app):
        ts_id = factories.make_session(capacity=10, starts_in=timedelta(days=20)).id
    page = as_admin.get(f"/sessions/{ts_id}/edit", headers=EN).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="([^"]*)"', page).group(1)
    data = session_form(
        0, venue="", ends_at=local(timedelta(days=19)), starts_at=local(timedelta(days=20))
    )
    data.pop("program_id")
    data["version"] = version
    resp = as_admin.form_post(f"/sessions/{ts_id}/edit", data, headers=EN)
    summary = _summary(resp.get_data(as_text=True))
    assert resp.status_code == 422
    assert "Give a venue or an online address." in summary
    assert "The end must be after the start." in summary


def test_the_api_still_answers_the_first_rule_broken(ctx):
    """check_plan (the API's) raises the first of the problems the form lists."""
    start = now_utc() + timedelta(days=30)
    plan = SessionPlan(
        program_id=1,
        starts_at=start,
        ends_at=start - timedelta(hours=1),
        capacity=5,
        registration_opens_at=now_utc(),
        registration_closes_at=start + timedelta(days=1),
        venue="",
    )
    problems = plan_problems(plan, creating=True, hosted=True)
    assert [p.code for p in problems] == [
        "missing_venue",
        "ends_before_start",
        "closes_after_start",
    ]
    with pytest.raises(Exception) as raised:
        check_plan(plan, creating=True, hosted=True)
    assert raised.value.code == "missing_venue"


def test_a_blank_release_is_the_application_deadline_itself(app, as_admin, program_id, codes):
    """Not 00:00 of the closing day (17 hours before a 17:00 deadline): the deadline."""
    closes = to_local(now_utc() + timedelta(days=28)).replace(
        hour=17, minute=0, second=0, microsecond=0, tzinfo=None
    )
    data = session_form(
        program_id, registration_closes_at=closes.strftime("%Y-%m-%dT%H:%M")
    ) | rows(codes, **{f"m{CODE_B}": ("2", "")})
    resp = as_admin.form_post("/sessions/new", data, headers=EN)
    assert resp.status_code == 302
    ts_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    with within(app):
        ts = fresh(ts_id)
        (alloc,) = ts.allocations
        assert alloc.release_at == ts.registration_closes_at
        assert to_local(alloc.release_at).hour == 17


def test_the_form_says_what_a_blank_release_means(as_admin):
    page = as_admin.get("/sessions/new").get_data(as_text=True)
    assert "開放日が空欄の場合は、申込締切の日時に未使用の席を開放します。" in page
    assert 'aria-describedby="res-release-hint"' in _input(page, "reservations-0-release_on")


def test_an_edit_keeps_a_reservation_already_released(app, world, as_admin):
    """A row whose release day has passed is shown as it is and does not block the save."""
    from regional.seats import set_allocation
    from regional.sessions.models import SeatAllocation

    with within(app):
        ts = factories.make_session(capacity=10, starts_in=timedelta(days=20))
        set_allocation(ts.id, world.muni_b, 2, now_utc() + timedelta(days=5))
        alloc = db.session.scalar(select(SeatAllocation).where(SeatAllocation.session_id == ts.id))
        alloc.release_at = now_utc() - timedelta(days=2)
        db.session.commit()
        ts_id = ts.id
    page = as_admin.get(f"/sessions/{ts_id}/edit", headers=EN).get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    data = {k: v for k, v in fields.items() if k != "csrf_token"}
    data |= {"venue": "岡山市役所 別館", "audience": "all", "notes": ""}
    resp = as_admin.form_post(f"/sessions/{ts_id}/edit", data, headers=EN)
    assert resp.status_code == 302, _summary(resp.get_data(as_text=True))
