"""Pages: my certificates (PDF downloads), and the public check of a verification code."""

from __future__ import annotations

from contextlib import nullcontext

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from regional.extensions import db
from regional.growth import bp, certificates
from regional.growth.common import as_myself
from regional.growth.downloads import attachment
from regional.growth.models import Certificate
from regional.registrations.access import load_registration
from regional.registrations.models import Completion
from tenants.scoping import acting_as


@bp.get("/certificates")
@login_required
def certificates_mine():
    """My completed registrations, each with its certificate to download."""
    as_myself()
    rows = db.session.scalars(
        Completion.of_employee(current_user.id).where(Completion.registration_id.is_not(None))
    ).all()
    codes = dict(
        db.session.execute(
            select(Certificate.registration_id, Certificate.code).where(
                Certificate.employee_id == current_user.id
            )
        ).all()
    )
    return render_template(
        "growth/certificates_mine.html",
        rows=rows,
        codes=codes,
        display_code=certificates.display_code,
    )


@bp.get("/certificates/<int:reg_id>.pdf")
@login_required
def certificate_pdf(reg_id: int):
    """The certificate of one completed registration (person, their coordinator, administrators)."""
    reg = load_registration(reg_id) if 0 < reg_id < 2**31 else None
    # Inside the registration's municipality (an administrator's may be another's), for this step.
    scope = acting_as(db.session, reg.municipality_id) if reg is not None else nullcontext()
    with scope:
        completion = certificates.completion_of(reg) if reg is not None else None
        if completion is None:
            abort(404)
        cert = certificates.certificate_for(reg, completion, current_user)
        try:
            data = certificates.pdf_of(cert)
        except certificates.FontMissing:
            abort(503)
        name = certificates.download_name(cert)
        db.session.commit()
    return attachment(data, "application/pdf", name)


@bp.get("/verify")
@bp.get("/verify/<code>")
def verify_certificate(code: str | None = None):
    """Anyone, signed in or not: is this code a valid certificate? (Shows only what it states.)"""
    code = code or request.args.get("code") or None
    if code is None:
        return render_template("growth/verify.html", code=None, found=None)
    try:
        found = certificates.check_code(code, request.remote_addr)
    except certificates.Throttled as exc:
        page = render_template("growth/verify.html", code=None, found=None, wait=exc.retry_after)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    db.session.commit()  # keeps the failure count
    page = render_template("growth/verify.html", code=code[:64], found=found)
    return page, 200 if found else 404
