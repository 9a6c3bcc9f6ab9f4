"""Pages: learning materials (everyone reads; administrators and coordinators publish)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.catalogue.models import SkillArea
from regional.errors import DomainError
from regional.extensions import db
from regional.growth import bp, files, materials
from regional.growth.common import refused
from regional.growth.downloads import attachment
from regional.growth.exams import exams
from regional.growth.forms import ActionForm, MaterialFilterForm, MaterialForm
from regional.i18n import locale_code
from regional.roles import coordinator_required


def _choices() -> tuple[list, list]:
    lang = locale_code()
    areas = [("", _("Any skill area"))] + [
        (a.key, a.name(lang)) for a in db.session.scalars(SkillArea.ordered())
    ]
    exam_choices = [("", _("Any exam"))] + [(e.code, f"{e.code} {e.name(lang)}") for e in exams()]
    return areas, exam_choices


def _page(form: MaterialForm):
    areas, exam_choices = _choices()
    filters = MaterialFilterForm(request.args)
    filters.skill_area.choices, filters.exam.choices = areas, exam_choices
    area = request.args.get("skill_area") or None
    exam = request.args.get("exam") or None
    rows = db.session.scalars(materials.listing(area, exam).limit(500)).all()
    return render_template(
        "growth/materials.html",
        rows=rows,
        form=form,
        filters=filters,
        action_form=ActionForm(),
        area_names=dict(areas),
        exam_names=dict(exam_choices),
        may_delete=materials.may_delete,
    )


def _form() -> MaterialForm:
    form = MaterialForm()
    form.skill_area_key.choices, form.exam_code.choices = _choices()
    return form


@bp.get("/materials")
@login_required
def materials_index():
    """Every material the person's municipality may see, with filters and the publish form."""
    return _page(_form())


@bp.post("/materials")
@coordinator_required
def material_publish():
    form = _form()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(files.max_bytes() + 1) if upload and upload.filename else None
        try:
            materials.publish(
                materials.MaterialData(
                    title=form.title.data,
                    description=form.description.data,
                    skill_area_key=form.skill_area_key.data,
                    exam_code=form.exam_code.data,
                    url=form.url.data,
                    upload=data,
                    filename=upload.filename if data else None,
                ),
                current_user,
                for_everyone=bool(form.for_everyone.data),
            )
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("Published."), "success")
            return redirect(url_for(".materials_index"))
    return _page(form), 422 if form.is_submitted() else 200


@bp.get("/materials/<int:material_id>/download")
@login_required
def material_download(material_id: int):
    """The file, as a download only (never shown inline)."""
    m = materials.load_material(material_id)
    if m is None or m.file_name is None:
        abort(404)
    data = files.read(m.file_name)
    if data is None:
        abort(404)
    kind = files.KINDS[m.file_kind]
    return attachment(data, kind.mimetype, m.original_filename or f"material.{kind.ext}")


@bp.post("/materials/<int:material_id>/delete")
@coordinator_required
def material_delete(material_id: int):
    m = materials.load_material(material_id)
    if m is None:
        abort(404)
    if not materials.may_delete(m, current_user):
        abort(403)
    if ActionForm().validate_on_submit():
        materials.delete(m, current_user)
        db.session.commit()  # the stored file goes after this commit (files.remove_after_commit)
        flash(_("Deleted."), "success")
    return redirect(url_for(".materials_index"))
