"""Test data: the base world and small factories for tests to add their own rows."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from regional.auth.passwords import hash_password
from regional.catalogue.models import Delivery, Program, SkillArea
from regional.catalogue.services import add_program, load_policy_catalogue
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.sessions.models import TrainingSession
from regional.targets.measures import load_default_measures
from regional.targets.tallies import setting_up
from tenants import set_current_tenant
from tenants.models import Municipality, OrgLevel, OrgUnit
from tenants.region import load_region
from tenants.scoping import acting_as

_seq = itertools.count(1)
_HASHES: dict[str, str] = {}


def municipality(code: str) -> Municipality:
    return db.session.scalar(select(Municipality).where(Municipality.code == code))


def make_user(
    municipality_id: int,
    *,
    role: Role = Role.EMPLOYEE,
    password: str = "correct horse battery staple 7",
    email: str | None = None,
    name: str | None = None,
    job_category: JobCategory = JobCategory.ADMINISTRATIVE,
    status: AccountStatus = AccountStatus.ACTIVE,
    org_unit_id: int | None = None,
    system_duty: bool = False,
) -> User:
    n = next(_seq)
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    with acting_as(db.session, municipality_id):
        user = User(
            municipality_id=municipality_id,
            email=(email or f"user{n}@example.lg.jp").lower(),
            name=name or f"職員 {n}",
            employee_number=f"E{n:06d}",
            role=role,
            status=status,
            job_category=job_category,
            org_unit_id=org_unit_id,
            system_duty=system_duty,
            password_hash=_HASHES[password],
        )
        db.session.add(user)
        db.session.flush()
    return user


def make_org_unit(
    municipality_id: int, name: str, level: OrgLevel, parent: OrgUnit | None = None
) -> OrgUnit:
    with acting_as(db.session, municipality_id):
        unit = OrgUnit(
            municipality_id=municipality_id,
            name=name,
            level=level,
            parent_id=parent.id if parent else None,
        )
        db.session.add(unit)
        db.session.flush()
    return unit


def make_program(code: str | None = None, **overrides) -> Program:
    area = db.session.scalar(
        select(SkillArea).where(SkillArea.key == overrides.pop("area", "cloud"))
    )
    values = dict(
        code=code or f"T-{next(_seq)}",
        title_ja="テスト研修",
        title_en="Test programme",
        skill_area_id=area.id,
        tier=area.tier,
        track=area.track,
        delivery=Delivery.CLASSROOM,
        hours=Decimal("2.0"),
        eligible_job_categories=[],
        prerequisite_tracks=[],
        prerequisite_system_duty=False,
    )
    values.update(overrides)
    return add_program(values, actor_id=None)


def make_session(
    program: Program | None = None,
    *,
    capacity: int = 10,
    starts_in: timedelta = timedelta(days=14),
    hours: int = 3,
    requires_approval: bool = False,
    opens_in: timedelta = timedelta(days=-1),
    closes_in: timedelta | None = None,
    host_municipality_id: int | None = None,
    open_to_all: bool = True,
) -> TrainingSession:
    program = program or make_program()
    starts = now_utc().replace(microsecond=0) + starts_in
    ts = TrainingSession(
        program_id=program.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        venue="岡山市役所 本庁舎 第1会議室",
        capacity=capacity,
        registration_opens_at=now_utc() + opens_in,
        registration_closes_at=starts - timedelta(days=1)
        if closes_in is None
        else now_utc() + closes_in,
        requires_approval=requires_approval,
        host_municipality_id=host_municipality_id,
        open_to_all=open_to_all,
    )
    db.session.add(ts)
    db.session.flush()
    return ts


def _org_tree(municipality_id: int) -> dict[str, int]:
    """行政経営局/行政改革推進課 with two 係: the smallest tree real people sit in.

    Names no test or demo data uses, so tests that build their own trees are not confused.
    """
    dept = make_org_unit(municipality_id, "行政経営局", OrgLevel.DEPARTMENT)
    division = make_org_unit(municipality_id, "行政改革推進課", OrgLevel.DIVISION, dept)
    section = make_org_unit(municipality_id, "行革企画係", OrgLevel.SECTION, division)
    section2 = make_org_unit(municipality_id, "業務改善係", OrgLevel.SECTION, division)
    return {"division": division.id, "section": section.id, "section2": section2.id}


def build_world(password: str, code_a: str, code_b: str, code_admin: str):
    """The region, the catalogue, and one account of every role (committed once per run)."""
    from tests.conftest import World

    load_region(db.session, "tenants/data/okayama.toml")
    with setting_up(db.session):
        load_policy_catalogue()
        load_default_measures(db.session)
        db.session.flush()
    a, b, adm = municipality(code_a), municipality(code_b), municipality(code_admin)
    emails = {
        "employee_a": "taro.tsuyama@city.tsuyama.lg.jp",
        "employee_a2": "hanako.tsuyama@city.tsuyama.lg.jp",
        "coordinator_a": "coord@city.tsuyama.lg.jp",
        "employee_b": "jiro.tamano@city.tamano.lg.jp",
        "coordinator_b": "coord@city.tamano.lg.jp",
        "admin": "admin@city.okayama.lg.jp",
    }
    # People shaped like real ones: everyone sits in a 係 of a 課 of a 部 and has a job
    # category, as the demo and production data do (an emptier world hid a sign-in 500).
    units = {m.id: _org_tree(m.id) for m in (a, b, adm)}
    ea = make_user(
        a.id,
        email=emails["employee_a"],
        name="髙橋 太郎",
        password=password,
        org_unit_id=units[a.id]["section"],
        job_category=JobCategory.ADMINISTRATIVE,
    )
    ea2 = make_user(
        a.id,
        email=emails["employee_a2"],
        name="𠮷野 花子",
        password=password,
        org_unit_id=units[a.id]["section2"],
        job_category=JobCategory.TECHNICAL,
    )
    ca = make_user(
        a.id,
        role=Role.COORDINATOR,
        email=emails["coordinator_a"],
        name="津山 調整",
        password=password,
        org_unit_id=units[a.id]["division"],
        job_category=JobCategory.ADMINISTRATIVE,
    )
    eb = make_user(
        b.id,
        email=emails["employee_b"],
        name="玉野 次郎",
        password=password,
        org_unit_id=units[b.id]["section"],
        job_category=JobCategory.ADMINISTRATIVE,
    )
    cb = make_user(
        b.id,
        role=Role.COORDINATOR,
        email=emails["coordinator_b"],
        name="玉野 調整",
        password=password,
        org_unit_id=units[b.id]["division"],
        job_category=JobCategory.ADMINISTRATIVE,
    )
    ad = make_user(
        adm.id,
        role=Role.REGIONAL_ADMIN,
        email=emails["admin"],
        name="岡山 管理",
        password=password,
        org_unit_id=units[adm.id]["section"],
        job_category=JobCategory.ADMINISTRATIVE,
    )
    set_current_tenant(db.session, None)
    return World(
        muni_a=a.id,
        muni_b=b.id,
        muni_admin=adm.id,
        employee_a=ea.id,
        employee_a2=ea2.id,
        coordinator_a=ca.id,
        employee_b=eb.id,
        coordinator_b=cb.id,
        admin=ad.id,
        emails=emails,
    )


def add_mail(*mails):
    """Put messages in the outbox as the mailer would find them, whatever member they are of
    (on PostgreSQL the outbox is behind the wall: the insert lifts it, as queue_mail does)."""
    from regional.mail.models import OutboundMail

    assert all(isinstance(m, OutboundMail) for m in mails)
    return add_lifted(*mails)


def rendered(mails):
    """The outbox's messages with their text, as the mailer reads them: deferred mail
    (registration notices) is rendered explicitly, the row renders nothing when read."""
    from regional.mail.services import render

    mails = list(mails)
    for mail in mails:
        render(mail)
    return mails


def add_lifted(*objs):
    """Add rows of the region that no member's wall shows (a material for every member) as
    a regional administrator's work does: with the wall lifted for the insert."""
    from tenants import all_tenants

    with all_tenants(db.session):
        db.session.add_all(objs)
        db.session.flush()
    return objs[0] if len(objs) == 1 else objs
