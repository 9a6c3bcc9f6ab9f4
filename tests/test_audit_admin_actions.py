"""Each administrative action is in the trail, with what changed (before and after).

People (added on the page and the API, each field edited), org units, programmes,
roster imports (one entry listing every person), invitations (sent and sent again)
and copied sessions. The walk over every route (tests/test_audit_walk.py) checks
that an entry is written; these tests check what it says.
"""

from __future__ import annotations

import io
from decimal import Decimal

from sqlalchemy import select

from regional import fiscal
from regional.audit.models import AuditEntry
from regional.catalogue import services as catalogue
from regional.catalogue.models import SkillArea
from regional.extensions import db
from regional.people.models import AccountStatus, User
from regional.people.units import (
    UnitData,
    create_unit,
    deactivate_unit,
    reactivate_unit,
    update_unit,
)
from tenants import all_tenants
from tenants.models import OrgLevel
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A

DOMAIN_A = "city.tsuyama.lg.jp"
#: Where the world's people of A sit (tests/factories.py).
DIVISION = "行政経営局/行政改革推進課"
SECTION2 = f"{DIVISION}/業務改善係"


def entries(app, municipality_id: int, prefix: str) -> list[AuditEntry]:
    """The member's entries whose action starts with ``prefix``, oldest first."""
    with app.app_context(), all_tenants(db.session):
        rows = list(
            db.session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.municipality_id == municipality_id,
                    AuditEntry.action.startswith(prefix),
                )
                .order_by(AuditEntry.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def test_adding_a_person_on_the_page_and_the_api_is_audited(app, world, as_coordinator_a, api):
    resp = as_coordinator_a.form_post(
        "/people/new",
        {
            "name": "岡田 新",
            "email": f"arata@{DOMAIN_A}",
            "employee_number": "N-100",
            "job_category": "technical",
            "org_unit_id": "",
        },
    )
    assert resp.status_code == 302
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{CODE_A}/employees",
        json={"email": f"api.arata@{DOMAIN_A}", "name": "岡田 次", "employee_number": "N-101"},
    )
    assert resp.status_code == 201
    page, by_api = entries(app, world.muni_a, "account.create")
    assert page.actor_id == by_api.actor_id == world.coordinator_a
    assert page.detail["after"] == {
        "email": f"arata@{DOMAIN_A}",
        "name": "岡田 新",
        "name_kana": None,
        "employee_number": "N-100",
        "job_category": "technical",
        "org_unit": None,
        "system_duty": False,
        "role": "employee",
        "status": "active",
    }
    assert by_api.subject_id == str(resp.get_json()["id"])


def test_an_edit_records_each_changed_field_and_nothing_else(app, world, as_coordinator_a):
    with app.app_context(), acting_as(db.session, world.muni_a):
        person = db.session.get(User, world.employee_a)
        form = {
            "name": "髙橋 太郎",
            "email": person.email,
            "employee_number": person.employee_number,
            "job_category": "technical",  # was administrative
            "org_unit_id": "",  # was 行政経営局/行政改革推進課/行革企画係
            "system_duty": "y",  # was off
        }
    assert as_coordinator_a.form_post(f"/people/{world.employee_a}/edit", form).status_code == 302
    (entry,) = entries(app, world.muni_a, "account.update")
    assert entry.detail["before"] == {
        "job_category": "administrative",
        "org_unit": "行政経営局/行政改革推進課/行革企画係",
        "system_duty": False,
    }
    assert entry.detail["after"] == {
        "job_category": "technical",
        "org_unit": None,
        "system_duty": True,
    }
    assert "address_changed" not in entry.detail
    # Saving it again as it is changes nothing and writes nothing.
    assert as_coordinator_a.form_post(f"/people/{world.employee_a}/edit", form).status_code == 302
    assert len(entries(app, world.muni_a, "account.update")) == 1


def test_org_units_added_changed_retired_and_reactivated_are_audited(app, world, ctx):
    with acting_as(db.session, world.muni_a):
        actor = db.session.get(User, world.coordinator_a)
        dept = create_unit(UnitData("総務部", OrgLevel.DEPARTMENT), actor)
        unit = create_unit(UnitData("広報課", OrgLevel.DIVISION, parent_id=dept.id), actor)
        update_unit(unit, UnitData("広報広聴課", OrgLevel.DIVISION, parent_id=dept.id), actor)
        deactivate_unit(unit, actor)
        reactivate_unit(unit, actor)
        db.session.flush()
    trail = [e for e in entries(app, world.muni_a, "unit.") if e.subject_id == str(unit.id)]
    assert [e.action for e in trail] == [
        "unit.create",
        "unit.update",
        "unit.deactivate",
        "unit.reactivate",
    ]
    created, renamed, retired, back = trail
    assert created.detail["after"] == {
        "name": "広報課",
        "level": "division",
        "equivalent": False,
        "parent": "総務部",
        "active": True,
    }
    assert (renamed.detail["before"], renamed.detail["after"]) == (
        {"name": "広報課"},
        {"name": "広報広聴課"},
    )
    assert renamed.subject_label == "総務部/広報広聴課"
    # Retired from the day changes take effect (today here), as a plain retirement.
    assert retired.detail["before"] == {"active": True, "retired_on": None, "how": None}
    assert retired.detail["after"] == {
        "active": False,
        "retired_on": fiscal.today().isoformat(),
        "how": "retired",
    }
    assert back.detail["after"] == {"active": True}
    assert {e.actor_id for e in trail} == {world.coordinator_a}


def test_programmes_are_audited_in_the_coordinating_citys_trail(app, world, ctx):
    with acting_as(db.session, world.muni_admin):
        area = db.session.scalar(select(SkillArea).where(SkillArea.key == "cloud"))
        values = {
            "title_ja": "監査研修",
            "title_en": "Audit course",
            "skill_area_id": area.id,
            "delivery": "classroom",
            "hours": Decimal("2.0"),
        }
        program = catalogue.create_program("AUD-1", values, world.admin)
        catalogue.update_program(program, {**values, "hours": Decimal("3.0")}, world.admin)
        catalogue.set_program_active(program, False, world.admin)
        catalogue.set_program_active(program, True, world.admin)
        db.session.flush()
    trail = [
        e for e in entries(app, world.muni_admin, "program.") if e.subject_id == str(program.id)
    ]
    assert [e.action for e in trail] == [
        "program.create",
        "program.update",
        "program.retire",
        "program.reactivate",
    ]
    assert trail[0].detail["after"]["code"] == "AUD-1"
    assert trail[1].detail["before"] == {"hours": "2.0", "revision": 1}
    assert trail[1].detail["after"] == {"hours": "3.0", "revision": 2}
    assert trail[2].detail["after"] == {"active": False}
    assert {e.actor_id for e in trail} == {world.admin}
    assert "岡山 管理" in trail[0].actor_label
    assert entries(app, world.muni_a, "program.") == []


def test_a_roster_import_is_one_entry_listing_each_person(app, world, api):
    with app.app_context(), acting_as(db.session, world.muni_a):
        dept = factories.make_org_unit(world.muni_a, "総務部", OrgLevel.DEPARTMENT)
        factories.make_org_unit(world.muni_a, "人事課", OrgLevel.DIVISION, dept)
        db.session.get(User, world.employee_a).employee_number = "T-001"
        db.session.get(User, world.employee_a2).employee_number = "T-002"
        db.session.get(User, world.coordinator_a).employee_number = "T-900"
        leaver = factories.make_user(world.muni_a, email=f"leaver@{DOMAIN_A}", name="退職 一郎")
        leaver.employee_number = "T-003"
        db.session.commit()
        leaver_id = leaver.id
    roster = (
        "職員番号,氏名,メールアドレス,所属\r\n"
        f"T-001,髙橋 太郎,{world.emails['employee_a']},総務部/人事課\r\n"  # moved
        f"T-002,𠮷野 はなこ,{world.emails['employee_a2']},{SECTION2}\r\n"  # renamed
        f"T-900,津山 調整,{world.emails['coordinator_a']},{DIVISION}\r\n"
        f"T-010,新人 一,shinjin@{DOMAIN_A},総務部/人事課\r\n"  # created
    )
    resp = api(world.emails["coordinator_a"]).post(
        f"/municipalities/{CODE_A}/roster?commit=true&deactivate_missing=true",
        data={"file": (io.BytesIO(roster.encode("utf-8")), "名簿.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_json()
    (entry,) = entries(app, world.muni_a, "roster.")
    lines = {line["employee_number"]: line for line in entry.detail["people"]}
    assert lines["T-010"]["change"] == "created"
    assert lines["T-010"]["after"]["org_unit"] == "総務部/人事課"
    assert lines["T-001"]["change"] == "moved"
    assert lines["T-001"]["after"] == {"org_unit": "総務部/人事課"}
    assert lines["T-002"]["change"] == "renamed"
    assert lines["T-002"]["before"]["name"] == "𠮷野 花子"
    assert lines["T-002"]["after"]["name"] == "𠮷野 はなこ"
    assert lines["T-003"]["change"] == "deactivated"
    assert lines["T-003"]["id"] == leaver_id
    assert (lines["T-003"]["before"]["status"], lines["T-003"]["after"]["status"]) == (
        AccountStatus.ACTIVE.value,
        AccountStatus.DISABLED.value,
    )
    assert "T-900" not in lines  # unchanged people are counted, not listed


def test_invitations_sent_and_sent_again_are_told_apart(app, world, as_coordinator_a):
    with app.app_context(), acting_as(db.session, world.muni_a):
        person = factories.make_user(world.muni_a, email=f"inv@{DOMAIN_A}")
        person.password_hash = None
        db.session.commit()
        person_id = person.id
    as_coordinator_a.form_post(f"/people/{person_id}/invite")
    as_coordinator_a.form_post(f"/people/{person_id}/invite")
    trail = entries(app, world.muni_a, "account.")
    assert [e.action for e in trail if e.subject_id == str(person_id)] == [
        "account.invite",
        "account.reinvite",
    ]


def test_a_copied_session_names_its_original(app, world, as_coordinator_a):
    # The duplicate page's own helpers: a member's session, and its filled form as sent.
    from tests.test_session_duplicate import _day, _form_of, _source

    source_id = _source(app, host=world.muni_a)
    url = f"/sessions/{source_id}/duplicate?on={_day(60)}"
    resp = as_coordinator_a.form_post(url, _form_of(as_coordinator_a.get(url).get_data(True)))
    assert resp.status_code == 302
    (entry,) = entries(app, world.muni_a, "session.duplicate")
    assert entry.detail["copied_from"] == source_id
    assert entry.actor_id == world.coordinator_a
