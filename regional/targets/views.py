"""Pages: a municipality's targets (its coordinators; regional administrators any member)
and the measures behind them (regional administrators).

A coordinator naming another member gets 404, as everywhere. A refused value
is shown on the form (400) and nothing changes.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from regional.errors import DomainError
from regional.extensions import db, login_manager
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.targets import bp, preview, services
from regional.targets.forms import MeasureForm, TargetForm
from regional.targets.measures import measures_by_key, skill_area_keys
from regional.targets.models import (
    VERSION_REASONS,
    Measure,
    MeasureKind,
    MeasureVersion,
    PersonaRule,
    Target,
)
from regional.targets.progress import choose_period
from regional.tenancy import current_municipality, enter_municipality
from regional.validation import InputProblem, whole_number
from regional.versions import StaleEdit, claim_version, conflict
from tenants.models import Municipality


@bp.before_request
def _coordinators_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_coordinator:
        abort(403)
    return None


def _member() -> Municipality:
    code = (request.args.get("municipality") or "").strip()
    municipality = enter_municipality(code) if code else current_municipality()
    if municipality is None:
        abort(404)
    return municipality


@bp.get("/")
def index():
    municipality = _member()
    measures = measures_by_key(db.session)
    stored: dict[str, list[Target]] = {}
    for t in db.session.scalars(Target.of_municipality()):
        stored.setdefault(t.key, []).append(t)
    members = (
        db.session.scalars(Municipality.ordered()).all() if current_user.is_regional_admin else []
    )
    return render_template(
        "targets/index.html",
        municipality=municipality,
        measures=list(measures.values()),
        stored=stored,
        current_fy=fiscal_year_of(now_utc()),
        members=members,
        lang=locale_code(),
    )


def _next_period(periods: list[Target]) -> dict:
    """A new period after the last one: same length and number (the coordinator edits it)."""
    last = max(periods, key=lambda t: t.period_start_fy)
    end = last.last_fy
    if end is None:  # an annual target without end: the next starts next year
        start = fiscal_year_of(now_utc()) + 1
        return {"target": last.target, "period_start_fy": start, "period_end_fy": None}
    span = end - last.period_start_fy
    return {
        "target": last.target,
        "period_start_fy": end + 1,
        "period_end_fy": end + 1 + span,
        "population": last.population,
    }


@bp.route("/<key>", methods=["GET", "POST"])
def edit(key: str):
    """One plan period of a target: the current one, ``?period=<first FY>``, or ``?new=1``."""
    municipality = _member()
    measure = db.session.scalar(Measure.by_key(key))
    if measure is None:
        abort(404)
    periods = list(db.session.scalars(Target.of_municipality().where(Target.key == measure.key)))
    new = request.args.get("new") == "1"
    target = None if new or not periods else _period_asked(periods)
    annual = measure.kind == MeasureKind.ANNUAL
    form = _target_form(target, annual)
    if not form.is_submitted() and target is None:
        proposal = _next_period(periods) if periods else {"period_start_fy": 2024}
        for name, value in proposal.items():
            getattr(form, name).data = value
    status, stale = 200, None
    if form.validate_on_submit():
        saved, stale = _save_target(form, municipality, measure, target, new, annual)
        if saved:
            flash(_("The target was saved."), "success")
            return redirect(url_for("targets.index", municipality=municipality.code))
        if stale is not None:
            target, status = stale[1], 409
            stale = stale[0]
    if form.is_submitted() and stale is None:
        status = 400
    return render_template(
        "targets/edit.html",
        conflict=stale,
        municipality=municipality,
        measure=measure,
        form=form,
        annual=annual,
        target=target,
        periods=periods,
        new=new or target is None,
        lang=locale_code(),
    ), status


def _period_asked(periods: list[Target]) -> Target:
    """The plan period ``?period=<first FY>`` names (404 if none), else the current one."""
    wanted = request.args.get("period", "")
    if not wanted:
        return choose_period(periods, fiscal_year_of(now_utc()))[0]
    try:
        first = whole_number(wanted)
    except InputProblem:
        abort(404)  # names no plan period, like a year with none
    target = next((t for t in periods if t.period_start_fy == first), None)
    if target is None:
        abort(404)
    return target


def _target_form(target: Target | None, annual: bool, **kwargs) -> TargetForm:
    stored = (target.period_start_fy, target.period_end_fy) if target else ()
    return TargetForm(
        current_fy=fiscal_year_of(now_utc()), annual=annual, stored=stored, obj=target, **kwargs
    )


def _save_target(form, municipality, measure, target, new: bool, annual: bool):
    """Save the form: ``(True, None)``; a refusal shown on its field: ``(False, None)``; a
    save that another editor overtook: ``(False, (the conflict, the target as saved))``."""
    values = {
        "target": form.target.data,
        "period_start_fy": form.period_start_fy.data,
        "period_end_fy": form.period_end_fy.data,
        "population": form.population.data,
    }
    try:
        if target is not None and not new:
            claim_version(target, form.version.data)
        services.set_target(
            municipality, measure.key, values, current_user, target=target, create=new
        )
    except StaleEdit:
        db.session.rollback()
        target = db.session.get(Target, target.id)
        if target is None:
            abort(404)
        saved = _target_form(target, annual, formdata=None)
        return False, (conflict(form, saved), target)
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.details.get("field", ""), None) or form.target
        field.errors = [*field.errors, str(exc.message)]
        return False, None
    db.session.commit()
    return True, None


# -- measures (regional administrators) ---------------------------------------------


def _admins_only() -> None:
    if not current_user.is_regional_admin:
        abort(403)


@bp.get("/measures")
def measures():
    _admins_only()
    return render_template(
        "targets/measures.html",
        measures=list(measures_by_key(db.session).values()),
        lang=locale_code(),
    )


@bp.route("/measures/<key>", methods=["GET", "POST"])
def edit_measure(key: str):
    _admins_only()
    measure = db.session.scalar(Measure.by_key(key))
    if measure is None:
        abort(404)
    persona = measure.kind == MeasureKind.PERSONA
    form = MeasureForm(obj=measure)
    if persona:
        del form.skill_areas
        if not form.is_submitted():
            form.rule.data = (measure.rule or PersonaRule.ALL_CURRENT).value
    else:
        del form.rule, form.min_programs
        form.skill_areas.choices = [(k, k) for k in skill_area_keys(db.session)]
    status = 200
    effect = stale = None
    if form.validate_on_submit():
        if persona:
            values = {"rule": form.rule.data, "min_programs": form.min_programs.data}
        else:
            values = {"skill_areas": list(form.skill_areas.data or [])}
        effective = form.effective_from.data if form.applies.data == "past" else None

        def change():
            # The preview checks the version too: a stale form is told before it is confirmed.
            claim_version(measure, form.version.data)
            return services.set_measure(measure, values, current_user, effective_from=effective)

        try:
            if request.form.get("confirmed") != "1":
                effect = preview.effect_of(db.session, change)
            else:
                change()
        except StaleEdit:
            db.session.rollback()
            measure = db.session.scalar(Measure.by_key(key))
            saved = MeasureForm(formdata=None, obj=measure)
            if persona:
                del saved.skill_areas
                saved.rule.data = (measure.rule or PersonaRule.ALL_CURRENT).value
            else:
                del saved.rule, saved.min_programs
                saved.skill_areas.choices = form.skill_areas.choices
            del saved.applies, saved.effective_from  # how to save, not what is saved
            stale = conflict(form, saved)
        except DomainError as exc:
            db.session.rollback()
            field = getattr(form, exc.details.get("field", ""), None)
            if field is None:
                field = form.rule if persona else form.skill_areas
            field.errors = [*field.errors, str(exc.message)]
        else:
            if effect is None:
                db.session.commit()
                flash(_("The measure was saved."), "success")
                return redirect(url_for("targets.measures"))
    if form.is_submitted() and effect is None:
        status = 409 if stale else 400
    return render_template(
        "targets/edit_measure.html",
        conflict=stale,
        measure=measure,
        form=form,
        effect=effect,
        versions=db.session.scalars(MeasureVersion.history(measure.key)).all(),
        version_reasons=VERSION_REASONS,
        lang=locale_code(),
    ), status
