"""Measures as data: what makes a person count for each target key.

Defaults (the policy): a person is ``advanced``, ``core_digital`` or
``core_pm`` once they have completed every *current* (active) programme of
that track; a completion of an earlier revision of a programme counts (a
revision keeps the programme's id). The annual measures count distinct people
who completed a programme of the named skill areas within a fiscal year, read
from the completion's own record (so a programme retired later still counts
for completions made while it was current). Regional administrators edit the
rules on the measures page; ``load_default_measures`` adds missing ones only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regional.attendance.models import Completion
from regional.catalogue.models import Program, SkillArea, Track
from regional.people.models import JobCategory
from regional.targets.models import Measure, MeasureKind, PersonaProgress, PersonaRule

PERSONA_KEYS = ("advanced", "core_digital", "core_pm")
ANNUAL_KEYS = ("literacy_required", "literacy_elective", "security")
KEYS = PERSONA_KEYS + ANNUAL_KEYS

#: Annual keys that are required training every year, and for whom (empty: everyone).
REQUIRED_DEFAULTS: dict[str, list[str]] = {
    "security": [],  # every employee who handles ICT equipment: everyone here
    "literacy_required": [JobCategory.ADMINISTRATIVE.value],  # 行政職等
}

#: key -> (kind, label_ja, label_en, track or None, skill areas)
DEFAULTS: dict[str, tuple[MeasureKind, str, str, str | None, list[str]]] = {
    "advanced": (
        MeasureKind.PERSONA,
        "高度デジタル人材",
        "Advanced digital staff",
        Track.ADVANCED_ICT.value,
        [],
    ),
    "core_digital": (
        MeasureKind.PERSONA,
        "コア人材（デジタル技術）",
        "Core staff: digital technology",
        Track.DIGITAL_TECH.value,
        [],
    ),
    "core_pm": (
        MeasureKind.PERSONA,
        "コア人材（プロジェクトマネジメント）",
        "Core staff: project management",
        Track.PROJECT_MANAGEMENT.value,
        [],
    ),
    "literacy_required": (
        MeasureKind.ANNUAL,
        "デジタルリテラシー基礎（必須）",
        "Digital literacy basics (required)",
        None,
        ["literacy_required"],
    ),
    "literacy_elective": (
        MeasureKind.ANNUAL,
        "デジタルリテラシー（選択）",
        "Digital literacy (elective)",
        None,
        ["literacy_elective"],
    ),
    "security": (
        MeasureKind.ANNUAL,
        "情報セキュリティ",
        "Information security",
        None,
        ["information_security"],
    ),
}


def load_default_measures(session: Session) -> int:
    """Add the policy's measures that are missing (never overwrites an edited one)."""
    existing = set(session.scalars(select(Measure.key)))
    added = 0
    for position, (key, (kind, ja, en, track, areas)) in enumerate(DEFAULTS.items()):
        if key in existing:
            continue
        session.add(
            Measure(
                key=key,
                kind=kind,
                label_ja=ja,
                label_en=en,
                track=track,
                rule=PersonaRule.ALL_CURRENT if kind == MeasureKind.PERSONA else None,
                skill_areas=areas,
                required=key in REQUIRED_DEFAULTS,
                audience=list(REQUIRED_DEFAULTS.get(key, [])),
                position=position,
            )
        )
        added += 1
    session.flush()
    return added


def measures_by_key(session: Session) -> dict[str, Measure]:
    return {m.key: m for m in session.scalars(Measure.ordered())}


def required_count(measure: Measure, current: list[int]) -> int | None:
    """How many distinct current programmes make the persona (None: it cannot be reached)."""
    return need_for(measure.rule, measure.min_programs, current)


def need_for(rule: PersonaRule | str | None, min_programs: int | None, current) -> int | None:
    """``required_count`` from a measure's columns (for readers without the ORM object)."""
    if not current:
        return None
    if rule == PersonaRule.AT_LEAST and min_programs:
        return min_programs
    return len(current)


def current_programs_by_track(session: Session) -> dict[str, list[int]]:
    """Ids of the active programmes of every track (one statement)."""
    result: dict[str, list[int]] = {}
    for pid, track in session.execute(
        select(Program.id, Program.track).where(Program.active.is_(True)).order_by(Program.id)
    ):
        result.setdefault(str(track.value if hasattr(track, "value") else track), []).append(pid)
    return result


def personas_of(session: Session, employee_id: int) -> list[str]:
    """The persona keys a person has reached (in the current municipality's records).

    Read from the stored progress (regional.targets.tallies): reached under the rules in
    force on the day, so a later catalogue change never takes a persona away.
    """
    order = {m.key: i for i, m in enumerate(measures_by_key(session).values())}
    reached = session.scalars(
        select(PersonaProgress.key).where(
            PersonaProgress.employee_id == employee_id, PersonaProgress.reached_on.is_not(None)
        )
    )
    return sorted(reached, key=lambda k: (order.get(k, 99), k))


def missing_for(session: Session, employee_id: int, key: str) -> list[Program]:
    """Current programmes of the persona's track the person has not completed (any revision)."""
    measure = session.scalar(Measure.by_key(key))
    if measure is None or measure.kind != MeasureKind.PERSONA:
        return []
    done = select(Completion.program_id).where(Completion.employee_id == employee_id)
    return list(
        session.scalars(
            select(Program)
            .where(
                Program.active.is_(True),
                Program.track == measure.track,
                Program.id.not_in(done),
            )
            .order_by(Program.code)
        )
    )


def skill_area_keys(session: Session) -> list[str]:
    return list(session.scalars(select(SkillArea.key).order_by(SkillArea.position, SkillArea.id)))


def check_measure_values(session: Session, measure: Measure, values: dict[str, Any]) -> dict:
    """Validate an edit of a measure; raises DomainError (422) with a clear message."""
    from flask_babel import lazy_gettext as _l

    from regional.errors import DomainError

    out: dict[str, Any] = {}
    if measure.kind == MeasureKind.PERSONA:
        rule = values.get("rule")
        try:
            rule = PersonaRule(rule)
        except ValueError as exc:
            raise DomainError(
                "invalid_rule", _l("Choose how the persona is reached."), field="rule"
            ) from exc
        out["rule"] = rule
        if rule == PersonaRule.AT_LEAST:
            n = values.get("min_programs")
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 50:
                raise DomainError(
                    "invalid_min_programs",
                    _l("The number of programmes must be a whole number from 1 to 50."),
                    field="min_programs",
                )
            out["min_programs"] = n
        else:
            out["min_programs"] = None
    else:
        areas = values.get("skill_areas")
        known = set(skill_area_keys(session))
        if (
            not isinstance(areas, list)
            or not areas
            or not all(isinstance(a, str) and a in known for a in areas)
        ):
            raise DomainError(
                "invalid_skill_areas",
                _l("Choose at least one skill area of the catalogue."),
                field="skill_areas",
            )
        out["skill_areas"] = sorted(set(areas))
    return out
