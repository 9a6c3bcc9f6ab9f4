"""Whether a person may take a programme, with the completions they already have.

The programme's rules are the catalogue's (:mod:`regional.catalogue.eligibility`);
the completions they read are recorded here, so the two meet in this module.
"""

from __future__ import annotations

from sqlalchemy import select

from regional.catalogue.eligibility import Eligibility, check_eligibility
from regional.catalogue.models import Program
from regional.extensions import db
from regional.people.models import User
from regional.registrations.models import Completion


def completed_tracks(employee: User, tracks: list[str]) -> list[str]:
    """Which of ``tracks`` the person has completed a programme in (as it was when taken)."""
    if not tracks:
        return []
    found = set(
        db.session.scalars(
            select(Completion.track)
            .where(
                Completion.employee_id == employee.id,
                Completion.municipality_id == employee.municipality_id,
                Completion.track.in_(tracks),
            )
            .distinct()
            # Scoped by hand to the person's own municipality above: a regional administrator
            # acting in another member still sees their own record.
            .execution_options(all_tenants=True)
        )
    )
    return [t for t in tracks if t in found]


def eligibility_of(program: Program, employee: User) -> Eligibility:
    """The catalogue's rules for ``program`` applied to ``employee`` and their completions."""
    tracks = list(program.prerequisite_tracks or [])
    return check_eligibility(program, employee, completed_tracks(employee, tracks))
