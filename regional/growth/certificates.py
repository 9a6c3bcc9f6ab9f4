"""Completion certificates: served as PDF, checked by anyone by code, revoked with a reason.

A certificate is issued with its completion (:mod:`regional.attendance.certification`);
here it is only read: a download renders the stored row and writes nothing.

The public check reads across every municipality (the visitor has none), so it
lifts the tenant wall deliberately and answers only what the certificate
states. Unknown and malformed codes look alike (None); a revoked certificate
answers as revoked, with the day. Failed look-ups are throttled per client
address so codes cannot be enumerated.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from regional.attendance.certification import new_code
from regional.attendance.models import Certificate, Completion, RevokeCause
from regional.audit import record_audit
from regional.auth import throttle
from regional.errors import Conflict, DomainError, Forbidden
from regional.extensions import db
from regional.fiscal import local_date, now_utc
from regional.growth.pdf import CertificateText, FontMissing, display_code, render
from regional.people.models import User
from regional.roles import is_coordinator, is_regional_admin
from regional.seats.models import Registration
from regional.validation import typed_code
from tenants import all_tenants
from tenants.scoping import current_tenant_id

__all__ = ["FontMissing", "display_code", "new_code"]  # re-exported for the views and tests
_CODE = re.compile(r"^[A-Z2-7]{16}$")
#: Longest revocation reason kept (the column's size).
REASON_MAX = 500
log = logging.getLogger(__name__)


def normalize_code(text: str | None) -> str | None:
    """What a person typed (spaces, dashes, lower case) as a stored code, or None if it cannot be one."""
    if not text or len(text) > 64:
        return None
    code = typed_code(text).replace("-", "").upper()  # full-width as typed: ASCII
    return code if _CODE.match(code) else None


def of_registration(reg: Registration) -> Certificate | None:
    """The certificate of a registration's completion (valid or revoked), or None.

    None when the registration is not completed, or when its completion was not
    certified (a second completion of a revision already certified).
    """
    return db.session.scalar(
        select(Certificate)
        .join(Completion, Completion.id == Certificate.completion_id)
        .where(Completion.registration_id == reg.id)
    )


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/growth/verify/{code}"


def pdf_of(cert: Certificate) -> bytes:
    """The PDF of a certificate, from what is stored (reads only)."""
    return render(
        CertificateText(
            name=cert.name,
            program_code=cert.program_code,
            program_title_ja=cert.program_title_ja,
            program_title_en=cert.program_title_en,
            hours=cert.hours,
            completed_on=cert.completed_on,
            issued_on=local_date(cert.issued_at),
            issuer_ja=cert.issuer_ja,
            issuer_en=cert.issuer_en,
            code=cert.code,
            verify_url=verify_url(cert.code),
        ),
        current_app.config.get("CERTIFICATE_FONT"),
    )


def unavailable(exc: FontMissing) -> DomainError:
    """No PDF without the font: a 503 that says which font to install (logged for the operator)."""
    log.error("certificates cannot be made: %s", exc)
    return DomainError(
        "certificate_unavailable",
        _l(
            "Certificates cannot be made on this server: the certificate font is not "
            "installed. The administrator installs Debian's fonts-ipamj-mincho (sudo apt-get "
            "install fonts-ipamj-mincho) or sets CERTIFICATE_FONT to a TrueType font that has "
            "the characters of people's names."
        ),
        status=503,
    )


def download_name(cert: Certificate) -> str:
    return f"certificate-{cert.program_code}-{cert.completed_on:%Y%m%d}.pdf"


# -- the public check ---------------------------------------------------------------


@dataclass(frozen=True)
class PublicCertificate:
    """Everything the public may learn: what the certificate itself states, and if revoked, when."""

    name: str
    program_title: str
    program_title_en: str
    completed_on: date
    issuer: str
    issuer_en: str
    #: The day (Japan) it was revoked; None while valid.
    revoked_on: date | None = None

    @property
    def valid(self) -> bool:
        return self.revoked_on is None

    def as_json(self) -> dict:
        body = {
            "valid": self.valid,
            "name": self.name,
            "program_title": self.program_title,
            "completed_on": self.completed_on.isoformat(),
            "issuer": self.issuer,
        }
        if self.revoked_on is not None:
            body.update(revoked=True, revoked_on=self.revoked_on.isoformat())
        return body


def lookup_key(address: str | None) -> str:
    return f"cert:{(address or 'unknown')[:70]}"


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def check_code(text: str | None, address: str | None) -> PublicCertificate | None:
    """The certificate named by ``text`` (valid or revoked), None if unknown; raises Throttled."""
    key = [lookup_key(address)]
    wait = throttle.retry_after(key)
    if wait:
        raise Throttled(wait)
    found = _find(normalize_code(text))
    if found is None:
        throttle.record_failure(key)
    return found


def _find(code: str | None) -> PublicCertificate | None:
    if code is None:
        return None
    with all_tenants(db.session):
        cert = db.session.scalar(select(Certificate).where(Certificate.code == code))
        if cert is None:
            return None
        return PublicCertificate(
            name=cert.name,
            program_title=cert.program_title_ja,
            program_title_en=cert.program_title_en,
            completed_on=cert.completed_on,
            issuer=cert.issuer_ja,
            issuer_en=cert.issuer_en,
            revoked_on=None if cert.revoked_at is None else local_date(cert.revoked_at),
        )


# -- revoking -----------------------------------------------------------------------------


def municipality_of_code(view_args: dict) -> int | None:
    """The municipality of the certificate a view's ``code`` names (regional.tenancy's
    record_member finder; read with the wall lifted)."""
    code = normalize_code(view_args.get("code"))
    if code is None:
        return None
    return db.session.scalar(select(Certificate.municipality_id).where(Certificate.code == code))


def by_code(text: str | None, actor: User) -> Certificate | None:
    """The certificate named by a code if ``actor`` may act on it, else None (then a 404).

    A coordinator reaches their own municipality's; a regional administrator any
    (the unit of work then acts inside the certificate's municipality).
    """
    code = normalize_code(text)
    if code is None:
        return None
    stmt = select(Certificate).where(Certificate.code == code)
    if is_regional_admin(actor):
        # The view's record_member mark (municipality_of_code) put the request inside the
        # certificate's municipality; one of any other member is not found.
        cert = db.session.scalar(stmt)
        here = current_tenant_id(db.session)
        return cert if cert is not None and cert.municipality_id == here else None
    if not is_coordinator(actor):
        return None
    cert = db.session.scalar(stmt)
    return cert if cert is not None and cert.municipality_id == actor.municipality_id else None


def clean_reason(text: object) -> str:
    """The reason as kept, or DomainError ``reason_required`` when there is none."""
    reason = text.strip() if isinstance(text, str) else ""
    if not reason:
        raise DomainError("reason_required", _l("Give the reason for revoking the certificate."))
    if len(reason) > REASON_MAX:
        raise DomainError(
            "reason_too_long",
            _l("The reason must be at most %(n)d characters.", n=REASON_MAX),
        )
    return reason


def revoke(cert: Certificate, actor: User, reason: str) -> Certificate:
    """Revoke a certificate with a reason (audited); its code then verifies as revoked.

    Coordinators revoke their own municipality's certificates, regional administrators
    any. A revoked certificate keeps its programme revision: none is issued again
    automatically. 409 if it is revoked already.
    """
    if not (
        is_regional_admin(actor)
        or (is_coordinator(actor) and actor.municipality_id == cert.municipality_id)
    ):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    reason = clean_reason(reason)
    if cert.revoked_at is not None:
        raise Conflict("already_revoked", _l("This certificate has already been revoked."))
    cert.revoked_at, cert.revoked_by_id = now_utc(), actor.id
    cert.revoke_cause, cert.revoke_reason = RevokeCause.REVOKED, reason
    db.session.flush()
    record_audit(
        "certificate.revoke",
        subject_type="certificate",
        subject_id=cert.id,
        subject_label=f"{cert.name}: {cert.program_code}",
        before={"valid": True},
        after={"valid": False, "cause": RevokeCause.REVOKED.value},
        detail={"reason": reason, "completed_on": cert.completed_on},
        actor=actor,
        municipality_id=cert.municipality_id,
    )
    db.session.flush()  # inside the certificate's municipality, whatever the caller does next
    return cert
