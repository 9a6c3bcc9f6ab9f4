"""On-the-job training records: recorded by the person or their coordinator, confirmed by the coordinator."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from regional.audit import audited
from regional.catalogue.models import SkillArea
from regional.extensions import db
from regional.growth import review, rules
from regional.growth.models import OjtRecord, OjtStatus
from regional.people.models import User


@dataclass(frozen=True)
class OjtData:
    title: object
    started_on: object
    ended_on: object = None
    skill_areas: object = ()
    supported_by: object = ""
    division: object = ""
    outcome: object = ""


def skill_area_keys() -> list[str]:
    return list(
        db.session.scalars(select(SkillArea.key).order_by(SkillArea.position, SkillArea.id))
    )


def _clean(data: OjtData) -> dict:
    areas = data.skill_areas if data.skill_areas is not None else []
    if not isinstance(areas, list | tuple) or not all(isinstance(a, str) for a in areas):
        raise rules.InvalidInput(
            "invalid_field",
            _l("The field %(name)s has the wrong type.", name="skill_areas"),
            field="skill_areas",
        )
    known = skill_area_keys()
    unknown = [a for a in areas if a not in known]
    if unknown or len(areas) > len(known):
        raise rules.InvalidInput(
            "invalid_skill_area",
            _l("Unknown skill area: use the keys of the policy's table."),
            field="skill_areas",
        )
    started = rules.day(data.started_on, "started_on")
    ended = rules.day(data.ended_on, "ended_on", required=False)
    if ended is not None and ended < started:
        raise rules.InvalidInput(
            "invalid_period", _l("The end of the project is before its start."), field="ended_on"
        )
    return {
        "title": rules.text(data.title, "title", max_len=200),
        "division": rules.text(data.division, "division", max_len=200, required=False),
        "started_on": started,
        "ended_on": ended,
        "skill_areas": [k for k in known if k in set(areas)],
        "supported_by": rules.text(data.supported_by, "supported_by", max_len=300, required=False),
        "outcome": rules.text(data.outcome, "outcome", max_len=4000, required=False, lines=True),
    }


def _snapshot(r: OjtRecord) -> dict:
    return {
        "title": r.title,
        "division": r.division,
        "started_on": r.started_on,
        "ended_on": r.ended_on,
        "skill_areas": list(r.skill_areas or []),
        "supported_by": r.supported_by,
        "status": r.status.value,
    }


def _label(r: OjtRecord) -> str:
    return f"{r.employee.name}: {r.title}"


#: The coordinator's review of a project (regional.growth.review): confirmed, never returned.
REVIEW = review.Review(
    kind="ojt",
    own_message=_l("Someone else must confirm your own record."),
    snapshot=_snapshot,
    label=_label,
    accept_action="ojt.confirm",
    accepted=OjtStatus.CONFIRMED,
    reviewer_field="confirmed_by_id",
    reviewed_at_field="confirmed_at",
)


def record_ojt(employee: User, data: OjtData, actor: User) -> OjtRecord:
    """A project worked on; unconfirmed until the coordinator confirms it."""
    values = _clean(data)
    if not values["division"] and employee.org_unit is not None:
        values["division"] = employee.org_unit.name[:200]
    record = OjtRecord(
        municipality_id=employee.municipality_id,
        employee_id=employee.id,
        status=OjtStatus.UNCONFIRMED,
        recorded_by_id=actor.id,
        **values,
    )
    with audited(
        "ojt.record",
        target=record,
        snapshot=_snapshot,
        creating=True,
        subject_type="ojt",
        subject_label=f"{employee.name}: {record.title}",
        actor=actor,
    ):
        db.session.add(record)
        db.session.flush()
    return record


def confirm(record: OjtRecord, actor: User) -> OjtRecord:
    """The coordinator confirms the project took place as recorded."""
    return review.accept(REVIEW, record, actor)


@dataclass(frozen=True)
class OjtCounts:
    """One municipality's on-the-job training, for the dashboards."""

    people: int  # distinct people with at least one confirmed project
    confirmed: int  # confirmed projects
    unconfirmed: int  # projects awaiting the coordinator


def ojt_counts(session: Session, municipality_id: int) -> OjtCounts:
    """Counts for one municipality in one SQL statement, scoped by hand (any tenant setting)."""
    return ojt_by_member(session, [municipality_id])[municipality_id]


def ojt_by_member(session: Session, municipality_ids: list[int]) -> dict[int, OjtCounts]:
    """``ojt_counts`` for several members in the same one statement."""
    r = OjtRecord
    confirmed = r.status == OjtStatus.CONFIRMED
    ids = list(municipality_ids)
    rows = session.execute(
        select(
            r.municipality_id,
            func.count(distinct(case((confirmed, r.employee_id)))),
            func.count(case((confirmed, r.id))),
            func.count(case((~confirmed, r.id))),
        )
        .where(r.municipality_id.in_(ids))
        .group_by(r.municipality_id)
        .execution_options(all_tenants=True)
    ).all()
    found = {mid: OjtCounts(people=a, confirmed=b, unconfirmed=c) for mid, a, b, c in rows}
    return {mid: found.get(mid, OjtCounts(0, 0, 0)) for mid in ids}
