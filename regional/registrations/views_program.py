"""The page of one programme (``catalogue.detail``): what it is, whether you may take it, when it runs.

It carries the catalogue blueprint's URL but lives here, above the catalogue:
it shows the programme's upcoming sessions and the person's eligibility, which
reads their completions.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from regional.catalogue import bp, services
from regional.catalogue.eligibility import job_category_names, prerequisite_text
from regional.catalogue.forms import ActiveForm
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import now_utc
from regional.registrations.eligibility import eligibility_of
from regional.sessions.access import viewer_scope
from regional.sessions.models import TrainingSession
from regional.tenancy import current_municipality, get_or_404


@bp.route("/<int:program_id>")
@login_required
def detail(program_id: int):
    """One programme: what it is, who it is for, whether you can take it, when it runs."""
    program = get_or_404(Program, program_id)
    eligibility = eligibility_of(program, current_user)
    upcoming = list(
        db.session.scalars(
            TrainingSession.search(
                viewer_scope(current_user), program_id=program.id, ends_after=now_utc()
            )
        )
    )
    history, editors = [], {}
    if current_user.is_regional_admin:
        history, editors = services.revision_history(program.id)
    viewer = current_municipality()
    return render_template(
        "catalogue/detail.html",
        program=program,
        eligibility=eligibility,
        upcoming=upcoming,
        history=history,
        editors=editors,
        active_form=ActiveForm(),
        viewer_municipality_id=viewer.id if viewer else None,
        job_category_names=job_category_names,
        prerequisite_text=prerequisite_text,
    )
