"""Helpers for the counting tests: completions, targets and org units made directly."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from regional.attendance.models import Completion, CompletionSource
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import fiscal_year_of
from regional.targets.models import Target, TargetKind
from tenants.scoping import acting_as

ADVANCED = ("ADV-101", "ADV-102", "ADV-103")
DIGITAL = ("CORE-DT-101", "CORE-DT-102", "CORE-DT-201", "CORE-DT-202", "CORE-DT-301")
PM = ("CORE-PM-101", "CORE-PM-102", "CORE-PM-201", "CORE-PM-301")


def program(code: str) -> Program:
    return db.session.scalar(select(Program).where(Program.code == code))


def complete(muni: int, employee_id: int, code: str, day: date) -> Completion:
    """A completion as the platform records it (programme snapshot, fiscal year by the day)."""
    p = program(code)
    snap = p.snapshot()
    with acting_as(db.session, muni):
        c = Completion(
            municipality_id=muni,
            employee_id=employee_id,
            program_id=p.id,
            program_revision=p.revision,
            program_code=p.code,
            title_ja=p.title_ja,
            title_en=p.title_en,
            tier=snap["tier"],
            track=snap["track"],
            skill_area_key=snap["skill_area"],
            hours=p.hours,
            completed_on=day,
            fiscal_year=fiscal_year_of(day),
            source=CompletionSource.MANUAL,
        )
        db.session.add(c)
        db.session.flush()
    return c


def complete_all(muni: int, employee_id: int, codes, day: date) -> None:
    for code in codes:
        complete(muni, employee_id, code, day)


def target(
    muni: int,
    key: str,
    number: int,
    start: int = 2024,
    end: int | None = None,
    population: int | None = None,
) -> Target:
    kind = (
        TargetKind.CUMULATIVE
        if key in ("advanced", "core_digital", "core_pm")
        else (TargetKind.ANNUAL)
    )
    with acting_as(db.session, muni):
        # One target per member and key: a second call (another module sharing the browser
        # tests' committed database) sets the same row instead of breaking the constraint.
        t = db.session.scalar(select(Target).where(Target.key == key)) or Target(
            municipality_id=muni, key=key
        )
        t.kind, t.target, t.population = kind, number, population
        t.period_start_fy, t.period_end_fy = start, end
        db.session.add(t)
        db.session.flush()
    return t
