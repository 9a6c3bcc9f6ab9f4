"""Planning a staff roster import: what a file read by :mod:`roster_read` changes.

Against the current municipality's records, it works out who is created, updated, moved
between units or deactivated, and which org units must be created (:mod:`roster_units`).
It writes nothing: :mod:`roster_import` applies a plan that has no errors.

Matching rules (also shown on the import page):

* people are matched by employee number, compared after NFKC (full-width
  digits and letters), with every space removed and hyphen variants
  (‐ ‑ ‒ – — ― − ー ｰ) read as ``-``, and a number of digits only without
  its leading zeros (spreadsheets drop them: ``000104`` is ``104``); a person of the municipality who has no
  employee number yet (a self sign-up) is matched by e-mail address instead;
* org units are paths from the top (``総務局/デジタル推進課/企画係``), matched
  name by name; a single name that is not a top-level unit may name a unit
  anywhere if exactly one has it. A missing unit is created, its level read
  from its name: ``…部``/``…局`` a department, ``…課`` a division, ``…係`` a
  section; any other name (室, センター, 担当, 班 …) is an equivalent (相当)
  one level below its parent (課相当 under a 部, 係相当 under a 課; at the
  top, 部相当). Nothing may be created under a 係, nor a 課 under a 係;
* a blank 所属 or 職種 cell means "none" for 所属 and "leave as is" for 職種; a
  missing column leaves that field as it is for everyone;
* people missing from the file are deactivated (never deleted) only when the
  coordinator asks, and only employees who have an employee number (never a
  coordinator, an administrator, or the person importing); their registrations for
  sessions not yet started are cancelled with them (the seats go to the waiting lists),
  and their history stays;
* a unit in use that the file leaves with nobody in it is proposed for a rename, a merge,
  a split or a retirement (:mod:`regional.people.reorganisation`); the proposals are part
  of the plan's digest, and the import applies those the coordinator keeps.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import or_, select

from regional.extensions import db
from regional.people import departures, gaiji, roster_fields, roster_heads
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.people.reorganisation import Node, Reorganisation, propose
from regional.people.roster_fields import Comparing, Recorded
from regional.people.roster_heads import HeadChange, HeadPlanner
from regional.people.roster_read import (
    DEFAULT_NAMES,
    PersonRow,
    ReadRow,
    UnknownJob,
    map_columns,
    match_key,
    number_key,
    read_rows,
)
from regional.people.roster_units import PlannedUnit, UnitRef, UnitResolver
from regional.spreadsheets import RowError, Table
from tenants import all_tenants
from tenants.models import Municipality, OrgUnit


@dataclass
class Leaver:
    user_id: int
    number: str
    name: str
    unit: str
    #: Future registrations the deactivation cancels (as the plan was made).
    registrations: int = 0


@dataclass
class KeptName:
    """A name the file writes otherwise only by characters CP932 cannot hold: not changed."""

    line: int
    number: str
    registered: str
    written: str


@dataclass
class RosterPlan:
    """What an import would do, and why it cannot (if ``errors``)."""

    deactivate_missing: bool = False
    created: list[PersonRow] = field(default_factory=list)
    updated: list[PersonRow] = field(default_factory=list)
    unchanged: int = 0
    deactivated: list[Leaver] = field(default_factory=list)
    units: list[PlannedUnit] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: Names kept as registered: the file differs only by 外字 (see :mod:`gaiji`).
    kept_names: list[KeptName] = field(default_factory=list)
    #: 職種 names not known (those rows are imported as その他); warnings, never errors.
    unknown_jobs: list[UnknownJob] = field(default_factory=list)
    #: The renames, merges, splits and retirements the moves reveal (see ``reorganisation``).
    reorganisation: Reorganisation = field(default_factory=Reorganisation)
    #: Units whose head (所属長) or deputy (代理) the file's 所属長 column changes.
    head_changes: list[HeadChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def moved(self) -> list[PersonRow]:
        return [p for p in self.updated if p.moved]

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "moved": len(self.moved),
            "unchanged": self.unchanged,
            "deactivated": len(self.deactivated),
            "units_created": len(self.units),
            "registrations_cancelled": self.registrations_cancelled,
            "heads_changed": len(self.head_changes),
        }

    @property
    def registrations_cancelled(self) -> int:
        """Future registrations the deactivations cancel, all together."""
        return sum(x.registrations for x in self.deactivated)

    def digest(self) -> str:
        """A fingerprint of every change: the commit refuses a plan that differs from the preview."""
        data = {
            "c": [
                (
                    p.number,
                    p.name,
                    p.email,
                    p.name_kana,
                    _job(p.job_category),
                    _unit(p.unit),
                    p.job_title,
                )
                for p in self.created
            ],
            "u": [
                (p.user_id, [(c.field, c.after) for c in p.changes], p.reactivate)
                for p in self.updated
            ],
            # With what each leaver loses: the import does what the preview said, or asks again.
            "d": sorted((x.user_id, x.registrations) for x in self.deactivated),
            "n": [(u.path, u.level.value, u.equivalent) for u in self.units],
            "r": self.reorganisation.digest_data(),
            "h": [c.digest_data() for c in self.head_changes],
        }
        raw = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _job(cat: JobCategory | None) -> str | None:
    return cat.value if cat else None


def _unit(ref: UnitRef | None) -> object:
    if ref is None:
        return None
    return ref.unit_id if ref.planned is None else list(ref.planned)


# -- planning ---------------------------------------------------------------------


def _existing_people() -> list[Recorded]:
    rows = db.session.execute(
        select(
            User.id,
            User.employee_number,
            User.email,
            User.name,
            User.name_kana,
            User.org_unit_id,
            User.job_category,
            User.status,
            User.role,
            User.job_title,
        )
    )
    return [Recorded(*row) for row in rows]


def _emails_in_use(emails: set[str], domains: list[str]) -> dict[str, int]:
    """Address -> account id, across the region: sign-in names are unique region-wide.

    Only used to refuse a row with one message, the same whoever holds the address.
    Addresses outside the municipality's domains are refused anyway and not looked up.
    A short list is one indexed ``IN``; a long one reads the domains' addresses in one
    scan (an ``IN`` of hundreds, repeated, is slow when the planner's statistics lag
    behind a bulk import).
    """
    wanted = {e for e in emails if e.rsplit("@", 1)[-1] in {d.lower() for d in domains}}
    if not wanted:
        return {}
    if len(wanted) <= 500:
        stmt = select(User.email, User.id).where(User.email.in_(sorted(wanted)))
    else:
        stmt = select(User.email, User.id).where(
            or_(*(User.email.like(f"%@{d.lower()}") for d in domains))
        )
    with all_tenants(db.session):
        return {email: user_id for email, user_id in db.session.execute(stmt) if email in wanted}


def plan_roster(
    table: Table, municipality: Municipality, actor: User, *, deactivate_missing: bool = False
) -> RosterPlan:
    """Check every row of ``table`` and work out what importing it would change."""
    plan = RosterPlan(deactivate_missing=deactivate_missing)
    cols, plan.errors = map_columns(table)
    if plan.errors:
        return plan
    heads = {key: table.header[i] for key, i in cols.items()}
    people = _existing_people()
    resolver = UnitResolver(db.session.scalars(select(OrgUnit)).all())
    unknown: dict[str, UnknownJob] = {}
    rows = read_rows(table, cols, heads, plan.errors, unknown)
    plan.unknown_jobs = sorted(unknown.values(), key=lambda u: u.lines[0])
    checker = _RowChecker(municipality, people, resolver, heads, rows)
    planner = HeadPlanner(heads, {p.id: (p.name, p.org_unit_id) for p in people}, resolver.path_of)
    for row in rows:
        person, errors = checker.check(row)
        if not errors:
            planner.add(row)
        if errors:
            plan.errors.extend(errors)
        elif person is None:
            plan.created.append(row)
        elif row.changes:
            plan.updated.append(row)
        else:
            plan.unchanged += 1
    plan.kept_names = checker.kept
    plan.head_changes, head_errors = planner.plan(roster_heads.current())
    plan.errors.extend(head_errors)
    if deactivate_missing:
        plan.deactivated = _leavers(people, checker.matched, resolver, actor)
    plan.units = _planned_units(plan, resolver)
    plan.errors.sort(key=lambda e: e.row)
    if plan.ok:
        plan.reorganisation = propose(
            resolver.units.values(), {u.path: u for u in plan.units}, _moves(plan, people)
        )
    return plan


class _RowChecker:
    """The checks of one roster row against the file's other rows and the people on record:
    whom it matches (by employee number, else by the address of someone without one), and
    what is wrong with it."""

    def __init__(
        self,
        municipality: Municipality,
        people: list[Recorded],
        resolver: UnitResolver,
        heads: dict[str, str],
        rows: list,
    ) -> None:
        self.municipality, self.resolver, self.heads = municipality, resolver, heads
        self.by_number: dict[str, list[Recorded]] = defaultdict(list)
        self.by_email_unnumbered: dict[str, Recorded] = {}
        for p in people:
            if p.number:
                self.by_number[match_key(number_key(p.number))].append(p)
            else:
                self.by_email_unnumbered[p.email] = p
        domains = municipality.email_domains or []
        self.in_use = _emails_in_use({r.email for r in rows if r.email}, domains)
        self.seen_numbers: dict[str, int] = {}
        self.seen_emails: dict[str, int] = {}
        self.matched: set[int] = set()
        self.kept: list[KeptName] = []

    def check(self, row) -> tuple[Recorded | None, list[RowError]]:
        """The person ``row`` is (None: a new one) and the row's errors (none: importable)."""
        errors: list[RowError] = []

        def refuse(key: str, message: str) -> None:
            errors.append(RowError(row.line, self.heads.get(key, DEFAULT_NAMES[key]), message))

        key = match_key(row.number)
        self._unique_in_file(row, key, refuse)
        person = self._match(row, key, refuse)
        holder = self.in_use.get(row.email)
        if row.email and holder is not None and holder != row.user_id:
            refuse("email", _("This e-mail address is already in use by another account."))
        self._place(row, refuse)
        if person is None and not row.email:
            refuse("email", _("A new person needs an e-mail address."))
        if person is not None and not errors:
            _keep_registered_name(row, person, self.kept)
            _compare(row, person, self.resolver, self.heads, errors)
        return person, errors

    def _unique_in_file(self, row, key: str, refuse) -> None:
        """One line per employee number and per address; addresses in the member's domains."""
        if key in self.seen_numbers:
            refuse(
                "employee_number",
                _("The same employee number is already on line %(n)d.", n=self.seen_numbers[key]),
            )
        else:
            self.seen_numbers[key] = row.line
        if not row.email:
            return
        if row.email in self.seen_emails:
            refuse(
                "email",
                _(
                    "The same e-mail address is already on line %(n)d.",
                    n=self.seen_emails[row.email],
                ),
            )
        else:
            self.seen_emails[row.email] = row.line
        if not self.municipality.owns_email(row.email):
            refuse(
                "email",
                _(
                    "The address is not in this municipality's domains (%(domains)s).",
                    domains=", ".join(self.municipality.email_domains or []) or "-",
                ),
            )

    def _match(self, row, key: str, refuse) -> Recorded | None:
        candidates = self.by_number.get(key, [])
        if len(candidates) > 1:
            refuse(
                "employee_number",
                _(
                    "Several people of this municipality have this employee number: correct them first."
                ),
            )
        person = candidates[0] if len(candidates) == 1 else None
        if person is None and row.email in self.by_email_unnumbered:
            person = self.by_email_unnumbered[row.email]
        if person is not None:
            row.user_id = person.id
            if person.id in self.matched:
                refuse("employee_number", _("This person is already on another line."))
            self.matched.add(person.id)
        return person

    def _place(self, row, refuse) -> None:
        """The row's unit (an empty cell: no unit; no column: unchanged)."""
        if row.unit_text:
            ref = self.resolver.resolve(row.unit_text)
            if isinstance(ref, str):
                refuse("org_unit", ref)
            else:
                row.unit = ref
        elif row.unit_text is not None:
            row.unit = UnitRef()


def _leavers(
    people: list[Recorded], matched: set[int], resolver: UnitResolver, actor: User
) -> list[Leaver]:
    """Employees with a number that the file no longer lists (not the importer)."""
    leavers = [
        Leaver(p.id, p.number or "", p.name, resolver.path_of(p.org_unit_id))
        for p in people
        if p.id not in matched
        and p.number
        and p.status != AccountStatus.DISABLED
        and p.role == Role.EMPLOYEE
        and p.id != actor.id
    ]
    lost = departures.future_registrations([x.user_id for x in leavers])
    for leaver in leavers:
        leaver.registrations = lost.get(leaver.user_id, 0)
    return leavers


def _planned_units(plan: RosterPlan, resolver: UnitResolver) -> list:
    """The new units the importable rows need, parents first."""
    used = {r.unit.planned for r in plan.created + plan.updated if r.unit and r.unit.planned}
    needed = {path[:i] for path in used for i in range(1, len(path) + 1)}
    return sorted(
        (u for p, u in resolver.planned.items() if p in needed), key=lambda u: (len(u.path), u.path)
    )


def _node(ref: UnitRef | None) -> Node | None:
    if ref is None or (ref.unit_id is None and ref.planned is None):
        return None
    return ("p", ref.planned) if ref.planned is not None else ("u", ref.unit_id)


def _moves(plan: RosterPlan, people: list[Recorded]) -> list[tuple[int | None, Node | None]]:
    """Each person's unit before the import (None: none, or disabled) and place after it."""
    rows = {r.user_id: r for r in plan.updated}
    leaving = {x.user_id for x in plan.deactivated}
    moves: list[tuple[int | None, Node | None]] = []
    for p in people:
        placed = p.status != AccountStatus.DISABLED
        before = p.org_unit_id if placed else None
        row = rows.get(p.id)
        after: Node | None = None
        if p.id not in leaving and (placed or (row is not None and row.reactivate)):
            after = (
                _node(row.unit) if row is not None and row.moved else _node(UnitRef(p.org_unit_id))
            )
        if before is not None or after is not None:
            moves.append((before, after))
    moves.extend((None, _node(r.unit)) for r in plan.created)
    return moves


def _keep_registered_name(row: ReadRow, person: Recorded, kept: list[KeptName]) -> None:
    """A name written otherwise only by characters CP932 (or JIS X 0208) cannot hold is the
    registered name as the personnel system can write it: the registered form stays."""
    if row.name == person.name:
        return
    if gaiji.read_alike(person.name, row.name):
        row.name = person.name  # the reader's NFKC (a full-width space): nothing to say
    elif gaiji.differs_only_by_gaiji(person.name, row.name):
        kept.append(KeptName(row.line, row.number, person.name, row.name))
        row.name = person.name


def _compare(
    row: ReadRow, person: Recorded, resolver: UnitResolver, heads: dict[str, str], errors: list
) -> None:
    """Fill ``row.changes`` with what differs from the person's record (see :mod:`roster_fields`)."""
    if row.email and row.email != person.email and person.role != Role.EMPLOYEE:
        errors.append(
            RowError(
                row.line,
                heads["email"],
                _("A coordinator's sign-in address is changed by a regional administrator."),
            )
        )
        return
    row.email = row.email or person.email  # a blank cell keeps the address on record
    row.changes = roster_fields.changes(row, person, Comparing(heads, resolver.path_of))
