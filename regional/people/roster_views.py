"""Pages: the staff roster (職員名簿) import with its preview, and its export.

The preview names the stored upload and carries, signed, who previewed it, in
which municipality, the SHA-256 of the bytes and a fingerprint of the plan.
The import reads the same bytes back, plans again and goes ahead only if the
plan is the one the coordinator saw; a changed file needs a new preview.
"""

from __future__ import annotations

from datetime import date

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from regional import fiscal
from regional.downloads import file_response
from regional.errors import DomainError
from regional.extensions import db
from regional.i18n import locale_code
from regional.people import bp, invitations, roster_export, roster_fields, roster_import
from regional.people.forms import (
    EQUIVALENT_LABELS,
    LEVEL_LABELS,
    ActionForm,
    RosterConfirmForm,
    RosterUploadForm,
)
from regional.people.reorganisation import ChoiceError, Choices, Reorganisation
from regional.people.roster_plan import RosterPlan
from regional.tenancy import current_municipality
from regional.validation import InputProblem, record_id, whole_number

#: Rows of each kind listed on the preview page (the counts are always whole).
SHOWN = 300
_RESULT_KEY = "roster_result"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="roster-preview")


def _token(upload_id: int, file_hash: str, plan: RosterPlan, day: date) -> str:
    return _serializer().dumps(
        {
            "u": current_user.id,
            "m": current_municipality().id,
            "f": upload_id,
            "h": file_hash,
            "d": plan.deactivate_missing,
            "g": plan.digest(),
            "e": day.isoformat(),
        }
    )


def _choices(reorg: Reorganisation, form) -> Choices:
    """The proposals the coordinator left ticked (:class:`ChoiceError` for anything else)."""
    try:
        renames = frozenset(whole_number(v) for v in form.getlist("rename"))
        retire = frozenset(whole_number(v) for v in form.getlist("retire"))
        adopt = {
            i: whole_number(form[f"adopt-{i}"])
            for i in range(len(reorg.merges))
            if form.get(f"adopt-{i}")
        }
    except InputProblem as exc:
        raise ChoiceError(str(exc)) from exc
    choices = Choices(renames=renames, retire=retire, adopt=adopt)
    reorg.check(choices)
    return choices


def _untoken(token: str | None, upload_id: str | None) -> dict | None:
    """The signed preview facts, if ours, for this municipality and upload, and recent."""
    try:
        data = _serializer().loads(
            token or "", max_age=int(roster_import.UPLOAD_MAX_AGE.total_seconds())
        )
        same_upload = record_id(upload_id) == data["f"]
    except (BadSignature, ValueError, TypeError, KeyError):
        return None
    if not same_upload or data.get("u") != current_user.id:
        return None
    if data.get("m") != current_municipality().id:
        return None
    return data


def _preview_page(
    plan: RosterPlan,
    upload,
    status: int,
    day: date,
    notice: str | None = None,
    choices: Choices | None = None,
):
    confirm = RosterConfirmForm(upload=upload.id, token=_token(upload.id, upload.sha256, plan, day))
    reorg = plan.reorganisation
    page = render_template(
        "people/roster_preview.html",
        plan=plan,
        reorg=reorg,
        choices=choices or reorg.default_choices(),
        replaced=reorg.paths_replaced(),
        effective_on=day,
        filename=upload.filename,
        confirm_form=confirm,
        shown=SHOWN,
        level_labels=LEVEL_LABELS,
        equivalent_labels=EQUIVALENT_LABELS,
        notice=notice,
        change_labels=roster_fields.preview_labels(),
        municipality=current_municipality(),
    )
    return page, status


def _upload_page(form: RosterUploadForm, status: int = 200):
    return render_template(
        "people/roster.html",
        form=form,
        municipality=current_municipality(),
        not_invited=invitations.count(invitations.not_invited()),
        awaiting=invitations.count(invitations.awaiting_first_sign_in()),
        batch=invitations.BATCH,
        action=ActionForm(),
    ), status


@bp.route("/roster", methods=["GET", "POST"])
def roster():
    """Upload a personnel-system export and see what it would change; nothing is saved yet."""
    form = RosterUploadForm()
    if request.method == "GET":
        return _upload_page(form)
    if not form.validate_on_submit():
        return _upload_page(form, 400)
    data = form.file.data.read()
    filename = form.file.data.filename or "roster"
    try:
        plan = roster_import.preview(
            data,
            current_municipality(),
            current_user,
            deactivate_missing=form.deactivate_missing.data,
        )
    except roster_import.RosterRefused as exc:
        db.session.rollback()
        flash(_("The file was refused: %(why)s", why=str(exc.message)), "error")
        return _upload_page(form, 422)
    upload = roster_import.keep_upload(data, filename, current_user)
    db.session.commit()
    day = form.effective_on.data or fiscal.today()
    return _preview_page(plan, upload, 200 if plan.ok else 422, day)


@bp.post("/roster/confirm")
def roster_confirm():
    """Import the previewed file: the same bytes, the same plan, all or nothing."""
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    facts = _untoken(form.token.data, form.upload.data)
    upload = roster_import.find_upload(facts["f"], current_user, facts["h"]) if facts else None
    if upload is None:
        flash(
            _(
                "The preview has expired or the file is not the one previewed. Please upload it again."
            ),
            "error",
        )
        return redirect(url_for("people.roster"))
    municipality = current_municipality()
    day = date.fromisoformat(facts["e"]) if facts.get("e") else fiscal.today()
    plan = roster_import.preview(
        upload.data, municipality, current_user, deactivate_missing=bool(facts["d"])
    )
    if not plan.ok:
        return _preview_page(plan, upload, 422, day)
    if plan.digest() != facts["g"]:
        notice = _(
            "The records changed since your preview. Check the new preview and import again."
        )
        return _preview_page(plan, upload, 409, day, notice)
    try:
        choices = _choices(plan.reorganisation, request.form)
    except ChoiceError:
        notice = _("The choices on the organisation do not match this preview. Choose again.")
        return _preview_page(plan, upload, 400, day, notice)
    try:
        result = roster_import.commit(
            plan,
            current_user,
            filename=upload.filename,
            file_hash=upload.sha256,
            effective_on=day,
            choices=choices,
        )
        roster_import.drop_upload(upload)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return redirect(url_for("people.roster"))
    db.session.commit()
    session[_RESULT_KEY] = {
        "counts": result.counts,
        "filename": result.filename,
        "effective_on": day.isoformat(),
    }
    return redirect(url_for("people.roster_done"))


@bp.get("/roster/done")
def roster_done():
    """What the last import did (kept in the session for this one page)."""
    result = session.get(_RESULT_KEY)
    if not result:
        return redirect(url_for("people.roster"))
    day = result.get("effective_on")
    return render_template(
        "people/roster_done.html",
        result=result,
        effective_on=date.fromisoformat(day) if day else None,
        not_invited=invitations.count(invitations.not_invited()),
        awaiting=invitations.count(invitations.awaiting_first_sign_in()),
        batch=invitations.BATCH,
        action=ActionForm(),
    )


@bp.get("/roster/export.<fmt>")
def roster_export_file(fmt: str):
    """The staff as a roster file (CSV CP932 or UTF-8 with BOM, or XLSX) that re-imports unchanged."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    here = current_municipality()
    locale = locale_code()
    filename = f"roster-{here.code}"
    if fmt == "xlsx":
        body = roster_export.as_xlsx(locale, here.code)
        mimetype = roster_export.XLSX_MIMETYPE
    else:
        encoding = "utf-8" if request.args.get("encoding") == "utf-8" else "cp932"
        body = roster_export.as_csv(locale, encoding)
        mimetype = f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}"
        filename += "-sjis" if encoding == "cp932" else "-utf8"
    return file_response(body, mimetype, f"{filename}.{fmt}")
