"""Pages of the shared catalogue that edit it (regional administrators).

The list (``catalogue.index``) and a programme's page (``catalogue.detail``) show
sessions and the reader's completions, so they live above, in
:mod:`regional.registrations.views_program`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from regional.catalogue import bp, effects, search, services
from regional.catalogue.forms import (
    FIELD_NAMES,
    ActiveForm,
    ProgramForm,
    RemoveSynonymsForm,
    SynonymGroupForm,
)
from regional.catalogue.models import Program, SkillArea, SynonymGroup
from regional.errors import DomainError
from regional.extensions import db
from regional.i18n import locale_code
from regional.roles import admin_required
from regional.tenancy import get_or_404
from regional.versions import StaleEdit, claim_version, conflict


def _form_page(form: ProgramForm, program: Program | None, effects=(), conflict=None):  # noqa: ANN001
    return render_template(
        "catalogue/form.html", form=form, program=program, effects=effects, conflict=conflict
    )


def _program_form(program: Program) -> ProgramForm:
    """The form filled from a programme as it is saved now."""
    form = ProgramForm(formdata=None, obj=program)
    form.set_areas(list(db.session.scalars(SkillArea.ordered())), locale_code())
    del form.code
    form.skill_area.data = program.skill_area_id
    form.delivery.data = program.delivery.value
    return form


def _unconfirmed_effects(change) -> list:
    """What ``change`` would do to the figures, unless the person has already seen it."""
    if request.form.get("confirmed") == "1":
        return []
    return effects.preview(change)


def _attach(form: ProgramForm, exc: DomainError) -> None:
    """Show a rule's refusal next to its field (or above the form)."""
    db.session.rollback()
    name = FIELD_NAMES.get(exc.details.get("field"), exc.details.get("field"))
    if name in form:
        form[name].errors = list(form[name].errors) + [str(exc.message)]
    else:
        flash(str(exc.message), "error")


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    """Add a programme to the shared catalogue."""
    form = ProgramForm()
    form.set_areas(list(db.session.scalars(SkillArea.ordered())), locale_code())
    if form.validate_on_submit():
        try:
            found = _unconfirmed_effects(
                lambda: services.create_program(form.code.data, form.values(), current_user.id)
            )
            if found:
                return _form_page(form, None, found), 200
            program = services.create_program(form.code.data, form.values(), current_user.id)
        except DomainError as exc:
            if exc.code == "duplicate_code":
                exc.details["field"] = "code"
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The programme %(code)s was added.", code=program.code), "success")
            return redirect(url_for(".detail", program_id=program.id))
    return _form_page(form, None), 422 if request.method == "POST" else 200


@bp.route("/<int:program_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(program_id: int):
    """Revise a programme: a new revision; past completions keep what they took."""
    program = get_or_404(Program, program_id)
    form = ProgramForm(obj=None if request.method == "POST" else program)
    form.set_areas(list(db.session.scalars(SkillArea.ordered())), locale_code())
    del form.code  # the code names the programme in completions and integrations: it stays
    if request.method == "GET":
        form.skill_area.data = program.skill_area_id
        form.delivery.data = program.delivery.value
    if form.validate_on_submit():
        before = program.revision

        def change():
            # The preview checks the version too: a stale form is told before it is confirmed.
            claim_version(program, form.version.data)
            return services.update_program(program, form.values(), current_user.id)

        try:
            found = _unconfirmed_effects(change)
            if found:
                return _form_page(form, program, found), 200
            change()
        except StaleEdit:
            db.session.rollback()
            program = get_or_404(Program, program_id)
            return _form_page(form, program, conflict=conflict(form, _program_form(program))), 409
        except DomainError as exc:
            _attach(form, exc)
        else:
            db.session.commit()
            if program.revision == before:
                flash(_("Nothing was changed."), "info")
            else:
                flash(
                    _("Saved as revision %(n)d.", n=program.revision),
                    "success",
                )
            return redirect(url_for(".detail", program_id=program.id))
    return _form_page(form, program), 422 if request.method == "POST" else 200


@bp.route("/<int:program_id>/active", methods=["POST"])
@admin_required
def set_active(program_id: int):
    """Retire a programme (no new sessions) or bring it back."""
    program = get_or_404(Program, program_id)
    form = ActiveForm()
    wanted = request.form.get("active")
    if not form.validate_on_submit() or wanted not in ("0", "1"):
        abort(400)
    found = _unconfirmed_effects(
        lambda: services.set_program_active(program, wanted == "1", current_user.id)
    )
    if found:
        return render_template(
            "catalogue/confirm_active.html", program=program, active=wanted, effects=found
        )
    services.set_program_active(program, wanted == "1", current_user.id)
    db.session.commit()
    if program.active:
        flash(_("The programme is active again."), "success")
    else:
        flash(_("The programme was retired. Past records keep it."), "success")
    return redirect(url_for(".detail", program_id=program.id))


@bp.route("/synonyms", methods=["GET", "POST"])
@admin_required
def synonyms():
    """The words keyword search treats as one: the list, and a new group."""
    form = SynonymGroupForm()
    if form.validate_on_submit():
        try:
            group = search.add_group(search.split_words(form.words.data), current_user.id)
        except DomainError as exc:
            db.session.rollback()
            form.words.errors = list(form.words.errors) + [str(exc.message)]
        else:
            db.session.commit()
            flash(_("Added: %(words)s.", words=" ⇔ ".join(group.words)), "success")
            return redirect(url_for(".synonyms"))
    return render_template(
        "catalogue/synonyms.html",
        form=form,
        groups=search.groups(),
        remove_form=RemoveSynonymsForm(),
    ), 422 if request.method == "POST" else 200


@bp.route("/synonyms/<int:group_id>/delete", methods=["POST"])
@admin_required
def remove_synonyms(group_id: int):
    """Stop treating a group's words as one."""
    group = get_or_404(SynonymGroup, group_id)
    if not RemoveSynonymsForm().validate_on_submit():
        abort(400)
    words = " ⇔ ".join(group.words)
    search.remove_group(group, current_user.id)
    db.session.commit()
    flash(_("Deleted: %(words)s.", words=words), "success")
    return redirect(url_for(".synonyms"))
