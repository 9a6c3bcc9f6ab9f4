"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from regional.auth.forms import LoginForm
from regional.auth.services import authenticate

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in (no fixation)
            if lang:
                session["lang"] = lang
            login_user(result.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        if result.retry_after:
            flash(
                _(
                    "Too many failed attempts. Please wait %(s)d seconds and try again.",
                    s=result.retry_after,
                ),
                "error",
            )
            status = 429
        else:
            flash(_("The e-mail address or password is not correct."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
