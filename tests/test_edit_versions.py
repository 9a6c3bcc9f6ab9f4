"""Two people editing one record: the later save of an earlier load is refused, never silent.

Each edit form carries the version it was loaded at. The first save goes through; the
second (loaded before it) is shown the form again, with a message and the values saved
now beside the ones they entered, and nothing of theirs is written. Saving again from
that page (it then carries the new version) replaces the saved values knowingly. A form
without a version (an old page) is applied as before.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from regional.catalogue.models import Program
from regional.extensions import db
from regional.growth.models import Qualification, QualificationStatus
from regional.people.models import Role, User
from regional.sessions.models import TrainingSession
from regional.targets.models import Measure, PersonaRule, Target
from tenants import all_tenants
from tenants.models import OrgLevel, OrgUnit
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_sessions import session_form, within

VERSION = re.compile(r'name="version" type="hidden" value="(\d*)"')


def loaded_version(client, url: str) -> str:
    """The version an edit page was loaded at (what its form will send back)."""
    page = client.get(url)
    assert page.status_code == 200, url
    found = VERSION.search(page.get_data(as_text=True))
    assert found, f"{url} carries no version"
    return found.group(1)


def stale_rows(page: str) -> list[tuple[str, str, str]]:
    """(item, saved now, entered) of the refused save's comparison table."""
    rows = re.findall(
        r'<th scope="row"[^>]*>([^<]*)</th>\s*'
        r'<td[^>]*data-testid="stale-saved">([^<]*)</td>\s*'
        r'<td[^>]*data-testid="stale-entered">([^<]*)</td>',
        page,
    )
    return [tuple(c.strip() for c in row) for row in rows]


@pytest.fixture
def second_admin(app, world, signed_in):
    """Another regional administrator of Okayama City, signed in."""
    with within(app):
        email = factories.make_user(world.muni_admin, role=Role.REGIONAL_ADMIN).email
    return signed_in(email)


@pytest.fixture
def second_coordinator_a(app, world, signed_in):
    with within(app):
        email = factories.make_user(world.muni_a, role=Role.COORDINATOR).email
    return signed_in(email)


# -- sessions --------------------------------------------------------------------------


def test_two_administrators_saving_one_session_do_not_lose_a_venue_change(
    app, as_admin, second_admin
):
    with within(app):
        ts = factories.make_session(capacity=10)
        ts_id, pid, venue = ts.id, ts.program_id, ts.venue
    url = f"/sessions/{ts_id}/edit"
    first, second = loaded_version(as_admin, url), loaded_version(second_admin, url)
    assert first == second

    resp = as_admin.form_post(url, session_form(pid, venue="岡山市役所 分庁舎", version=first))
    assert resp.status_code == 302

    # The second administrator changed only the capacity; the venue in their form is the old one.
    resp = second_admin.form_post(
        url, session_form(pid, venue=venue, capacity="30", version=second)
    )
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "編集中に、ほかの方がこの内容を保存しました" in page
    assert ("会場", "岡山市役所 分庁舎", venue) in stale_rows(page)
    with within(app):
        saved = db.session.get(TrainingSession, ts_id)
        assert (saved.venue, saved.capacity) == ("岡山市役所 分庁舎", 20)

    # Having seen it, they keep the new venue and save again: the page carries the new version.
    again = VERSION.search(page).group(1)
    assert int(again) > int(second)
    resp = second_admin.form_post(
        url, session_form(pid, venue="岡山市役所 分庁舎", capacity="30", version=again)
    )
    assert resp.status_code == 302
    with within(app):
        saved = db.session.get(TrainingSession, ts_id)
        assert (saved.venue, saved.capacity) == ("岡山市役所 分庁舎", 30)


def test_a_session_form_without_a_version_is_saved_as_before_and_a_forged_one_is_refused(
    app, as_admin
):
    with within(app):
        ts = factories.make_session(capacity=10)
        ts_id, pid = ts.id, ts.program_id
    url = f"/sessions/{ts_id}/edit"
    assert as_admin.form_post(url, session_form(pid, capacity="12")).status_code == 302
    resp = as_admin.form_post(url, session_form(pid, capacity="14", version="x1"))
    assert resp.status_code == 409
    with within(app):
        assert db.session.get(TrainingSession, ts_id).capacity == 12


def test_registering_does_not_make_an_open_session_form_stale(app, as_admin, world):
    """Seats are not the plan: people registering meanwhile never refuse an edit."""
    from tests.fixtures_sessions import register

    with within(app):
        ts = factories.make_session(capacity=10)
        ts_id, pid = ts.id, ts.program_id
    url = f"/sessions/{ts_id}/edit"
    version = loaded_version(as_admin, url)
    with within(app):
        register(ts_id, world.employee_a)
    resp = as_admin.form_post(url, session_form(pid, capacity="11", version=version))
    assert resp.status_code == 302
    with within(app):
        assert db.session.get(TrainingSession, ts_id).capacity == 11


# -- targets and measures --------------------------------------------------------------


def _target(app, municipality_id: int, key: str = "security") -> Target:
    with app.app_context(), acting_as(db.session, municipality_id):
        target = db.session.scalar(
            select(Target).where(Target.key == key, Target.period_start_fy == 2024)
        )
        db.session.expunge(target)
        return target


def test_two_coordinators_saving_one_target_do_not_undo_each_other(
    app, world, as_coordinator_a, second_coordinator_a
):
    with within(app), acting_as(db.session, world.muni_a):
        db.session.add(
            Target(
                municipality_id=world.muni_a,
                key="security",
                kind="annual",
                target=30,
                period_start_fy=2024,
                period_end_fy=2026,
            )
        )
        db.session.flush()
    url = "/targets/security?period=2024"
    first = loaded_version(as_coordinator_a, url)
    second = loaded_version(second_coordinator_a, url)
    form = {"period_start_fy": "2024", "period_end_fy": "2026", "population": ""}

    resp = as_coordinator_a.form_post(url, {**form, "target": "40", "version": first})
    assert resp.status_code == 302
    resp = second_coordinator_a.form_post(
        url, {**form, "target": "30", "population": "500", "version": second}
    )
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "目標を保存しました。" not in page  # the success message the second one used to see
    rows = {label: (saved, entered) for label, saved, entered in stale_rows(page)}
    assert rows["目標人数"] == ("40", "30")
    target = _target(app, world.muni_a)
    assert (target.target, target.population) == (40, None)


def test_a_measure_changed_meanwhile_is_not_overwritten_by_its_preview_or_its_save(
    app, as_admin, second_admin
):
    url = "/targets/measures/core_pm"
    first, second = loaded_version(as_admin, url), loaded_version(second_admin, url)
    data = {"rule": "at_least", "min_programs": "3", "applies": "today", "confirmed": "1"}
    assert as_admin.form_post(url, {**data, "version": first}).status_code == 302
    resp = second_admin.form_post(url, {**data, "min_programs": "5", "version": second})
    assert resp.status_code == 409
    # Even the preview (no "confirmed") tells them at once.
    preview = {k: v for k, v in data.items() if k != "confirmed"}
    assert second_admin.form_post(url, {**preview, "version": second}).status_code == 409
    with app.app_context():
        measure = db.session.scalar(select(Measure).where(Measure.key == "core_pm"))
        assert (measure.rule, measure.min_programs) == (PersonaRule.AT_LEAST, 3)


# -- people, units, programmes ---------------------------------------------------------


def _person_form(user: dict, **changes) -> dict:
    return {**user, **changes}


def test_a_persons_record_changed_by_a_roster_import_is_not_overwritten_by_an_open_form(
    app, world, as_coordinator_a
):
    """Any change bumps the version, not only the form's: here a change in another request."""
    with within(app):
        person = factories.make_user(world.muni_a, name="岡山 花子")
        pid = person.id
        form = {
            "name": "岡山 花子",
            "name_kana": "",
            "email": person.email,
            "employee_number": person.employee_number,
            "job_category": person.job_category.value,
            "org_unit_id": "",
        }
    url = f"/people/{pid}/edit"
    version = loaded_version(as_coordinator_a, url)
    with within(app), acting_as(db.session, world.muni_a):
        db.session.get(User, pid).name = "岡山 華子"  # as the personnel system now spells it
        db.session.flush()
    resp = as_coordinator_a.form_post(
        url, _person_form(form, employee_number="E-NEW-1", version=version)
    )
    assert resp.status_code == 409
    assert ("氏名", "岡山 華子", "岡山 花子") in stale_rows(resp.get_data(as_text=True))
    with app.app_context(), all_tenants(db.session):
        saved = db.session.get(User, pid)
        assert (saved.name, saved.employee_number) == ("岡山 華子", form["employee_number"])


def test_an_org_unit_renamed_meanwhile_is_not_renamed_back(
    app, world, as_coordinator_a, second_coordinator_a
):
    with within(app):
        unit = factories.make_org_unit(world.muni_a, "情報政策課", OrgLevel.DIVISION)
        uid = unit.id
    url = f"/people/units/{uid}/edit"
    first = loaded_version(as_coordinator_a, url)
    second = loaded_version(second_coordinator_a, url)
    form = {"level": "division", "parent_id": ""}
    resp = as_coordinator_a.form_post(url, {**form, "name": "デジタル推進課", "version": first})
    assert resp.status_code == 302
    resp = second_coordinator_a.form_post(
        url, {**form, "name": "情報政策課", "equivalent": "y", "version": second}
    )
    assert resp.status_code == 409
    with app.app_context(), acting_as(db.session, world.muni_a):
        saved = db.session.get(OrgUnit, uid)
        assert (saved.name, saved.equivalent) == ("デジタル推進課", False)


def test_a_programme_revised_meanwhile_is_not_revised_back(app, as_admin, second_admin):
    with within(app):
        program = factories.make_program(title_ja="クラウド基礎")
        pid = program.id
    url = f"/catalogue/{pid}/edit"
    first, second = loaded_version(as_admin, url), loaded_version(second_admin, url)
    with app.app_context():
        program = db.session.get(Program, pid)
        form = {
            "title_ja": "クラウド基礎",
            "title_en": program.title_en,
            "description_ja": "",
            "description_en": "",
            "skill_area": str(program.skill_area_id),
            "delivery": program.delivery.value,
            "hours": str(program.hours),
            "elearning_url": "",
            "confirmed": "1",
        }
    resp = as_admin.form_post(url, {**form, "title_ja": "クラウド基礎 I", "version": first})
    assert resp.status_code == 302
    resp = second_admin.form_post(url, {**form, "hours": "3.0", "version": second})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert any(saved == "クラウド基礎 I" for _l, saved, _e in stale_rows(page))
    with app.app_context():
        program = db.session.get(Program, pid)
        assert (program.title_ja, str(program.hours)) == ("クラウド基礎 I", "2.0")


# -- qualifications: the person's correction and the coordinator's check -------------------


def test_a_coordinator_cannot_verify_a_record_the_person_corrected_after_the_list_was_opened(
    app, world, signed_in, as_coordinator_a
):
    from datetime import date

    with within(app), acting_as(db.session, world.muni_a):
        q = Qualification(
            municipality_id=world.muni_a,
            employee_id=world.employee_a,
            exam_code="FE",
            passed_on=date(2025, 11, 20),
            certificate_number="FE-0001",
        )
        db.session.add(q)
        db.session.flush()
        qid, listed = q.id, q.version
    employee = signed_in(world.emails["employee_a"])
    edit_url = f"/growth/qualifications/{qid}/edit"
    version = loaded_version(employee, edit_url)
    resp = employee.form_post(
        edit_url,
        {
            "exam": "FE",
            "name": "",
            "passed_on": "2025-11-20",
            "certificate_number": "FE-0002",
            "version": version,
        },
    )
    assert resp.status_code == 302
    # The coordinator's list showed FE-0001: verifying that view refuses, and says so.
    resp = as_coordinator_a.form_post(
        f"/growth/qualifications/{qid}/verify", {"version": str(listed)}, follow_redirects=True
    )
    assert "変更されていたため" in resp.get_data(as_text=True)
    with app.app_context(), acting_as(db.session, world.muni_a):
        saved = db.session.get(Qualification, qid)
        assert (saved.status, saved.certificate_number) == (
            QualificationStatus.UNVERIFIED,
            "FE-0002",
        )


# -- the rules of which exams count (one form for the whole set) -----------------------------


def test_persona_rules_changed_meanwhile_are_not_replaced_by_an_older_page(
    app, as_admin, second_admin
):
    from regional.growth import qualifications

    url = "/growth/qualifications/personas"
    seen = re.compile(r'name="seen" value="([0-9a-f]+)"')
    first = seen.search(as_admin.get(url).get_data(as_text=True)).group(1)
    second = seen.search(second_admin.get(url).get_data(as_text=True)).group(1)
    assert first == second
    assert as_admin.form_post(url, {"advanced": ["SC"], "seen": first}).status_code == 302
    # The second page showed no rule: saving it as it is would delete SC → advanced.
    resp = second_admin.form_post(url, {"core_pm": ["PM"], "seen": second})
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    assert "ほかの方がこの設定を変更したため" in page
    assert 'value="SC" checked' in page  # the rules as saved now
    with app.app_context():
        assert qualifications.persona_rules(db.session) == {"advanced": {"SC"}}
