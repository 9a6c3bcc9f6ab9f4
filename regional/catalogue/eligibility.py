"""Who may take a programme, with the reasons shown to the person."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import exists, select

from regional.catalogue.models import TRACK_LABELS, Program, Track
from regional.extensions import db
from regional.people.models import JOB_CATEGORY_LABELS, JobCategory, User


@dataclass
class Eligibility:
    eligible: bool
    #: Human reasons, each (met, text): met rules and the rules that keep a person out.
    reasons: list[tuple[bool, str]] = field(default_factory=list)

    @property
    def refusals(self) -> list[str]:
        return [text for met, text in self.reasons if not met]


def _has_completed_track(employee: User, tracks: list[str]) -> bool:
    from regional.registrations.models import Completion

    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Completion.employee_id == employee.id,
                    Completion.municipality_id == employee.municipality_id,
                    Completion.track.in_(tracks),
                )
            )
        )
    )


def check_eligibility(program: Program, employee: User) -> Eligibility:
    """Apply the programme's rules to one person; every rule adds a visible reason."""
    result = Eligibility(eligible=True)
    if not program.active:
        result.eligible = False
        result.reasons.append((False, _("This programme has been retired.")))
    categories = program.eligible_job_categories or []
    if categories:
        names = ", ".join(str(JOB_CATEGORY_LABELS[JobCategory(c)]) for c in categories)
        if employee.job_category.value in categories:
            result.reasons.append((True, _("Open to your job category (%(names)s).", names=names)))
        else:
            result.eligible = False
            result.reasons.append(
                (False, _("Open only to these job categories: %(names)s.", names=names))
            )
    tracks = program.prerequisite_tracks or []
    if tracks or program.prerequisite_system_duty:
        names = ", ".join(str(TRACK_LABELS[Track(t)]) for t in tracks)
        if tracks and _has_completed_track(employee, tracks):
            result.reasons.append(
                (True, _("You have completed training in: %(names)s.", names=names))
            )
        elif program.prerequisite_system_duty and employee.system_duty:
            result.reasons.append((True, _("You build or maintain systems.")))
        else:
            result.eligible = False
            if tracks and program.prerequisite_system_duty:
                text = _(
                    "First complete training in %(names)s, or be in charge of building "
                    "or maintaining systems.",
                    names=names,
                )
            elif tracks:
                text = _("First complete training in %(names)s.", names=names)
            else:
                text = _("Only for staff in charge of building or maintaining systems.")
            result.reasons.append((False, text))
    if result.eligible and not result.reasons:
        result.reasons.append((True, _("Open to all staff.")))
    return result
