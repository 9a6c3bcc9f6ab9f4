"""Pages: my certificates (PDF downloads), revoking one, and the public check of a code.

A download only reads: the certificate was issued with its completion.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.attendance.models import Certificate
from regional.errors import DomainError
from regional.extensions import db
from regional.growth import bp, certificates
from regional.growth.access import load_personal
from regional.growth.common import my_training_tab, refused
from regional.growth.downloads import attachment
from regional.growth.forms import RevokeForm
from regional.roles import coordinator_required
from regional.tenancy import member_of, own_records, record_member


@bp.app_template_filter("cert_code")
def cert_code(code: str) -> str:
    """A verification code as printed: ``ABCD-EFGH-JKLM-NPQR``."""
    return certificates.display_code(code)


@bp.get("/certificates")
@login_required
@own_records
def certificates_mine():
    """My certificates are the 修了証 tab of my training now."""
    return redirect(my_training_tab("certificates"))


def _certificate_or_404(cert_id: int) -> Certificate:
    """The person's own, their coordinator's, or (administrators) anyone's; else 404."""
    cert = load_personal(Certificate, cert_id)
    if cert is None:
        abort(404)
    return cert


@bp.get("/certificates/<int:cert_id>/pdf")
@login_required
@record_member(member_of(Certificate, "cert_id"))
def certificate_pdf(cert_id: int):
    """One certificate as PDF (person, their coordinator, administrators); a revoked one is 404."""
    cert = _certificate_or_404(cert_id)
    if not cert.is_valid:
        abort(404)
    try:
        data = certificates.pdf_of(cert)
    except certificates.FontMissing as exc:
        raise certificates.unavailable(exc) from exc
    return attachment(data, "application/pdf", certificates.download_name(cert))


@bp.route("/certificates/<int:cert_id>/revoke", methods=["GET", "POST"])
@coordinator_required
@record_member(member_of(Certificate, "cert_id"))
def certificate_revoke(cert_id: int):
    """GET: what the certificate states and the form; POST: revoke it with the reason."""
    cert = _certificate_or_404(cert_id)
    form = RevokeForm()
    back = url_for("records.person", user_id=cert.employee_id)
    if cert.is_valid and form.validate_on_submit():
        try:
            certificates.revoke(cert, current_user, form.reason.data)
        except DomainError as exc:
            refused(exc)
        else:
            db.session.commit()
            flash(
                _(
                    "The certificate %(code)s was revoked.",
                    code=certificates.display_code(cert.code),
                ),
                "success",
            )
            return redirect(back)
    status = 422 if request.method == "POST" else 200
    if request.method == "POST" and not cert.is_valid:
        flash(_("This certificate has already been revoked."), "error")
        status = 409
    page = render_template(
        "growth/certificate_revoke.html",
        cert=cert,
        form=form,
        back=back,
    )
    return page, status


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
