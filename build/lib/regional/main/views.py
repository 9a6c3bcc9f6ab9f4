"""Home, language choice and health."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from regional.extensions import db
from regional.main.forms import LanguageForm
from regional.main.helpers import safe_return_path
from tenants.scoping import acting_as

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("main/home.html")


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.lang.data in current_app.config["LANGUAGES"]:
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            # A regional administrator may be working in another member: the account
            # itself belongs to their own municipality.
            with acting_as(db.session, current_user.municipality_id):
                current_user.locale = form.lang.data
                db.session.commit()
    return redirect(safe_return_path(request.form.get("next")))


@bp.route("/livez")
def livez():
    """The process answers (no database): for load balancers and as the web stack's ceiling."""
    return {"status": "ok"}


@bp.route("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
