"""Already completed (受講済み): the mark with the day, a reason to take it again, shown to approvers.

An employee who completed a programme sees 「受講済み（令和…年…月…日）」 on it in the
catalogue, on its page and on its sessions; registering again for it asks them for
a short reason (page and API alike). A coordinator or administrator may register
them without one; either way the registration keeps the day and the reason, and
the approval list and the registrants page show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from regional import attendance
from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import era_date_ja, local_date
from regional.seats.models import Registration
from tenants import all_tenants
from tests import factories
from tests.fixtures_registrations import person, register

JA = {"Accept-Language": "ja"}


@dataclass
class Setting:
    program_id: int
    done_session: int
    next_session: int
    completed_on: object

    @property
    def mark(self) -> str:
        return f"受講済み（{era_date_ja(self.completed_on)}）"


def _completed(world, *, requires_approval: bool = False, **program) -> Setting:
    """employee_a attended a session of a programme 40 days ago; another one opens later."""
    p = factories.make_program(title_ja="生成AI活用研修", title_en="Generative AI", **program)
    done = factories.make_session(
        p,
        starts_in=timedelta(days=-40),
        opens_in=timedelta(days=-60),
        closes_in=timedelta(days=-41),
    )
    reg = register(done.id, world.employee_a, world.admin)
    attendance.record_attendance(done.id, [(reg.id, True)], person(world.admin))
    later = factories.make_session(
        p, starts_in=timedelta(days=20), requires_approval=requires_approval
    )
    return Setting(p.id, done.id, later.id, local_date(done.starts_at))


@pytest.fixture
def completed(app, world):
    with app.app_context():
        setting = _completed(world)
        db.session.commit()
    return setting


@pytest.fixture
def completed_with_approval(app, world):
    with app.app_context():
        setting = _completed(world, requires_approval=True)
        db.session.commit()
    return setting


def _registration(app, session_id: int, employee_id: int) -> Registration | None:
    with app.app_context(), all_tenants(db.session):
        reg = db.session.scalar(
            select(Registration).where(
                Registration.session_id == session_id, Registration.employee_id == employee_id
            )
        )
        if reg is not None:
            db.session.expunge(reg)
        return reg


# -- the mark ---------------------------------------------------------------------------


def test_the_catalogue_marks_the_programme_with_the_day_in_japanese(as_employee_a, completed):
    html = as_employee_a.get("/catalogue/", headers=JA).get_data(as_text=True)
    assert completed.mark in html
    page = as_employee_a.get(f"/catalogue/{completed.program_id}", headers=JA)
    assert completed.mark in page.get_data(as_text=True)


def test_the_session_page_shows_the_mark_and_asks_for_a_reason(as_employee_a, completed):
    html = as_employee_a.get(f"/sessions/{completed.next_session}", headers=JA).get_data(
        as_text=True
    )
    assert completed.mark in html
    assert "この研修を受講できます" in html  # still eligible: the mark says why to think twice
    assert 'name="reason"' in html and "もう一度受講する理由" in html


def test_no_mark_and_no_reason_for_someone_who_has_not_completed_it(signed_in, world, completed):
    other = signed_in(world.emails["employee_a2"])
    html = other.get(f"/sessions/{completed.next_session}", headers=JA).get_data(as_text=True)
    assert "受講済み" not in html and 'name="reason"' not in html
    assert other.form_post(f"/registrations/session/{completed.next_session}/register")
    assert _registration(other.application, completed.next_session, world.employee_a2)


def test_the_english_mark(as_employee_a, completed):
    with as_employee_a.session_transaction() as s:
        s["lang"] = "en"
    html = as_employee_a.get(f"/catalogue/{completed.program_id}").get_data(as_text=True)
    day = completed.completed_on
    assert f"Completed ({day.day} " in html and f" {day.year})" in html


# -- registering again: the page ----------------------------------------------------------


def test_registering_again_on_the_page_needs_a_reason(app, as_employee_a, world, completed):
    url = f"/registrations/session/{completed.next_session}/register"
    refused = as_employee_a.form_post(url, {}, headers=JA, follow_redirects=True)
    assert "もう一度受講する場合は、理由を簡潔に入力してください" in refused.get_data(as_text=True)
    assert _registration(app, completed.next_session, world.employee_a) is None
    for bad in ("理由\u202e", "あ" * 201):
        as_employee_a.form_post(url, {"reason": bad})
        assert _registration(app, completed.next_session, world.employee_a) is None
    done = as_employee_a.form_post(url, {"reason": "制度改正後の内容を学び直すため"})
    assert done.status_code == 302
    reg = _registration(app, completed.next_session, world.employee_a)
    assert reg.status.value == "enrolled"  # the session needs no approval: the reason is shown
    assert reg.completed_before == completed.completed_on
    assert reg.repeat_reason == "制度改正後の内容を学び直すため"


# -- registering again: the API -----------------------------------------------------------


def test_the_api_refuses_without_a_reason_and_proceeds_with_one(app, api, world, completed):
    me = api(world.emails["employee_a"])
    url = f"/sessions/{completed.next_session}/registrations"
    for body in (None, {}, {"reason": ""}, {"reason": "  "}):
        resp = me.post(url, json=body) if body is not None else me.post(url)
        assert resp.status_code == 422, body
        error = resp.get_json()["error"]
        assert error["code"] == "already_completed"
        assert error["completed_on"] == completed.completed_on.isoformat()
        assert era_date_ja(completed.completed_on) in error["message"]
    assert me.post(url, json={"reason": "理由\u202e"}).status_code == 400
    assert me.post(url, json={"reason": "あ" * 201}).status_code == 400
    assert _registration(app, completed.next_session, world.employee_a) is None
    resp = me.post(url, json={"reason": "異動で担当になったため"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["completed_before"] == completed.completed_on.isoformat()
    assert body["repeat_reason"] == "異動で担当になったため"


def test_a_coordinator_may_register_them_without_a_reason_and_it_is_recorded(
    app, api, world, completed
):
    resp = api(world.emails["coordinator_a"]).post(
        f"/sessions/{completed.next_session}/registrations",
        json={"employee_id": world.employee_a},
    )
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["completed_before"] == completed.completed_on.isoformat()
    assert body["repeat_reason"] is None
    with app.app_context(), all_tenants(db.session):
        entry = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "registration.create",
                AuditEntry.subject_id == str(body["id"]),
            )
        )
    assert entry.detail["completed_before"] == completed.completed_on.isoformat()


def test_registering_reads_the_persons_completions_once(app, api, world, completed, ctx):
    """The mark costs no statement on the hot path: one query serves it and the prerequisites."""
    with all_tenants(db.session):
        from regional.catalogue.models import Program

        db.session.get(Program, completed.program_id).prerequisite_tracks = ["literacy"]
        db.session.commit()
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and " completions" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        resp = api(world.emails["employee_a"]).post(
            f"/sessions/{completed.next_session}/registrations", json={"reason": "復習"}
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert resp.status_code in (201, 422), resp.get_json()
    assert len(seen) == 1, seen


# -- what approvers and coordinators see ----------------------------------------------------


def test_the_approval_list_shows_the_mark_the_day_and_the_reason(
    app, as_employee_a, as_coordinator_a, world, completed_with_approval
):
    s = completed_with_approval
    as_employee_a.form_post(
        f"/registrations/session/{s.next_session}/register", {"reason": "新しい版を受講するため"}
    )
    assert _registration(app, s.next_session, world.employee_a).status.value == "pending"
    html = as_coordinator_a.get("/registrations/", headers=JA).get_data(as_text=True)
    assert s.mark in html and "理由：新しい版を受講するため" in html
    registrants = as_coordinator_a.get(
        f"/registrations/session/{s.next_session}", headers=JA
    ).get_data(as_text=True)
    assert s.mark in registrants and "新しい版を受講するため" in registrants


def test_a_first_registration_carries_no_mark(
    app, as_coordinator_a, world, completed_with_approval
):
    s = completed_with_approval
    with app.app_context():
        register(s.next_session, world.employee_a2)
        db.session.commit()
    assert _registration(app, s.next_session, world.employee_a2).completed_before is None
    html = as_coordinator_a.get("/registrations/", headers=JA).get_data(as_text=True)
    assert "受講済み（" not in html
