"""Pages: registering, cancelling, approving; my training; the coordinators' view; calendars.

Every record is loaded through :mod:`regional.registrations.access`: another
municipality's registration or session is simply not found. Views parse the
request, call one service, then commit and redirect (or roll back and say why).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.main.helpers import flash_refusal, labelled, safe_return_path
from regional.people.models import AccountStatus, User
from regional.registrations import actions, bp, cancellation
from regional.registrations.access import load_registration
from regional.registrations.forms import (
    FiscalYearExportForm,
    StaffRegistrationForm,
    StaffSearchForm,
)
from regional.registrations.panel import session_panel, staff_search, unit_paths, whole_counts
from regional.roles import coordinator_required
from regional.seats import waitlist
from regional.seats.calendar import feed_ics, registration_ics
from regional.seats.models import Registration, RegistrationStatus
from regional.seats.phases import sessions_to_record, states_for
from regional.sessions.access import session_or_404
from regional.sessions.forms import SessionFilterForm
from regional.sessions.lifecycle import when_clause
from regional.sessions.models import SessionStatus, TrainingSession
from regional.sessions.seating import breakdown
from regional.tenancy import current_municipality, reads_first
from regional.validation import form_id, page_number, record_id, text_problem, typed_code
from tenants import all_tenants
from tenants.scoping import acting_as

RS = RegistrationStatus
PER_PAGE = 25
#: How far back the personal calendar feed reaches.
FEED_HISTORY = timedelta(days=180)


@bp.app_template_global("registration_panel")
def registration_panel(training_session: TrainingSession):
    """For ``_session_panel.html``: the panel's data, or None for a visitor."""
    if not current_user.is_authenticated:
        return None
    return session_panel(training_session, current_user, current_municipality())


@bp.app_template_global("session_states")
def session_states(sessions: list[TrainingSession]) -> dict:
    """For lists and pages: each session's phase (and attendance state for those who record)."""
    return states_for(list(sessions), current_user)


def _registration_or_404(reg_id: int) -> Registration:
    reg = load_registration(reg_id)
    if reg is None:
        abort(404)
    return reg


def _back(session_id: int) -> str:
    """Where to go after an action: the page the form came from, or the session."""
    target = request.form.get("next")
    if target:
        return safe_return_path(target)
    if "sessions.detail" in current_app.view_functions:
        return url_for("sessions.detail", session_id=session_id)
    return url_for(".mine")


def _status_message(reg: Registration, who: str | None = None) -> str:
    if reg.status == RS.WAITLISTED:
        text = _(
            "The session is full: number %(n)d on the waiting list. A free seat is given "
            "automatically, and a mail tells when.",
            n=waitlist.waitlist_position(reg) or 0,
        )
    elif reg.status == RS.PENDING:
        text = _("A seat is held, awaiting the training coordinator's approval.")
    elif reg.status == RS.AWAITING_HEAD:
        text = _("A seat is held, awaiting your head of unit's approval.")
    else:
        text = _("Enrolled.")
    return labelled(who, text) if who else text


def _commit() -> bool:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(_("Already registered for this session."), "error")
        return False
    return True


# -- acting on registrations -------------------------------------------------


@bp.post("/session/<int:session_id>/register")
@reads_first
@login_required
def register(session_id: int):
    """The signed-in person registers themselves (with a reason, for a programme completed)."""
    session_or_404(session_id)
    reason = (request.form.get("reason") or "").strip()
    if len(reason) > actions.REPEAT_REASON_MAX or text_problem(reason):
        flash(
            _(
                "The reason must be plain text of at most %(n)d characters.",
                n=actions.REPEAT_REASON_MAX,
            ),
            "error",
        )
        return redirect(_back(session_id))
    # An administrator acting in another member still registers in their own municipality.
    with acting_as(db.session, current_user.municipality_id):
        try:
            reg = actions.register(session_id, current_user, current_user, reason or None)
            message = _status_message(reg)
        except DomainError as exc:
            flash_refusal(exc)
        else:
            if _commit():
                flash(message, "success")
        return redirect(_back(session_id))


def _find_staff(value: str) -> User | None:
    """Active staff of the current municipality by employee number (as typed: full-width
    digits read as ASCII) or e-mail."""
    value = value.strip()
    numbers = {value, typed_code(value)}
    return db.session.scalar(
        select(User).where(
            or_(User.email == value.lower(), User.employee_number.in_(sorted(numbers))),
            User.status == AccountStatus.ACTIVE,
        )
    )


@bp.post("/session/<int:session_id>/register-staff")
@reads_first
@coordinator_required
def register_staff(session_id: int):
    """A coordinator registers one of their municipality's staff (approved at once)."""
    session_or_404(session_id)
    form = StaffRegistrationForm()
    employee_id = request.form.get("employee_id", type=form_id)
    employee = None
    if employee_id is not None:
        employee = db.session.scalar(
            select(User).where(User.id == employee_id, User.status == AccountStatus.ACTIVE)
        )
    elif form.validate_on_submit():
        employee = _find_staff(form.employee.data)
    if employee is None:
        flash(
            _("No active member of staff of your municipality has this number or e-mail."), "error"
        )
        return redirect(_back(session_id))
    try:
        reg = actions.register(session_id, employee, current_user)
        message = _status_message(reg, employee.name)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        if _commit():
            flash(message, "success")
    return redirect(_back(session_id))


def _act_on(reg_id: int, action, done_message: str):
    """Apply one service action to a registration, then back to where the person came from."""
    reg = _registration_or_404(reg_id)
    session_id = reg.session_id
    # Inside the registration's municipality (an administrator's may be another's), for this step.
    with acting_as(db.session, reg.municipality_id):
        try:
            action(reg, current_user)
        except DomainError as exc:
            flash_refusal(exc)
        else:
            db.session.commit()
            flash(done_message, "success")
    return redirect(_back(session_id))


@bp.route("/<int:reg_id>/cancel", methods=["GET", "POST"])
@reads_first
@login_required
def cancel(reg_id: int):
    """GET: confirm, with the cancellation deadline; POST: cancel the registration."""
    if request.method == "POST":
        return _act_on(reg_id, cancellation.cancel, _("The registration has been cancelled."))
    reg = _registration_or_404(reg_id)
    back = safe_return_path(
        request.args.get("next") or url_for("sessions.detail", session_id=reg.session_id)
    )
    return render_template(
        "registrations/cancel_confirm.html",
        reg=reg,
        training_session=reg.session,
        back=back,
        self_service=reg.employee_id == current_user.id and not current_user.is_coordinator,
        now=now_utc(),
    )


@bp.post("/<int:reg_id>/approve")
@coordinator_required
def approve(reg_id: int):
    return _act_on(reg_id, actions.approve, _("The request has been approved."))


@bp.post("/<int:reg_id>/decline")
@coordinator_required
def decline(reg_id: int):
    reg = _registration_or_404(reg_id)
    reason = _decline_reason()
    if reason is None:
        return redirect(_back(reg.session_id))
    return _act_on(
        reg_id,
        lambda reg, actor: actions.decline(reg, actor, reason),
        _("The request has been declined."),
    )


def _decline_reason() -> str | None:
    """The reason typed for a decline (may be empty); None, with a message, if unusable."""
    reason = (request.form.get("reason") or "").strip()
    if len(reason) > 1000 or text_problem(reason, multiline=True):
        flash(_("The reason must be plain text of at most 1,000 characters."), "error")
        return None
    return reason


@bp.post("/bulk")
@coordinator_required
def bulk():
    """Approve or decline several requests at once (all or nothing)."""
    action = request.form.get("action")
    # A value that cannot be an id names no request: the whole batch is refused (404) as
    # when an id names another municipality's request.
    ids = [record_id(v) for v in request.form.getlist("reg_id")][:200]
    back = redirect(url_for(".coordinator"))
    if action not in ("approve", "decline") or not ids:
        flash(_("Choose at least one request, then approve or decline."), "error")
        return back
    reason = _decline_reason() if action == "decline" else ""
    if reason is None:
        return back
    done = 0
    for reg_id in ids:
        reg = load_registration(reg_id) if reg_id is not None else None
        if reg is None:
            db.session.rollback()
            abort(404)
        try:
            # Inside the registration's municipality (an administrator's may be another's).
            with acting_as(db.session, reg.municipality_id):
                if action == "approve":
                    actions.approve(reg, current_user)
                else:
                    actions.decline(reg, current_user, reason)
                db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            flash(labelled(reg.employee.name, exc.message), "error")
            flash(_("Nothing was changed."), "error")
            return back
        done += 1
    db.session.commit()
    flash(
        ngettext("%(num)d request approved.", "%(num)d requests approved.", done)
        if action == "approve"
        else ngettext("%(num)d request declined.", "%(num)d requests declined.", done),
        "success",
    )
    return back


# -- my training ----------------------------------------------------------------


def _feed_url(token: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return base + url_for(".feed", token=token)


@bp.get("/mine")
@login_required
def mine():
    """My registrations are the 予定 tab of my training now (records.my_training)."""
    return redirect(url_for("records.my_training", tab="upcoming"))


@bp.post("/feed/reset")
@login_required
def reset_feed():
    """A new secret feed address; the old one stops working."""
    with acting_as(db.session, current_user.municipality_id):
        current_user.calendar_token = secrets.token_urlsafe(32)
        db.session.commit()
    flash(_("Your calendar feed has a new address; the old one no longer works."), "success")
    return redirect(url_for(".mine"))


@bp.get("/feed/<token>.ics")
def feed(token: str):
    """A person's calendar feed; the token in the address is the only key (no sign-in)."""
    if len(token) > 64:
        abort(404)
    with all_tenants(db.session):  # the token names one person in some municipality
        user = db.session.scalar(select(User).where(User.calendar_token == token))
    if user is None or not user.is_active:
        abort(404)
    with acting_as(db.session, user.municipality_id):
        regs = db.session.scalars(
            Registration.of_employee(user.id).where(
                TrainingSession.starts_at >= now_utc() - FEED_HISTORY
            )
        )
        locale = user.locale or "ja"
        name = "研修予定" if locale == "ja" else "Training"
        return Response(
            feed_ics(regs, f"{name} ({user.name})", locale=locale),
            mimetype="text/calendar",
            headers={"Content-Disposition": 'inline; filename="training.ics"'},
        )


@bp.get("/<int:reg_id>.ics")
@login_required
def ics(reg_id: int):
    """One registration as a calendar file."""
    reg = _registration_or_404(reg_id)
    with acting_as(db.session, reg.municipality_id):
        body = registration_ics(reg, locale=locale_code())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="session-{reg.session_id}.ics"'},
    )


# -- coordinators -----------------------------------------------------------------


@bp.get("/")
@coordinator_required
def coordinator():
    """Upcoming sessions with this municipality's numbers, and requests awaiting approval."""
    here = current_municipality()
    now = now_utc()
    period = SessionFilterForm(formdata=request.args)
    period.set_choices([], locale_code())
    period.validate()  # a bad choice is shown and ignored
    visible = TrainingSession.visible_to(here.id)
    stmt = visible
    when = period.when_value()
    if (clause := when_clause(when, now)) is not None:
        stmt = stmt.where(clause)
    if (span := period.period()) is not None:
        stmt = stmt.where(TrainingSession.starts_at >= span[0], TrainingSession.starts_at < span[1])
    if when == "upcoming":
        stmt = stmt.where(TrainingSession.status == SessionStatus.SCHEDULED)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = page_number(request.args, pages)
    order = (
        (TrainingSession.starts_at.desc(), TrainingSession.id.desc())
        if when == "past"
        else (TrainingSession.starts_at, TrainingSession.id)
    )
    rows = list(
        db.session.scalars(stmt.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    )
    to_record, to_record_total = sessions_to_record(current_user, visible)
    args = {k: v for k, v in request.args.items() if k != "page"}
    export_form = FiscalYearExportForm(
        formdata=None, fiscal_year=fiscal_year_of(now_utc()), format="xlsx"
    )
    return render_template(
        "registrations/coordinator.html",
        here=here,
        rows=rows,
        counts=whole_counts(rows),
        pending=list(db.session.scalars(Registration.awaiting_approval().limit(100))),
        units=unit_paths({here.id}),
        total=total,
        page=page,
        pages=pages,
        page_url=lambda n: url_for(".coordinator", page=n, **args),
        export_form=export_form,
        period=period,
        when=when,
        states=states_for(rows, current_user),
        to_record=to_record,
        to_record_total=to_record_total,
    )


@bp.get("/session/<int:session_id>")
@coordinator_required
def session_registrants(session_id: int):
    """One session's registrants: own municipality's (administrators: every municipality's)."""
    ts = session_or_404(session_id)
    search = StaffSearchForm(request.args)
    q = (search.q.data or "").strip() if search.validate() else ""
    here = current_municipality()
    return render_template(
        "registrations/session.html",
        training_session=ts,
        panel=session_panel(ts, current_user, here),
        search=search,
        found=staff_search(ts.id, q) if q and ts.admits(here.id) else [],
        q=q,
        staff_form=StaffRegistrationForm(),
        admits_here=ts.admits(here.id),
        here=here,
        # The same seat breakdown as the session page: what this member can still take.
        seats=breakdown(ts, here.id) if ts.admits(here.id) else None,
    )
