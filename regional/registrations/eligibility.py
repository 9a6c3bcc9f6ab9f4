"""Whether a person may take a programme, with the completions they already have.

The programme's rules are the catalogue's (:mod:`regional.catalogue.eligibility`);
the completions they read are recorded here, so the two meet in this module.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy import func, select

from regional.attendance.models import Completion
from regional.catalogue.eligibility import Eligibility, check_eligibility
from regional.catalogue.models import Program
from regional.extensions import db
from regional.people.models import User


def completion_facts(employee: User, program: Program) -> tuple[list[str], date | None]:
    """(the programme's prerequisite tracks the person completed, their latest completion of it).

    One query on the person's completions (the person index, ``uq_completions_once_a_day``):
    registering reads both, so they come together. Scoped by hand to the person's own
    municipality: a regional administrator acting in another member still reads their own.
    """
    tracks = list(program.prerequisite_tracks or [])
    wanted = Completion.program_id == program.id
    if tracks:
        wanted = wanted | Completion.track.in_(tracks)
    rows = db.session.execute(
        select(Completion.track, Completion.program_id, func.max(Completion.completed_on))
        .where(
            Completion.employee_id == employee.id,
            Completion.municipality_id == employee.municipality_id,
            wanted,
        )
        .group_by(Completion.track, Completion.program_id)
        .execution_options(all_tenants=True)
    ).all()
    done = {track for track, _program, _day in rows}
    days = [day for _track, program_id, day in rows if program_id == program.id]
    return [t for t in tracks if t in done], max(days) if days else None


def eligibility_of(program: Program, employee: User) -> Eligibility:
    """The catalogue's rules for ``program`` applied to ``employee``, with their completion of it."""
    done, completed_on = completion_facts(employee, program)
    return replace(check_eligibility(program, employee, done), completed_on=completed_on)
