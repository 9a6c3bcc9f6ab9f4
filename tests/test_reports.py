"""The participant's report (受講報告) and its acknowledgement (確認); the head told by mail
of a new application.

Issue 22. A programme may ask for a report; after attendance the participant writes one
(the template pre-filled, length-limited, one per registration) and may edit it until
acknowledged; the head of unit (or deputy) acknowledges it, or the coordinator where no unit
above the person has a head; the coordinator sees per session who has not.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from regional.audit.models import AuditEntry
from regional.errors import Conflict, DomainError, NotFound
from regional.extensions import db
from regional.reports import services
from regional.reports.models import BODY_MAX, ParticipantReport
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_registrations import english, person, register, registration
from tests.test_heads import _unit_tree
from tests.test_registrations_pages import text

TEMPLATE = "1. 学んだこと\n2. 業務で活かすこと"
_days = itertools.count(10)


def _session(program=None) -> int:
    """A session on a day of its own (a person never holds two at the same time)."""
    return factories.make_session(program, starts_in=timedelta(days=next(_days))).id


def _attended(employee_id: int, *, report_required: bool = True) -> int:
    """A registration of ``employee_id`` to a programme asking for a report, attended."""
    program = factories.make_program(report_required=report_required, report_template=TEMPLATE)
    reg = register(_session(program), employee_id, person(employee_id).id)
    with acting_as(db.session, reg.municipality_id):
        reg.attended = True
        db.session.flush()
    return reg.id


def _as(user_id: int, fn, *args):
    actor = person(user_id)
    with acting_as(db.session, actor.municipality_id):
        return fn(*args, actor)


def _write(reg_id: int, user_id: int, body: str) -> ParticipantReport:
    actor = person(user_id)
    with acting_as(db.session, actor.municipality_id):
        return services.write(registration(reg_id), actor, body)


@pytest.fixture
def unit(ctx, world):
    u = _unit_tree(world, on=False)
    return u


def _actions(world) -> list[str]:
    with acting_as(db.session, world.muni_a):
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# -- writing --------------------------------------------------------------------------------


def test_a_participant_writes_after_attendance_and_edits_until_acknowledged(unit, world):
    reg_id = _attended(unit.staff)
    assert [r.id for r in _as(unit.staff, services.to_write)] == [reg_id]
    report = _write(reg_id, unit.staff, "チャットツールを課内で試行する")
    assert _as(unit.staff, services.to_write) == []
    assert _as(unit.staff, services.to_edit) == [report]
    _write(reg_id, unit.staff, "チャットツールを係内で試行する")
    assert report.body == "チャットツールを係内で試行する"
    with acting_as(db.session, world.muni_a):
        services.acknowledge(report, person(unit.head))
    with pytest.raises(Conflict):
        _write(reg_id, unit.staff, "もう一度")
    assert _as(unit.staff, services.to_edit) == []
    assert _actions(world)[-3:] == ["report.write", "report.edit", "report.acknowledge"]


def test_no_report_before_attendance_nor_for_a_programme_without_one(unit, world):
    program = factories.make_program(report_required=True)
    reg = register(_session(program), unit.staff)
    with pytest.raises(NotFound):
        _write(reg.id, unit.staff, "まだ受講していない")
    absent_id = _attended(unit.staff, report_required=False)
    with pytest.raises(NotFound):
        _write(absent_id, unit.staff, "報告のない研修")
    assert _as(unit.staff, services.to_write) == []


def test_an_empty_or_too_long_report_is_refused(unit):
    reg_id = _attended(unit.staff)
    for body in ("   ", "あ" * (BODY_MAX + 1), "制御文字\x07"):
        with pytest.raises(DomainError):
            _write(reg_id, unit.staff, body)
    with acting_as(db.session, person(unit.staff).municipality_id):
        assert db.session.scalars(select(ParticipantReport)).all() == []


def test_only_the_participant_writes_their_report(unit):
    reg_id = _attended(unit.staff)
    for other in (unit.head, unit.other_staff):
        with pytest.raises(NotFound):
            _write(reg_id, other, "代筆")


def test_one_report_per_registration_in_the_database(unit):
    reg_id = _attended(unit.staff)
    report = _write(reg_id, unit.staff, "一通目")
    with acting_as(db.session, report.municipality_id):
        db.session.add(
            ParticipantReport(
                registration_id=reg_id,
                session_id=report.session_id,
                employee_id=report.employee_id,
                body="二通目",
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
    db.session.rollback()


# -- acknowledging --------------------------------------------------------------------------


def test_the_head_or_deputy_acknowledges_and_nobody_else(unit, world):
    report = _write(_attended(unit.staff), unit.staff, "学んだことを活かす")
    for nobody in (unit.staff, unit.other_staff, world.coordinator_a, world.coordinator_b):
        assert _as(nobody, services.to_acknowledge) == [], nobody
        with acting_as(db.session, person(nobody).municipality_id):
            assert services.acknowledgeable(report.id, person(nobody)) is None
    assert [r.id for r in _as(unit.head, services.to_acknowledge)] == [report.id]
    assert [r.id for r in _as(unit.deputy, services.to_acknowledge)] == [report.id]
    with acting_as(db.session, world.muni_a):
        services.acknowledge(report, person(unit.deputy))
        with pytest.raises(Conflict):
            services.acknowledge(report, person(unit.head))
    assert report.acknowledged_by_id == unit.deputy


def test_where_no_unit_has_a_head_the_coordinator_acknowledges(unit, world):
    report = _write(_attended(unit.other_staff), unit.other_staff, "窓口で活かす")
    assert [r.id for r in _as(world.coordinator_a, services.to_acknowledge)] == [report.id]
    assert _as(unit.head, services.to_acknowledge) == []
    assert _as(world.coordinator_b, services.to_acknowledge) == []


def test_a_head_sees_only_their_units_reports(unit, world):
    mine = _write(_attended(unit.staff), unit.staff, "課内の報告")
    _write(_attended(unit.other_staff), unit.other_staff, "他課の報告")
    assert [r.id for r in _as(unit.head, services.to_acknowledge)] == [mine.id]
    # the 局長 heads the 部 above; the 課 has its own head, who acknowledges
    assert _as(unit.dept_head, services.to_acknowledge) == []


def test_the_coordinators_overview_per_session(unit, world):
    written = _attended(unit.staff)
    _attended(unit.other_staff)
    _write(written, unit.staff, "書いた")
    with acting_as(db.session, world.muni_a):
        groups = services.overview()
        assert [(g.not_written, g.not_acknowledged) for g in groups] == [(1, 0), (0, 1)]
        assert services.outstanding_count() == 2
    with acting_as(db.session, world.muni_b):
        assert services.overview() == [] and services.outstanding_count() == 0


# -- pages ----------------------------------------------------------------------------------


def test_the_pages_write_acknowledge_and_list(app, world, signed_in):
    with app.app_context():
        u = _unit_tree(world, on=False)
        reg_id = _attended(u.staff)
        db.session.commit()
        staff_email, head_email = person(u.staff).email, person(u.head).email
        other_email = person(u.other_staff).email
    staff = english(signed_in(staff_email))
    assert "Write your report" in text(staff.get("/"))
    page = text(staff.get(f"/reports/registrations/{reg_id}"))
    assert "業務で活かすこと" in page  # the template pre-filled
    assert signed_in(other_email).get(f"/reports/registrations/{reg_id}").status_code == 404
    assert staff.form_post(f"/reports/registrations/{reg_id}", {"body": ""}).status_code == 200
    resp = staff.form_post(f"/reports/registrations/{reg_id}", {"body": "庁内で共有する"})
    assert resp.status_code == 302
    head = english(signed_in(head_email))
    assert "Reports to acknowledge" in text(head.get("/"))
    assert "庁内で共有する" in text(head.get("/reports/acknowledge"))
    assert signed_in(other_email).get("/reports/acknowledge").status_code == 403
    with app.app_context(), acting_as(db.session, world.muni_a):
        report_id = db.session.scalar(select(ParticipantReport.id))
    assert signed_in(other_email).form_post(f"/reports/{report_id}/acknowledge").status_code == 404
    assert head.form_post(f"/reports/{report_id}/acknowledge").status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.get(ParticipantReport, report_id).acknowledged_by_id == u.head


def test_the_programme_sets_the_report_and_it_is_audited(app, world, as_admin):
    from regional.catalogue.services import EDITABLE, update_program
    from tenants import all_tenants

    with app.app_context():
        program = factories.make_program()
        db.session.commit()
        pid = program.id
        values = {k: getattr(program, k) for k in EDITABLE if k != "elearning_url"}
        change = {**values, "report_required": "y", "report_template": TEMPLATE}
        update_program(program, change, world.admin)
        db.session.commit()
        assert program.report_required is True and program.report_template == TEMPLATE
        with all_tenants(db.session):
            entry = db.session.scalar(
                select(AuditEntry)
                .where(AuditEntry.action == "program.update", AuditEntry.subject_id == str(pid))
                .order_by(AuditEntry.id.desc())
            )
        assert entry.detail["after"]["report_required"] is True
        assert entry.detail["after"]["report_template"] == TEMPLATE
        with pytest.raises(DomainError):
            update_program(program, {**change, "report_template": "x" * 1001}, world.admin)
        db.session.rollback()
    page = text(english(as_admin).get(f"/catalogue/{pid}/edit"))
    assert "Participants write a report after attending" in page
    assert "業務で活かすこと" in page


# -- the head told of a new application -----------------------------------------------------


def test_the_head_and_deputy_are_mailed_of_a_new_application(app, world, signed_in, mailbox):
    with app.app_context():
        u = _unit_tree(world)
        ts_id = _session()
        db.session.commit()
        staff_email = person(u.staff).email
        head, deputy = person(u.head), person(u.deputy)
        heads = {head.email: head.name, deputy.email: deputy.name}
    mailbox.clear()
    resp = signed_in(staff_email).form_post(f"/registrations/session/{ts_id}/register")
    assert resp.status_code == 302
    for email, name in heads.items():
        (mail,) = mailbox.to(email)
        assert mail["Subject"].startswith("【研修ポータル】")
        body = mailbox.body(mail)
        assert name in body and "係員 一郎" in body and "/heads/" in body
    assert mailbox.to(person_email(app, u.dept_head)) == []


def test_no_mail_to_heads_when_the_step_is_off(app, world, signed_in, mailbox):
    with app.app_context():
        u = _unit_tree(world, on=False)
        ts_id = _session()
        db.session.commit()
        staff_email, head_email = person(u.staff).email, person(u.head).email
    mailbox.clear()
    signed_in(staff_email).form_post(f"/registrations/session/{ts_id}/register")
    assert mailbox.to(head_email) == []
    assert mailbox.to(staff_email)  # the person's own notice still goes


def person_email(app, user_id: int) -> str:
    with app.app_context():
        return person(user_id).email


def test_a_coordinator_never_acknowledges_their_own_report(ctx, world):
    coordinator = person(world.coordinator_a)
    reg_id = _attended(coordinator.id)
    report = _write(reg_id, coordinator.id, "自分の報告")
    assert _as(coordinator.id, services.to_acknowledge) == []
    with acting_as(db.session, world.muni_a), pytest.raises(NotFound):
        services.acknowledge(report, person(world.coordinator_a))


def test_the_heads_are_told_when_a_waiting_application_is_promoted(ctx, world):
    from regional.mail.models import OutboundMail
    from tests.fixtures_registrations import cancel

    def to_heads() -> list[str]:
        with acting_as(db.session, world.muni_a):  # the outbox is behind the wall too
            return list(
                db.session.scalars(
                    select(OutboundMail.to_addr).where(
                        OutboundMail.template == "registration_awaits_head"
                    )
                )
            )

    u = _unit_tree(world)
    ts = factories.make_session(capacity=1, starts_in=timedelta(days=5))
    first = register(ts.id, u.other_staff)  # nobody heads 市民課: enrolled
    waiting = register(ts.id, u.staff)
    assert waiting.status.value == "waitlisted" and to_heads() == []
    cancel(first.id, u.other_staff)
    assert registration(waiting.id).status.value == "awaiting_head"
    assert sorted(to_heads()) == sorted([person(u.head).email, person(u.deputy).email])
