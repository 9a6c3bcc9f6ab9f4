"""API: completion certificates (see docs/api.md).

* ``GET /registrations/<id>/certificate``: the PDF for the person, their
  coordinator or a regional administrator; 404 for anyone else, for another
  municipality's registration, for a registration not completed (or whose
  completion was not certified: its programme revision was certified before) and
  for a revoked certificate. Reads only: the certificate was issued with the
  completion.
* ``GET /certificates/<code>``: anyone, no sign-in: ``{valid, name,
  program_title, completed_on, issuer}`` and nothing more; a revoked certificate
  answers 200 with ``valid: false, revoked: true, revoked_on``; 404 for an
  unknown or malformed code; 429 once an address has failed too often.
* ``POST /certificates/<code>/revoke`` with ``{"reason"}``: the person's
  coordinator or a regional administrator (employees 403; another member's
  certificate 404); 422 ``reason_required`` without a reason, 409
  ``already_revoked``; audited.
"""

from __future__ import annotations

from contextlib import nullcontext

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import field, json_body, require_login, require_role
from regional.errors import NotFound
from regional.extensions import db
from regional.fiscal import local_date
from regional.growth import certificates
from regional.growth.downloads import attachment
from regional.growth.pdf import FontMissing
from regional.main.errors import json_error
from regional.registrations.access import load_registration
from regional.roles import is_coordinator
from regional.tenancy import record_member
from tenants.scoping import acting_as


@bp.get("/registrations/<int:reg_id>/certificate")
@require_login
def registration_certificate(reg_id: int):
    reg = load_registration(reg_id) if 0 < reg_id < 2**31 else None
    # Inside the registration's municipality (an administrator's may be another's), for this step.
    scope = acting_as(db.session, reg.municipality_id) if reg is not None else nullcontext()
    with scope:
        cert = certificates.of_registration(reg) if reg is not None else None
        if cert is None:
            raise NotFound(
                "certificate_not_found",
                _("No certificate: the registration was not found or not completed."),
            )
        if not cert.is_valid:
            raise NotFound("certificate_revoked", _("This certificate has been revoked."))
        try:
            data = certificates.pdf_of(cert)
        except FontMissing as exc:
            raise certificates.unavailable(exc) from exc
        name = certificates.download_name(cert)
    return attachment(data, "application/pdf", name)


@bp.get("/certificates/<code>")
def check_certificate(code: str):
    try:
        found = certificates.check_code(code, request.remote_addr)
    except certificates.Throttled as exc:
        resp = json_error(
            429, "throttled", _("Too many checks. Please wait %(n)d seconds.", n=exc.retry_after)
        )
        resp.headers["Retry-After"] = str(exc.retry_after)
        return resp
    db.session.commit()  # keeps the failure count
    if found is None:
        raise NotFound("certificate_not_found", _("No certificate has this code."))
    return found.as_json()


@bp.post("/certificates/<code>/revoke")
@require_role(is_coordinator)
@record_member(certificates.municipality_of_code)
def revoke_certificate(code: str):
    cert = certificates.by_code(code, current_user)
    if cert is None:
        raise NotFound("certificate_not_found", _("No certificate has this code."))
    data = json_body()
    reason = field(data, "reason", str, required=False, multiline=True)
    certificates.revoke(cert, current_user, reason)
    body = {
        "code": cert.code,
        "valid": False,
        "revoked": True,
        "revoked_on": local_date(cert.revoked_at).isoformat(),
        "reason": cert.revoke_reason,
    }
    db.session.commit()
    return body
