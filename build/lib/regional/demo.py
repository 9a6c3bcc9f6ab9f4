"""Demonstration data (``flask --app wsgi seed-demo``).

Staff for all 13 members sized by population (about 1% of it, as the policy
suggests, scaled down to about 2,000 people so it seeds in seconds), their
organisation trees, sessions over the current fiscal year with registrations,
a waiting list, approvals and reserved seats, and completed training.
Everything goes through the platform's own services, acting as each
municipality in turn, so counters and the tenant wall hold as in real use.

One shared password (:data:`DEMO_PASSWORD`) opens every demo sign-in, listed at
the end. The command refuses politely when demo data is already there. The
random seed is fixed: two runs on empty databases produce the same people.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, func, select

from regional.auth.passwords import hash_password, password_problems
from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_bounds, fiscal_year_of, local_to_utc, now_utc, to_local
from regional.mail.models import OutboundMail
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.registrations import services as reg
from regional.registrations.models import Registration, RegistrationStatus
from regional.sessions.models import TrainingSession
from tenants import all_tenants, set_current_tenant
from tenants.models import Municipality, OrgLevel, OrgUnit
from tenants.scoping import acting_as

#: The one password of every demo sign-in (documented in the README).
DEMO_PASSWORD = "demo-Training-2026"  # noqa: S105
SEED = 20240401
TOTAL_STAFF = 2000
MIN_STAFF = 15
ADMIN_EMAIL = "admin@city.okayama.lg.jp"

# -- names ---------------------------------------------------------------------
# (kanji, kana, romaji). Variant characters (髙, 𠮷, 﨑, 濵, 邉) are deliberate:
# real staff lists have them, and they must survive every page and export.
FAMILY = [
    ("佐藤", "サトウ", "sato"),
    ("髙橋", "タカハシ", "takahashi"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("藤原", "フジワラ", "fujiwara"),
    ("三宅", "ミヤケ", "miyake"),
    ("岡本", "オカモト", "okamoto"),
    ("難波", "ナンバ", "namba"),
    ("藤井", "フジイ", "fujii"),
    ("岡田", "オカダ", "okada"),
    ("妹尾", "セノオ", "senoo"),
    ("赤木", "アカギ", "akagi"),
    ("守屋", "モリヤ", "moriya"),
    ("片山", "カタヤマ", "katayama"),
    ("小野", "オノ", "ono"),
    ("井上", "イノウエ", "inoue"),
    ("石井", "イシイ", "ishii"),
    ("原田", "ハラダ", "harada"),
    ("森", "モリ", "mori"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
    ("横山", "ヨコヤマ", "yokoyama"),
    ("光岡", "ミツオカ", "mitsuoka"),
    ("𠮷田", "ヨシダ", "yoshida"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山﨑", "ヤマザキ", "yamazaki"),
    ("宮﨑", "ミヤザキ", "miyazaki"),
    ("濵田", "ハマダ", "hamada"),
    ("渡邉", "ワタナベ", "watanabe"),
    ("植田", "ウエダ", "ueda"),
    ("平松", "ヒラマツ", "hiramatsu"),
    ("大森", "オオモリ", "omori"),
    ("近藤", "コンドウ", "kondo"),
]
GIVEN = [
    ("太郎", "タロウ", "taro"),
    ("健一", "ケンイチ", "kenichi"),
    ("大輔", "ダイスケ", "daisuke"),
    ("翔太", "ショウタ", "shota"),
    ("拓也", "タクヤ", "takuya"),
    ("直樹", "ナオキ", "naoki"),
    ("誠", "マコト", "makoto"),
    ("和也", "カズヤ", "kazuya"),
    ("聡", "サトシ", "satoshi"),
    ("浩二", "コウジ", "koji"),
    ("悠斗", "ユウト", "yuto"),
    ("蓮", "レン", "ren"),
    ("美咲", "ミサキ", "misaki"),
    ("陽子", "ヨウコ", "yoko"),
    ("恵子", "ケイコ", "keiko"),
    ("由美", "ユミ", "yumi"),
    ("彩", "アヤ", "aya"),
    ("裕子", "ユウコ", "yuko"),
    ("智子", "トモコ", "tomoko"),
    ("明美", "アケミ", "akemi"),
    ("香織", "カオリ", "kaori"),
    ("千尋", "チヒロ", "chihiro"),
    ("結衣", "ユイ", "yui"),
    ("陽菜", "ヒナ", "hina"),
]

# -- organisation trees ---------------------------------------------------------
# Departments hold divisions, divisions hold sections. A hint makes a unit's
# staff mostly of that job category (welfare in 福祉課, technical in 建設課 ...).
A = JobCategory.ADMINISTRATIVE
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


def _u(name: str, *children: U, eq: bool = False, hint: JobCategory = A, dept: bool = False) -> U:
    return U(name, list(children), eq, hint, dept)


def _s(*names: str, hint: JobCategory = A) -> list[U]:
    return [U(n, hint=hint) for n in names]


def _city_tree(top: str, large: bool) -> list[U]:
    """部 (or 局 for Okayama City) > 課 > 係, with a few 室 and センター counted as 課相当."""
    digital = _u("デジタル推進課", *_s("企画係", "システム係"), _u("情報セキュリティ担当", eq=True))
    general = _u(
        f"総務{top}",
        _u("総務課", *_s("総務係", "法制係")),
        _u("人事課", *_s("人事係", "研修係")),
        digital,
        _u("危機管理室", *_s("防災係"), eq=True),
    )
    welfare = _u(
        f"保健福祉{top}",
        _u("福祉課", *_s("障害福祉係", "生活支援係", hint=W), hint=W),
        _u("子育て支援課", *_s("保育係", "子育て相談係", hint=W), hint=W),
        _u("保健センター", *_s("母子保健係", "成人保健係", hint=M), eq=True, hint=M),
    )
    tree = [
        general,
        _u(f"企画財政{top}", _u("企画課", *_s("企画係", "統計係")), _u("財政課", *_s("財政係"))),
        _u(
            f"市民生活{top}",
            _u("市民課", *_s("住民記録係", "戸籍係")),
            _u("税務課", *_s("市民税係", "資産税係", "収納係")),
            _u("環境課", *_s("環境保全係", "廃棄物対策係")),
        ),
        welfare,
        _u(
            f"産業経済{top}",
            _u("農林課", *_s("農政係", "林業係")),
            _u("商工観光課", *_s("商工係", "観光係")),
        ),
        _u(
            f"建設{top}",
            _u("建設課", *_s("道路係", "河川係", hint=T), hint=T),
            _u("都市計画課", *_s("計画係", "建築指導係", hint=T), hint=T),
            _u("上下水道課", *_s("水道係", "下水道係", hint=L), hint=T),
        ),
        _u(
            "教育委員会",
            _u("教育総務課", *_s("総務係", "施設係")),
            _u("学校教育課", *_s("学事係", "指導係", hint=E), hint=E),
            _u("生涯学習課", *_s("社会教育係", "スポーツ振興係")),
            _u("図書館", eq=True, hint=E),
            eq=True,
            dept=True,
        ),
        _u(
            "消防本部",
            _u("消防総務課", *_s("総務係", "予防係")),
            _u("警防課", *_s("警防係", "救急係", hint=F), hint=F),
            eq=True,
            hint=F,
            dept=True,
        ),
    ]
    if large:
        general.children.append(_u("情報政策課", *_s("基盤係", "標準化推進係", hint=T), hint=T))
        welfare.children.append(
            _u("地域包括ケア推進課", *_s("包括支援係", "介護保険係", hint=W), hint=W)
        )
        tree.append(
            _u(
                f"岡山っ子育成{top}",
                _u("こども福祉課", *_s("手当係", "ひとり親支援係", hint=W)),
                _u("保育・幼児教育課", *_s("入園係", "施設整備係", hint=E)),
            )
        )
    return tree


def _town_tree() -> list[U]:
    """Towns have no 部: their 課 sit at the top, most without 係 in so small an office."""
    return [
        _u("総務課", *_s("総務係", "情報政策係")),
        _u("企画財政課"),
        _u("税務課"),
        _u("住民課"),
        _u("健康福祉課", _u("福祉係", hint=W), _u("保健係", hint=M), hint=W),
        _u("子育て支援室", eq=True, hint=W),
        _u("産業振興課"),
        _u("建設課", hint=T),
        _u("教育委員会", _u("教育課", hint=E), eq=True, dept=True),
    ]


def tree_for(m: Municipality) -> list[U]:
    if m.kind.value != "city":
        return _town_tree()
    return _city_tree("局" if m.coordinating else "部", large=m.coordinating)


#: Where each member's demo employee sits (a path that every tree of its kind has).
DEMO_UNIT = {"city": "デジタル推進課/企画係", "town": "総務課/情報政策係"}


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
    #: org unit id -> the job category most of its staff have
    hints: dict[int, JobCategory] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    # -- people --------------------------------------------------------------

    def _name(self) -> tuple[str, str, str]:
        family, given = self.rng.choice(FAMILY), self.rng.choice(GIVEN)
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
        leaves, by_path = self.build_units(m)
        domain = (m.email_domains or [f"{m.code}.example.lg.jp"])[0]
        demo_unit = next(
            (u for p, u in by_path.items() if p.endswith(DEMO_UNIT[m.kind.value])), leaves[0]
        )
        hired = self.rng.sample(range(1, 9000), size + 5)
        people: list[User] = []

        def person(i: int, private: bool = False, **values: object) -> User:
            name, kana, local = self._name()
            if private:  # a sign-up from a private address, not the municipality's domain
                values["email"] = self._email(f"{local}.{m.code}", "mail.example.jp")
            unit = values.pop("unit", None) or self.rng.choice(leaves)
            hint = self.hints.get(unit.id, A)
            job = hint if hint != A and self.rng.random() < 0.7 else A
            if hint == A and self.rng.random() < 0.04:
                job = self.rng.choice([T, L, JobCategory.OTHER])
            user = User(
                name=name,
                name_kana=kana,
                email=values.pop("email", None) or self._email(local, domain),
                # 職員番号: year of hiring (two digits) and a serial, as many offices number staff
                employee_number=f"{(1988 + hired[i] % 37) % 100:02d}{hired[i]:04d}",
                job_category=job,
                org_unit_id=unit.id,
                system_duty=unit is demo_unit or self.rng.random() < 0.02,
                role=Role.EMPLOYEE,
                status=AccountStatus.ACTIVE,
                created_at=now_utc() - timedelta(days=self.rng.randint(30, 400)),
            )
            for key, value in values.items():
                setattr(user, key, value)
            people.append(user)
            return user

        coordinator = person(
            0,
            email=self._email("coordinator", domain),
            role=Role.COORDINATOR,
            unit=demo_unit.parent or demo_unit,
            job_category=A,
            password_hash=self.password_hash,
        )
        employee = person(
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
        for i in range(2, size):
            roll = self.rng.random()
            status = AccountStatus.ACTIVE
            if roll < 0.012:
                status = AccountStatus.DISABLED
            elif roll < 0.018:
                status = AccountStatus.PENDING_EMAIL
            person(i, status=status)
        # Two sign-ups from private addresses wait for the coordinator's decision.
        for i in (size, size + 1):
            person(
                i,
                private=True,
                status=AccountStatus.PENDING_APPROVAL,
                employee_number=None,
                org_unit_id=None,
                created_at=now_utc() - timedelta(days=self.rng.randint(1, 6), hours=3),
            )
        db.session.add_all(people)
        db.session.flush()
        self.bump("people", len(people))
        self.demo_employees[m.id] = employee.id
        self.trainees[m.id] = [
            u.id
            for u in people
            if u.status == AccountStatus.ACTIVE
            and u.job_category == A
            and u.role == Role.EMPLOYEE
            and u is not employee
        ]


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
    venue: str = "岡山市役所 本庁舎 第1会議室"
    hours: int = 3
    requires_approval: bool = False
    host_code: str | None = None
    #: (municipality code, seats) held back until two weeks before the session
    reserve: tuple[str, int] | None = None
    include_demo_employees: bool = False


PLANS = [
    SessionPlan("GEN-LIT-201", -120, 40, 26, include_demo_employees=True),
    SessionPlan("GEN-MIND-101", -60, 30, 18, venue="岡山市役所 分庁舎 大会議室", hours=2),
    SessionPlan("CORE-DT-101", -25, 25, 14, venue="オンライン（Web会議）", hours=3),
    SessionPlan(
        "GEN-LIT-203",
        21,
        40,
        24,
        venue="オンライン（Web会議）",
        hours=2,
        include_demo_employees=True,
    ),
    SessionPlan("GEN-LIT-202", 35, 12, 17, venue="岡山市デジタル研修室", hours=2),
    SessionPlan("CORE-DT-201", 28, 20, 8, requires_approval=True),
    SessionPlan("CORE-DT-102", 49, 20, 9, reserve=("333468", 4)),
    SessionPlan(
        "GEN-MIND-101", 14, 15, 8, venue="津山市役所 3階 研修室", hours=2, host_code="332038"
    ),
]


def _session(
    seeder: Seeder, plan: SessionPlan, program: Program, hosts: dict[str, int]
) -> TrainingSession:
    today = to_local(now_utc()).date()
    starts = _at(today + timedelta(days=plan.offset_days), 13, 30)
    past = plan.offset_days < 0
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
            registration = reg.register(ts.id, employee, employee if actor_self else seeder.actor)
        except DomainError:
            return None  # not eligible, or an overlap: a real coordinator would skip them too
    seeder.bump("registrations")
    return registration


def seed_sessions(seeder: Seeder, members: list[Municipality]) -> None:
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    hosts = {m.code: m.id for m in members}
    every = [m.id for m in members]
    for plan in PLANS:
        program = programs.get(plan.code)
        if program is None:
            continue
        ts = _session(seeder, plan, program, hosts)
        past = plan.offset_days < 0
        if plan.reserve:
            code, seats = plan.reserve
            reg.set_allocation(ts.id, hosts[code], seats, ts.starts_at - timedelta(days=14))
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
            attended, _absent = reg.record_attendance(ts.id, marks, seeder.actor)
            seeder.bump("completions", attended)


def seed_elearning(seeder: Seeder, members: list[Municipality]) -> None:
    """Imported e-learning completions of this fiscal year (security for most, literacy for many)."""
    programs = {p.code: p for p in db.session.scalars(select(Program))}
    fy_start, _ = fiscal_year_bounds(fiscal_year_of(now_utc()))
    today = to_local(now_utc()).date()
    span = max(1, (today - fy_start).days)
    items = []
    for m in members:
        with acting_as(db.session, m.id):
            staff = db.session.scalars(
                select(User).where(User.status == AccountStatus.ACTIVE)
            ).all()
        for user in staff:
            for code, share in (("GEN-SEC-101", 0.55), ("GEN-LIT-101", 0.35)):
                program = programs.get(code)
                if program is None or seeder.rng.random() >= share:
                    continue
                if code == "GEN-LIT-101" and user.job_category != A:
                    continue
                items.append((user, program, fy_start + timedelta(days=seeder.rng.randrange(span))))
    if items:
        seeder.bump("completions", reg.add_completions(items, seeder.actor))


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
    first_mail = db.session.scalar(select(func.max(OutboundMail.id))) or 0
    seeder.actor = _admin(seeder, okayama)
    sizes = staff_sizes(members)
    for m in members:
        with acting_as(db.session, m.id):
            seeder.build_people(m, sizes[m.code])
    seed_sessions(seeder, members)
    seed_elearning(seeder, members)
    # Registering queued the usual mail to demo addresses; none of it should ever be sent.
    db.session.execute(delete(OutboundMail).where(OutboundMail.id > first_mail))
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
    seeder = seed()
    db.session.commit()
    summary = ", ".join(f"{k}: {v}" for k, v in seeder.counts.items())
    click.echo(f"Demo data added for {len(members)} municipalities ({summary}).")
    _print_sign_ins(seeder)
