"""Pages: attendance (one fast page, or a spreadsheet), e-learning completion import, exports.

Uploads are read in memory and never stored. A preview travels to the confirm
step as a signed copy of the parsed rows (not the file), and the confirm step
checks them again against the records as they are then: any error, nothing
imported.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from regional import spreadsheets
from regional.attendance import imports
from regional.attendance.models import Completion
from regional.attendance.recording import (
    add_completions,
    attendance_roster,
    may_record_attendance,
    record_attendance,
)
from regional.catalogue.models import Program
from regional.downloads import file_response
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_label, now_utc
from regional.i18n import locale_code
from regional.main.helpers import flash_refusal
from regional.people.models import User
from regional.registrations import bp, exports
from regional.registrations.forms import ConfirmForm, FiscalYearExportForm, UploadForm
from regional.registrations.panel import unit_paths
from regional.roles import coordinator_required
from regional.seats.models import Registration
from regional.seats.waitlist import waitlist_positions
from regional.sessions.access import session_or_404
from regional.sessions.models import TrainingSession
from regional.tenancy import current_municipality
from regional.validation import whole_number
from tenants import all_tenants
from tenants.models import Municipality

#: How long a preview may wait for its confirmation.
PREVIEW_MAX_AGE = 3600


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"registrations-{kind}")


def _sign(kind: str, scope: int, table: spreadsheets.Table) -> str:
    data = {"u": current_user.id, "s": scope, "h": table.header, "r": table.rows}
    return _serializer(kind).dumps(data)


def _unsign(kind: str, scope: int, payload: str | None) -> spreadsheets.Table | None:
    """The previewed rows, if the payload is ours, for this page and person, and recent."""
    try:
        data = _serializer(kind).loads(payload or "", max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        return None
    if data.get("u") != current_user.id or data.get("s") != scope:
        return None
    return spreadsheets.Table(data["h"], [(line, cells) for line, cells in data["r"]])


def _read_upload(form: UploadForm) -> spreadsheets.Table | None:
    """The uploaded spreadsheet, or None after flashing why it cannot be read."""
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return None
    try:
        return spreadsheets.read_table(form.file.data.read())
    except spreadsheets.SheetError as exc:
        flash(exc.message, "error")
        return None


# -- attendance -------------------------------------------------------------------


def _hosted_session(session_id: int) -> TrainingSession:
    ts = session_or_404(session_id)
    if not may_record_attendance(ts, current_user):
        abort(403)
    return ts


def _host_code(ts: TrainingSession) -> str | None:
    return ts.host_municipality.code if ts.host_municipality else None


@bp.route("/session/<int:session_id>/attendance", methods=["GET", "POST"])
@coordinator_required
def attendance(session_id: int):
    """The whole roster on one page: tick who came; attended means completed."""
    ts = _hosted_session(session_id)
    if request.method == "POST":
        ids = request.form.getlist("registration", type=whole_number)
        present = set(request.form.getlist("attended", type=whole_number))
        try:
            came, absent = record_attendance(
                ts.id, [(rid, rid in present) for rid in ids], current_user
            )
        except DomainError as exc:
            flash_refusal(exc)
        else:
            db.session.commit()
            flash(_("Attendance saved: %(a)d attended, %(b)d absent.", a=came, b=absent), "success")
        return redirect(url_for(".attendance", session_id=ts.id))
    return render_template(
        "registrations/attendance.html",
        training_session=ts,
        roster=attendance_roster(ts, current_user),
        started=ts.starts_at <= now_utc(),
        upload_form=UploadForm(),
    )


def _attendance_preview(ts: TrainingSession, table: spreadsheets.Table):
    roster = attendance_roster(ts, current_user)
    preview = imports.preview_attendance(table, roster, _host_code(ts))
    page = render_template(
        "registrations/attendance_preview.html",
        training_session=ts,
        preview=preview,
        confirm_form=ConfirmForm(payload=_sign("attendance", ts.id, table)),
    )
    return preview, page


@bp.post("/session/<int:session_id>/attendance/upload")
@coordinator_required
def attendance_upload(session_id: int):
    """Preview an attendance sheet: every row checked, nothing saved yet."""
    ts = _hosted_session(session_id)
    if ts.starts_at > now_utc():
        flash(_("Attendance can be recorded once the session has started."), "error")
        return redirect(url_for(".attendance", session_id=ts.id))
    table = _read_upload(UploadForm())
    if table is None:
        return redirect(url_for(".attendance", session_id=ts.id))
    preview, page = _attendance_preview(ts, table)
    return page, 200 if preview.ok else 422


@bp.post("/session/<int:session_id>/attendance/confirm")
@coordinator_required
def attendance_confirm(session_id: int):
    """Save a previewed sheet, checked once more against the roster as it is now."""
    ts = _hosted_session(session_id)
    table = _unsign("attendance", ts.id, ConfirmForm().payload.data)
    if table is None:
        flash(_("The preview has expired. Please upload the file again."), "error")
        return redirect(url_for(".attendance", session_id=ts.id))
    preview, page = _attendance_preview(ts, table)
    if not preview.ok:
        return page, 422
    marks = [(item.registration.id, item.attended) for item in preview.items]
    try:
        came, absent = record_attendance(ts.id, marks, current_user)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        db.session.commit()
        flash(_("Attendance saved: %(a)d attended, %(b)d absent.", a=came, b=absent), "success")
    return redirect(url_for(".attendance", session_id=ts.id))


# -- e-learning completions --------------------------------------------------------------


def _chunks(values: list, size: int = 500):
    for i in range(0, len(values), size):
        yield values[i : i + size]


class _Lookup(imports.CompletionLookup):
    """Coordinators find their own staff only; regional administrators anyone's."""

    def __init__(self, actor: User):
        self.admin = actor.is_regional_admin

    def _scope(self):
        return all_tenants(db.session) if self.admin else nullcontext()

    def employees(self, emails, pairs):
        by_email, by_pair = {}, {}
        with self._scope():
            for chunk in _chunks(sorted(emails)):
                for user in db.session.scalars(select(User).where(User.email.in_(chunk))):
                    by_email[user.email] = user
            codes = sorted({code for code, _n in pairs})
            munis = {
                m.code: m.id
                for m in db.session.scalars(
                    select(Municipality).where(Municipality.code.in_(codes))
                )
            }
            for code, muni_id in munis.items():
                numbers = sorted(n for c, n in pairs if c == code)
                for chunk in _chunks(numbers):
                    for user in db.session.scalars(
                        select(User).where(
                            User.municipality_id == muni_id, User.employee_number.in_(chunk)
                        )
                    ):
                        by_pair[(code, user.employee_number)] = user
        return by_email, by_pair

    def programs(self, codes):
        return {
            p.code: p
            for p in db.session.scalars(select(Program).where(Program.code.in_(sorted(codes))))
        }

    def recorded(self, items):
        found = set()
        with self._scope():
            for chunk in _chunks(sorted({i.employee.id for i in items})):
                rows = db.session.execute(
                    select(
                        Completion.employee_id, Completion.program_id, Completion.completed_on
                    ).where(Completion.employee_id.in_(chunk))
                )
                found.update((e, p, d.isoformat()) for e, p, d in rows)
        return found


def _completions_preview(table: spreadsheets.Table):
    preview = imports.preview_completions(table, _Lookup(current_user))
    page = render_template(
        "registrations/import_preview.html",
        preview=preview,
        confirm_form=ConfirmForm(payload=_sign("completions", 0, table)),
    )
    return preview, page


@bp.route("/completions/import", methods=["GET", "POST"])
@coordinator_required
def import_completions():
    """Upload an e-learning system's completion list and preview it."""
    form = UploadForm()
    if request.method == "POST":
        table = _read_upload(form)
        if table is not None:
            preview, page = _completions_preview(table)
            return page, 200 if preview.ok else 422
        return render_template("registrations/import.html", form=form), 400
    return render_template("registrations/import.html", form=form)


@bp.post("/completions/import/confirm")
@coordinator_required
def import_completions_confirm():
    """Record a previewed list, checked once more: all rows or none."""
    table = _unsign("completions", 0, ConfirmForm().payload.data)
    if table is None:
        flash(_("The preview has expired. Please upload the file again."), "error")
        return redirect(url_for(".import_completions"))
    preview, page = _completions_preview(table)
    if not preview.ok:
        return page, 422
    rows = [(i.employee, i.program, i.completed_on) for i in preview.items]
    try:
        added = add_completions(rows, current_user)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for(".import_completions"))
    db.session.commit()
    flash(
        _(
            "%(n)d completions recorded; %(s)d already on record were skipped.",
            n=added,
            s=len(preview.skipped),
        ),
        "success",
    )
    return redirect(url_for(".import_completions"))


# -- exports ---------------------------------------------------------------------------------


def _download(regs: list[Registration], fmt: str, filename: str, title: str) -> Response:
    locale = locale_code()
    rows = exports.registrant_rows(
        regs,
        waitlist_positions(regs),
        unit_paths({r.municipality_id for r in regs}),
        locale,
    )
    head = exports.header(locale)
    if fmt == "csv":
        body, mimetype = exports.to_csv(head, rows), exports.CSV_MIMETYPE
    else:
        body, mimetype = exports.to_xlsx(locale, rows, title), exports.XLSX_MIMETYPE
    return file_response(body, mimetype, f"{filename}.{fmt}")


@bp.get("/session/<int:session_id>/export.<fmt>")
@coordinator_required
def export_session(session_id: int, fmt: str):
    """A session's registrants: own municipality's (administrators: every municipality's)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    ts = session_or_404(session_id)
    scope = all_tenants(db.session) if current_user.is_regional_admin else nullcontext()
    with scope:
        regs = list(db.session.scalars(Registration.registrants(ts.id)))
        return _download(regs, fmt, f"registrations-session-{ts.id}", ts.program.code)


@bp.get("/export")
@coordinator_required
def export_year():
    """All of the municipality's registrations for sessions in one fiscal year."""
    form = FiscalYearExportForm(request.args)
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(url_for(".coordinator"))
    fy = form.fiscal_year.data
    regs = list(db.session.scalars(Registration.listing(fiscal_year=fy, ascending=True)))
    here = current_municipality()
    return _download(
        regs,
        form.format.data,
        f"registrations-{here.code}-FY{fy}",
        fiscal_year_label(fy, locale_code()),
    )
