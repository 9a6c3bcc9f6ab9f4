"""Pages: my qualifications, the coordinator's review, holders per exam, persona rules."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.errors import DomainError
from regional.extensions import db
from regional.growth import bp, files, qualifications
from regional.growth.access import load_personal
from regional.growth.common import my_training_tab, refused
from regional.growth.downloads import attachment
from regional.growth.exams import OTHER, exams
from regional.growth.forms import (
    ActionForm,
    QualificationFilterForm,
    QualificationForm,
    ReturnForm,
    ReviewForm,
)
from regional.growth.models import Qualification, QualificationStatus
from regional.i18n import locale_code
from regional.roles import admin_required, coordinator_required, is_regional_admin
from regional.tenancy import current_municipality, member_of, own_records, record_member
from regional.versions import StaleEdit, claim_version, conflict
from tenants import all_tenants
from tenants.models import Municipality


def _exam_choices(with_any: bool = False) -> list[tuple[str, str]]:
    lang = locale_code()
    choices = [
        (e.code, _("Level %(n)d: %(code)s %(name)s", n=e.level, code=e.code, name=e.name(lang)))
        for e in exams()
    ]
    choices.append((OTHER, _("Other certificate")))
    if with_any:
        choices.insert(0, ("", _("Any exam")))
    return choices


def _pass_data(form: QualificationForm) -> qualifications.PassData:
    return qualifications.PassData(
        exam=form.exam.data,
        passed_on=form.passed_on.data,
        certificate_number=form.certificate_number.data,
        name=form.name.data,
    )


def my_pass_form() -> QualificationForm:
    """The form to record a pass, its exams to choose from (the 資格・OJT tab shows it)."""
    form = QualificationForm()
    form.exam.choices = _exam_choices()
    return form


@bp.route("/qualifications", methods=["GET", "POST"])
@login_required
@own_records
def qualifications_mine():
    """Record a pass; my passes are shown on the 資格・OJT tab of my training (GET goes there)."""
    if request.method == "GET":
        return redirect(my_training_tab("qualifications"))
    form = my_pass_form()
    if form.validate_on_submit():
        try:
            q = qualifications.record_pass(current_user, _pass_data(form), current_user)
            upload = form.scan.data
            if upload is not None and upload.filename:
                data = upload.read(files.max_bytes() + 1)
                qualifications.attach_scan(q, data, upload.filename)
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("Recorded. Your training coordinator will verify it."), "success")
            return redirect(my_training_tab("qualifications"))
    rows = db.session.scalars(Qualification.of_employee(current_user.id)).all()
    return render_template(
        "growth/qualifications_mine.html", tab="qualifications", form=form, rows=rows
    )


@bp.get("/qualifications/review")
@coordinator_required
def qualifications_review():
    """The municipality's qualifications, those awaiting verification first."""
    filters = QualificationFilterForm(request.args)
    filters.status.choices = [("", _("Any status"))] + [
        (s.value, s.label) for s in QualificationStatus
    ]
    filters.exam.choices = _exam_choices(with_any=True)
    status = request.args.get("status", QualificationStatus.UNVERIFIED.value)
    if "status" not in request.args:
        filters.status.data = status
    valid_status = status in {s.value for s in QualificationStatus}
    exam = request.args.get("exam") or None
    if exam is not None and exam not in {c for c, _label in _exam_choices()}:
        exam = None
    stmt = Qualification.listing(
        exam=exam, status=QualificationStatus(status) if valid_status else None
    )
    rows = db.session.scalars(stmt.limit(500)).all()
    return render_template(
        "growth/qualifications_review.html",
        rows=rows,
        filters=filters,
        action_form=ActionForm(),
        return_form=ReturnForm(),
    )


def _qualification_or_404(qid: int) -> Qualification:
    q = load_personal(Qualification, qid)
    if q is None:
        abort(404)
    return q


@bp.route("/qualifications/<int:qid>/edit", methods=["GET", "POST"])
@login_required
@own_records
def qualification_edit(qid: int):
    """The person corrects a returned (or unverified) record; it waits for checking again."""
    q = _qualification_or_404(qid)
    if q.employee_id != current_user.id or q.municipality_id != current_user.municipality_id:
        abort(404)
    if q.status == QualificationStatus.VERIFIED:
        abort(404)
    form = QualificationForm(obj=None if request.method == "POST" else q)
    if request.method == "GET":
        form.exam.data, form.name.data = q.exam_code, q.other_name
        form.version.data = q.version
    form.exam.choices = _exam_choices()
    stale = None
    if form.validate_on_submit():
        try:
            claim_version(q, form.version.data)
            qualifications.resubmit(q, _pass_data(form), current_user)
            upload = form.scan.data
            if upload is not None and upload.filename:
                qualifications.attach_scan(q, upload.read(files.max_bytes() + 1), upload.filename)
        except StaleEdit:
            db.session.rollback()
            q = _qualification_or_404(qid)
            saved = QualificationForm(formdata=None, obj=q)
            saved.exam.choices = form.exam.choices
            saved.exam.data, saved.name.data = q.exam_code, q.other_name
            stale = conflict(form, saved)
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("Corrected. Your training coordinator will verify it."), "success")
            return redirect(my_training_tab("qualifications"))
    return render_template(
        "growth/qualification_edit.html", form=form, q=q, conflict=stale
    ), 409 if stale else 200


@bp.get("/qualifications/<int:qid>/scan")
@login_required
@record_member(member_of(Qualification, "qid"))
def qualification_scan(qid: int):
    """The scan of a certificate: the person, their coordinator, administrators; a download."""
    q = _qualification_or_404(qid)
    data = files.read(q.scan_name) if q.scan_name else None
    if data is None:
        abort(404)
    kind = files.KINDS[q.scan_kind]
    return attachment(data, kind.mimetype, q.scan_filename or f"scan.{kind.ext}")


@bp.post("/qualifications/<int:qid>/verify")
@coordinator_required
@record_member(member_of(Qualification, "qid"))
def qualification_verify(qid: int):
    q = _qualification_or_404(qid)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            claim_version(q, form.version.data)
            qualifications.verify(q, current_user)
        except StaleEdit:
            _changed_meanwhile(q)
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(_("Verified."), "success")
    return redirect(url_for(".qualifications_review"))


@bp.post("/qualifications/<int:qid>/return")
@coordinator_required
@record_member(member_of(Qualification, "qid"))
def qualification_return(qid: int):
    q = _qualification_or_404(qid)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for returning it."), "error")
        return redirect(url_for(".qualifications_review"))
    try:
        claim_version(q, form.version.data)
        qualifications.return_to_person(q, form.reason.data, current_user)
    except StaleEdit:
        _changed_meanwhile(q)
    except DomainError as exc:
        refused(exc)
    else:
        db.session.commit()
        flash(_("Returned; the person was told by mail."), "success")
    return redirect(url_for(".qualifications_review"))


def _changed_meanwhile(q: Qualification) -> None:
    """A review of a record that changed since the list was opened: nothing is done."""
    name = q.employee.name
    db.session.rollback()
    flash(
        _(
            "%(name)s's record changed after you opened this list; nothing was done. "
            "Check it again below.",
            name=name,
        ),
        "error",
    )


@bp.get("/qualifications/summary")
@coordinator_required
def qualifications_summary():
    """Verified holders per exam and per level: own municipality, or every member side by side."""
    if is_regional_admin(current_user):
        with all_tenants(db.session):
            members = db.session.scalars(Municipality.ordered()).all()
            holders = qualifications.holders_by_member(db.session, [m.id for m in members])
            counts = [(m, holders[m.id]) for m in members]
    else:
        m = current_municipality()
        counts = [(m, qualifications.holders_by_exam(db.session, m.id))]
    levels = sorted({e.level for e in exams()})
    return render_template(
        "growth/qualifications_summary.html", counts=counts, exams=exams(), levels=levels
    )


@bp.route("/qualifications/personas", methods=["GET", "POST"])
@admin_required
def qualification_personas():
    """Regional administrators say which verified passes count towards which persona."""
    form = ActionForm()
    status = 200
    if form.validate_on_submit():
        wanted = {p: set(request.form.getlist(p)) for p in qualifications.PERSONAS}
        try:
            qualifications.set_persona_rules(
                wanted, current_user, seen=request.form.get("seen") or None
            )
        except DomainError as exc:
            refused(exc)  # the rules as saved now are shown below
            status = exc.status
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".qualification_personas"))
    current = qualifications.persona_rules(db.session)
    return render_template(
        "growth/qualification_personas.html",
        form=form,
        exams=exams(),
        personas=[(p, qualifications.PERSONA_LABELS[p]) for p in qualifications.PERSONAS],
        current=current,
        seen=qualifications.rules_digest(current),
    ), status
