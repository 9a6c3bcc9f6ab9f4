"""Applying a staff roster: all of it in the caller's transaction, or nothing.

:func:`preview` reads and plans a file; :func:`commit` applies a plan without
errors (units first, then new people, updates and deactivations) and records
the import in the log. Neither commits: the caller does, once, so a failure
anywhere leaves no trace.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from regional import fiscal
from regional.audit import record_audit
from regional.database import begin_writing
from regional.errors import Conflict, DomainError
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people import (
    addresses,
    departures,
    history,
    reorganisation,
    roster_fields,
    roster_heads,
)
from regional.people.departures import Withdrawn
from regional.people.history import effective_day
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.people.reorganisation import ChoiceError, Choices, Outcome
from regional.people.roster_fields import trail_value
from regional.people.roster_plan import RosterPlan, plan_roster
from regional.people.roster_read import MAX_ROSTER_ROWS, PersonRow
from regional.people.units import UnitData, deactivate_unit, note_event, update_unit
from regional.people.uploads import RosterUpload
from regional.spreadsheets import SheetError, read_table
from tenants.models import Municipality, OrgUnit, OrgUnitEventKind
from tenants.scoping import current_tenant_id, is_all_tenants

log = logging.getLogger("regional.audit")

#: How long an upload waits for its import.
UPLOAD_MAX_AGE = timedelta(days=1)
#: Rows updated per SELECT when loading the people an import changes.
CHUNK = 500


class RosterRefused(DomainError):
    """The file as a whole cannot be read (wrong type, too large, hostile)."""

    status = 422

    def __init__(self, message: object):
        super().__init__("unreadable_file", message)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def preview(
    data: bytes, municipality: Municipality, actor: User, *, deactivate_missing: bool = False
) -> RosterPlan:
    """Read ``data`` (CSV or XLSX) and plan its import; :class:`RosterRefused` if unreadable."""
    try:
        table = read_table(data, max_rows=MAX_ROSTER_ROWS)
    except SheetError as exc:
        raise RosterRefused(exc.message) from exc
    return plan_roster(table, municipality, actor, deactivate_missing=deactivate_missing)


@dataclass
class ImportResult:
    counts: dict[str, int]
    filename: str
    #: The future registrations the deactivations cancelled.
    withdrawn: list[Withdrawn] = field(default_factory=list)
    #: The day the changes took effect (異動日).
    effective_on: date | None = None
    #: What was done to the organisation: renamed, merged, split, retired (ids and paths).
    reorganisation: dict[str, list[dict]] = field(default_factory=dict)

    def cancelled_per_person(self) -> dict[int, int]:
        """Registrations cancelled per person deactivated (those with none are left out)."""
        per: dict[int, int] = {}
        for w in self.withdrawn:
            per[w.employee_id] = per.get(w.employee_id, 0) + 1
        return per


def commit(
    plan: RosterPlan,
    actor: User,
    *,
    filename: str,
    file_hash: str,
    effective_on: date | None = None,
    choices: Choices | None = None,
) -> ImportResult:
    """Apply an error-free plan in the current transaction (flushes, never commits).

    Every change takes effect on ``effective_on`` (today in Japan by default): memberships,
    new units, renames and retirements. ``choices`` says which of the plan's reorganisation
    proposals to apply (none by default: the import then only creates units and moves people).
    """
    if not plan.ok:
        raise DomainError("roster_invalid", _l("The roster has errors: nothing was imported."))
    try:
        outcome = reorganisation.resolve(plan.reorganisation, choices or Choices())
    except ChoiceError as exc:
        raise DomainError(
            "invalid_choice",
            _l("The choices do not match the preview's proposals. Please preview the file again."),
            status=400,
        ) from exc
    day = effective_on or fiscal.today()
    begin_writing()  # deactivations go through the seat engine: SQLite takes the write lock first
    try:
        with history.effective_on(db.session, day), db.session.begin_nested():
            renamed = _rename_units(plan, outcome, actor)
            unit_ids = _create_units(plan, outcome.remap)
            _create_people(plan.created, unit_ids)
            changed, moved = _update_people(plan.updated, unit_ids, actor)
            withdrawn = _deactivate(plan, actor)
            head_lines = _set_heads(plan, unit_ids)
            retired = _retire_units(outcome, unit_ids, actor)
            db.session.flush()
    except IntegrityError as exc:
        log.warning("roster import lost a race by=%s: %s", actor.id, exc.orig)
        raise Conflict(
            "roster_conflict",
            _l("Someone changed the same people at the same time. Please preview the file again."),
        ) from exc
    done = {"renamed": renamed, **retired}
    counts = {
        **plan.counts(),
        "registrations_cancelled": len(withdrawn),
        "moved": moved,
        "units_created": len(unit_ids) - len(outcome.remap),
        "units_renamed": len(renamed),
        "units_retired": sum(len(v) for v in retired.values()),
    }
    lines = _created_lines(plan) + changed + _deactivated_lines(plan)
    _audit(
        actor,
        filename,
        file_hash,
        counts,
        plan.deactivate_missing,
        withdrawn,
        lines,
        day,
        done,
        heads=head_lines,
    )
    return ImportResult(
        counts=counts,
        filename=filename,
        withdrawn=withdrawn,
        effective_on=day,
        reorganisation=done,
    )


def _unit(unit_id: int) -> OrgUnit:
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
    if unit is None:  # the plan was made from this municipality's units a moment ago
        raise Conflict(
            "roster_conflict",
            _l("Someone changed the same people at the same time. Please preview the file again."),
        )
    return unit


def _rename_units(plan: RosterPlan, outcome: Outcome, actor: User) -> list[dict]:
    """Existing units take the names of the new units they stand for (parents first)."""
    planned = {u.path: u for u in plan.units}
    done = []
    for unit_id, path in outcome.renames:
        unit = _unit(unit_id)
        before = unit.path()
        update_unit(
            unit,
            UnitData(path[-1], unit.level, unit.parent_id, planned[path].equivalent),
            actor,
        )
        done.append({"id": unit.id, "from": before, "to": "/".join(path)})
    return done


_EVENT = {
    reorganisation.MERGE: OrgUnitEventKind.MERGED,
    reorganisation.SPLIT: OrgUnitEventKind.SPLIT,
    reorganisation.RETIRE: OrgUnitEventKind.RETIRED,
}
_DONE = {
    reorganisation.MERGE: "merged",
    reorganisation.SPLIT: "split",
    reorganisation.RETIRE: "retired",
}


def _retire_units(
    outcome: Outcome, unit_ids: dict[tuple[str, ...], int], actor: User
) -> dict[str, list[dict]]:
    """Retire the emptied units (sub-units first), each with the event of its fate."""
    done: dict[str, list[dict]] = {"merged": [], "split": [], "retired": []}
    for fate in outcome.retire:
        into = [unit_ids[n[1]] if n[0] == "p" else n[1] for n in fate.into]  # type: ignore[index]
        detail: dict = {"into": into} if fate.kind != reorganisation.RETIRE else {}
        if fate.follows is not None:
            detail["with"] = fate.follows
        deactivate_unit(_unit(fate.unit_id), actor, kind=_EVENT[fate.kind], detail=detail)
        entry: dict = {"id": fate.unit_id, "path": fate.path}
        if fate.kind != reorganisation.RETIRE:
            entry |= {"into": into, "into_paths": fate.into_paths}
        done[_DONE[fate.kind]].append(entry)
    return done


def _create_units(
    plan: RosterPlan, remap: dict[tuple[str, ...], int]
) -> dict[tuple[str, ...], int]:
    """New units level by level (parents first): one flush per depth, not per unit.

    Paths in ``remap`` are existing units renamed to stand for them: not created."""
    ids: dict[tuple[str, ...], int] = dict(remap)
    by_depth: dict[int, list] = {}
    for planned in plan.units:
        if planned.path not in remap:
            by_depth.setdefault(len(planned.path), []).append(planned)
    for depth in sorted(by_depth):
        made = []
        for planned in by_depth[depth]:
            parent_id = planned.parent_id
            if parent_id is None and depth > 1:
                parent_id = ids.get(planned.path[:-1])
            unit = OrgUnit(
                name=planned.name,
                level=planned.level,
                equivalent=planned.equivalent,
                parent_id=parent_id,
                active=True,
                valid_from=effective_day(db.session),
            )
            db.session.add(unit)
            made.append((planned.path, unit))
        db.session.flush()
        ids.update((path, unit.id) for path, unit in made)
        for _path, unit in made:
            note_event(unit, OrgUnitEventKind.CREATED)
    return ids


def _create_people(rows: list[PersonRow], unit_ids: dict[tuple[str, ...], int]) -> None:
    """New staff: active records without a password; they sign in once invited.

    One bulk INSERT (executemany) rather than an object per row. A bulk insert
    passes by the tenant wall's stamping hook, so the municipality is stamped
    here by hand from the current tenant, which the caller's route entered.
    """
    if not rows:
        return
    municipality_id = current_tenant_id(db.session)
    if municipality_id is None or is_all_tenants(db.session):
        raise RuntimeError("a roster is imported inside one municipality")
    now = now_utc()
    db.session.execute(
        insert(User),
        [
            {
                "municipality_id": municipality_id,
                "email": row.email,
                "name": row.name,
                "name_kana": row.name_kana,
                "job_title": row.job_title,
                "employee_number": row.number,
                "job_category": row.job_category or JobCategory.ADMINISTRATIVE,
                "org_unit_id": row.unit_id_in(unit_ids),
                "role": Role.EMPLOYEE,
                "status": AccountStatus.ACTIVE,
                "system_duty": False,
                "password_hash": None,
                "session_version": 1,
                "calendar_token": secrets.token_urlsafe(32),
                "created_at": now,
            }
            for row in rows
        ],
    )
    # The bulk insert passes by the ORM's flush: their memberships are opened here.
    numbers = [row.number for row in rows]
    conn = db.session.connection()
    day = effective_day(db.session)
    for start in range(0, len(numbers), CHUNK):
        for uid, unit_id in db.session.execute(
            select(User.id, User.org_unit_id).where(
                User.employee_number.in_(numbers[start : start + CHUNK])
            )
        ):
            if unit_id is not None:
                history.record(conn, municipality_id, uid, unit_id, day)


def _set_heads(plan: RosterPlan, unit_ids: dict[tuple[str, ...], int]) -> list[dict]:
    """The file's heads and deputies of unit, once its units and people exist."""
    numbers = [p[1] for c in plan.head_changes for p in c.after if p and p[0] == "n"]
    created = {}
    if numbers:
        created = dict(
            db.session.execute(
                select(User.employee_number, User.id).where(User.employee_number.in_(numbers))
            ).all()
        )
    return roster_heads.apply(plan.head_changes, unit_ids, created)


def _load(ids: list[int]) -> dict[int, User]:
    found: dict[int, User] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        found.update((u.id, u) for u in db.session.scalars(select(User).where(User.id.in_(chunk))))
    return found


def _created_lines(plan: RosterPlan) -> list[dict]:
    """The trail's line for each person the import adds (their id is not read back)."""
    return [
        {
            "change": "created",
            "employee_number": row.number,
            "name": row.name,
            "after": {
                "email": row.email,
                "job_category": row.job_category or JobCategory.ADMINISTRATIVE,
                "org_unit": row.unit.text if row.unit is not None else None,
            },
        }
        for row in plan.created
    ]


def _deactivated_lines(plan: RosterPlan) -> list[dict]:
    return [
        {
            "change": "deactivated",
            "id": leaver.user_id,
            "employee_number": leaver.number,
            "name": leaver.name,
            "before": {"status": AccountStatus.ACTIVE, "org_unit": leaver.unit or None},
            "after": {"status": AccountStatus.DISABLED},
        }
        for leaver in plan.deactivated
    ]


def _kind(row: PersonRow) -> str:
    """What happened to the person, in one word for the trail."""
    fields = {c.field for c in row.changes}
    if row.reactivate:
        return "reactivated"
    if "org_unit" in fields:
        return "moved"
    if "name" in fields:
        return "renamed"
    return "updated"


def _update_people(
    rows: list[PersonRow], unit_ids: dict[tuple[str, ...], int], actor: User
) -> tuple[list[dict], int]:
    """Apply each row's changes; the trail's line per person (moved, renamed ...) and the
    number of people whose unit changed (a renamed unit's people stay in it: their path
    changed, not their unit)."""
    moved = 0
    users = _load([r.user_id for r in rows if r.user_id is not None])
    lines = []
    for row in rows:
        user = users[row.user_id]
        before = {c.field: trail_value(user, c, after=False) for c in row.changes}
        old_email, old_unit = user.email, user.org_unit_id
        roster_fields.apply(user, row, unit_ids)
        moved += user.org_unit_id != old_unit
        # A new sign-in address: the old one is told, and every way in ends.
        addresses.address_changed(user, old_email, actor)
        lines.append(
            {
                "change": _kind(row),
                "id": user.id,
                "employee_number": user.employee_number,
                "name": user.name,
                "before": before,
                "after": {c.field: trail_value(user, c, after=True) for c in row.changes},
            }
        )
    return lines, moved


def _deactivate(plan: RosterPlan, actor: User) -> list[Withdrawn]:
    """Disable the leavers, then cancel their future registrations in one pass."""
    users = _load([leaver.user_id for leaver in plan.deactivated])
    leaving = []
    for user in users.values():
        if user.id == actor.id or user.role != Role.EMPLOYEE:
            continue  # the plan never lists them; this is a second lock on the door
        user.status = AccountStatus.DISABLED
        user.revoke_sessions()
        leaving.append(user)
    db.session.flush()
    return departures.withdraw(leaving, actor)


def _audit(
    actor: User,
    filename: str,
    file_hash: str,
    counts: dict,
    deactivate: bool,
    withdrawn: list[Withdrawn],
    lines: list[dict],
    day: date,
    reorganised: dict[str, list[dict]],
    *,
    heads: list[dict],
) -> None:
    """One entry per import; its detail lists every person added, changed or deactivated."""
    by_person: dict[int, list[dict[str, int]]] = {}
    for w in withdrawn:
        by_person.setdefault(w.employee_id, []).append(w.as_audit())
    record_audit(
        "roster.import",
        subject_type="roster",
        subject_id=None,
        subject_label=filename,
        actor=actor,
        detail={
            "filename": filename,
            "sha256": file_hash,
            "deactivate_missing": deactivate,
            "effective_on": day,
            "counts": counts,
            "people": lines,
            # Who lost which registrations (session ids), for the trail.
            "registrations_cancelled": [
                {"employee_id": employee_id, "registrations": regs}
                for employee_id, regs in sorted(by_person.items())
            ],
            # The units renamed, merged, split and retired (ids and paths).
            "reorganisation": reorganised,
            # The units whose head of unit (所属長) or deputy (代理) the file set.
            "heads": heads,
        },
    )
    log.info(
        "roster import by=%s file=%r sha256=%s deactivate_missing=%s effective_on=%s %s",
        actor.id,
        filename,
        file_hash,
        deactivate,
        day.isoformat(),
        " ".join(f"{k}={v}" for k, v in counts.items()),
    )


# -- uploads between preview and import -------------------------------------------------


def keep_upload(data: bytes, filename: str, actor: User) -> RosterUpload:
    """Store a previewed file (the current municipality's), dropping stale ones."""
    db.session.execute(
        delete(RosterUpload).where(RosterUpload.created_at < now_utc() - UPLOAD_MAX_AGE)
    )
    upload = RosterUpload(
        uploaded_by_id=actor.id,
        filename=(filename or "roster")[:255],
        sha256=sha256(data),
        data=data,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def find_upload(upload_id: int, actor: User, file_hash: str) -> RosterUpload | None:
    """The upload if it is this person's, in this municipality, recent, and still the same bytes."""
    upload = db.session.scalar(select(RosterUpload).where(RosterUpload.id == upload_id))
    if upload is None or upload.uploaded_by_id != actor.id:
        return None
    if upload.created_at < now_utc() - UPLOAD_MAX_AGE:
        return None
    if upload.sha256 != file_hash or sha256(upload.data) != file_hash:
        return None
    return upload


def drop_upload(upload: RosterUpload) -> None:
    db.session.delete(upload)
