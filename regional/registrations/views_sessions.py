"""Pages of sessions (開催回): the list, one session, and their administration.

They carry the sessions blueprint's URLs but live here, above the sessions
package: every one of them shows or moves seats (counts, the seat engine:
``regional.seats``) or reads registrations (eligibility, interest notices).
"""

from __future__ import annotations

from dataclasses import asdict

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import func, select

from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc, to_local
from regional.i18n import locale_code
from regional.main.helpers import labelled
from regional.registrations import interests, session_changes
from regional.registrations.eligibility import eligibility_of
from regional.roles import admin_required, coordinator_required
from regional.seats import reservations
from regional.seats.counts import active_registration_count, counts_for
from regional.sessions import bp, services
from regional.sessions.access import may_manage, session_or_404, viewer_scope
from regional.sessions.forms import (
    FIELD_NAMES,
    ROW_FIELDS,
    ROWS_MESSAGE,
    AllocationForm,
    CancelForm,
    DuplicateForm,
    ReservationsForm,
    SessionFilterForm,
    SessionForm,
    shifted,
)
from regional.sessions.lifecycle import Phase, phase_clause, when_clause
from regional.sessions.models import TrainingSession
from regional.sessions.seating import breakdown
from regional.tenancy import current_municipality
from regional.validation import page_number, record_id
from regional.versions import StaleEdit, claim_version, conflict
from tenants.models import Municipality

PER_PAGE = 20


@bp.route("/")
@login_required
def index():
    """Sessions the viewer's municipality may attend (all of them for administrators)."""
    lang = locale_code()
    programs = list(db.session.scalars(Program.listing()))
    form = SessionFilterForm(formdata=request.args)
    form.set_choices(programs, lang)
    form.validate()  # a bad filter is shown as an error and then ignored

    def chosen(f):
        return None if f.errors else (f.data or None)

    here = current_municipality()
    program_id = chosen(form.program)
    period = form.period()
    now = now_utc()
    stmt = TrainingSession.search(
        viewer_scope(current_user),
        tier=chosen(form.tier),
        track=chosen(form.track),
        program_id=record_id(program_id) if program_id else None,
        starts_from=period[0] if period else None,
        starts_before=period[1] if period else None,
        seats_for=here.id if form.seats.data and here is not None else None,
    )
    when = form.when_value()
    if (clause := when_clause(when, now)) is not None:
        stmt = stmt.where(clause)
    if chosen(form.phase):
        stmt = stmt.where(phase_clause(Phase(form.phase.data), now))
    if when == "past":
        stmt = stmt.order_by(None).order_by(
            TrainingSession.starts_at.desc(), TrainingSession.id.desc()
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = page_number(request.args, pages)
    rows = list(db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "sessions/index.html",
        form=form,
        rows=rows,
        counts=counts_for([s.id for s in rows]),
        total=total,
        page=page,
        pages=pages,
        page_url=lambda n: url_for(".index", page=n, **args),
        here_id=here.id if here else None,
    )


@bp.route("/<int:session_id>")
@login_required
def detail(session_id: int):
    """Everything about one session; registration controls come from the registrations panel."""
    ts = session_or_404(session_id)
    here = current_municipality()
    return render_template(
        "sessions/detail.html",
        training_session=ts,
        eligibility=eligibility_of(ts.program, current_user),
        counts=counts_for([ts.id])[ts.id],
        may_manage=may_manage(ts, current_user),
        here_id=here.id if here else None,
        here=here,
        fiscal_year=fiscal_year_of(ts.starts_at),
        seats=breakdown(ts, here.id if here and ts.admits(here.id) else None),
    )


def _attach(form, exc: DomainError) -> None:
    """Show a rule's refusal next to its field (or above the form); nothing was kept."""
    db.session.rollback()
    if isinstance(exc, reservations.ReservationProblems):
        _attach_rows(form, exc)
        return
    name = exc.details.get("field")
    name = FIELD_NAMES.get(name, name)
    if name and name in form:
        form[name].errors = list(form[name].errors) + [str(exc.message)]
    else:
        flash(str(exc.message), "error")


def _attach_rows(form: SessionForm, exc: reservations.ReservationProblems) -> None:
    """Each refused reservation next to its member's row, and the table named in the summary."""
    rows = form.reservation_rows()
    by_id = {m.id: m.code for m in form.members.values()}
    for municipality_id, (field, message) in exc.details["rows"].items():
        row = rows.get(by_id.get(municipality_id))
        if row is not None:
            target = row[ROW_FIELDS.get(field, "seats")]
            target.errors = list(target.errors) + [str(message)]
    form.reservations.errors = [str(ROWS_MESSAGE if exc.details["rows"] else exc.message)]


def _session_form(
    shared: bool,
    program: Program | None = None,
    *,
    of: TrainingSession | None = None,
    creating: bool = True,
) -> SessionForm:
    """The session form as posted, or (``of``) filled from a session as it is saved now."""
    programs = list(db.session.scalars(Program.listing()))
    if program is not None and program not in programs:
        programs.insert(0, program)
    municipalities = list(db.session.scalars(Municipality.ordered()))
    form = SessionForm() if of is None else SessionForm(formdata=None)
    form.setup(
        programs,
        municipalities,
        locale_code(),
        shared=shared,
        creating=creating,
        past_allowed=current_user.is_regional_admin,
    )
    if of is not None:
        form.fill(of)
        form.fill_reservations(of.allocations)
    elif request.method == "GET":
        form.fill_reservations()
    return form


@bp.route("/new", methods=["GET", "POST"])
@coordinator_required
def create():
    """Add a session: administrators for the region, coordinators for their own staff."""
    shared = current_user.is_regional_admin
    form = _session_form(shared)
    if request.method == "GET":
        _suggest_defaults(form)
    return _add(form, shared=shared)


def _add(form: SessionForm, *, shared: bool, host_id: int | None = None, source=None):  # noqa: ANN001
    """Save a new session and its reservations in one go, or show the form again."""
    if form.validate_on_submit():
        try:
            ts = services.create_session(
                form.plan(), current_user, host_id=host_id, copied_from=source
            )
            reservations.set_reservations(ts, form.reservation_lines(), current_user)
            interests.notify_interested([ts.id])
        except DomainError as exc:
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The session was added."), "success")
            return redirect(url_for(".detail", session_id=ts.id))
    return render_template(
        "sessions/form.html", form=form, training_session=None, shared=shared, source=source
    ), 422 if request.method == "POST" else 200


@bp.route("/<int:session_id>/duplicate", methods=["GET", "POST"])
@login_required
def duplicate(session_id: int):
    """Copy a session to a new day: first the day, then the filled form, saved once.

    Whoever may change the session may copy it; the copy has the same host (a member's
    own session stays that member's). Every time moves to the chosen day, so nothing
    of the old dates is carried over unseen.
    """
    source = session_or_404(session_id, manage=True)
    day = DuplicateForm(formdata=request.args)
    if not request.args or not day.validate():
        return render_template(
            "sessions/duplicate.html", source=source, day=day
        ), 400 if request.args else 200
    shared = source.host_municipality_id is None
    form = _session_form(shared, source.program)
    if request.method == "GET":
        form.fill(source)
        form.fill_reservations(source.allocations)
        shifted(form, (day.on.data - to_local(source.starts_at).date()).days)
    host_id = source.host_municipality_id if current_user.is_regional_admin else None
    return _add(form, shared=shared, host_id=host_id, source=source)


def _suggest_defaults(form: SessionForm) -> None:
    """A programme chosen from the catalogue page, and registration opening now."""
    program = record_id(request.args.get("program"))
    if program is not None:
        form.program_id.data = program
    # This minute (not the next): a session saved with the defaults is open at once, never
    # shown as 募集前 for the minute after saving.
    form.registration_opens_at.data = to_local(now_utc()).replace(
        tzinfo=None, second=0, microsecond=0
    )


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    """Change a session; fewer seats than are in use is refused, more seats promote the line."""
    ts = session_or_404(session_id, manage=True)
    form = _session_form(ts.host_municipality_id is None, ts.program, creating=False)
    del form.program_id  # fixed once people can register for it
    if request.method == "GET":
        form.fill(ts)
        form.fill_reservations(ts.allocations)
    stale = None
    if form.validate_on_submit():
        changes = asdict(form.plan(program_id=ts.program_id))
        changes.pop("program_id")
        try:
            # Checked against the version the form was loaded at before anything moves.
            claim_version(ts, form.version.data)
            session_changes.update_with_reservations(
                ts, changes, form.reservation_lines(), current_user
            )
        except StaleEdit:
            db.session.rollback()
            ts = session_or_404(session_id, manage=True)
            saved = _session_form(ts.host_municipality_id is None, ts.program, of=ts)
            del saved.program_id
            stale = conflict(form, saved)
        except DomainError as exc:
            _attach(form, exc)
        else:
            db.session.commit()
            flash(_("The session was saved."), "success")
            return redirect(url_for(".detail", session_id=ts.id))
    return render_template(
        "sessions/form.html",
        form=form,
        training_session=ts,
        shared=ts.host_municipality_id is None,
        conflict=stale,
    ), (409 if stale else 422) if request.method == "POST" else 200


@bp.route("/<int:session_id>/allocations", methods=["GET", "POST"])
@admin_required
def allocations(session_id: int):
    """Every member's reserved seats of a shared session, changed together in one save."""
    ts = session_or_404(session_id)
    if ts.host_municipality_id is not None:
        flash(_("Seats can be reserved only on the region's shared sessions."), "error")
        return redirect(url_for(".detail", session_id=ts.id))
    form = ReservationsForm()
    form.setup(list(db.session.scalars(Municipality.ordered())))
    if request.method == "GET":
        form.fill_reservations(ts.allocations)
    if form.validate_on_submit():
        try:
            changed = reservations.set_reservations(ts, form.reservation_lines(), current_user)
        except DomainError as exc:
            _attach(form, exc)
        else:
            db.session.commit()
            flash(
                ngettext(
                    "Reservations saved (%(num)d municipality changed).",
                    "Reservations saved (%(num)d municipalities changed).",
                    changed,
                ),
                "success",
            )
            return redirect(url_for(".detail", session_id=ts.id))
    return render_template(
        "sessions/allocations.html", training_session=ts, form=form
    ), 422 if request.method == "POST" else 200


@bp.route("/<int:session_id>/allocations/<code>", methods=["POST"])
@admin_required
def set_allocation(session_id: int, code: str):
    """Reserve (change, or with 0 remove) seats of a shared session for one member."""
    ts = session_or_404(session_id)
    municipality = db.session.scalar(Municipality.by_code(code))
    if municipality is None:
        abort(404)
    form = AllocationForm()
    back = redirect(url_for(".allocations", session_id=ts.id))
    name = municipality.name(locale_code())
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(labelled(name, message), "error")
        return back
    try:
        session_changes.reserve_seats(ts, municipality, form.seats.data, form.release_at())
    except DomainError as exc:
        db.session.rollback()
        flash(labelled(name, exc.message), "error")
        return back
    db.session.commit()
    flash(_("%(name)s: %(n)d seats reserved.", name=name, n=form.seats.data), "success")
    return back


@bp.route("/<int:session_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(session_id: int):
    """Confirm, then call the session off; everyone registered is told by mail."""
    ts = session_or_404(session_id, manage=True)
    if ts.is_cancelled:
        flash(_("This session has been cancelled."), "info")
        return redirect(url_for(".detail", session_id=ts.id))
    form = CancelForm()
    if form.validate_on_submit():
        try:
            told = session_changes.cancel(ts, form.reason.data, current_user)
        except DomainError as exc:
            _attach(form, exc)
        else:
            db.session.commit()
            flash(
                _("The session was cancelled; %(n)d people registered were told by mail.", n=told),
                "success",
            )
            return redirect(url_for(".detail", session_id=ts.id))
    return render_template(
        "sessions/cancel.html",
        training_session=ts,
        form=form,
        affected=active_registration_count(ts),
    ), 422 if request.method == "POST" else 200
