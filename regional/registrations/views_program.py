"""The catalogue's pages for readers (``catalogue.index``, ``catalogue.detail``).

They carry the catalogue blueprint's URLs but live here, above the catalogue:
the list marks programmes with a session open for registration and those the
reader completed, and a programme's page shows its upcoming sessions and the
reader's eligibility, which reads their completions.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby

from flask import render_template, request
from flask_login import current_user, login_required

from regional.attendance.models import Completion
from regional.catalogue import bp, search, services
from regional.catalogue.eligibility import job_category_names, prerequisite_text
from regional.catalogue.forms import TIER_ORDER, ActiveForm, CatalogueFilterForm
from regional.catalogue.models import Program, SkillArea
from regional.extensions import db
from regional.fiscal import now_utc
from regional.i18n import locale_code
from regional.registrations import interests
from regional.registrations.eligibility import eligibility_of
from regional.registrations.forms import InterestForm
from regional.sessions.access import viewer_scope
from regional.sessions.lifecycle import Phase, open_program_ids, phase_of
from regional.sessions.models import TrainingSession
from regional.tenancy import current_municipality, get_or_404
from tenants.scoping import acting_as


def _filter_form(areas: list[SkillArea]) -> CatalogueFilterForm:
    """The list's filters from the query string; a refused value is shown and then ignored."""
    form = CatalogueFilterForm(formdata=request.args)
    form.set_choices(areas, locale_code())
    form.validate()
    return form


def _completed_days() -> dict[int, date]:
    """Programme -> the reader's latest completion of it (any revision), in their own municipality."""
    with acting_as(db.session, current_user.municipality_id):
        return dict(db.session.execute(Completion.latest_of(current_user.id)).all())


@bp.route("/")
@login_required
def index():
    """The catalogue grouped by tier and skill area: keyword search, filters and marks."""
    areas = list(db.session.scalars(SkillArea.ordered()))
    form = _filter_form(areas)

    def chosen(f) -> str | None:
        return None if f.errors else (f.data or None)

    show_retired = current_user.is_regional_admin and bool(form.retired.data)
    open_ids = open_program_ids(viewer_scope(current_user), now_utc())
    stmt = Program.listing(
        tier=chosen(form.tier),
        track=chosen(form.track),
        area_key=chosen(form.area),
        active_only=not show_retired,
    )
    words = form.words()
    stmt = search.matching(stmt, words, locale_code())
    if form.open.data:
        stmt = stmt.where(Program.id.in_(open_ids))
    programs = list(db.session.scalars(stmt))
    position = {a.id: a.position for a in areas}
    if not words:  # a search lists by rank; the catalogue by tier and skill area
        programs.sort(
            key=lambda p: (TIER_ORDER.index(p.tier), position.get(p.skill_area_id, 0), p.code)
        )
    groups = (
        []
        if words
        else [
            (tier, [(area, list(ps)) for area, ps in groupby(items, key=lambda p: p.skill_area)])
            for tier, items in groupby(programs, key=lambda p: p.tier)
        ]
    )
    filters = form.chosen()
    if not show_retired:
        filters.pop("retired", None)
    return render_template(
        "catalogue/index.html",
        form=form,
        groups=groups,
        ranked=programs if words else None,
        count=len(programs),
        areas=areas,
        filters=filters,
        open_ids=set(db.session.scalars(open_ids)),
        completed_days=_completed_days(),
    )


@bp.route("/<int:program_id>")
@login_required
def detail(program_id: int):
    """One programme: what it is, who it is for, whether you can take it, when it runs."""
    program = get_or_404(Program, program_id)
    eligibility = eligibility_of(program, current_user)
    now = now_utc()
    upcoming = list(
        db.session.scalars(
            TrainingSession.search(
                viewer_scope(current_user), program_id=program.id, ends_after=now
            )
        )
    )
    history, editors = [], {}
    if current_user.is_regional_admin:
        history, editors = services.revision_history(program.id)
    viewer = current_municipality()
    back = _filter_form(list(db.session.scalars(SkillArea.ordered()))).chosen()
    has_open = any(phase_of(s, now) is Phase.OPEN for s in upcoming)
    counts = interests.interest_counts(program, current_user)
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
        back=back,
        has_open=has_open,
        interest=interests.interest_of(current_user, program.id),
        open_for_me=interests.open_session_for(program, current_user, now) is not None,
        interest_form=InterestForm(),
        interest_counts=counts,
        members=interests.member_names(list(counts)) if current_user.is_regional_admin else {},
    )
