"""Sign-in, sign-out, self sign-up, address confirmation and password reset pages."""

from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from regional.auth import services, throttle, tokens
from regional.auth.forms import ActionForm, ForgotForm, LoginForm, ResetForm, SignupForm
from regional.auth.passwords import MIN_LENGTH
from regional.errors import DomainError
from regional.extensions import db
from regional.i18n import locale_code
from regional.main.helpers import safe_return_path
from tenants.models import Municipality

bp = Blueprint("auth", __name__)
log = logging.getLogger("regional.audit")

_SENT_KEY = "signup_sent"


def _fresh_session() -> None:
    """Start a new session (no fixation), keeping only the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _retry_after(seconds: int) -> dict[str, str]:
    return {"Retry-After": str(seconds)} if seconds else {}


def _end_session() -> None:
    """Sign out: clear the session first, so Flask-Login's order to drop remember-me survives."""
    _fresh_session()
    logout_user()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        result = services.authenticate(form.email.data, form.password.data, request.remote_addr)
        if result.user is not None:
            _fresh_session()
            login_user(result.user, remember=form.remember.data)
            return redirect(safe_return_path(request.args.get("next")))
        if result.retry_after:
            flash(str(throttle.wait_message(result.retry_after, sign_in=True)), "error")
            status, headers = 429, _retry_after(result.retry_after)
        else:
            flash(_("The e-mail address or password is not correct."), "error")
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Flask's signed cookie cannot be revoked by itself: bumping the account's session
    # version makes any copy of it (and the account's API tokens) worthless (ASVS 7.4.1).
    log.info("sign-out user=%s", current_user.id)
    services.sign_out_everywhere(current_user, revoke_feed=False)
    db.session.commit()
    _end_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["GET", "POST"])
@login_required
def logout_everywhere():
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template("auth/logout_everywhere.html", form=form)
    services.sign_out_everywhere(current_user)
    db.session.commit()
    _end_session()
    flash(_("You have signed out on every computer and device."), "info")
    return redirect(url_for("auth.login"))


def _municipality_choices() -> list[tuple[str, str]]:
    lang = locale_code()
    return [(m.code, m.name(lang)) for m in db.session.scalars(Municipality.ordered())]


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignupForm(_municipality_choices())
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _signup_page(form), status
    try:
        outcome = services.sign_up(
            municipality_code=form.municipality.data,
            name=form.name.data,
            email=form.email.data,
            employee_number=form.employee_number.data,
            job_category=form.job_category.data,
            password=form.password.data,
            locale=locale_code(),
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _signup_page(form), exc.status, _retry_after(getattr(exc, "retry_after", 0))
    session[_SENT_KEY] = "approval" if outcome.needs_approval else "confirm"
    return redirect(url_for("auth.signup_sent"))


def _signup_page(form: SignupForm) -> str:
    return render_template("auth/signup.html", form=form, min_length=MIN_LENGTH)


@bp.route("/signup/sent")
def signup_sent():
    return render_template("auth/signup_sent.html", kind=session.get(_SENT_KEY, "confirm"))


def _invalid_link(purpose: str) -> tuple[str, int]:
    return render_template("auth/link_invalid.html", purpose=purpose), 400


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    # Following the link only shows a button: mail scanners that open links change nothing.
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        if services.account_for_token(token, tokens.CONFIRM) is None:
            return _invalid_link(tokens.CONFIRM)
        return render_template("auth/confirm.html", form=form)
    user = services.confirm_email(token)
    if user is None:
        return _invalid_link(tokens.CONFIRM)
    db.session.commit()
    flash(_("Your e-mail address is confirmed. You can now sign in."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), (
            400 if request.method == "POST" else 200
        )
    try:
        services.request_password_reset(form.email.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        wait = getattr(exc, "retry_after", 0)
        return render_template("auth/forgot.html", form=form), exc.status, _retry_after(wait)
    return redirect(url_for("auth.forgot_sent"))


@bp.route("/password/forgot/sent")
def forgot_sent():
    return render_template("auth/forgot_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    user = services.account_for_token(token, tokens.RESET)
    if user is None:
        return _invalid_link(tokens.RESET)
    form = ResetForm(words=[user.email, user.name])
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("auth/reset.html", form=form, min_length=MIN_LENGTH), status
    if services.reset_password(token, form.password.data, address=request.remote_addr) is None:
        return _invalid_link(tokens.RESET)
    db.session.commit()
    _end_session()
    flash(_("Your password has been changed. Please sign in with the new password."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str):
    """An invited person chooses their first password (the link proves the address is theirs)."""
    user = services.account_for_token(token, tokens.INVITE)
    if user is None:
        return _invalid_link(tokens.INVITE)
    form = ResetForm(words=[user.email, user.name])
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        page = render_template("auth/welcome.html", form=form, min_length=MIN_LENGTH, user=user)
        return page, status
    address = request.remote_addr
    user = services.reset_password(token, form.password.data, tokens.INVITE, address)
    if user is None:
        return _invalid_link(tokens.INVITE)
    # The link proved the address and the person just chose the password: signed in, in
    # a fresh session (whoever was signed in on this browser is signed out).
    services.first_sign_in(user, address)
    db.session.commit()
    _end_session()
    login_user(user)
    flash(_("Your password is set and you are signed in. Welcome."), "success")
    return redirect(url_for("main.home"))
