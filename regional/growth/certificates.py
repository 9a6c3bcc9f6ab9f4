"""Completion certificates: issued once per completed registration, checked by anyone by code.

The public check reads across every municipality (the visitor has none), so it
lifts the tenant wall deliberately and answers only what the certificate
states. Unknown, malformed and revoked codes look alike (None), and failed
look-ups are throttled per client address so codes cannot be enumerated.
"""

from __future__ import annotations

import base64
import re
import secrets
import tomllib
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from regional.audit import record_audit
from regional.auth import throttle
from regional.extensions import db
from regional.fiscal import local_date, now_utc
from regional.growth.models import Certificate
from regional.growth.pdf import CertificateText, FontMissing, display_code, render
from regional.people.models import User
from regional.registrations.models import Completion, Registration
from tenants import all_tenants
from tenants.models import Municipality

CODE_LENGTH = 16
__all__ = ["FontMissing", "display_code"]  # re-exported for the views
_CODE = re.compile(r"^[A-Z2-7]{16}$")


def new_code() -> str:
    """16 base32 characters from ``secrets`` (80 bits): unguessable and easy to type."""
    return base64.b32encode(secrets.token_bytes(10)).decode()[:CODE_LENGTH]


def normalize_code(text: str | None) -> str | None:
    """What a person typed (spaces, dashes, lower case) as a stored code, or None if it cannot be one."""
    if not text or len(text) > 64:
        return None
    code = re.sub(r"[\s\-]", "", text).upper()
    return code if _CODE.match(code) else None


def completion_of(reg: Registration) -> Completion | None:
    return db.session.scalar(select(Completion).where(Completion.registration_id == reg.id))


def _region_names() -> tuple[str, str]:
    with open(current_app.config["REGION_FILE"], "rb") as fh:
        region = tomllib.load(fh).get("region", {})
    return region.get("name_ja", ""), region.get("name_en", "")


def _issuer(reg: Registration) -> tuple[str, str]:
    """The host municipality of the session, or the regional alliance for shared sessions."""
    host = reg.session.host_municipality_id
    if host is not None:
        with all_tenants(db.session):
            m = db.session.get(Municipality, host)
        return m.name_ja, m.name_en
    return _region_names()


def certificate_for(reg: Registration, completion: Completion, actor: User | None) -> Certificate:
    """The registration's certificate, issued now if it has none (audited once)."""
    cert = db.session.scalar(select(Certificate).where(Certificate.registration_id == reg.id))
    if cert is not None:
        return cert
    issuer_ja, issuer_en = _issuer(reg)
    cert = Certificate(
        municipality_id=reg.municipality_id,
        code=new_code(),
        registration_id=reg.id,
        employee_id=reg.employee_id,
        name=reg.employee.name,
        program_code=completion.program_code,
        program_title_ja=completion.title_ja,
        program_title_en=completion.title_en,
        hours=completion.hours,
        completed_on=completion.completed_on,
        issuer_ja=issuer_ja,
        issuer_en=issuer_en,
        issued_by_id=getattr(actor, "id", None),
    )
    db.session.add(cert)
    db.session.flush()
    record_audit(
        "certificate.issue",
        subject_type="certificate",
        subject_id=cert.id,
        subject_label=f"{cert.name}: {cert.program_code}",
        detail={"registration_id": reg.id, "completed_on": cert.completed_on},
        actor=actor,
    )
    return cert


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/growth/verify/{code}"


def pdf_of(cert: Certificate) -> bytes:
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


def download_name(cert: Certificate) -> str:
    return f"certificate-{cert.program_code}-{cert.completed_on:%Y%m%d}.pdf"


# -- the public check ---------------------------------------------------------------


@dataclass(frozen=True)
class PublicCertificate:
    """Everything the public may learn: what the certificate itself states."""

    name: str
    program_title: str
    program_title_en: str
    completed_on: date
    issuer: str
    issuer_en: str

    def as_json(self) -> dict:
        return {
            "valid": True,
            "name": self.name,
            "program_title": self.program_title,
            "completed_on": self.completed_on.isoformat(),
            "issuer": self.issuer,
        }


def lookup_key(address: str | None) -> str:
    return f"cert:{(address or 'unknown')[:70]}"


class Throttled(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def check_code(text: str | None, address: str | None) -> PublicCertificate | None:
    """The valid certificate named by ``text``, None otherwise; raises Throttled when blocked."""
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
        if cert is None or cert.revoked_at is not None:
            return None
        standing = db.session.scalar(
            select(Completion.id).where(
                Completion.registration_id == cert.registration_id,
                Completion.municipality_id == cert.municipality_id,
            )
        )
        if standing is None:
            return None
        return PublicCertificate(
            name=cert.name,
            program_title=cert.program_title_ja,
            program_title_en=cert.program_title_en,
            completed_on=cert.completed_on,
            issuer=cert.issuer_ja,
            issuer_en=cert.issuer_en,
        )


def revoke(cert: Certificate, actor: User) -> None:
    """Withdraw a certificate: its code answers 404 from now on."""
    if cert.revoked_at is None:
        cert.revoked_at = now_utc()
        record_audit(
            "certificate.revoke",
            subject_type="certificate",
            subject_id=cert.id,
            subject_label=f"{cert.name}: {cert.program_code}",
            actor=actor,
        )
