"""Who may take a programme, with the reasons shown to the person."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from regional.catalogue.models import TRACK_LABELS, Program, Track
from regional.people.models import JOB_CATEGORY_LABELS, JobCategory, User


@dataclass
class Eligibility:
    eligible: bool
    #: Human reasons, each (met, text): met rules and the rules that keep a person out.
    reasons: list[tuple[bool, str]] = field(default_factory=list)
    #: The person's latest completion of this programme (any revision), if any (受講済み):
    #: they may take it again, giving a reason.
    completed_on: date | None = None

    @property
    def refusals(self) -> list[str]:
        return [text for met, text in self.reasons if not met]


def _label(labels: dict, enum_cls: type, value: str) -> str:
    try:
        return str(labels[enum_cls(value)])
    except (KeyError, ValueError):
        return value  # a value from older data: show it rather than fail the page


def check_eligibility(
    program: Program, employee: User, completed_tracks: Collection[str] = ()
) -> Eligibility:
    """Apply the programme's rules to one person; every rule adds a visible reason.

    ``completed_tracks``: the tracks the person has completed a programme in (as it
    was when taken); completions are the registrations package's, which passes them
    in (see :func:`regional.registrations.eligibility.eligibility_of`).
    """
    result = Eligibility(eligible=True)
    if not program.active:
        result.eligible = False
        result.reasons.append((False, _("This programme has been retired.")))
    categories = program.eligible_job_categories or []
    if categories:
        names = ", ".join(_label(JOB_CATEGORY_LABELS, JobCategory, c) for c in categories)
        if employee.job_category.value in categories:
            result.reasons.append((True, _("Open to your job category (%(names)s).", names=names)))
        else:
            result.eligible = False
            result.reasons.append(
                (False, _("Open only to these job categories: %(names)s.", names=names))
            )
    tracks = program.prerequisite_tracks or []
    if tracks or program.prerequisite_system_duty:
        names = _(", ").join(_label(TRACK_LABELS, Track, t) for t in tracks)  # 「、」 in Japanese
        done = [t for t in tracks if t in set(completed_tracks)]
        if done:
            done_names = ", ".join(_label(TRACK_LABELS, Track, t) for t in done)
            result.reasons.append(
                (True, _("You have completed training in: %(names)s.", names=done_names))
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


def job_category_names(values: list[str]) -> str:
    """Job categories in words, for pages."""
    return ", ".join(_label(JOB_CATEGORY_LABELS, JobCategory, v) for v in values)


def prerequisite_text(program: Program) -> str:
    """The programme's prerequisite rule in words, for pages."""
    tracks = program.prerequisite_tracks or []
    names = _(", ").join(_label(TRACK_LABELS, Track, t) for t in tracks)  # 「、」 in Japanese
    if tracks and program.prerequisite_system_duty:
        return _(
            "Completed training in one of: %(names)s; or in charge of building or "
            "maintaining systems.",
            names=names,
        )
    if tracks:
        return _("Completed training in one of: %(names)s.", names=names)
    if program.prerequisite_system_duty:
        return _("In charge of building or maintaining systems.")
    return _("None")
