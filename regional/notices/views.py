"""The notice pages: the current notices for staff (mark read with a POST), and the
management pages of the poster (the region's for administrators, else their member's)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import local_date, now_utc
from regional.main.helpers import flash_refusal, safe_return_path
from regional.notices import bp, services
from regional.notices.forms import ButtonForm, NoticeForm, audience_choices
from regional.notices.models import Notice
from regional.roles import coordinator_required
from regional.versions import StaleEdit, claim_version, conflict

#: How many notices the home page shows (the notices page shows them all).
HOME_COUNT = 5


@bp.app_template_global("home_notices")
def home_notices() -> dict | None:
    """For the home page's card: the newest current notices and which are unread."""
    if not current_user.is_authenticated:
        return None
    notices = services.current_for(current_user)
    if not notices:
        return None
    shown = notices[:HOME_COUNT]
    read = services.read_ids(current_user, shown)
    return {"notices": shown, "read": read, "more": len(notices) > HOME_COUNT, "form": ButtonForm()}


@bp.get("/")
@login_required
def index():
    notices = services.current_for(current_user)
    read = services.read_ids(current_user, notices)
    return render_template("notices/index.html", notices=notices, read=read, form=ButtonForm())


@bp.post("/<int:notice_id>/read")
@login_required
def mark_read(notice_id: int):
    if not ButtonForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
    elif not services.mark_read(notice_id, current_user):
        abort(404)
    else:
        db.session.commit()
    return redirect(safe_return_path(request.form.get("next")))


@bp.get("/manage")
@coordinator_required
def manage():
    notices = services.managed(current_user)
    return render_template(
        "notices/manage.html",
        notices=notices,
        form=ButtonForm(),
        audience_labels=dict(audience_choices()),
        last_days={n.id: services.days_of(n)[1] for n in notices},
    )


def _data(form: NoticeForm) -> services.NoticeData:
    shown_from, shown_until = services.window(form.shown_from.data, form.shown_until.data)
    return services.NoticeData(
        title_ja=form.title_ja.data or "",
        body_ja=form.body_ja.data or "",
        title_en=form.title_en.data or "",
        body_en=form.body_en.data or "",
        audience=form.audience.data or "",
        shown_from=shown_from,
        shown_until=shown_until,
    )


def _save(form: NoticeForm, notice: Notice | None):
    """Post or edit from a valid form; a redirect, or None to show the form again. An edit
    first claims the version the form was loaded at (:class:`StaleEdit` when another editor
    saved since: nothing is written)."""
    try:
        if notice is None:
            services.post(_data(form), current_user)
        else:
            with services.wall_for(notice):
                claim_version(notice, form.version.data)
            services.edit(notice, _data(form), current_user)
    except StaleEdit:
        raise
    except DomainError as exc:
        flash_refusal(exc)
        return None
    db.session.commit()
    flash(_("The notice was saved."), "success")
    return redirect(url_for("notices.manage"))


@bp.route("/manage/new", methods=["GET", "POST"])
@coordinator_required
def create():
    form = NoticeForm()
    if request.method == "GET":
        form.shown_from.data = local_date(now_utc())
    elif not form.validate_on_submit():
        flash(_("Please check the notice and try again."), "error")
    else:
        done = _save(form, None)
        if done:
            return done
    return render_template("notices/edit.html", form=form, notice=None)


@bp.route("/manage/<int:notice_id>", methods=["GET", "POST"])
@coordinator_required
def edit(notice_id: int):
    notice = services.load_managed(notice_id, current_user)
    if notice is None:
        abort(404)
    form = _filled(notice) if request.method == "GET" else NoticeForm()
    if request.method == "POST" and not form.validate_on_submit():
        flash(_("Please check the notice and try again."), "error")
    elif request.method == "POST":
        try:
            done = _save(form, notice)
        except StaleEdit:
            db.session.rollback()
            notice = services.load_managed(notice_id, current_user)
            if notice is None:
                abort(404)
            stale = conflict(form, _filled(notice))
            return render_template(
                "notices/edit.html", form=form, notice=notice, conflict=stale
            ), 409
        if done:
            return done
    return render_template("notices/edit.html", form=form, notice=notice)


def _filled(notice: Notice) -> NoticeForm:
    """The edit form as the notice is saved now (its days in Japan time, its version)."""
    form = NoticeForm(formdata=None, obj=notice)
    form.shown_from.data, form.shown_until.data = services.days_of(notice)
    return form


@bp.post("/manage/<int:notice_id>/withdraw")
@coordinator_required
def withdraw(notice_id: int):
    notice = services.load_managed(notice_id, current_user)
    if notice is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("notices.manage"))
    services.withdraw(notice, current_user)
    db.session.commit()
    flash(_("The notice was withdrawn."), "success")
    return redirect(url_for("notices.manage"))
