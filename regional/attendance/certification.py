"""Completion certificates as records: issued with the completion, withdrawn with it.

Whatever records a completion (attendance, an e-learning import) calls
:func:`issue_certificates` in the same transaction, so a completion has its
certificate from the moment it exists and a download only reads. One certificate
per person and programme revision: a second completion of the same revision is
recorded but not certified again (the partial unique index
``uq_certificates_person_revision`` is the last word; a concurrent issue that
lost the race is skipped, never a 500).

When a completion is withdrawn (attendance corrected to absent) its certificate is
revoked with the cause ``attendance_withdrawn`` and kept: its code verifies as
revoked rather than disappearing, and the revision is free again, so a later
completion gets a new certificate with a new code. A certificate revoked by hand
keeps its revision: it is never re-issued automatically.
"""

from __future__ import annotations

import base64
import secrets
import tomllib
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from regional.attendance.models import Certificate, CertificateOrigin, Completion, RevokeCause
from regional.audit import record_audit_across
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from regional.sessions.models import TrainingSession
from tenants import all_tenants
from tenants.models import Municipality

CODE_LENGTH = 16


def new_code() -> str:
    """16 base32 characters from ``secrets`` (80 bits): unguessable and easy to type."""
    return base64.b32encode(secrets.token_bytes(10)).decode()[:CODE_LENGTH]


def region_names() -> tuple[str, str]:
    """The regional alliance's names (Japanese, English), from the region file."""
    with open(current_app.config["REGION_FILE"], "rb") as fh:
        region = tomllib.load(fh).get("region", {})
    return region.get("name_ja", ""), region.get("name_en", "")


def _issuers(completions: list[Completion]) -> dict[int, tuple[str, str]]:
    """Completion id -> the issuing body: the session's host municipality, else the alliance."""
    session_ids = {c.session_id for c in completions if c.session_id is not None}
    hosts: dict[int, int | None] = {}
    if session_ids:
        hosts = dict(
            db.session.execute(
                select(TrainingSession.id, TrainingSession.host_municipality_id).where(
                    TrainingSession.id.in_(session_ids)
                )
            ).all()
        )
    names: dict[int, tuple[str, str]] = {}
    host_ids = {h for h in hosts.values() if h is not None}
    if host_ids:
        with all_tenants(db.session):  # the host's name only, never its rows
            names = {
                m.id: (m.name_ja, m.name_en)
                for m in db.session.scalars(
                    select(Municipality).where(Municipality.id.in_(host_ids))
                )
            }
    region = region_names() if any(hosts.get(c.session_id) is None for c in completions) else None
    return {
        c.id: names[hosts[c.session_id]] if hosts.get(c.session_id) in names else region
        for c in completions
    }


def _key(c: Completion | Certificate) -> tuple[int, int, int, int]:
    return (c.municipality_id, c.employee_id, c.program_id, c.program_revision)


def issue_certificates(completions: Iterable[Completion], actor: User) -> list[Certificate]:
    """Certify new (flushed) completions, at most one certificate per person and revision.

    Call in the transaction that records them, in the scope that wrote them. The
    earliest completion of a revision in the batch is certified; a revision that
    already holds a certificate (valid, or revoked by hand) gets none. Audited once
    per municipality. Returns the certificates issued.
    """
    done = sorted(completions, key=lambda c: (c.completed_on, c.id))
    if not done:
        return []
    held = {
        _key(cert)
        for cert in db.session.scalars(
            select(Certificate).where(
                Certificate.holds_revision.is_(True),
                tuple_(
                    Certificate.municipality_id,
                    Certificate.employee_id,
                    Certificate.program_id,
                    Certificate.program_revision,
                ).in_(list({_key(c) for c in done})),
            )
        )
    }
    todo = []
    for c in done:
        if _key(c) not in held:
            held.add(_key(c))
            todo.append(c)
    if not todo:
        return []
    names = dict(
        db.session.execute(
            select(User.id, User.name).where(User.id.in_({c.employee_id for c in todo}))
        ).all()
    )
    issuers = _issuers(todo)
    made = [_certificate(c, names[c.employee_id], issuers[c.id], actor) for c in todo]
    try:
        with db.session.begin_nested():
            db.session.add_all(made)
    except IntegrityError:
        # Another transaction certified one of these revisions meanwhile: one by one.
        made = [
            cert
            for c in todo
            if (cert := _issue_one(c, names[c.employee_id], issuers[c.id], actor)) is not None
        ]
    _audit_issue(made, actor)
    return made


def _certificate(c: Completion, name: str, issuer: tuple[str, str], actor: User) -> Certificate:
    return Certificate(
        municipality_id=c.municipality_id,
        code=new_code(),
        completion_id=c.id,
        registration_id=c.registration_id,
        employee_id=c.employee_id,
        program_id=c.program_id,
        program_revision=c.program_revision,
        holds_revision=True,
        name=name,
        program_code=c.program_code,
        program_title_ja=c.title_ja,
        program_title_en=c.title_en,
        hours=c.hours,
        completed_on=c.completed_on,
        issuer_ja=issuer[0],
        issuer_en=issuer[1],
        issued_by_id=actor.id,
        origin=CertificateOrigin.COMPLETION,
    )


def _issue_one(
    c: Completion, name: str, issuer: tuple[str, str], actor: User
) -> Certificate | None:
    cert = _certificate(c, name, issuer, actor)
    try:
        with db.session.begin_nested():
            db.session.add(cert)
    except IntegrityError:
        return None  # its revision is certified already
    return cert


def _audit_issue(made: list[Certificate], actor: User) -> None:
    by_member: dict[int, list[Certificate]] = {}
    for cert in made:
        by_member.setdefault(cert.municipality_id, []).append(cert)
    for municipality_id, certs in by_member.items():
        one = certs[0] if len(certs) == 1 else None
        record_audit_across(
            "certificate.issue",
            municipality_id=municipality_id,
            subject_type="certificate",
            subject_id=one.id if one else None,
            subject_label=f"{one.name}: {one.program_code}" if one else str(len(certs)),
            detail={
                "count": len(certs),
                "certificates": [
                    {
                        "id": cert.id,
                        "employee_id": cert.employee_id,
                        "program": cert.program_code,
                        "completion_id": cert.completion_id,
                        "completed_on": cert.completed_on,
                    }
                    for cert in certs[:500]
                ],
            },
            actor=actor,
        )


def withdraw_certificates(completions: Iterable[Completion], actor: User) -> list[Certificate]:
    """Before deleting completions: revoke their certificates (kept as records) and detach them.

    A certificate already revoked by hand is only detached and keeps its revision.
    Flushes, so that the completions can then be deleted.
    """
    ids = [c.id for c in completions]
    if not ids:
        return []
    certs = list(db.session.scalars(select(Certificate).where(Certificate.completion_id.in_(ids))))
    now = now_utc()
    for cert in certs:
        cert.completion_id = None
        if cert.revoked_at is not None:
            continue  # revoked by hand before: stays so, and keeps its revision
        cert.revoked_at, cert.revoked_by_id = now, actor.id
        cert.revoke_cause = RevokeCause.ATTENDANCE_WITHDRAWN
        cert.holds_revision = False
        record_audit_across(
            "certificate.revoke",
            municipality_id=cert.municipality_id,
            subject_type="certificate",
            subject_id=cert.id,
            subject_label=f"{cert.name}: {cert.program_code}",
            before={"valid": True},
            after={"valid": False, "cause": cert.revoke_cause.value},
            detail={"completed_on": cert.completed_on},
            actor=actor,
        )
    db.session.flush()
    return certs
