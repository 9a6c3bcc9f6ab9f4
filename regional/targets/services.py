"""Setting targets and measures: checked, audited, in the caller's transaction (never commits)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regional import fiscal
from regional.audit import audited, record_audit
from regional.errors import DomainError
from regional.extensions import db
from regional.targets import rules, tallies
from regional.targets.measures import check_measure_values, load_default_measures
from regional.targets.models import Measure, Target, TargetKind
from regional.versions import take_turns
from tenants import all_tenants
from tenants.models import Municipality

POLICY_TARGETS = Path(__file__).resolve().parent / "data" / "policy_targets.toml"

#: Bounds that refuse absurd values (the region has about 12,000 staff).
MAX_PEOPLE = 100_000
FIRST_FY, LAST_FY = 2000, 2100
MAX_SPAN_YEARS = 20


def _refuse(code: str, message: Any, field: str) -> DomainError:
    return DomainError(code, message, field=field)


def _whole(values: dict, name: str, *, required: bool) -> int | None:
    value = values.get(name)
    if value is None or value == "":
        if required:
            raise _refuse("missing_field", _l("The field %(name)s is required.", name=name), name)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(
            "invalid_field", _l("The field %(name)s must be a whole number.", name=name), name
        )
    return value


def check_target_values(measure: Measure | None, key: str, values: dict) -> dict:
    """The checked fields of a target, or a DomainError (422) saying clearly what is wrong."""
    if measure is None:
        raise _refuse("unknown_key", _l("There is no measure called %(key)s.", key=key), "key")
    expected = measure.target_kind
    kind = values.get("kind") or expected.value
    if not isinstance(kind, str) or kind not in {k.value for k in TargetKind}:
        raise _refuse("invalid_kind", _l("The kind must be cumulative or annual."), "kind")
    if kind != expected.value:
        raise _refuse(
            "kind_mismatch",
            _l(
                "%(key)s is counted %(kind)s; its target cannot be %(given)s.",
                key=key,
                kind=expected.value,
                given=kind,
            ),
            "kind",
        )
    target = _whole(values, "target", required=True)
    if not 0 <= target <= MAX_PEOPLE:
        raise _refuse(
            "invalid_target",
            _l("The target must be a number of people from 0 to %(max)d.", max=MAX_PEOPLE),
            "target",
        )
    start = _whole(values, "period_start_fy", required=True)
    end = _whole(values, "period_end_fy", required=expected == TargetKind.CUMULATIVE)
    for name, fy in (("period_start_fy", start), ("period_end_fy", end)):
        if fy is not None and not FIRST_FY <= fy <= LAST_FY:
            raise _refuse(
                "invalid_period",
                _l(
                    "Fiscal years must be between %(first)d and %(last)d.",
                    first=FIRST_FY,
                    last=LAST_FY,
                ),
                name,
            )
    if end is not None and end < start:
        raise _refuse(
            "invalid_period",
            _l("The period ends before it starts."),
            "period_end_fy",
        )
    if end is not None and end - start + 1 > MAX_SPAN_YEARS:
        raise _refuse(
            "invalid_period",
            _l("A period is at most %(n)d fiscal years.", n=MAX_SPAN_YEARS),
            "period_end_fy",
        )
    population = _whole(values, "population", required=False)
    if population is not None:
        if not 1 <= population <= MAX_PEOPLE:
            raise _refuse(
                "invalid_population",
                _l("The population must be a number of people from 1 to %(max)d.", max=MAX_PEOPLE),
                "population",
            )
        if target > population:
            raise _refuse(
                "target_exceeds_population",
                _l("The target cannot be larger than the eligible population."),
                "target",
            )
    return {
        "kind": TargetKind(kind),
        "target": target,
        "period_start_fy": start,
        "period_end_fy": end,
        "population": population,
    }


def _overlapping(key: str, start: int, end: int | None, other_than: int | None) -> Target | None:
    """Another period of this key (current municipality) that shares a fiscal year."""
    for t in db.session.scalars(Target.of_municipality().where(Target.key == key)):
        if t.id == other_than:
            continue
        t_end = 9999 if t.period_end_fy is None else t.period_end_fy
        if t.period_start_fy <= (9999 if end is None else end) and start <= t_end:
            return t
    return None


def set_target(
    municipality: Municipality,
    key: str,
    values: dict,
    actor: Any,
    *,
    target: Target | None = None,
    create: bool = False,
) -> Target:
    """Create or change one plan period of a municipality's target; audited with before/after.

    ``target`` names the period to change (the pages); ``create`` adds a new period (the
    pages' "next period"); with neither, the period that starts at ``period_start_fy`` is
    changed, or created if there is none (the API's PUT). Periods of one key never overlap. The caller has entered ``municipality`` (the tenant wall stamps
    and scopes the row).
    """
    measure = db.session.scalar(Measure.by_key(key))
    checked = check_target_values(measure, key, values)
    lock_key(municipality.id, key)
    if target is None and not create:
        target = period_of(key, checked["period_start_fy"])
    clash = _overlapping(
        key,
        checked["period_start_fy"],
        checked["period_end_fy"],
        target.id if target is not None else None,
    )
    if clash is not None:
        raise _refuse(
            "period_overlap",
            _l(
                "The period overlaps the plan period %(start)d–%(end)s of this target; "
                "periods of one target follow each other.",
                start=clash.period_start_fy,
                end=clash.period_end_fy or "",
            ),
            "period_start_fy",
        )
    where = {
        "subject_type": "target",
        "subject_label": measure.label("ja"),
        "actor": actor,
        "municipality_id": municipality.id,
    }
    if target is None:
        target, created = _insert_or_found(
            Target(
                key=key,
                municipality_id=municipality.id,
                updated_by_id=getattr(actor, "id", None),
                **checked,
            )
        )
        if created:
            db.session.flush()
            record_audit(
                "target.create",
                subject_id=target.id,
                after={**target.as_dict(), "kind": checked["kind"].value},
                **where,
            )
            return target
        # Another request created this period a moment earlier: it is changed instead.
    with audited(
        "target.update", target=target, snapshot=Target.as_dict, changed_only=False, **where
    ) as trail:
        for name, value in checked.items():
            setattr(target, name, value)
        target.updated_by_id = getattr(actor, "id", None)
        trail.after = {**target.as_dict(), "kind": checked["kind"].value}
        db.session.flush()
    return target


def lock_key(municipality_id: int, key: str) -> None:
    """Take turns at one member's periods of one key until the transaction ends.

    Two saves that each find no period starting in a year (or no overlap) would both
    insert. PostgreSQL: a transaction-scoped advisory lock makes the second wait and then
    see the first's row. SQLite: writers already take turns (``BEGIN IMMEDIATE``).
    """
    take_turns(f"targets:{municipality_id}:{key}")


def period_of(key: str, start_fy: object) -> Target | None:
    """The current municipality's period of ``key`` starting in ``start_fy`` (None: none)."""
    if isinstance(start_fy, bool) or not isinstance(start_fy, int):
        return None
    return db.session.scalar(
        Target.of_municipality().where(Target.key == key, Target.period_start_fy == start_fy)
    )


def _insert_or_found(target: Target) -> tuple[Target, bool]:
    """Insert a new period, or find the one another request inserted first (the unique
    key's word, in a savepoint so the transaction goes on); True when inserted."""
    try:
        with db.session.begin_nested():
            db.session.add(target)
    except IntegrityError:
        found = period_of(target.key, target.period_start_fy)
        if found is None:
            raise
        return found, False
    return target, True


def set_measure(
    measure: Measure, values: dict, actor: Any, *, effective_from: date | None = None
) -> Measure:
    """Change what a measure counts (regional administrators); audited in the actor's member.

    The change applies from today: what was reached or counted before stays as it was. With
    ``effective_from`` (a past day), the measure is deliberately re-defined from that day
    on, and the figures since then are counted again (shown beforehand as a preview).
    """
    checked = check_measure_values(db.session, measure, values)
    today = fiscal.today()
    retroactive = effective_from is not None and effective_from < today
    if retroactive and effective_from < rules.EPOCH:
        effective_from = rules.EPOCH
    with audited(
        "measure.redefine" if retroactive else "measure.update",
        target=measure,
        snapshot=Measure.as_dict,
        changed_only=False,
        always=retroactive,
        subject_type="measure",
        subject_id=measure.key,
        subject_label=lambda m: m.label_ja,
        actor=actor,
    ) as trail:
        for name, value in checked.items():
            setattr(measure, name, value)
        measure.updated_by_id = getattr(actor, "id", None)
        if retroactive:
            tallies.redefine_from(db.session, measure.key, effective_from)
        trail.detail["effective_from"] = (effective_from if retroactive else today).isoformat()
        db.session.flush()
    return measure


def load_policy_targets(session: Session, path: Path = POLICY_TARGETS) -> int:
    """Add the policy's targets that are missing (idempotent; never overwrites a target)."""
    load_default_measures(session)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    measures = {m.key: m for m in session.scalars(Measure.ordered())}
    added = 0
    with all_tenants(session):
        members = {m.code: m for m in session.scalars(select(Municipality))}
        # A member that holds any plan period of a key keeps it (set-up adds, never edits).
        existing = {
            (mid, key) for mid, key in session.execute(select(Target.municipality_id, Target.key))
        }
        for row in data.get("target", []):
            member = members.get(row["municipality"])
            if member is None or (member.id, row["key"]) in existing:
                continue
            checked = check_target_values(measures.get(row["key"]), row["key"], row)
            target = Target(key=row["key"], municipality_id=member.id, **checked)
            session.add(target)
            session.flush()
            record_audit(
                "target.create",
                subject_type="target",
                subject_id=target.id,
                subject_label=measures[row["key"]].label_ja,
                after={**target.as_dict(), "kind": checked["kind"].value},
                detail={"source": "seed-region"},
                actor=None,
                municipality_id=member.id,
            )
            added += 1
        session.flush()
    return added
