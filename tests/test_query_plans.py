"""Do the hot queries find their rows through an index led by what they search for?

A registration's cost must not grow with the member's history. So, with a
realistic amount of history in three municipalities (thousands of people, tens
of thousands of registrations and completions) and fresh planner statistics,
the real code paths run once each (register, the waiting line, cancel and
promotion, a person's pages, registration lists, approvals, progress) while
every SELECT, UPDATE and DELETE they send is explained on the same connection,
in the same transaction, with the same parameters (SQLite: ``EXPLAIN QUERY
PLAN``; PostgreSQL: ``EXPLAIN (FORMAT JSON)``, as the runtime role, so the plan
holds the row-level security policy as a filter). The test fails when a plan

* scans a tenant-owned table in full (a sequential scan, or an index walked
  end to end), or
* searches a tenant-owned table by ``municipality_id`` alone: the whole
  member's rows (Okayama City: tens of thousands) to find one person's.

Also refused: a SQLite skip-scan (the index's first column not searched) and a
search bounded only from above (``starts_at<?``: every session or row before a
time, the whole history). Plans that are member- or region-wide by design (the
member's people and unit tree, progress aggregates) are listed in ``BY_DESIGN``
with the reason. Without ``ix_registrations_person`` this test fails on both
databases (tried once: SQLite walks every past session for the overlap check and
skip-scans the once-per-session key; PostgreSQL searches a person's pages by
municipality alone).

Runs against its own database, committed for real: a temporary SQLite file, or
on PostgreSQL the test database's name with ``_plans``. ``PLANS_DUMP=FILE``
writes every SQLite plan it explained to FILE.
"""

from __future__ import annotations

import json
import os
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.engine import make_url

from regional import create_app
from regional.attendance.models import Completion
from regional.auth.passwords import hash_password
from regional.auth.tokens import api_token
from regional.catalogue.models import Program
from regional.catalogue.services import load_policy_catalogue
from regional.config import TestingConfig
from regional.database import refresh_statistics
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import Role, User
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from regional.targets.measures import load_default_measures
from tenants import TenantScoped, all_tenants
from tenants.base import Base
from tenants.models import Municipality, OrgLevel
from tenants.region import load_region
from tenants.scoping import acting_as
from tests.conftest import PASSWORD, Client, _prepare_database

#: People per member: Okayama City (the coordinating member), 津山市 (A) and 玉野市 (B).
STAFF = {"331007": 3000, "332038": 1500, "332046": 800}
PAST_SESSIONS = 240  # three fiscal years of sessions before today
REGS_PER_PERSON = 6
COMPLETIONS_PER_PERSON = 5

#: Plans the rules would refuse that are member-wide or region-wide by design, each with why.
#: Keyed by (the start of a path's name below, table). Everything else must search by
#: person, session, programme or skill area.
BY_DESIGN = {
    # The member's people, units and targets: sized by its staff and structure, not by its
    # history; the coordinator's home counts its people, lists filter by the unit tree.
    ("page / (coordinator)", "users"): "the coordinator's worklists count the member's people",
    ("", "org_units"): "the member's unit tree (hundreds of rows) is read whole for unit paths",
    # Heads of unit: at most a row per unit (hundreds per member), read whole with the unit
    # tree to route an application; small enough that PostgreSQL may read it in one page.
    ("", "unit_heads"): "a row per unit (hundreds per member), read with the unit tree",
    ("page /progress", "targets"): "a member's six targets",
    ("page / (coordinator)", "targets"): "a member's six targets (the required-training card)",
    # Coverage counts the member's people in the unit they were in on the day judged: one
    # membership per person and transfer, read for the member (like its people and units).
    ("page /progress", "unit_memberships"): "coverage: the member's people in their units",
    ("progress", "unit_memberships"): "coverage: the member's people in their units",
    # The member's one settings row (whether a head of unit approves first): the member's
    # key is all there is to search by.
    ("register", "head_settings"): "the member's one settings row",
    # The coordinator acknowledges the reports of people whose unit has no head: the
    # member's reports still waiting (a backlog, not the history) are read for the card.
    ("page / (coordinator)", "participant_reports"): "the member's reports still waiting",
    # Year-end closes: one row per member and closed fiscal year (a dozen over a decade).
    ("page /progress", "year_closes"): "a member's closed years",
    ("progress", "year_closes"): "a member's closed years",
    ("progress", "targets"): "a member's six targets",
    # A head's units against the member's targets: the member's figures as its dashboard
    # reads them (targets, stored counts, closed years), then only the units' people.
    ("page /heads/units", "targets"): "a member's six targets",
    ("page /heads/units", "progress_counts"): "stored figures: rows per member, key and year",
    ("page /heads/units", "year_closes"): "a member's closed years",
    # Progress against targets reads the stored figures (regional.targets.tallies): a few
    # rows per member, key and fiscal year, read whole for a member or the region. The
    # drill-down and the growth counts still aggregate a member's completions, passes and
    # OJT records (see bench/README.md, "Progress benchmark"); the covering indexes keep
    # those to index pages.
    ("page /progress", "progress_counts"): "stored figures: rows per member, key and year",
    ("progress", "progress_counts"): "stored figures: rows per member, key and year",
    ("page /progress", "completions"): "progress aggregates over the whole history",
    ("page /progress", "qualifications"): "progress aggregates over the whole history",
    ("page /progress", "ojt_records"): "progress aggregates over the whole history",
    ("page /progress", "registrations"): "the dashboard counts a year's seats of every member",
    ("progress", "completions"): "progress aggregates over the whole history",
    ("progress", "qualifications"): "progress aggregates over the whole history",
    ("progress", "ojt_records"): "progress aggregates over the whole history",
}

TENANT_TABLES = frozenset(
    mapper.class_.__tablename__
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, TenantScoped)
)


#: Tables that grow with the years: the tenant-owned ones and the shared sessions.
HISTORY_TABLES = TENANT_TABLES | {"training_sessions"}

# -- the detectors ---------------------------------------------------------------------------


@dataclass
class Finding:
    table: str
    problem: str
    plan: str
    sql: str

    def __str__(self) -> str:
        return f"{self.table}: {self.problem}\n  plan: {self.plan}\n  sql: {self.sql[:600]}"


def _aliases(sql: str) -> dict[str, str]:
    """alias -> table, from ``FROM table AS alias`` / ``JOIN table AS alias``."""
    return {alias: table for table, alias in re.findall(r"\b(\w+) AS (\w+)\b", sql)}


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)")
_SQLITE_SEARCH = re.compile(r"^SEARCH (\w+) USING (?:COVERING )?INDEX (\w+) \((.*)\)")
#: A search bounded only from above (``starts_at<?``): every row before a time, i.e. the whole
#: history. Upcoming-only searches (``>``) stay small and are fine.
_BEFORE = re.compile(r"\w+<=?\?")
_SQLITE_AUTO = re.compile(r"^(?:SEARCH|SCAN) (\w+) USING AUTOMATIC")


def sqlite_findings(sql: str, rows: list[tuple]) -> list[Finding]:
    """Full scans and municipality-only searches of tenant-owned tables in a SQLite plan."""
    names, found = _aliases(sql), []
    plan = " | ".join(r[-1] for r in rows)
    for row in rows:
        detail = row[-1]
        for pattern, problem in (
            (_SQLITE_AUTO, "no usable index (automatic index built per query)"),
            (_SQLITE_SCAN, "full scan"),
        ):
            m = pattern.match(detail)
            if m and names.get(m.group(1), m.group(1)) in TENANT_TABLES:
                found.append(Finding(names.get(m.group(1), m.group(1)), problem, plan, sql))
                break
        else:
            m = _SQLITE_SEARCH.match(detail)
            table = names.get(m.group(1), m.group(1)) if m else ""
            if m and table in HISTORY_TABLES and _BEFORE.fullmatch(m.group(3)):
                found.append(Finding(table, f"everything before a time ({m.group(2)})", plan, sql))
            elif m and table in TENANT_TABLES and "ANY(" in m.group(3):
                found.append(
                    Finding(
                        table, f"skip-scan, first column not searched ({m.group(2)})", plan, sql
                    )
                )
            elif m and table in TENANT_TABLES:
                columns = set(re.findall(r"(\w+)[=<>]", m.group(3)))
                if columns == {"municipality_id"}:
                    found.append(
                        Finding(
                            names.get(m.group(1), m.group(1)),
                            f"searched by municipality_id alone ({m.group(2)})",
                            plan,
                            sql,
                        )
                    )
    return found


_PG_COLUMN = re.compile(r"(?:\w+\.)?(\w+) (?:=|<|>|<=|>=|<>|~~)")


def _anded_with_more(node: dict, parent: dict | None) -> bool:
    """A municipality-only bitmap ANDed with a sibling that searches by something else: the
    search does not use the tenant-wide index alone (the planner narrows the heap visits)."""
    if parent is None or parent.get("Node Type") != "BitmapAnd":
        return False
    return any(
        child is not node
        and set(_PG_COLUMN.findall(child.get("Index Cond", ""))) - {"municipality_id"}
        for child in parent.get("Plans", [])
    )


def pg_findings(sql: str, plan: dict, index_tables: dict[str, str]) -> list[Finding]:
    """Sequential scans, unbounded index scans and municipality-only index conditions on
    tenant-owned tables in a PostgreSQL JSON plan. The row-level security policy shows as a
    ``Filter`` on every tenant-owned scan; only the index condition says how rows are found."""
    found: list[Finding] = []
    summary: list[str] = []

    def walk(node: dict, parent: dict | None = None) -> None:
        kind = node.get("Node Type", "")
        table = node.get("Relation Name") or index_tables.get(node.get("Index Name", ""), "")
        cond = node.get("Index Cond", "")
        summary.append(f"{kind} {table} {node.get('Index Name', '')} {cond}".strip())
        if (
            table in HISTORY_TABLES
            and kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
            and re.fullmatch(r"\(\(?(?:\w+\.)?\w+ <=? [^()]*\)?\)", cond)
        ):
            found.append(
                Finding(table, f"everything before a time ({node['Index Name']})", "", sql)
            )
        elif table in TENANT_TABLES:
            if kind == "Seq Scan":
                found.append(Finding(table, "sequential scan", "", sql))
            elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
                columns = set(_PG_COLUMN.findall(cond))
                if not cond:
                    found.append(Finding(table, f"whole index {node['Index Name']}", "", sql))
                elif columns == {"municipality_id"} and not _anded_with_more(node, parent):
                    found.append(
                        Finding(
                            table,
                            f"searched by municipality_id alone ({node['Index Name']})",
                            "",
                            sql,
                        )
                    )
        for child in node.get("Plans", []):
            walk(child, node)

    walk(plan["Plan"])
    for f in found:
        f.plan = " | ".join(summary)
    return found


def test_the_detectors_know_a_bad_plan_from_a_good_one():
    """The rules themselves, on plans as each database prints them."""
    sql = "SELECT 1 FROM registrations JOIN users AS users_1 ON users_1.id = 1"
    assert sqlite_findings(sql, [(2, 0, 0, "SCAN registrations")])
    assert sqlite_findings(sql, [(2, 0, 0, "SCAN users_1 USING INDEX uq_users_tenant_id")])
    assert sqlite_findings(
        sql, [(2, 0, 0, "SEARCH registrations USING INDEX ix_x (municipality_id=?)")]
    )
    assert not sqlite_findings(
        sql,
        [(2, 0, 0, "SEARCH registrations USING INDEX ix_x (municipality_id=? AND employee_id=?)")],
    )
    assert not sqlite_findings(sql, [(2, 0, 0, "SCAN training_sessions")])
    assert sqlite_findings(
        sql, [(2, 0, 0, "SEARCH training_sessions USING INDEX ix_t (starts_at<?)")]
    )
    assert not sqlite_findings(
        sql, [(2, 0, 0, "SEARCH training_sessions USING INDEX ix_t (starts_at>?)")]
    )
    assert sqlite_findings(
        sql, [(2, 0, 0, "SEARCH registrations USING INDEX uq (ANY(session_id) AND employee_id=?)")]
    )
    assert not sqlite_findings(
        sql, [(2, 0, 0, "SEARCH users_1 USING INTEGER PRIMARY KEY (rowid=?)")]
    )
    policy = "((current_setting('app.all_tenants'::text, true) = 'on'::text) OR (...))"
    good = {
        "Plan": {
            "Node Type": "Index Scan",
            "Relation Name": "registrations",
            "Index Name": "ix_x",
            "Index Cond": "((municipality_id = 3) AND (employee_id = 7))",
            "Filter": policy,
        }
    }
    assert not pg_findings(sql, good, {})
    tenant_wide = {"Plan": {**good["Plan"], "Index Cond": "(municipality_id = 3)"}}
    assert pg_findings(sql, tenant_wide, {})
    bitmap = {
        "Plan": {
            "Node Type": "Bitmap Heap Scan",
            "Relation Name": "registrations",
            "Plans": [
                {
                    "Node Type": "Bitmap Index Scan",
                    "Index Name": "ix_x",
                    "Index Cond": "(registrations.municipality_id = 3)",
                }
            ],
        }
    }
    assert pg_findings(sql, bitmap, {"ix_x": "registrations"})
    anded = {
        "Plan": {
            "Node Type": "BitmapAnd",
            "Plans": [
                {**bitmap["Plan"]["Plans"][0]},
                {
                    "Node Type": "Bitmap Index Scan",
                    "Index Name": "ix_y",
                    "Index Cond": "(session_id = ANY ('{1,2}'::integer[]))",
                },
            ],
        }
    }
    assert not pg_findings(sql, anded, {"ix_x": "registrations", "ix_y": "registrations"})
    before = {
        "Plan": {
            "Node Type": "Index Scan",
            "Relation Name": "training_sessions",
            "Index Name": "ix_t",
            "Index Cond": "(starts_at < '2026-12-01 00:00:00+00'::timestamp with time zone)",
        }
    }
    assert pg_findings(sql, before, {})
    seq = {"Plan": {"Node Type": "Seq Scan", "Relation Name": "completions", "Filter": policy}}
    assert pg_findings(sql, seq, {})


# -- the world: a separate, committed database with history ----------------------------------


@dataclass
class World:
    app: object
    postgres: bool
    muni: dict[str, int]
    employee: dict[str, int]  # code -> an employee with a long history
    coordinator: dict[str, str]  # code -> e-mail
    admin_email: str
    token: dict[int, str] = field(default_factory=dict)  # user id -> bearer token
    future_session: int = 0
    small_session: int = 0
    spare: list[int] = field(default_factory=list)  # employees of A with no future seat
    head_email: str = ""  # a head of unit of A (a 課 of 30 people)


def _bulk(table, rows: list[dict]) -> None:
    for i in range(0, len(rows), 2000):
        db.session.execute(insert(table), rows[i : i + 2000])


def _populate(app, postgres: bool) -> World:
    rng = random.Random(20261129)
    with app.app_context(), all_tenants(db.session):
        load_region(db.session, "tenants/data/okayama.toml")
        load_policy_catalogue()
        load_default_measures(db.session)
        db.session.commit()
        muni = {
            m.code: m.id
            for m in db.session.scalars(select(Municipality).where(Municipality.code.in_(STAFF)))
        }
        programs = list(db.session.scalars(select(Program).order_by(Program.id)))
        classroom = next(p for p in programs if p.code == "CORE-DT-102")
        pw = hash_password(PASSWORD)
        users, people = [], {}
        for code, n in STAFF.items():
            for i in range(n):
                role = Role.COORDINATOR if i == 0 else Role.EMPLOYEE
                if code == "331007" and i == 1:
                    role = Role.REGIONAL_ADMIN
                users.append(
                    dict(
                        municipality_id=muni[code],
                        email=f"p{i}@plans-{code}.lg.jp",
                        name=f"職員 {i}",
                        employee_number=f"{code}-{i:05d}",
                        role=role,
                        password_hash=pw,
                    )
                )
        _bulk(User.__table__, users)
        for uid, mid, role in db.session.execute(
            select(User.id, User.municipality_id, User.role).order_by(User.id)
        ):
            people.setdefault(mid, []).append((uid, role))

        today = now_utc().replace(microsecond=0, second=0, minute=0)
        # As the policy runs it: security and literacy for nearly everyone every year, the
        # core and advanced tracks for a few cohorts.
        weights = [12 if p.code.startswith("GEN-") else 1 for p in programs]
        sessions = []
        for i in range(PAST_SESSIONS):
            starts = today - timedelta(days=3 + i * 4)
            sessions.append(
                dict(
                    program_id=rng.choices(programs, weights)[0].id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                    capacity=100_000,
                    registration_opens_at=starts - timedelta(days=60),
                    registration_closes_at=starts - timedelta(days=1),
                )
            )
        _bulk(TrainingSession.__table__, sessions)
        past = list(
            db.session.execute(
                select(TrainingSession.id, TrainingSession.program_id, TrainingSession.starts_at)
            )
        )
        regs, comps, taken = [], [], {}
        by_program = {p.id: p for p in programs}
        for mid, staff in people.items():
            for uid, _role in staff:
                for sid, _pid, _starts in rng.sample(past, REGS_PER_PERSON):
                    cancelled = rng.random() < 0.08
                    regs.append(
                        dict(
                            municipality_id=mid,
                            employee_id=uid,
                            session_id=sid,
                            status=RegistrationStatus.CANCELLED
                            if cancelled
                            else RegistrationStatus.ENROLLED,
                            attended=None if cancelled else True,
                        )
                    )
                    if not cancelled:
                        taken[sid] = taken.get(sid, 0) + 1
                for _sid, pid, starts in rng.sample(past, COMPLETIONS_PER_PERSON):
                    p = by_program[pid]
                    day = starts.date()
                    comps.append(
                        dict(
                            municipality_id=mid,
                            employee_id=uid,
                            program_id=pid,
                            program_revision=p.revision,
                            program_code=p.code,
                            title_ja=p.title_ja,
                            title_en=p.title_en,
                            tier=p.tier,
                            track=p.track,
                            skill_area_key=p.skill_area.key,
                            hours=Decimal(p.hours),
                            completed_on=day,
                            fiscal_year=day.year if day.month >= 4 else day.year - 1,
                            source="manual",
                        )
                    )
        _bulk(Registration.__table__, regs)
        _bulk(Completion.__table__, comps)
        _growth_and_audit(people, rng)
        for sid, n in taken.items():
            db.session.execute(
                TrainingSession.__table__.update()
                .where(TrainingSession.id == sid)
                .values(seats_taken=n)
            )
        future = TrainingSession(
            program_id=classroom.id,
            starts_at=today + timedelta(days=20),
            ends_at=today + timedelta(days=20, hours=3),
            venue="岡山市役所",
            capacity=500,
            registration_opens_at=today - timedelta(days=1),
            registration_closes_at=today + timedelta(days=19),
        )
        small = TrainingSession(
            program_id=classroom.id,
            starts_at=today + timedelta(days=22),
            ends_at=today + timedelta(days=22, hours=3),
            venue="岡山市役所",
            capacity=2,
            registration_opens_at=today - timedelta(days=1),
            registration_closes_at=today + timedelta(days=21),
        )
        db.session.add_all([future, small])
        # The history went in with bulk inserts, past the flush hooks: the stored progress
        # figures are computed from it once, as the benchmark's generator does.
        from regional.targets.tallies import rebuild

        rebuild(db.session.connection())
        db.session.commit()

        a, b, okayama = muni["332038"], muni["332046"], muni["331007"]

        def first(mid: int, role: Role) -> int:
            return next(uid for uid, r in people[mid] if r == role)

        coordinators = {
            code: db.session.get(User, first(muni[code], Role.COORDINATOR)).email for code in STAFF
        }
        admin = db.session.get(User, first(okayama, Role.REGIONAL_ADMIN))
        world = World(
            app=app,
            postgres=postgres,
            muni=muni,
            employee={code: people[muni[code]][5][0] for code in STAFF},
            coordinator=coordinators,
            admin_email=admin.email,
            future_session=future.id,
            small_session=small.id,
            spare=[uid for uid, _r in people[a][10:20]],
        )
        for uid in [*world.employee.values(), *world.spare, people[b][7][0]]:
            world.token[uid] = api_token(db.session.get(User, uid))[0]
        world.token[admin.id] = api_token(admin)[0]
        world.employee["b2"] = people[b][7][0]
        world.head_email = _a_head(a, [uid for uid, _r in people[a][30:]])
        world.employee["admin"] = admin.id
        db.session.rollback()
    with app.app_context():
        refresh_statistics()  # ANALYZE as the tables' owner; SQLite: ANALYZE + PRAGMA optimize
        db.session.remove()
    return world


def _a_head(municipality_id: int, staff: list[int]) -> str:
    """Member A's people in 課 of 30 (as a city hall is organised), the first 課 headed by
    its first person: their e-mail."""
    from regional.heads.models import UnitHead
    from tests.factories import make_org_unit

    size = 30
    first = None
    for start in range(0, len(staff), size):
        unit = make_org_unit(municipality_id, f"第{start // size + 1}課", OrgLevel.DIVISION)
        with acting_as(db.session, municipality_id):
            db.session.execute(
                User.__table__.update()
                .where(User.id.in_(staff[start : start + size]))
                .values(org_unit_id=unit.id)
            )
        first = first or unit
    with acting_as(db.session, municipality_id):
        db.session.add(UnitHead(org_unit_id=first.id, head_id=staff[0]))
        email = db.session.get(User, staff[0]).email
    db.session.commit()
    return email


def _growth_and_audit(people: dict[int, list[tuple[int, Role]]], rng: random.Random) -> None:
    """Qualifications, on-the-job training, certificates, interests and an audit trail, as a
    few years leave them (an empty table gives the planner nothing to go on)."""
    quals, ojt, certs, audit, interests = [], [], [], [], []
    program_ids = list(db.session.scalars(select(Program.id).order_by(Program.id)))
    regs = {
        (mid, eid): rid
        for rid, mid, eid in db.session.execute(
            select(Registration.id, Registration.municipality_id, Registration.employee_id).where(
                Registration.status == RegistrationStatus.ENROLLED
            )
        )
    }
    for mid, staff in people.items():
        for n, (uid, _role) in enumerate(staff):
            if n % 7 == 0:
                quals.append(
                    dict(
                        municipality_id=mid,
                        employee_id=uid,
                        exam_code=rng.choice(["FE", "SC", "AP", "IP"]),
                        passed_on=date(2025, 1 + n % 12, 1),
                        certificate_number=f"C{uid}",
                        status=rng.choice(["verified", "unverified"]),
                    )
                )
            if n % 9 == 0:
                ojt.append(
                    dict(
                        municipality_id=mid,
                        employee_id=uid,
                        title="業務改善",
                        started_on=date(2025, 4, 1),
                        status=rng.choice(["confirmed", "unconfirmed"]),
                    )
                )
            if n % 3 == 0 and (mid, uid) in regs:
                certs.append(
                    dict(
                        municipality_id=mid,
                        employee_id=uid,
                        code=f"CERT{uid:012d}",
                        registration_id=regs[(mid, uid)],
                        program_id=program_ids[n % len(program_ids)],
                        program_revision=1,
                        name="職員",
                        program_code="X",
                        program_title_ja="研修",
                        program_title_en="Course",
                        hours=Decimal("2.0"),
                        completed_on=date(2025, 6, 1),
                        issuer_ja="岡山市",
                        issuer_en="Okayama City",
                    )
                )
            if n % 5 == 0:
                interests.append(
                    dict(municipality_id=mid, employee_id=uid, program_id=rng.choice(program_ids))
                )
            audit.append(
                dict(
                    municipality_id=mid,
                    actor_label="coordinator",
                    action=rng.choice(
                        ["registration.approve", "registration.create", "attendance.record"]
                    ),
                    subject_type="registration",
                )
            )
    from regional.attendance.models import Certificate
    from regional.audit.models import AuditEntry
    from regional.growth.models import OjtRecord, Qualification
    from regional.registrations.models import ProgramInterest

    _bulk(Qualification.__table__, quals)
    _bulk(OjtRecord.__table__, ojt)
    _bulk(Certificate.__table__, certs)
    _bulk(AuditEntry.__table__, audit)
    _bulk(ProgramInterest.__table__, interests)
    _the_training_cycle(people)


def _the_training_cycle(people: dict[int, list[tuple[int, Role]]]) -> None:
    """Heads of unit, survey invitations, 3-month follow-ups and participants' reports, as a
    few years of the training cycle leave them (one head per unit, an invitation for every
    other attended registration, a follow-up for every fourth, most answered, a report for
    every third, nearly all of them acknowledged)."""
    from regional.heads.models import UnitHead
    from regional.reports.models import ParticipantReport
    from regional.surveys.models import (
        FollowupSetting,
        Questionnaire,
        SurveyFollowup,
        SurveyInvitation,
        SurveyResponse,
    )
    from tenants.models import OrgUnit

    staff = {mid: [uid for uid, _role in rows] for mid, rows in people.items()}
    heads = []
    for n, (unit_id, mid) in enumerate(
        db.session.execute(select(OrgUnit.id, OrgUnit.municipality_id))
    ):
        if staff.get(mid):
            heads.append(
                dict(
                    municipality_id=mid,
                    org_unit_id=unit_id,
                    head_id=staff[mid][n % len(staff[mid])],
                    updated_at=datetime(2025, 4, 1, tzinfo=UTC),
                )
            )
    standard = db.session.scalars(select(Questionnaire.id).order_by(Questionnaire.id)).first()
    invitations, reports = [], []
    attended = db.session.execute(
        select(
            Registration.id,
            Registration.municipality_id,
            Registration.employee_id,
            Registration.session_id,
        ).where(Registration.status == RegistrationStatus.ENROLLED)
    )
    when = datetime(2025, 6, 1, tzinfo=UTC)
    for n, (rid, mid, eid, sid) in enumerate(attended):
        row = dict(municipality_id=mid, registration_id=rid, employee_id=eid, session_id=sid)
        if n % 2 == 0 and standard is not None:
            invitations.append({**row, "questionnaire_id": standard, "asked_at": when})
        if n % 3 == 0:
            seen = None if n % 30 == 0 else when  # most acknowledged, a few still waiting
            reports.append(
                {
                    **row,
                    "body": "係内で共有する",
                    "written_at": when,
                    "updated_at": when,
                    "acknowledged_at": seen,
                }
            )
    _bulk(UnitHead.__table__, heads)
    _bulk(SurveyInvitation.__table__, invitations)
    # Half of those asked answered (an empty table would be read whole by PostgreSQL).
    program_of = {
        sid: pid
        for sid, pid in db.session.execute(select(TrainingSession.id, TrainingSession.program_id))
    }
    responses = []
    for invited in invitations[::2]:
        answered = {key: value for key, value in invited.items() if key != "asked_at"}
        answered.update(
            program_id=program_of[invited["session_id"]], fiscal_year=2025, submitted_at=when
        )
        responses.append(answered)
    _bulk(SurveyResponse.__table__, responses)
    # Every fourth attended registration asked the follow-up three months on; most answered.
    followups = [
        {
            **{key: value for key, value in invited.items() if key not in ("asked_at",)},
            "program_id": program_of[invited["session_id"]],
            "fiscal_year": 2025,
            "asked_at": datetime(2025, 9, 1, tzinfo=UTC),
            "value": None if n % 5 == 0 else 1 + n % 5,
            "text": None,
            "answered_at": None if n % 5 == 0 else datetime(2025, 9, 2, tzinfo=UTC),
        }
        for n, invited in enumerate(invitations[1::2])
    ]
    for row in followups:
        row.pop("questionnaire_id", None)
    _bulk(SurveyFollowup.__table__, followups)
    _bulk(
        FollowupSetting.__table__,
        [
            {"program_id": pid, "enabled": True, "switched_at": when}
            for pid in sorted(set(program_of.values()))[::3]
        ],
    )
    _bulk(ParticipantReport.__table__, reports)


@pytest.fixture(scope="module")
def plans_world(owner_database_url, tmp_path_factory):
    from flask_migrate import upgrade

    parsed = make_url(owner_database_url)
    postgres = parsed.get_backend_name() == "postgresql"
    if postgres:
        url = parsed.set(database=f"{parsed.database}_plans")
        urls = _prepare_database(url.render_as_string(hide_password=False))
    else:
        urls = _prepare_database(f"sqlite:///{tmp_path_factory.mktemp('plans') / 'plans.sqlite3'}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url
        MAIL_DELIVERY = "deferred"

    app = create_app(Config)
    with app.app_context():
        upgrade()
        db.session.remove()
    world = _populate(app, postgres)
    yield world
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if postgres:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        admin.dispose()


# -- capturing and explaining ----------------------------------------------------------------


class Explainer:
    """Explains every SELECT/UPDATE/DELETE the app runs, in place, while switched on."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.findings: dict[str, list[Finding]] = {}
        self.explained: dict[str, int] = {}
        self.path = ""
        self.index_tables: dict[str, str] = {}
        with world.app.app_context():
            if world.postgres:
                with all_tenants(db.session):
                    self.index_tables = dict(
                        db.session.execute(
                            text(
                                "SELECT indexname, tablename FROM pg_indexes "
                                "WHERE schemaname = 'public'"
                            )
                        ).all()
                    )
            self.engine = db.engine
        event.listen(self.engine, "after_cursor_execute", self._explain)

    def close(self) -> None:
        event.remove(self.engine, "after_cursor_execute", self._explain)

    def _explain(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.path or executemany:
            return
        head = statement.lstrip().split(None, 1)[0].upper()
        if head not in ("SELECT", "UPDATE", "DELETE", "WITH"):
            return
        if not any(re.search(rf"\b{t}\b", statement) for t in TENANT_TABLES):
            return
        raw = conn.connection.dbapi_connection.cursor()
        try:
            if self.world.postgres:
                raw.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
                plan = raw.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                found = pg_findings(statement, plan, self.index_tables)
            else:
                raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                rows = raw.fetchall()
                found = sqlite_findings(statement, rows)
                if os.environ.get("PLANS_DUMP"):  # every plan, for reading: PLANS_DUMP=file
                    with open(os.environ["PLANS_DUMP"], "a") as fh:
                        plan = " | ".join(r[-1] for r in rows)
                        fh.write(f"[{self.path}] {plan}\n    {statement[-300:]!r}\n")
        finally:
            raw.close()
        self.explained[self.path] = self.explained.get(self.path, 0) + 1
        if found:
            self.findings.setdefault(self.path, []).extend(found)

    def run(self, name: str, call) -> object:
        self.path = name
        try:
            return call()
        finally:
            self.path = ""


def _api(app, token: str, method: str, path: str, **kw):
    client = app.test_client()
    return client.open(
        "/api/v1" + path, method=method, headers={"Authorization": f"Bearer {token}"}, **kw
    )


def _signed_in(app, email: str) -> Client:
    app.test_client_class = Client
    c = app.test_client()
    assert c.login(email).status_code == 302
    return c


@pytest.mark.real_commits
@pytest.mark.slow
def test_hot_queries_search_by_person_or_session_not_by_member(plans_world):
    w = plans_world
    app = w.app
    a_code, b_code = "332038", "332046"
    ex = Explainer(w)
    try:
        me_a = w.employee[a_code]
        coordinator_a = _signed_in(app, w.coordinator[a_code])
        employee_a = _signed_in(app, f"p5@plans-{a_code}.lg.jp")
        admin = _signed_in(app, w.admin_email)

        def api(uid, method, path, **kw):
            resp = _api(app, w.token[uid], method, path, **kw)
            assert resp.status_code < 400, (path, resp.status_code, resp.get_data(as_text=True))
            return resp

        # Registering: token, session lock, duplicate and overlap checks, seat, mail.
        reg = ex.run(
            "register",
            lambda: api(me_a, "POST", f"/sessions/{w.future_session}/registrations", json={}),
        ).get_json()
        ex.run(
            "register (member B)",
            lambda: api(
                w.employee[b_code], "POST", f"/sessions/{w.future_session}/registrations", json={}
            ),
        )
        # The waiting line: fill a two-seat session, queue two more.
        small = [
            ex.run(
                "register (waiting line)",
                lambda uid=uid: api(
                    uid, "POST", f"/sessions/{w.small_session}/registrations", json={}
                ),
            ).get_json()
            for uid in w.spare[:4]
        ]
        assert [r["status"] for r in small] == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
        # Cancelling a seat promotes the first in line (overlap check for them, revisit).
        ex.run(
            "cancel and promote",
            lambda: api(w.spare[0], "DELETE", f"/registrations/{small[0]['id']}"),
        )
        ex.run("cancel", lambda: api(me_a, "DELETE", f"/registrations/{reg['id']}"))
        # A person's own pages.
        for path in ("/", "/records/my-training", "/records/my-training/history"):
            resp = ex.run(f"page {path}", lambda path=path: employee_a.get(path))
            assert resp.status_code == 200, path
        ex.run("api /me/record", lambda: api(me_a, "GET", "/me/record"))
        # Registration lists and approvals (a coordinator, the regional administrator).
        for path in (
            "/",
            "/registrations/",
            f"/registrations/session/{w.small_session}",
            f"/people/{me_a}",
            f"/records/people/{me_a}",
        ):
            resp = ex.run(f"page {path} (coordinator)", lambda path=path: coordinator_a.get(path))
            assert resp.status_code == 200, path
        for path in (
            f"/municipalities/{a_code}/registrations?session_id={w.small_session}",
            f"/municipalities/{a_code}/registrations?status=enrolled&fiscal_year=2025",
        ):
            ex.run(f"api {path}", lambda path=path: api(w.employee["admin"], "GET", path))
        # Progress against targets: a member's and the region's.
        fy = date.today().year - (0 if date.today().month >= 4 else 1)
        ex.run(
            "progress (member)",
            lambda: api(
                w.employee["admin"], "GET", f"/municipalities/{a_code}/progress?fiscal_year={fy}"
            ),
        )
        for path in (f"/progress/m/{a_code}", "/progress/region"):
            resp = ex.run(f"page {path}", lambda path=path: admin.get(path))
            assert resp.status_code == 200, path
        # A head of unit: their worklist, and their units' people and progress against targets.
        head = _signed_in(app, w.head_email)
        for path in ("/heads/", "/heads/units"):
            resp = ex.run(f"page {path} (head)", lambda path=path: head.get(path))
            assert resp.status_code == 200, path
    finally:
        ex.close()
    assert ex.explained.get("register", 0) >= 3, ex.explained  # the capture itself works
    report: dict[str, list[str]] = {}  # one entry per distinct plan, with the paths it came from
    for path, found in ex.findings.items():
        for finding in found:
            if any(path.startswith(p) and finding.table == t for p, t in BY_DESIGN):
                continue
            report.setdefault(str(finding), []).append(path)
    assert not report, "\n\n".join(
        f"[{', '.join(sorted(set(paths)))}] {text}" for text, paths in report.items()
    )
