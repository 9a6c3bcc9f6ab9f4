"""Regional administration: the region side by side, the visible switch, coordinators."""

from __future__ import annotations

import re

from sqlalchemy import select

from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.people.models import AccountStatus, Role, User
from regional.registrations import actions
from tenants.models import OrgLevel
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.fixtures_people import in_app, user_row

pytest_plugins = ["tests.fixtures_people"]

EN = {"Accept-Language": "en"}


def _text(resp) -> str:
    """The page without the phone-layout labels (data-label), to read cells as written."""
    return re.sub(r' data-label="[^"]*"', "", resp.get_data(as_text=True))


def _row(page: str, name: str) -> str:
    """The table row that starts with a municipality's name."""
    start = page.index(f'<th scope="row">\n          {name}')
    return page[start : page.index("</tr>", start)]


def _cells(row: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num">\s*(\d+)\s*</td>', row)]


# -- who may enter -------------------------------------------------------------------


def test_only_regional_administrators_enter(as_employee_a, as_coordinator_a, client):
    for url in ("/admin/", "/admin/switch", "/admin/coordinators"):
        assert as_employee_a.get(url).status_code == 403
        assert as_coordinator_a.get(url).status_code == 403
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_coordinator_cannot_switch_municipality(as_coordinator_a, world, signed_in):
    resp = as_coordinator_a.form_post("/admin/switch", {"municipality": "332046"})
    assert resp.status_code == 403
    page = _text(as_coordinator_a.get("/people/"))
    assert "髙橋 太郎" in page and "玉野 次郎" not in page


# -- the region side by side ----------------------------------------------------------


def test_overview_shows_every_member_with_its_counts(as_admin, world, app):
    with in_app(app):
        factories.make_user(world.muni_a, status=AccountStatus.PENDING_APPROVAL)
        factories.make_user(world.muni_a, status=AccountStatus.DISABLED)
        factories.make_org_unit(world.muni_a, "総務課", OrgLevel.DIVISION)
        ts = factories.make_session(capacity=5)
        with acting_as(db.session, world.muni_a):
            employee = db.session.get(User, world.employee_a)
            actions.register(ts.id, employee, employee)
    page = _text(as_admin.get("/admin/", headers=EN))
    assert page.count('<th scope="row">') >= 13 + 1  # thirteen members and the total
    # people (not disabled), active, awaiting approval, awaiting e-mail confirmation (the
    # people page's own two labels and counts), disabled, coordinators, units, registrations,
    # done; units: the base world's four (a 部, a 課 and two 係) and the one added here
    assert _cells(_row(page, "Tsuyama City")) == [4, 3, 1, 0, 1, 1, 5, 1, 0]
    assert _cells(_row(page, "Tamano City"))[:6] == [2, 2, 0, 0, 0, 1]
    kumenan = _row(page, "Kumenan Town")
    assert _cells(kumenan) == [0] * 8  # ... and no coordinator, said in words:
    assert '<span class="no">none</span>' in kumenan


def test_overview_counts_completions_of_this_fiscal_year(as_admin, world, app):
    from regional.attendance.models import Completion, CompletionSource

    program = None
    with in_app(app):
        program = factories.make_program()
        with acting_as(db.session, world.muni_b):
            today = now_utc().date()
            db.session.add(
                Completion(
                    employee_id=world.employee_b,
                    program_id=program.id,
                    program_revision=1,
                    program_code=program.code,
                    title_ja=program.title_ja,
                    title_en=program.title_en,
                    tier=program.tier.value,
                    track=program.track.value,
                    hours=program.hours,
                    completed_on=today,
                    fiscal_year=fiscal_year_of(today),
                    source=CompletionSource.MANUAL,
                )
            )
            db.session.flush()
    page = _text(as_admin.get("/admin/", headers=EN))
    assert _cells(_row(page, "Tamano City"))[-1] == 1


# -- the switch -----------------------------------------------------------------------------


def test_switch_makes_people_pages_act_in_the_chosen_municipality(as_admin, world):
    assert "玉野 次郎" not in _text(as_admin.get("/people/"))
    resp = as_admin.form_post("/admin/switch", {"municipality": "332046"})
    assert resp.status_code == 302
    page = _text(as_admin.get("/people/", headers=EN))
    assert "玉野 次郎" in page and "髙橋 太郎" not in page
    assert 'class="acting-banner"' in page and "Tamano City" in page
    assert as_admin.get(f"/people/{world.employee_b}").status_code == 200
    assert as_admin.get(f"/people/{world.employee_a}").status_code == 404


def test_switching_back_to_own_municipality_removes_the_banner(as_admin):
    as_admin.form_post("/admin/switch", {"municipality": "332046"})
    as_admin.form_post("/admin/switch", {"municipality": "331007"})
    page = _text(as_admin.get("/people/"))
    assert 'class="acting-banner"' not in page
    assert "岡山 管理" in page


def test_switch_refuses_a_code_that_is_not_a_member(as_admin):
    resp = as_admin.form_post("/admin/switch", {"municipality": "999999"})
    assert resp.status_code == 400
    assert 'class="acting-banner"' not in _text(as_admin.get("/people/"))


def test_switch_page_preselects_where_one_works(as_admin):
    as_admin.form_post("/admin/switch", {"municipality": "332038"})
    page = _text(as_admin.get("/admin/switch"))
    assert 'value="332038" selected' in page or 'selected value="332038"' in page


def test_admin_acting_in_a_municipality_adds_people_there(as_admin, world, app):
    as_admin.form_post("/admin/switch", {"municipality": "332038"})
    resp = as_admin.form_post(
        "/people/new",
        {
            "name": "代理 登録",
            "email": "proxy@city.tsuyama.lg.jp",
            "employee_number": "P-1",
            "job_category": "administrative",
            "org_unit_id": "",
            "role": "coordinator",
        },
    )
    assert resp.status_code == 302
    with app.app_context(), all_tenants(db.session):
        person = db.session.scalar(select(User).where(User.email == "proxy@city.tsuyama.lg.jp"))
        assert person.municipality_id == world.muni_a
        assert person.role == Role.COORDINATOR


def test_nobody_becomes_a_regional_administrator_through_the_pages(as_admin, world, app):
    as_admin.form_post("/admin/switch", {"municipality": "332038"})
    resp = as_admin.form_post(
        f"/people/{world.employee_a}/edit",
        {
            "name": "髙橋 太郎",
            "email": world.emails["employee_a"],
            "employee_number": "E1",
            "job_category": "administrative",
            "org_unit_id": "",
            "role": "regional_admin",
        },
    )
    assert resp.status_code == 400
    assert user_row(app, world.employee_a).role == Role.EMPLOYEE


def test_admin_cannot_change_another_regional_administrator(as_admin, world, app):
    with in_app(app):
        other = factories.make_user(world.muni_admin, role=Role.REGIONAL_ADMIN).id
    assert as_admin.get(f"/people/{other}/edit").status_code == 403
    assert as_admin.form_post(f"/people/{other}/disable").status_code == 403
    assert user_row(app, other).status == AccountStatus.ACTIVE


# -- coordinators -----------------------------------------------------------------------------


def test_coordinators_of_every_member_are_listed(as_admin):
    page = _text(as_admin.get("/admin/coordinators"))
    assert "coord@city.tsuyama.lg.jp" in page and "coord@city.tamano.lg.jp" in page
    assert page.count('/coordinators"') >= 13


def test_admin_promotes_an_employee_of_any_member(as_admin, world, app):
    resp = as_admin.form_post(
        "/admin/municipalities/332046/coordinators", {"who": world.emails["employee_b"]}
    )
    assert resp.status_code == 302
    assert user_row(app, world.employee_b).role == Role.COORDINATOR


def test_promotion_finds_people_by_employee_number_within_that_member(as_admin, world, app):
    number_a = user_row(app, world.employee_a).employee_number
    resp = as_admin.form_post("/admin/municipalities/332046/coordinators", {"who": number_a})
    assert resp.status_code == 400  # A's number means nothing in B
    assert user_row(app, world.employee_a).role == Role.EMPLOYEE
    resp = as_admin.form_post("/admin/municipalities/332038/coordinators", {"who": number_a})
    assert resp.status_code == 302
    assert user_row(app, world.employee_a).role == Role.COORDINATOR


def test_a_disabled_account_is_not_made_coordinator(as_admin, world, app):
    with in_app(app):
        gone = factories.make_user(
            world.muni_b, status=AccountStatus.DISABLED, email="gone@x.jp"
        ).id
    resp = as_admin.form_post("/admin/municipalities/332046/coordinators", {"who": "gone@x.jp"})
    assert resp.status_code == 400
    assert user_row(app, gone).role == Role.EMPLOYEE


def test_admin_demotes_a_coordinator(as_admin, world, app):
    resp = as_admin.form_post(
        f"/admin/municipalities/332046/coordinators/{world.coordinator_b}/demote"
    )
    assert resp.status_code == 302
    assert user_row(app, world.coordinator_b).role == Role.EMPLOYEE


def test_demoted_coordinator_loses_the_people_pages_at_once(as_admin, as_coordinator_b, world):
    assert as_coordinator_b.get("/people/").status_code == 200
    as_admin.form_post(f"/admin/municipalities/332046/coordinators/{world.coordinator_b}/demote")
    assert as_coordinator_b.get("/people/").status_code == 403


def test_demotion_names_the_coordinator_under_their_own_code(as_admin, world, app):
    resp = as_admin.form_post(
        f"/admin/municipalities/332038/coordinators/{world.coordinator_b}/demote"
    )
    assert resp.status_code == 404
    assert user_row(app, world.coordinator_b).role == Role.COORDINATOR


def test_unknown_municipality_code_is_not_found(as_admin):
    assert as_admin.get("/admin/municipalities/123456/coordinators").status_code == 404
