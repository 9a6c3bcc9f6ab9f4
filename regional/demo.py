"""Demonstration data (``flask --app wsgi seed-demo``).

Staff for all 13 members sized by population (about 1% of it, as the policy
suggests, scaled down to about 2,000 people so it seeds in seconds), their
organisation trees, the policy's six targets for every member (Okayama City's
numbers scaled by population), the fiscal years since the policy began (FY2024,
FY2025) entered after the fact with registrations and recorded attendance and
imported e-learning, sessions over the current fiscal year with registrations,
a waiting list, approvals and reserved seats, and completed training; one programme's
past survey answers and 3-month follow-ups (its follow-up on), for the review's trend.
The names, organisation trees and sessions are data, in a TOML file beside the
region's member list (``tenants/data/okayama_demo.toml``, see :func:`demo_file`).
Everything goes through the platform's own services, acting as each
municipality in turn, so counters and the tenant wall hold as in real use.

One shared password (:data:`DEMO_PASSWORD`) opens every demo sign-in, listed at
the end. The command refuses politely when demo data is already there. The
random seed is fixed: two runs on empty databases produce the same people.
"""

from __future__ import annotations

import random
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, func, select

from regional import attendance, seats
from regional.auth.passwords import hash_password, password_problems
from regional.catalogue.models import Program
from regional.database import refresh_statistics
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_bounds, fiscal_year_of, local_to_utc, now_utc, to_local
from regional.heads.models import UnitHead
from regional.mail.models import OutboundMail
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.registrations import actions
from regional.seats.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from tenants import all_tenants, set_current_tenant
from tenants.models import Municipality, OrgLevel, OrgUnit
from tenants.scoping import acting_as

#: The one password of every demo sign-in (documented in the README).
DEMO_PASSWORD = "demo-Training-2026"  # noqa: S105
SEED = 20240401
#: Training under the policy began in 令和6年度 (FY2024): the demo's history starts there.
POLICY_START_FY = 2024
TOTAL_STAFF = 2000
MIN_STAFF = 15
ADMIN_EMAIL = "admin@city.okayama.lg.jp"

# -- the demo's content (names, organisation trees, sessions) -----------------------
# Read from a data file beside the region's member list (see demo_file()). A hint
# makes a unit's staff mostly of that job category (welfare in 福祉課 ...).
A = JobCategory.ADMINISTRATIVE
#: 役職 of the demo staff, by employee number (no draw from the random sequence).
TITLES = ("主事", "主任", "主事", "主査", "主事", "係長", "主任", "主事")
T, W, M = JobCategory.TECHNICAL, JobCategory.WELFARE, JobCategory.MEDICAL
F, E, L = JobCategory.FIREFIGHTING, JobCategory.EDUCATION, JobCategory.LABOR


@dataclass
class U:
    """One unit of a demo tree."""

    name: str
    children: list[U] = field(default_factory=list)
    equivalent: bool = False
    hint: JobCategory = A
    #: A board or headquarters (教育委員会, 消防本部) is counted as a 部 wherever it sits.
    department: bool = False


def demo_file() -> Path:
    """The demo content beside the region's member list: ``okayama.toml`` → ``okayama_demo.toml``."""
    region = Path(current_app.config["REGION_FILE"])
    return region.with_name(f"{region.stem}_demo.toml")


@cache
def _content(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def content() -> dict:
    """Names, organisation trees and session plans of the demo (a TOML data file)."""
    return _content(demo_file())


def _tree(rows: list[dict], top: str) -> list[U]:
    """Units listed by path (parents first) as a tree, in the order listed."""
    units: dict[str, U] = {}
    roots: list[U] = []
    for row in rows:
        path = row["path"].replace("{top}", top)
        parent, _, name = path.rpartition("/")
        unit = U(
            name,
            equivalent=row.get("equivalent", False),
            hint=JobCategory(row.get("hint", A.value)),
            department=row.get("department", False),
        )
        (units[parent].children if parent else roots).append(unit)
        units[path] = unit
    return roots


def tree_for(m: Municipality) -> list[U]:
    trees = content()["trees"]
    if m.kind.value != "city":
        return _tree(trees["town"], "")
    rows = trees["city"] + (trees["city_coordinating"] if m.coordinating else [])
    return _tree(rows, "局" if m.coordinating else "部")


def staff_sizes(members: list[Municipality]) -> dict[str, int]:
    """About 1% of the population, scaled so the region totals about TOTAL_STAFF."""
    population = sum(m.population or 0 for m in members) or 1
    return {
        m.code: max(MIN_STAFF, round((m.population or 0) * TOTAL_STAFF / population))
        for m in members
    }


# -- building -------------------------------------------------------------------


@dataclass
class SignIn:
    role: str
    municipality: Municipality
    email: str
    note: str = ""


@dataclass
class Seeder:
    rng: random.Random
    actor: User | None = None
    password_hash: str = ""
    used_emails: set[str] = field(default_factory=set)
    sign_ins: list[SignIn] = field(default_factory=list)
    #: municipality id -> ids of its active administrative staff (candidates for training)
    trainees: dict[int, list[int]] = field(default_factory=dict)
    demo_employees: dict[int, int] = field(default_factory=dict)
    #: municipality id -> ids of its active staff in charge of building or maintaining systems
    duty: dict[int, list[int]] = field(default_factory=dict)
    #: org unit id -> the job category most of its staff have
    hints: dict[int, JobCategory] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # -- people --------------------------------------------------------------

    def _name(self) -> tuple[str, str, str]:
        names = content()
        family, given = self.rng.choice(names["family"]), self.rng.choice(names["given"])
        return (
            f"{family[0]} {given[0]}",
            f"{family[1]} {given[1]}",
            f"{given[2]}.{family[2]}",
        )

    def _email(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        while candidate in self.used_emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.used_emails.add(candidate)
        return candidate

    def build_units(self, m: Municipality) -> tuple[list[OrgUnit], dict[str, OrgUnit]]:
        """The member's tree, a level at a time; returns its leaves and its units by path."""
        leaves: list[OrgUnit] = []
        by_path: dict[str, OrgUnit] = {}
        levels = (OrgLevel.DEPARTMENT, OrgLevel.DIVISION, OrgLevel.SECTION)
        top_rank = 0 if m.kind.value == "city" else 1
        todo: list[tuple[U, int, OrgUnit | None, str]] = [
            (spec, top_rank, None, "") for spec in tree_for(m)
        ]
        while todo:
            made = []
            for spec, rank, parent, path in todo:
                level = OrgLevel.DEPARTMENT if spec.department else levels[min(rank, 2)]
                unit = OrgUnit(
                    name=spec.name,
                    level=level,
                    equivalent=spec.equivalent,
                    parent_id=parent.id if parent else None,
                    active=True,
                )
                db.session.add(unit)
                made.append((spec, unit, f"{path}/{spec.name}" if path else spec.name))
            db.session.flush()  # one flush per level: children need their parent's id
            todo = []
            for spec, unit, unit_path in made:
                by_path[unit_path] = unit
                self.hints[unit.id] = spec.hint
                if not spec.children:
                    leaves.append(unit)
                rank = levels.index(unit.level) + 1
                todo += [(child, rank, unit, unit_path) for child in spec.children]
            self.bump("org units", len(made))
        return leaves, by_path

    def build_people(self, m: Municipality, size: int) -> None:
        """The member's units and staff: the demo sign-ins, ``size`` staff in all, and two
        sign-ups from private addresses awaiting approval."""
        leaves, by_path = self.build_units(m)
        hiring = _Hiring(self, m, leaves, by_path, size)
        employee = self._demo_accounts(hiring)
        for i in range(2, size):
            roll = self.rng.random()
            status = AccountStatus.ACTIVE
            if roll < 0.012:
                status = AccountStatus.DISABLED
            elif roll < 0.018:
                status = AccountStatus.PENDING_EMAIL
            hiring.person(i, status=status)
        # Two sign-ups from private addresses wait for the coordinator's decision.
        for i in (size, size + 1):
            hiring.person(
                i,
                private=True,
                status=AccountStatus.PENDING_APPROVAL,
                employee_number=None,
                org_unit_id=None,
                created_at=now_utc() - timedelta(days=self.rng.randint(1, 6), hours=3),
            )
        head = self._demo_head(hiring, size + 2)
        db.session.add_all(hiring.people)
        db.session.flush()
        self._name_head(head, hiring)
        self.bump("people", len(hiring.people))
        self.demo_employees[m.id] = employee.id
        self._note_candidates(m, hiring.people, employee)

    def _demo_accounts(self, hiring: _Hiring) -> User:
        """The member's demo coordinator and employee (their sign-ins are printed); the employee."""
        m, domain, demo_unit = hiring.municipality, hiring.domain, hiring.demo_unit
        coordinator = hiring.person(
            0,
            email=self._email("coordinator", domain),
            role=Role.COORDINATOR,
            unit=demo_unit.parent or demo_unit,
            job_category=A,
            password_hash=self.password_hash,
        )
        employee = hiring.person(
            1,
            email=self._email("employee", domain),
            unit=demo_unit,
            job_category=A,
            password_hash=self.password_hash,
        )
        self.sign_ins += [
            SignIn("coordinator", m, coordinator.email),
            SignIn("employee", m, employee.email),
        ]
        return employee

    def _demo_head(self, hiring: _Hiring, i: int) -> User:
        """The head of unit (所属長, 課長) of the demo employee's 課: a demo sign-in too."""
        head = hiring.person(
            i,
            email=self._email("head", hiring.domain),
            unit=hiring.demo_unit.parent or hiring.demo_unit,
            job_category=A,
            job_title="課長",
            password_hash=self.password_hash,
        )
        self.sign_ins.append(SignIn("head_of_unit", hiring.municipality, head.email))
        return head

    def _name_head(self, head: User, hiring: _Hiring) -> None:
        """Make them head of their 課, with a deputy of the same 課 where there is one."""
        deputy = next(
            (
                u
                for u in hiring.people
                if u.org_unit_id == head.org_unit_id
                and u is not head
                and u.status == AccountStatus.ACTIVE
                and u.role == Role.EMPLOYEE
            ),
            None,
        )
        if deputy is not None:
            deputy.job_title = "課長補佐"
        db.session.add(
            UnitHead(
                org_unit_id=head.org_unit_id,
                head_id=head.id,
                deputy_id=deputy.id if deputy else None,
            )
        )
        db.session.flush()
        self.bump("heads of unit")

    def _note_candidates(self, m: Municipality, people: list[User], employee: User) -> None:
        """Who later steps train: active administrative staff, and those on system duty."""
        self.trainees[m.id] = [
            u.id
            for u in people
            if u.status == AccountStatus.ACTIVE
            and u.job_category == A
            and u.role == Role.EMPLOYEE
            and u is not employee
        ]
        self.duty[m.id] = [
            u.id
            for u in people
            if u.status == AccountStatus.ACTIVE
            and u.system_duty
            and u.role == Role.EMPLOYEE
            and u is not employee
        ]


class _Hiring:
    """One member's staff as they are made: its domain, its demo unit, employee numbers."""

    def __init__(
        self,
        seeder: Seeder,
        m: Municipality,
        leaves: list[OrgUnit],
        by_path: dict[str, OrgUnit],
        size: int,
    ) -> None:
        self.seeder, self.municipality, self.leaves = seeder, m, leaves
        self.domain = (m.email_domains or [f"{m.code}.example.lg.jp"])[0]
        self.demo_unit = next(
            (u for p, u in by_path.items() if p.endswith(content()["demo_unit"][m.kind.value])),
            leaves[0],
        )
        self.hired = seeder.rng.sample(range(1, 9000), size + 5)
        self.people: list[User] = []

    def person(self, i: int, private: bool = False, **values: object) -> User:
        """The ``i``-th person hired: a random name and unit, a job that mostly fits the unit."""
        seeder, rng = self.seeder, self.seeder.rng
        name, kana, local = seeder._name()
        if private:  # a sign-up from a private address, not the municipality's domain
            values["email"] = seeder._email(f"{local}.{self.municipality.code}", "mail.example.jp")
        unit = values.pop("unit", None) or rng.choice(self.leaves)
        hint = seeder.hints.get(unit.id, A)
        job = hint if hint != A and rng.random() < 0.7 else A
        if hint == A and rng.random() < 0.04:
            job = rng.choice([T, L, JobCategory.OTHER])
        hired = self.hired[i]
        user = User(
            name=name,
            name_kana=kana,
            email=values.pop("email", None) or seeder._email(local, self.domain),
            # 職員番号: year of hiring (two digits) and a serial, as many offices number staff
            employee_number=f"{(1988 + hired % 37) % 100:02d}{hired:04d}",
            job_title=None if private else TITLES[hired % len(TITLES)],
            job_category=job,
            org_unit_id=unit.id,
            system_duty=unit is self.demo_unit or rng.random() < 0.02,
            role=Role.EMPLOYEE,
            status=AccountStatus.ACTIVE,
            created_at=now_utc() - timedelta(days=rng.randint(30, 400)),
        )
        for key, value in values.items():
            setattr(user, key, value)
        self.people.append(user)
        return user


# -- sessions and history ---------------------------------------------------------


def _on_weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(_on_weekday(day), time(hour, minute)))


@dataclass
class SessionPlan:
    code: str
    offset_days: int
    capacity: int
    attendees: int
    venue: str
    hours: int
    requires_approval: bool = False
    host_code: str | None = None
    #: (municipality code, seats) held back until two weeks before the session
    reserve: tuple[str, int] | None = None
    include_demo_employees: bool = False


def plans() -> list[SessionPlan]:
    """The demo's sessions, from the data file."""
    return [
        SessionPlan(**{**row, "reserve": tuple(row["reserve"]) if "reserve" in row else None})
        for row in content()["plan"]
    ]


def _session(
    seeder: Seeder,
    plan: SessionPlan,
    program: Program,
    hosts: dict[str, int],
    day: date | None = None,
) -> TrainingSession:
    """A session of the plan: ``offset_days`` from today, or on ``day`` (the history)."""
    today = to_local(now_utc()).date()
    starts = _at(day or today + timedelta(days=plan.offset_days), 13, 30)
    past = day is not None or plan.offset_days < 0
    opens = starts - timedelta(days=45)
    closes = starts - timedelta(days=3)
    ts = TrainingSession(
        program_id=program.id,
        starts_at=starts,
        ends_at=starts + timedelta(hours=plan.hours),
        venue=plan.venue,
        capacity=plan.capacity,
        registration_opens_at=opens if past else min(opens, now_utc() - timedelta(days=7)),
        registration_closes_at=closes,
        cancellation_deadline=starts - timedelta(days=5),
        requires_approval=plan.requires_approval,
        host_municipality_id=hosts.get(plan.host_code) if plan.host_code else None,
        created_by_id=seeder.actor.id,
        notes="デモデータ",
    )
    db.session.add(ts)
    db.session.flush()
    seeder.bump("sessions")
    return ts


def _pick(
    seeder: Seeder, municipality_ids: list[int], n: int, taken: set[int]
) -> Iterator[tuple[int, int]]:
    """(municipality id, employee id) pairs, members weighted by their staff."""
    pool = [(mid, uid) for mid in municipality_ids for uid in seeder.trainees.get(mid, [])]
    seeder.rng.shuffle(pool)
    count = 0
    for mid, uid in pool:
        if count >= n:
            return
        if uid in taken:
            continue
        taken.add(uid)
        count += 1
        yield mid, uid


def _register(
    seeder: Seeder, ts: TrainingSession, mid: int, uid: int, actor_self: bool
) -> Registration | None:
    with acting_as(db.session, mid):
        employee = db.session.get(User, uid)
        try:
            registration = actions.register(
                ts.id, employee, employee if actor_self else seeder.actor
            )
        except DomainError:
            return None  # not eligible, or an overlap: a real coordinator would skip them too
    seeder.bump("registrations")
    return registration


def seed_sessions(seeder: Seeder, members: list[Municipality]) -> None:
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    hosts = {m.code: m.id for m in members}
    every = [m.id for m in members]
    for plan in plans():
        program = programs.get(plan.code)
        if program is None:
            continue
        ts = _session(seeder, plan, program, hosts)
        past = plan.offset_days < 0
        if plan.reserve:
            code, seat_count = plan.reserve
            seats.set_allocation(ts.id, hosts[code], seat_count, ts.starts_at - timedelta(days=14))
        ids = [hosts[plan.host_code]] if plan.host_code else every
        taken: set[int] = set()
        pairs: list[tuple[int, int]] = []
        if plan.include_demo_employees:
            pairs += [(mid, uid) for mid, uid in seeder.demo_employees.items() if mid in ids]
            taken |= {uid for _, uid in pairs}
        if plan.reserve:
            pairs += list(_pick(seeder, [hosts[plan.reserve[0]]], 2, taken))
        pairs += list(_pick(seeder, ids, max(0, plan.attendees - len(pairs)), taken))
        if plan.requires_approval:
            # The demo employees ask for a place: their coordinators find a request waiting.
            pairs = [(mid, uid) for mid, uid in seeder.demo_employees.items()][:6] + pairs
        registrations = [
            r for mid, uid in pairs if (r := _register(seeder, ts, mid, uid, not past)) is not None
        ]
        if past:
            marks = [
                (r.id, seeder.rng.random() < 0.9)
                for r in registrations
                if r.status == RegistrationStatus.ENROLLED
            ]
            attended, _absent = attendance.record_attendance(ts.id, marks, seeder.actor)
            seeder.bump("completions", attended)


#: E-learning of the current fiscal year so far: the share of staff who completed.
CURRENT_ELEARNING = {"GEN-SEC-101": 0.55, "GEN-LIT-101": 0.35}


def seed_elearning(
    seeder: Seeder,
    members: list[Municipality],
    fiscal_year: int | None = None,
    shares: dict[str, float] | None = None,
) -> None:
    """Imported e-learning completions of one fiscal year (the current one by default, up
    to today): security for most, literacy for many of the administrative staff."""
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    current = fiscal_year_of(now_utc())
    fy_start, fy_end = fiscal_year_bounds(current if fiscal_year is None else fiscal_year)
    today = to_local(now_utc()).date()
    span = max(1, (min(today, fy_end) - fy_start).days)
    items = []
    for m in members:
        with acting_as(db.session, m.id):
            staff = db.session.scalars(
                select(User).where(User.status == AccountStatus.ACTIVE)
            ).all()
        for user in staff:
            for code, share in (shares or CURRENT_ELEARNING).items():
                program = programs.get(code)
                if program is None or seeder.rng.random() >= share:
                    continue
                if program.eligible_job_categories and (
                    user.job_category.value not in program.eligible_job_categories
                ):
                    continue
                items.append((user, program, fy_start + timedelta(days=seeder.rng.randrange(span))))
    if items:
        seeder.bump("completions", attendance.add_completions(items, seeder.actor))


# -- past fiscal years and targets ------------------------------------------------------


def _history_day(fy: int, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    return date(fy if month >= 4 else fy + 1, month, day)


def _history_pool(seeder: Seeder, source: str, every: list[int], digital: set[int]) -> list:
    """(municipality id, employee id) a cohort is drawn from, shuffled."""
    if source == "duty":
        pool = [(mid, uid) for mid in every for uid in seeder.duty.get(mid, [])]
    elif source == "digital_or_duty":
        duty = {(mid, uid) for mid in every for uid in seeder.duty.get(mid, [])}
        pool = sorted(
            duty
            | {
                (mid, uid)
                for mid in every
                for uid in seeder.trainees.get(mid, [])
                if uid in digital
            }
        )
    else:
        pool = [(mid, uid) for mid in every for uid in seeder.trainees.get(mid, [])]
    seeder.rng.shuffle(pool)
    return pool


def seed_history(seeder: Seeder, members: list[Municipality]) -> None:
    """Every fiscal year since the policy began, before the current one: sessions entered
    after the fact with registrations and recorded attendance, and imported e-learning.

    Each cohort is new people every year (nobody takes a track twice); the
    project-management cohort comes from people who attended digital-technology sessions
    (or build systems), as the track's prerequisite asks.
    """
    history = content().get("history")
    if not history:
        return
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    every = [m.id for m in members]
    trainees = sum(len(v) for v in seeder.trainees.values())
    done: dict[str, set[int]] = {name: set() for name in history["cohorts"]}
    attended_digital: set[int] = set()
    for fy in range(POLICY_START_FY, fiscal_year_of(now_utc())):
        cohorts: dict[str, list[tuple[int, int]]] = {}
        for row in history["session"]:
            program = programs.get(row["code"])
            name = row["cohort"]
            if name not in cohorts:  # drawn at its first session of the year
                spec = history["cohorts"][name]
                pool = _history_pool(seeder, spec["from"], every, attended_digital)
                size = max(1, round(spec["share"] * trainees))
                cohorts[name] = [(mid, uid) for mid, uid in pool if uid not in done[name]][:size]
                done[name].update(uid for _mid, uid in cohorts[name])
            people = cohorts[name]
            if program is None or not people:
                continue
            plan = SessionPlan(
                code=row["code"],
                offset_days=0,
                capacity=len(people) + 10,
                attendees=len(people),
                venue=row["venue"],
                hours=row["hours"],
            )
            ts = _session(seeder, plan, program, {}, day=_history_day(fy, row["day"]))
            registrations = [
                r
                for mid, uid in people
                if (r := _register(seeder, ts, mid, uid, False)) is not None
            ]
            marks = [(r.id, seeder.rng.random() < 0.93) for r in registrations]
            attended, _absent = attendance.record_attendance(ts.id, marks, seeder.actor)
            seeder.bump("completions", attended)
            if program.track == "digital_tech":
                attended_digital.update(
                    r.employee_id
                    for r, (_rid, present) in zip(registrations, marks, strict=True)
                    if present
                )
        seed_elearning(seeder, members, fy, history.get("elearning", {}))


def seed_survey_history(seeder: Seeder) -> None:
    """One programme's past survey answers and 3-month follow-ups (its follow-up switched
    on), written as rows in one go: the review's trend has years to show."""
    from regional.surveys import followups
    from regional.surveys.models import (
        Questionnaire,
        SurveyAnswer,
        SurveyFollowup,
        SurveyQuestion,
        SurveyResponse,
    )

    spec = (content().get("history") or {}).get("survey")
    program = spec and db.session.scalar(select(Program).where(Program.code == spec["code"]))
    if not program:
        return
    with acting_as(db.session, seeder.actor.municipality_id):
        followups.switch(program, True, seeder.actor)
        db.session.flush()
    standard = db.session.scalars(Questionnaire.standard()).one()
    scales = [
        q for q in db.session.scalars(SurveyQuestion.asked(standard.id)) if q.kind == "scale5"
    ]
    rng = seeder.rng
    with all_tenants(db.session):
        attended = db.session.execute(
            select(Registration, TrainingSession)
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .where(TrainingSession.program_id == program.id, Registration.attended.is_(True))
        ).all()
        for reg, ts in attended:
            fy = fiscal_year_of(ts.starts_at)
            lift = min(1.0, (fy - POLICY_START_FY) * 0.25)  # each year a little better
            row = dict(
                municipality_id=reg.municipality_id,
                registration_id=reg.id,
                employee_id=reg.employee_id,
                session_id=ts.id,
                program_id=program.id,
                fiscal_year=fy,
            )
            if rng.random() < spec["answered"]:
                response = SurveyResponse(
                    **row, questionnaire_id=standard.id, submitted_at=ts.ends_at
                )
                response.answers = [
                    SurveyAnswer(
                        municipality_id=reg.municipality_id,
                        question_id=q.id,
                        value=min(5, rng.choice((2, 3, 3, 4, 4, 4, 5)) + (rng.random() < lift)),
                    )
                    for q in scales
                ]
                db.session.add(response)
            due = followups.due_at(ts)
            answered = rng.random() < spec["followed_up"]
            db.session.add(
                SurveyFollowup(
                    **row,
                    asked_at=due,
                    value=rng.choice((2, 3, 3, 4, 4, 5)) if answered else None,
                    answered_at=due + timedelta(days=2) if answered else None,
                )
            )
        db.session.flush()
    seeder.bump("survey answers", len(attended))


def seed_targets(seeder: Seeder, members: list[Municipality]) -> None:
    """Every member gets the policy's six targets where it has none yet: Okayama City's own
    numbers (``policy_targets.toml``) scaled by the member's population over Okayama's,
    as the policy sizes staff at about 1% of the population. Audited like a coordinator's."""
    from regional.targets.measures import load_default_measures
    from regional.targets.models import Target
    from regional.targets.services import POLICY_TARGETS, set_target

    load_default_measures(db.session)
    rows = tomllib.loads(POLICY_TARGETS.read_text(encoding="utf-8"))["target"]
    okayama = next((m for m in members if m.coordinating), members[0])
    base = {r["key"]: r for r in rows if r["municipality"] == okayama.code}
    for m in members:
        share = (m.population or 0) / (okayama.population or 1)
        with acting_as(db.session, m.id):
            have = set(db.session.scalars(select(Target.key)))
            for key, r in base.items():
                if key in have:
                    continue
                population = r.get("population")
                values = {
                    "kind": r["kind"],
                    "target": max(1, round(r["target"] * share)),
                    "period_start_fy": r["period_start_fy"],
                    "period_end_fy": r.get("period_end_fy"),
                    "population": None if population is None else max(1, round(population * share)),
                }
                set_target(m, key, values, seeder.actor)
                seeder.bump("targets")
            db.session.flush()  # its audit entries, while still acting as the member


# -- the command --------------------------------------------------------------------


def _existing_demo(members: list[Municipality]) -> str | None:
    emails = [f"employee@{m.email_domains[0]}" for m in members if m.email_domains]
    with all_tenants(db.session):
        return db.session.scalar(select(User.email).where(User.email.in_(emails)).limit(1))


def _admin(seeder: Seeder, okayama: Municipality) -> User:
    with acting_as(db.session, okayama.id):
        admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        if admin is not None:
            seeder.sign_ins.insert(
                0,
                SignIn(
                    "regional_admin", okayama, ADMIN_EMAIL, "existing account: password unchanged"
                ),
            )
            return admin
        admin = User(
            email=ADMIN_EMAIL,
            name="岡山 管理者",
            name_kana="オカヤマ カンリシャ",
            employee_number="000001",
            role=Role.REGIONAL_ADMIN,
            status=AccountStatus.ACTIVE,
            password_hash=seeder.password_hash,
        )
        db.session.add(admin)
        db.session.flush()
    seeder.used_emails.add(ADMIN_EMAIL)
    seeder.sign_ins.insert(0, SignIn("regional_admin", okayama, ADMIN_EMAIL))
    seeder.bump("people")
    return admin


def seed(seed_value: int = SEED) -> Seeder:
    """Add the demo data in the current transaction (the caller commits); see the module text."""
    members = list(db.session.scalars(Municipality.ordered()))
    if not members:
        raise click.ClickException(
            "no municipalities yet: run `flask --app wsgi seed-region` first"
        )
    okayama = next((m for m in members if m.coordinating), members[0])
    seeder = Seeder(rng=random.Random(seed_value))
    problems = password_problems(DEMO_PASSWORD)
    if problems:  # the shared demo password must pass the platform's own rule
        raise click.ClickException(" ".join(problems))
    seeder.password_hash = hash_password(DEMO_PASSWORD)
    with all_tenants(db.session):
        seeder.used_emails = set(db.session.scalars(select(User.email)))
    # The outbox is every member's (behind the wall on PostgreSQL): read and cleared lifted.
    first_mail = (
        db.session.scalar(select(func.max(OutboundMail.id)).execution_options(all_tenants=True))
        or 0
    )
    seeder.actor = _admin(seeder, okayama)
    sizes = staff_sizes(members)
    for m in members:
        with acting_as(db.session, m.id):
            seeder.build_people(m, sizes[m.code])
    seed_targets(seeder, members)
    seed_history(seeder, members)
    seed_survey_history(seeder)
    seed_sessions(seeder, members)
    seed_elearning(seeder, members)
    # Registering queued the usual mail to demo addresses; none of it should ever be sent.
    db.session.execute(
        delete(OutboundMail).where(OutboundMail.id > first_mail).execution_options(all_tenants=True)
    )
    set_current_tenant(db.session, None)
    return seeder


def _print_sign_ins(seeder: Seeder) -> None:
    click.echo("")
    click.echo(f"Demo sign-ins (password for every account: {DEMO_PASSWORD})")
    click.echo(f"{'role':<16} {'code':<7} {'municipality':<10} e-mail")
    for s in seeder.sign_ins:
        note = f"  ({s.note})" if s.note else ""
        click.echo(
            f"{s.role:<16} {s.municipality.code:<7} {s.municipality.name_ja:<10} {s.email}{note}"
        )


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Add demonstration people, org units, sessions and history; prints the demo sign-ins."""
    members = list(db.session.scalars(Municipality.ordered()))
    found = _existing_demo(members)
    if found:
        click.echo(f"Demo data is already present ({found} exists); nothing was added.")
        return
    from regional.targets.tallies import setting_up

    with setting_up(db.session):
        seeder = seed()
        db.session.commit()
    refresh_statistics()  # the planner should know the demo's history (indexes per person)
    summary = ", ".join(f"{k}: {v}" for k, v in seeder.counts.items())
    click.echo(f"Demo data added for {len(members)} municipalities ({summary}).")
    _print_sign_ins(seeder)
