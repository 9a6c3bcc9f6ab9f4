"""A populated database at head: rows in every table, as today's code writes them.

For the tests that move a whole database (migrations stepped down and back up,
backup and restore). Built on the tests' world (tests/factories.py) through the
services where they exist, so each row has the shape the platform gives it: a session
attended (completion, certificate, progress tallies, the deferred notice still
queued), a registration waiting, reserved seats, a target, an interest, a
qualification with its scan and a learning material with its file (both stored in
GROWTH_FILES_DIR), on-the-job training, a year closed, a unit renamed, an upload
awaiting import, a member's own 職種 name, a sign-in failure, mail sent, failed and waiting,
and a synonym group an administrator added.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from hashlib import sha256

from sqlalchemy import select

from regional import attendance
from regional.attendance.models import Certificate
from regional.audit import record_audit
from regional.auth.models import LoginThrottle
from regional.catalogue.models import SynonymGroup
from regional.extensions import db
from regional.fiscal import now_utc
from regional.growth import files
from regional.growth.models import (
    Material,
    MaterialKind,
    OjtRecord,
    OjtStatus,
    Qualification,
    QualificationPersona,
    QualificationStatus,
)
from regional.heads import services as heads
from regional.mail.models import MailSignature, OutboundMail
from regional.notices import services as notices
from regional.people.job_categories import JobCategoryWord
from regional.people.models import JobCategory, User
from regional.people.uploads import RosterUpload
from regional.registrations.models import ProgramInterest
from regional.reports import services as reports
from regional.seats import set_allocation
from regional.sessions.models import TrainingSession
from regional.surveys import followups
from regional.surveys import services as surveys
from regional.surveys.models import Questionnaire, SurveyAssignment, SurveyFollowup
from regional.targets.models import YearClose
from tenants.models import Municipality, OrgUnit, OrgUnitEvent, OrgUnitEventKind
from tenants.scoping import acting_as, all_tenants
from tests import factories, fixtures_files
from tests.factories import add_mail
from tests.fixtures_growth import completed_registration, open_registration
from tests.fixtures_registrations import person, register
from tests.fixtures_targets import target

#: Tables that may stay empty in a populated database, with why.
MAY_BE_EMPTY: dict[str, str] = {}


def populate(world) -> dict[str, object]:
    """Add the rows (in the current transaction; the caller commits). Returns what a
    later check needs: the certificate's code, the material's and the scan's ids."""
    a, b = world.muni_a, world.muni_b
    # The member's mail signature, and a coordinator who turned the digest off.
    with acting_as(db.session, a):
        db.session.add(MailSignature(section="総務部 人事課", phone="0868-32-2000"))
        db.session.get(User, world.coordinator_a).mail_digest = False
        db.session.flush()
    reg_id = completed_registration(world, world.employee_a)
    open_registration(world, world.employee_b)
    # A hosted session for a chosen audience, and seats reserved for a member.
    ts = factories.make_session(starts_in=timedelta(days=30), open_to_all=False)
    ts.audience = [db.session.get(Municipality, b)]
    db.session.flush()
    shared = factories.make_session(capacity=20, starts_in=timedelta(days=20))
    set_allocation(shared.id, b, 2, now_utc() + timedelta(days=10))
    target(a, "security", 10)
    # A head of unit, the member's setting on, and an application awaiting its head.
    with acting_as(db.session, a):
        coordinator = person(world.coordinator_a)
        unit = db.session.scalar(select(OrgUnit).order_by(OrgUnit.id))
        applicant = factories.make_user(a, org_unit_id=unit.id, name="申込 所属長待ち")
        applicant.job_title = "主事"  # 役職, as a roster file gives it
        heads.set_head(unit, world.coordinator_a, None, coordinator)
        heads.set_head_approval(True, coordinator)
    register(shared.id, applicant.id)
    # An annual measure's completion (information security, this fiscal year), recorded
    # as attendance is (so its certificate is issued with it).
    security = factories.make_session(
        factories.make_program(area="information_security"),
        starts_in=timedelta(hours=-1),
        opens_in=timedelta(days=-9),
        closes_in=timedelta(days=-1),
    )
    attended = register(security.id, world.employee_a2, world.admin)
    attendance.record_attendance(security.id, [(attended.id, True)], person(world.admin))
    # Its survey, asked by that attendance and answered; a questionnaire chosen for a programme.
    with acting_as(db.session, a):
        surveys.submit(
            attended.id,
            db.session.get(User, world.employee_a2),
            {"satisfaction": 4, "understanding": 4, "usefulness": 5, "good_points": "良かった"},
        )
    standard = db.session.scalars(Questionnaire.standard()).one()
    db.session.add(SurveyAssignment(program_id=security.program_id, questionnaire_id=standard.id))
    # The programme asks the 3-month follow-up; the participant was asked it and answered.
    with acting_as(db.session, world.muni_admin):
        followups.switch(security.program, True, person(world.admin))
        db.session.flush()
    with acting_as(db.session, a):
        db.session.add(
            SurveyFollowup(
                municipality_id=a,
                registration_id=attended.id,
                employee_id=world.employee_a2,
                session_id=security.id,
                program_id=security.program_id,
                fiscal_year=2026,
                value=4,
                text="手順書を作った",
                answered_at=now_utc(),
            )
        )
        db.session.flush()
    # The programme asks for a participant's report (受講報告), and it is written.
    with acting_as(db.session, attended.municipality_id):
        security.program.report_required = True
        db.session.refresh(attended)
        reports.write(attended, person(world.employee_a2), "係内で共有する")
    # A notice (お知らせ) for the whole region, read by one person of member A.
    with acting_as(db.session, world.muni_admin):
        notice = notices.post(
            notices.NoticeData(
                title_ja="研修受付開始のお知らせ",
                body_ja="受付を開始しました。",
                title_en="Registration opens",
                body_en="",
                audience="all",
                shown_from=datetime(2026, 4, 1, tzinfo=UTC),
                shown_until=None,
            ),
            person(world.admin),
        )
    assert notices.mark_read(notice.id, person(world.employee_a2))
    with acting_as(db.session, a):
        certificate = db.session.scalar(
            select(Certificate).where(Certificate.registration_id == reg_id)
        )
        program_id = db.session.get(TrainingSession, shared.id).program_id
        db.session.add(ProgramInterest(employee_id=world.employee_a, program_id=program_id))
        scan = files.store(fixtures_files.png())
        qualification = Qualification(
            employee_id=world.employee_a,
            exam_code="FE",
            passed_on=date(2025, 4, 20),
            certificate_number="FE-2025-0001",
            status=QualificationStatus.VERIFIED,
            scan_name=scan,
            scan_kind="png",
            scan_filename="合格証書.png",
            recorded_by_id=world.employee_a,
        )
        db.session.add(qualification)
        db.session.add(
            OjtRecord(
                employee_id=world.employee_a,
                title="庁内ネットワーク更改の補助",
                division="情報政策課",
                started_on=date(2025, 5, 1),
                ended_on=date(2025, 9, 30),
                status=OjtStatus.CONFIRMED,
            )
        )
        unit = db.session.scalar(select(OrgUnit).order_by(OrgUnit.id))
        db.session.add(
            OrgUnitEvent(
                unit_id=unit.id,
                kind=OrgUnitEventKind.RENAMED,
                on=date(2026, 4, 1),
                detail={"from": unit.name, "to": unit.name},
            )
        )
        db.session.add(YearClose(fiscal_year=2024, closed_by_id=world.coordinator_a, figures={}))
        data = b"employee_number,name\n"
        db.session.add(
            RosterUpload(
                uploaded_by_id=world.coordinator_a,
                filename="roster.csv",
                sha256=sha256(data).hexdigest(),
                data=data,
            )
        )
        db.session.add(
            JobCategoryWord(word="主事", word_key="主事", category=JobCategory.ADMINISTRATIVE)
        )
        record_audit(
            "program.update", subject_type="program", subject_id=program_id, municipality_id=a
        )
        db.session.flush()
    document = fixtures_files.pdf()
    material = Material(
        audience_municipality_id=None,
        title="情報セキュリティ教材",
        kind=MaterialKind.FILE,
        file_name=files.store(document),
        file_kind="pdf",
        file_size=len(document),
        original_filename="教材.pdf",
        published_by_id=world.admin,
    )
    with all_tenants(db.session):  # the region's material is behind every member's wall
        db.session.add(material)
        db.session.flush()
    db.session.add(QualificationPersona(exam_code="FE", persona="core_digital"))
    db.session.add(
        LoginThrottle(
            key="acct:someone@city.tsuyama.lg.jp",
            failures=1,
            last_failure_at=datetime.now(UTC),
            window_started_at=datetime.now(UTC),
        )
    )
    # Mail: one sent, one failed for good (a bad address), and the attendance's notice
    # still queued unrendered (deferred delivery) from above.
    sent = OutboundMail(
        to_addr=world.emails["employee_b"],
        subject="件名",
        body="本文\n",
        template="reminder",
        municipality_id=b,
        sent_at=datetime.now(UTC),
        attempts=1,
    )
    failed = OutboundMail(
        to_addr="gone@city.tsuyama.lg.jp",
        subject="件名",
        body="本文\n",
        template="reminder",
        municipality_id=a,
        attempts=1,
        last_error="550 5.1.1 User unknown",
        failed_at=datetime.now(UTC),
    )
    add_mail(sent, failed)
    # A synonym group an administrator added (the seeded ones are the platform's).
    db.session.add(SynonymGroup(words=["研修", "講座"], added_by_id=world.admin))
    db.session.flush()
    return {
        "certificate_code": certificate.code,
        "material_id": material.id,
        "material_bytes": document,
        "qualification_id": qualification.id,
        "scan_bytes": fixtures_files.png(),
    }
