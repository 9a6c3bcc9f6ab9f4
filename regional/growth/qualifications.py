"""Qualifications: record a pass, verify or return it, count holders, persona rules.

Every action writes an audit entry in the same transaction; views commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regional.audit import audited, record_audit
from regional.errors import Conflict
from regional.extensions import db
from regional.growth import files, review, rules
from regional.growth.exams import OTHER, exam_by_code, exam_codes, exams
from regional.growth.models import Qualification, QualificationPersona, QualificationStatus
from regional.people.models import User
from regional.validation import typed_code
from regional.versions import digest, take_turns

QS = QualificationStatus
#: Persona keys a qualification may count towards (the targets' cumulative measures).
PERSONAS = ("advanced", "core_digital", "core_pm")
PERSONA_LABELS = {
    "advanced": _l("Advanced digital staff"),
    "core_digital": _l("Core staff: digital technology"),
    "core_pm": _l("Core staff: project management"),
}


@dataclass(frozen=True)
class PassData:
    exam: str
    passed_on: object
    certificate_number: object
    name: object = None


def _clean(data: PassData) -> tuple[str, str | None, object, str]:
    exam = data.exam if isinstance(data.exam, str) else ""
    exam = exam.strip()
    if exam != OTHER:
        exam = exam.upper()
    if exam not in exam_codes():
        raise rules.InvalidInput(
            "invalid_exam",
            _l("Unknown exam: give an IPA exam code (such as FE) or other with a name."),
            field="exam",
        )
    name = rules.text(data.name, "name", max_len=200, required=exam == OTHER) or None
    if exam != OTHER:
        name = None
    passed_on = rules.day(data.passed_on, "passed_on")
    # As a person types it (full-width digits and letters): read and kept as ASCII.
    raw = data.certificate_number
    raw = typed_code(raw) if isinstance(raw, str) else raw
    number = rules.text(raw, "certificate_number", max_len=50)
    return exam, name, passed_on, number


def _snapshot(q: Qualification) -> dict:
    return {
        "exam": q.exam_code,
        "name": q.other_name,
        "passed_on": q.passed_on,
        "certificate_number": q.certificate_number,
        "status": q.status.value,
    }


def _label(q: Qualification) -> str:
    return q.employee.name


#: The coordinator's review of a recorded pass (regional.growth.review).
REVIEW = review.Review(
    kind="qualification",
    own_message=_l("Someone else must check your own qualification."),
    snapshot=_snapshot,
    label=_label,
    accept_action="qualification.verify",
    accepted=QS.VERIFIED,
    reviewer_field="checked_by_id",
    reviewed_at_field="checked_at",
    return_action="qualification.return",
    returned=QS.RETURNED,
    reason_field="return_reason",
    return_mail="qualification_returned",
    mail_context=lambda q: {"qualification": q, "exam": exam_by_code(q.exam_code)},
)


def record_pass(employee: User, data: PassData, actor: User) -> Qualification:
    """The person (or, on their behalf, their coordinator) records a pass: unverified."""
    exam, name, passed_on, number = _clean(data)
    q = Qualification(
        municipality_id=employee.municipality_id,
        employee_id=employee.id,
        exam_code=exam,
        other_name=name,
        passed_on=passed_on,
        certificate_number=number,
        status=QS.UNVERIFIED,
        recorded_by_id=actor.id,
    )
    with audited(
        "qualification.record",
        target=q,
        snapshot=_snapshot,
        creating=True,
        subject_type="qualification",
        subject_label=f"{employee.name}: {q.exam_code} {q.other_name or ''}".strip(),
        actor=actor,
    ):
        db.session.add(q)
        db.session.flush()
    return q


def attach_scan(q: Qualification, data: bytes, filename: str | None) -> None:
    """Keep a scan of the certificate (PDF, PNG or JPEG, checked by content).

    A scan it replaces is deleted only once the change commits: a commit that fails
    keeps the old scan, and the new file is then removed (regional.growth.files)."""
    kind = files.sniff(data, files.SCAN_KINDS)
    old = q.scan_name
    q.scan_name = files.store(data)
    q.scan_kind = kind.key
    q.scan_filename = files.clean_filename(filename, kind)
    files.remove_after_commit(old)


def resubmit(q: Qualification, data: PassData, actor: User) -> Qualification:
    """The person corrects a returned (or still unverified) record; it waits for checking again."""
    if q.status == QS.VERIFIED:
        raise Conflict("already_verified", _l("A verified qualification cannot be changed."))
    with audited(
        "qualification.resubmit",
        target=q,
        snapshot=_snapshot,
        changed_only=False,
        always=True,
        subject_type="qualification",
        subject_label=_label,
        actor=actor,
    ):
        q.exam_code, q.other_name, q.passed_on, q.certificate_number = _clean(data)
        q.status, q.return_reason = QS.UNVERIFIED, None
    return q


def verify(q: Qualification, actor: User) -> Qualification:
    """The coordinator saw the certificate: the pass counts from now on."""
    return review.accept(REVIEW, q, actor)


def return_to_person(q: Qualification, reason: object, actor: User) -> Qualification:
    """Send the record back with a reason; the person is told by mail."""
    return review.send_back(REVIEW, q, reason, actor)


# -- counting -----------------------------------------------------------------


@dataclass(frozen=True)
class ExamHolders:
    code: str
    level: int
    name_ja: str
    name_en: str
    holders: int  # distinct people with a verified pass

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_ja


@dataclass(frozen=True)
class HolderCounts:
    """Verified holders of one municipality: per exam, per level, and of other certificates."""

    municipality_id: int
    by_exam: list[ExamHolders]
    by_level: dict[int, int]  # level -> distinct people holding an exam of that level
    other: int
    unverified: int


def holders_by_exam(session: Session, municipality_id: int) -> HolderCounts:
    """Distinct people with a verified pass, per IPA exam and per level (two SQL statements).

    Reads only the given municipality's rows, whatever the session's tenant.
    """
    return holders_by_member(session, [municipality_id])[municipality_id]


def holders_by_member(session: Session, municipality_ids: list[int]) -> dict[int, HolderCounts]:
    """``holders_by_exam`` for several members in the same two statements (the regional
    dashboard: a fixed number of statements, whatever the number of members)."""
    q = Qualification
    ids = list(municipality_ids)
    rows = session.execute(
        select(q.municipality_id, q.exam_code, q.employee_id)
        .where(q.municipality_id.in_(ids), q.status == QS.VERIFIED)
        .distinct()
        .execution_options(all_tenants=True)
    ).all()
    unverified = dict(
        session.execute(
            select(q.municipality_id, func.count())
            .where(q.municipality_id.in_(ids), q.status == QS.UNVERIFIED)
            .group_by(q.municipality_id)
            .execution_options(all_tenants=True)
        ).all()
    )
    people: dict[int, dict[str, set[int]]] = {m: {} for m in ids}
    for mid, code, employee_id in rows:
        people[mid].setdefault(code, set()).add(employee_id)
    listed = exams()
    out = {}
    for mid in ids:
        mine = people[mid]
        by_level: dict[int, set[int]] = {}
        for e in listed:
            by_level.setdefault(e.level, set()).update(mine.get(e.code, ()))
        out[mid] = HolderCounts(
            municipality_id=mid,
            by_exam=[
                ExamHolders(e.code, e.level, e.name_ja, e.name_en, len(mine.get(e.code, ())))
                for e in listed
            ],
            by_level={level: len(ids_) for level, ids_ in sorted(by_level.items())},
            other=len(mine.get(OTHER, ())),
            unverified=unverified.get(mid, 0) or 0,
        )
    return out


# -- persona rules ----------------------------------------------------------------


def persona_rules(session: Session) -> dict[str, set[str]]:
    """persona key -> exam codes whose verified pass counts towards it (regional data)."""
    rules_: dict[str, set[str]] = {}
    for row in session.scalars(select(QualificationPersona)):
        rules_.setdefault(row.persona, set()).add(row.exam_code)
    return rules_


def qualified_personas(session: Session, employee_id: int) -> set[str]:
    """Personas one person reaches through verified qualifications (the current tenant's rows)."""
    mapping = persona_rules(session)
    if not mapping:
        return set()
    held = set(
        session.scalars(
            select(Qualification.exam_code).where(
                Qualification.employee_id == employee_id,
                Qualification.status == QS.VERIFIED,
            )
        )
    )
    return {persona for persona, codes in mapping.items() if codes & held}


def qualified_people(persona: str):
    """A select of (municipality_id, employee_id) whose verified pass counts towards ``persona``.

    Tenant-scoped like any ORM select; use inside ``all_tenants`` for the region.
    """
    codes = select(QualificationPersona.exam_code).where(QualificationPersona.persona == persona)
    return (
        select(Qualification.municipality_id, Qualification.employee_id)
        .where(Qualification.status == QS.VERIFIED, Qualification.exam_code.in_(codes))
        .distinct()
    )


def rules_digest(rules_: dict[str, set[str]]) -> str:
    """The rule set's fingerprint, carried by the form that shows it."""
    return digest({p: sorted(codes) for p, codes in rules_.items() if codes})


def set_persona_rules(
    mapping: dict[str, set[str]], actor: User, *, seen: str | None = None
) -> None:
    """Replace the whole rule set (regional administrators); every change is audited.

    ``seen``: the fingerprint of the rules the form showed; if they changed since, nothing
    is saved (409 ``edit_conflict``). Two saves take turns, so neither inserts a rule the
    other just added nor deletes one twice.
    """
    take_turns("qualification_personas")
    current = persona_rules(db.session)
    if seen is not None and seen != rules_digest(current):
        raise Conflict(
            "edit_conflict",
            _l(
                "Someone else changed these rules after you opened the page; nothing was "
                "saved. The rules as saved now are shown: check them and save again."
            ),
        )
    for persona in PERSONAS:
        wanted = {c for c in mapping.get(persona, set()) if exam_by_code(c)}
        have = current.get(persona, set())
        for code in sorted(wanted - have):
            db.session.add(
                QualificationPersona(exam_code=code, persona=persona, set_by_id=actor.id)
            )
        for code in sorted(have - wanted):
            row = db.session.scalar(
                select(QualificationPersona).where(
                    QualificationPersona.exam_code == code, QualificationPersona.persona == persona
                )
            )
            if row is not None:
                db.session.delete(row)
        if wanted != have:
            record_audit(
                "qualification.persona_rule",
                subject_type="persona",
                subject_id=persona,
                subject_label=persona,
                before={"exams": sorted(have)},
                after={"exams": sorted(wanted)},
                actor=actor,
                municipality_id=actor.municipality_id,
            )
