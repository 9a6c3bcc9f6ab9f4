"""Printable A4 sheets of a session: the sign-in sheet (出席簿) and the participant list (参加者名簿).

A coordinator prints their own municipality's people (the wall hides anyone else's);
a regional administrator prints every member's, one member after another.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from itertools import groupby

from flask import render_template
from flask_login import current_user

from regional.extensions import db
from regional.fiscal import now_utc
from regional.registrations import bp
from regional.registrations.panel import unit_paths
from regional.roles import coordinator_required
from regional.seats.models import ACTIVE, Registration, RegistrationStatus
from regional.seats.waitlist import waitlist_positions
from regional.sessions.access import session_or_404
from regional.sessions.models import TrainingSession
from tenants import all_tenants
from tenants.models import Municipality


@dataclass
class Group:
    """One member's people on the sheet, numbered from 1."""

    municipality: Municipality
    registrations: list[Registration]


def _groups(ts: TrainingSession, statuses) -> tuple[list[Group], dict, dict]:  # noqa: ANN001
    """The sheet's people by member, their units' paths and waiting-list places.

    Everything is read inside one scope: across members for an administrator, the
    current municipality's (the wall's) for a coordinator.
    """
    scope = all_tenants(db.session) if current_user.is_regional_admin else nullcontext()
    with scope:
        regs = list(db.session.scalars(Registration.registrants(ts.id, statuses)))
        groups = [
            Group(rows[0].employee.municipality, rows)
            for _mid, rows in ((k, list(g)) for k, g in groupby(regs, lambda r: r.municipality_id))
        ]
        paths = unit_paths({r.municipality_id for r in regs})
        positions = waitlist_positions(
            [r for r in regs if r.status == RegistrationStatus.WAITLISTED]
        )
        for r in regs:  # read now, inside the scope
            _ = (r.employee.name, r.employee.name_kana, r.employee.job_category)
    return groups, paths, positions


def _sheet(session_id: int, template: str, statuses):  # noqa: ANN001
    ts = session_or_404(session_id)
    groups, paths, positions = _groups(ts, statuses)
    return render_template(
        template,
        training_session=ts,
        groups=groups,
        paths=paths,
        positions=positions,
        kana=any(r.employee.name_kana for g in groups for r in g.registrations),
        printed_at=now_utc(),
    )


@bp.get("/session/<int:session_id>/sign-in-sheet")
@coordinator_required
def sign_in_sheet(session_id: int):
    """出席簿: the people enrolled, with a box to sign (A4, print from the browser)."""
    return _sheet(session_id, "registrations/print_sign_in.html", [RegistrationStatus.ENROLLED])


@bp.get("/session/<int:session_id>/participants")
@coordinator_required
def participant_list(session_id: int):
    """参加者名簿: everyone registered and not cancelled, with their status (A4)."""
    return _sheet(session_id, "registrations/print_participants.html", list(ACTIVE))
