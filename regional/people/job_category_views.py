"""Pages: the member's own 職種 names (as its personnel system writes them) for roster imports."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from regional.errors import DomainError
from regional.extensions import db
from regional.people import bp, job_categories
from regional.people.forms import ActionForm, JobWordForm
from regional.people.job_categories import DEFAULT_WORDS, JobCategoryWord
from regional.people.models import JobCategory
from regional.tenancy import current_municipality, get_or_404


def _page(form: JobWordForm, status: int = 200):
    return render_template(
        "people/job_categories.html",
        form=form,
        action=ActionForm(),
        own=job_categories.own_words(),
        defaults=DEFAULT_WORDS,
        municipality=current_municipality(),
    ), status


@bp.route("/roster/job-categories", methods=["GET", "POST"])
def job_categories_page():
    """The member's 職種 names: the defaults, its own, and a form to add or change one."""
    form = JobWordForm()
    if not form.is_submitted():
        return _page(form)
    if not form.validate():
        return _page(form, 400)
    try:
        job_categories.set_word(form.word.data, JobCategory(form.category.data), current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _page(form, exc.status)
    db.session.commit()
    flash(
        _(
            "%(word)s is now read as %(category)s.",
            word=form.word.data.strip(),
            category=JobCategory(form.category.data).label,
        ),
        "success",
    )
    return redirect(url_for("people.job_categories_page"))


@bp.post("/roster/job-categories/<int:word_id>/delete")
def job_category_delete(word_id: int):
    """Remove one of the member's own names (the default reading, if any, applies again)."""
    row = get_or_404(JobCategoryWord, word_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    word = row.word
    job_categories.delete_word(row, current_user)
    db.session.commit()
    flash(_("%(word)s was removed.", word=word), "success")
    return redirect(url_for("people.job_categories_page"))
