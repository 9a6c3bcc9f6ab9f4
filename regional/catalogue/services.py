"""Catalogue writes: loading the policy's areas, adding and revising programmes."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from regional.catalogue.models import Delivery, Program, ProgramRevision, SkillArea, Tier, Track
from regional.extensions import db

POLICY_CATALOGUE = Path(__file__).parent / "data" / "policy_catalogue.toml"

#: Named prerequisite rules used by the data file.
PREREQUISITES = {
    "pm": (["digital_tech", "project_management"], True),
}


def record_revision(program: Program, actor_id: int | None) -> ProgramRevision:
    """Keep the programme's current state as revision ``program.revision``."""
    rev = ProgramRevision(
        program_id=program.id,
        revision=program.revision,
        snapshot=program.snapshot(),
        changed_by_id=actor_id,
    )
    db.session.add(rev)
    return rev


def revise_program(program: Program, changes: dict, actor_id: int | None) -> Program:
    """Apply changes as a new revision; completions keep the revision they were taken at."""
    changed = {k: v for k, v in changes.items() if getattr(program, k) != v}
    if not changed:
        return program
    for key, value in changed.items():
        setattr(program, key, value)
    program.revision += 1
    db.session.flush()
    record_revision(program, actor_id)
    return program


def add_program(values: dict, actor_id: int | None) -> Program:
    program = Program(revision=1, **values)
    db.session.add(program)
    db.session.flush()
    record_revision(program, actor_id)
    return program


def load_policy_catalogue(path: Path = POLICY_CATALOGUE) -> tuple[int, int]:
    """Add the policy's skill areas and any missing starter programme; returns (areas, programmes) added.

    Existing programmes are left as administrators made them.
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    areas = {a.key: a for a in db.session.scalars(select(SkillArea))}
    added_areas = 0
    for position, raw in enumerate(data.get("skill_area", []), start=1):
        area = areas.get(raw["key"])
        if area is None:
            area = SkillArea(key=raw["key"])
            db.session.add(area)
            areas[raw["key"]] = area
            added_areas += 1
        area.tier, area.track = Tier(raw["tier"]), Track(raw["track"])
        area.name_ja, area.name_en = raw["name_ja"], raw["name_en"]
        area.audience_ja, area.audience_en = raw.get("audience_ja", ""), raw.get("audience_en", "")
        area.position = position
    db.session.flush()
    codes = set(db.session.scalars(select(Program.code)))
    added_programs = 0
    for raw in data.get("program", []):
        if raw["code"] in codes:
            continue
        area = areas[raw["area"]]
        tracks, duty = PREREQUISITES.get(raw.get("prerequisite", ""), ([], False))
        add_program(
            dict(
                code=raw["code"],
                title_ja=raw["title_ja"],
                title_en=raw["title_en"],
                description_ja=raw.get("description_ja", ""),
                description_en=raw.get("description_en", ""),
                skill_area_id=area.id,
                tier=area.tier,
                track=area.track,
                delivery=Delivery(raw["delivery"]),
                hours=Decimal(str(raw["hours"])),
                eligible_job_categories=list(raw.get("job_categories", [])),
                prerequisite_tracks=list(tracks),
                prerequisite_system_duty=duty,
            ),
            actor_id=None,
        )
        added_programs += 1
    return added_areas, added_programs
