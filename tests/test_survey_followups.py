"""The 3-month follow-up (業務で活用できたか) and the programme review's trend over years.

Times are fixed (the follow-up's clock is set by the test); every count and mean below is
worked out by hand from the answers the tests give, never by the code under test.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.fiscal import add_months
from regional.mail.models import OutboundMail
from regional.people.models import User
from regional.seats.models import Registration
from regional.sessions.models import TrainingSession
from regional.surveys import followups, services
from regional.surveys.models import SurveyFollowup
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.fixtures_registrations import register

#: The session ends 31 May 2026, 15:00 in Tokyo (06:00 UTC): its follow-up is due on
#: 31 August 2026, 00:00 in Tokyo, which is 30 August, 15:00 UTC.
ENDS = datetime(2026, 5, 31, 6, 0, tzinfo=UTC)
DUE = datetime(2026, 8, 30, 15, 0, tzinfo=UTC)


def at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(followups, "now_utc", lambda: when)


def past_session(world, program_id: int, ends: datetime, a_count: int, *, absent: int = 0):
    """A session of the programme that ended at ``ends``: ``a_count`` of A's people and
    employee_b attended, and ``absent`` more of A's people were marked absent."""
    program = db.session.get(factories.Program, program_id)
    ts = factories.make_session(program, capacity=40, starts_in=timedelta(days=20))
    a_people = [world.employee_a, world.employee_a2][:a_count] + [
        factories.make_user(world.muni_a, name=f"活用 太郎{ts.id}-{i}").id
        for i in range(max(0, a_count - 2) + absent)
    ]
    regs = {p: register(ts.id, p, world.admin).id for p in a_people + [world.employee_b]}
    with all_tenants(db.session):
        for n, (person, reg_id) in enumerate(regs.items()):
            db.session.get(Registration, reg_id).attended = n < a_count or person == (
                world.employee_b
            )
        ts = db.session.get(TrainingSession, ts.id)
        ts.starts_at = ends - timedelta(hours=3)
        ts.ends_at = ends
        db.session.flush()
    return ts.id, regs


def switch(world, program_id: int, on: bool, when: datetime | None = None) -> None:
    with acting_as(db.session, world.muni_admin):
        admin = db.session.get(User, world.admin)
        followups.switch(db.session.get(factories.Program, program_id), on, admin)
        if when is not None:
            followups.setting_of(program_id).switched_at = when
        db.session.flush()


def asked_registrations() -> set[int]:
    with all_tenants(db.session):
        return set(db.session.scalars(select(SurveyFollowup.registration_id)))


def followup_mails() -> int:
    with all_tenants(db.session):
        return len(
            db.session.scalars(
                select(OutboundMail).where(OutboundMail.template == "survey_followup")
            ).all()
        )


@pytest.fixture
def program(app):
    with app.app_context():
        made = factories.make_program()
        db.session.commit()
        return made.id


def test_three_calendar_months_clamp_to_the_month_end():
    assert add_months(date(2026, 5, 31), 3) == date(2026, 8, 31)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 3) == date(2027, 3, 15)


def test_asked_on_the_day_three_months_on_once_and_only_who_attended(
    app, world, program, monkeypatch
):
    with app.app_context():
        switch(world, program, True, when=ENDS)
        _ts, regs = past_session(world, program, ENDS, 3, absent=1)
        attended = {r for p, r in list(regs.items())[:3]} | {regs[world.employee_b]}
        at(monkeypatch, DUE - timedelta(seconds=1))  # 30 August 23:59:59 in Tokyo
        assert followups.queue_followups() == 0
        at(monkeypatch, DUE)
        assert followups.queue_followups() == 4
        assert followups.queue_followups() == 0  # run twice: asked once
        assert asked_registrations() == attended
        assert followup_mails() == 4
        # Long after the day (more than 30 days): a switch on does not ask about history.
        at(monkeypatch, DUE + timedelta(days=31))
        other, _regs = past_session(world, program, ENDS, 1)
        assert followups.queue_followups() == 0


def test_switched_off_before_the_day_nobody_is_asked_after_it_they_are(
    app, world, program, monkeypatch
):
    with app.app_context():
        past_session(world, program, ENDS, 2)
        at(monkeypatch, DUE)
        assert followups.queue_followups() == 0  # never switched on
        switch(world, program, True, when=ENDS)
        switch(world, program, False, when=DUE - timedelta(hours=1))
        assert followups.queue_followups() == 0
        switch(world, program, True, when=ENDS)
        switch(world, program, False, when=DUE + timedelta(hours=1))
        assert followups.queue_followups() == 3  # two of A's and employee_b


def test_the_cron_command_asks_once(app, world, program, monkeypatch):
    with app.app_context():
        switch(world, program, True, when=ENDS)
        past_session(world, program, ENDS, 2)
        db.session.commit()
    at(monkeypatch, DUE + timedelta(days=1))
    runner = app.test_cli_runner()
    outputs = []
    for _ in range(2):
        with app.app_context():
            result = runner.invoke(args=["send-survey-followups"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "survey follow-ups asked: 3" in outputs[0]
    assert "survey follow-ups asked: 0" in outputs[1]


def test_switching_is_for_regional_administrators_and_audited(
    app, world, program, as_admin, as_coordinator_a
):
    url = f"/surveys/programs/{program}/settings"
    assert as_coordinator_a.get(url).status_code == 403
    assert as_admin.get(url).status_code == 200
    assert as_admin.form_post(url, {"enabled": "y"}).status_code == 302
    assert as_admin.form_post(url, {}).status_code == 302
    assert as_admin.get("/surveys/programs/999999/settings").status_code == 404
    with app.app_context(), all_tenants(db.session):
        actions = list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("survey.followup%"))
                .order_by(AuditEntry.id)
            )
        )
        assert actions == ["survey.followup_on", "survey.followup_off"]
        assert followups.is_on(program) is False


def _ask_all(app, world, program, monkeypatch, a_count: int) -> dict[int, int]:
    with app.app_context():
        switch(world, program, True, when=ENDS)
        _ts, regs = past_session(world, program, ENDS, a_count)
        at(monkeypatch, DUE)
        followups.queue_followups()
        db.session.commit()
    return regs


def email_of(app, user_id: int) -> str:
    with app.app_context(), all_tenants(db.session):
        return db.session.get(User, user_id).email


def test_one_answer_per_person_and_session(app, api, world, program, monkeypatch):
    regs = _ask_all(app, world, program, monkeypatch, 2)
    me = api(world.emails["employee_a"])
    items = me.get("/me/surveys").get_json()["items"]
    item = next(i for i in items if i["followup"])
    assert item["registration_id"] == regs[world.employee_a]
    assert [q["key"] for q in item["questions"]] == ["applied", "applied_how"]
    assert item["questions"][0]["label"] == "業務で活用できましたか"
    path = f"/registrations/{regs[world.employee_a]}/survey/followup"
    bad = me.post(path, json={"answers": {"applied": 6}})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_answer"
    assert me.post(path, json={"answers": {"applied_how": "x"}}).status_code == 422
    ok = me.post(path, json={"answers": {"applied": 4, "applied_how": "係内の集計を自動化した"}})
    assert ok.status_code == 201, ok.get_json()
    again = me.post(path, json={"answers": {"applied": 2}})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"
    # A colleague of the same member cannot answer it for them: 404.
    colleague = api(world.emails["employee_a2"]).post(path, json={"answers": {"applied": 1}})
    assert colleague.status_code == 404
    # Someone else's follow-up, and a registration never asked: 404.
    assert (
        me.post(
            f"/registrations/{regs[world.employee_b]}/survey/followup",
            json={"answers": {"applied": 3}},
        ).status_code
        == 404
    )
    assert (
        me.post(
            "/registrations/999999/survey/followup", json={"answers": {"applied": 3}}
        ).status_code
        == 404
    )
    assert not any(i["followup"] for i in me.get("/me/surveys").get_json()["items"])
    with app.app_context(), all_tenants(db.session):
        row = db.session.scalar(
            select(SurveyFollowup).where(SurveyFollowup.registration_id == regs[world.employee_a])
        )
        assert (row.value, row.text) == (4, "係内の集計を自動化した")


def test_the_page_asks_and_the_home_page_lists_it(app, world, program, monkeypatch, as_employee_a):
    regs = _ask_all(app, world, program, monkeypatch, 2)
    home = as_employee_a.get("/").get_data(as_text=True)
    assert 'data-testid="work-followup"' in home
    url = f"/surveys/followups/{regs[world.employee_a]}"
    page = as_employee_a.get(url).get_data(as_text=True)
    assert "業務で活用できましたか" in page and "1 全く活用できていない" in page
    assert as_employee_a.form_post(url, {"applied": "9"}).status_code == 422
    assert (
        as_employee_a.form_post(url, {"applied": "5", "applied_how": "使えた"}).status_code == 302
    )
    assert as_employee_a.get(url).status_code == 302  # answered: back to the list
    assert as_employee_a.get(f"/surveys/followups/{regs[world.employee_b]}").status_code == 404
    assert 'data-testid="work-followup"' not in as_employee_a.get("/").get_data(as_text=True)


#: The follow-up answers given by A's people, in order (by hand: five of them sum to 18).
A_APPLIED = [5, 4, 3, 4, 2]


def _answer(app, api, people_regs: list[tuple[int, int]], values: list[int], prefix: str):
    for i, ((person, reg), value) in enumerate(zip(people_regs, values, strict=False)):
        resp = api(email_of(app, person)).post(
            f"/registrations/{reg}/survey/followup",
            json={"answers": {"applied": value, "applied_how": f"{prefix}{i}"}},
        )
        assert resp.status_code == 201, resp.get_json()


def test_figures_from_five_answers_and_each_coordinator_sees_their_own(
    app, api, world, program, monkeypatch, as_admin
):
    regs = _ask_all(app, world, program, monkeypatch, 6)
    a_regs = [(p, r) for p, r in regs.items() if p != world.employee_b]
    path = f"/programs/{program}/survey-results?fiscal_year=2026"
    _answer(app, api, a_regs[:4], A_APPLIED, "A市の活用")
    four = api(world.emails["coordinator_a"]).get(path).get_json()["followup"]
    assert (four["answered"], four["asked"]) == (4, 6)
    assert four["mean"] is None and four["distribution"] is None and four["comments"] == []
    _answer(app, api, a_regs[4:5], A_APPLIED[4:], "A市の活用4")
    five = api(world.emails["coordinator_a"]).get(path).get_json()["followup"]
    assert (five["answered"], five["asked"], five["response_rate"]) == (5, 6, round(5 / 6, 4))
    assert five["mean"] == 3.6  # 18 / 5
    assert [d["count"] for d in five["distribution"]] == [0, 1, 1, 2, 1]
    assert "A市の活用0" in five["comments"]
    assert "活用 太郎" not in str(five)  # no names
    # B's one answer: B's coordinator sees one of one, no figure; never A's comments.
    api(world.emails["employee_b"]).post(
        f"/registrations/{regs[world.employee_b]}/survey/followup",
        json={"answers": {"applied": 1, "applied_how": "B市の理由"}},
    )
    b = api(world.emails["coordinator_b"]).get(path).get_json()["followup"]
    assert (b["answered"], b["asked"], b["mean"], b["comments"]) == (1, 1, None, [])
    a = api(world.emails["coordinator_a"]).get(path).get_json()["followup"]
    assert "B市の理由" not in a["comments"] and a["asked"] == 6
    region = api(world.emails["admin"]).get(path).get_json()["followup"]
    assert (region["answered"], region["asked"], region["mean"]) == (6, 7, round(19 / 6, 2))
    # The results page shows the same beside the survey, the rate beside the figure.
    page = as_admin.get(f"/surveys/results?program={program}&fy=2026").get_data(as_text=True)
    row = page.split('data-testid="followup-figures"')[1].split("</tr>")[0]
    assert "3か月後の回答：7人中6人（回答率85.7%）" in row and "3.17" in row
    assert "A市の活用0" in page and "B市の理由" in page


def test_the_review_shows_the_trend_per_year_with_the_followup(
    app, api, world, program, monkeypatch, as_admin, as_coordinator_b
):
    """FY2024: five of A's answer the survey (satisfaction 4 each) and the follow-up (3
    each); FY2025: four answer (hidden); FY2026: nothing answered but the session held."""
    with app.app_context():
        switch(world, program, True, when=datetime(2024, 4, 1, tzinfo=UTC))
        years = {
            2024: past_session(world, program, datetime(2024, 6, 10, 6, tzinfo=UTC), 5),
            2025: past_session(world, program, datetime(2025, 6, 10, 6, tzinfo=UTC), 4, absent=1),
        }
        db.session.commit()
    for fy, (_ts, regs) in years.items():
        with app.app_context():
            ends = datetime(fy, 6, 10, 6, tzinfo=UTC)
            at(monkeypatch, followups.months_after_utc(ends, 3))
            followups.queue_followups()
            db.session.commit()
        for person, reg in regs.items():
            if person == world.employee_b:
                continue
            with app.app_context(), acting_as(db.session, world.muni_a):
                if db.session.get(Registration, reg).attended:
                    services.submit(
                        reg,
                        db.session.get(User, person),
                        {"satisfaction": 4, "understanding": 3, "usefulness": 5},
                    )
                    followups.answer(reg, db.session.get(User, person), {"applied": 3})
                    db.session.commit()
    page = as_admin.get(f"/surveys/programs/{program}/review?fy=2025")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('data-testid="trend-chart"') == 4  # three 5-point questions, follow-up
    trend = html.split('data-testid="review-trend"')[1].split("</table>")[0]
    rows = trend.split("<tr>")
    fy2024 = next(r for r in rows if "令和6年度" in r)
    fy2025 = next(r for r in rows if "令和7年度" in r)
    assert "4.00" in fy2024 and "3.00" in fy2024 and "5.00" in fy2024
    assert "回答：6人中5人" in fy2024  # five of A's and employee_b attended; A's five answered
    assert "4.00" not in fy2025 and "—" in fy2025 and 'data-testid="survey-hidden"' in fy2025
    assert "3か月後の回答：5人中4人" in fy2025  # four of A's and employee_b were asked
    assert "83.3%" in fy2025  # five attended, one absent
    book = load_workbook(
        io.BytesIO(as_admin.get(f"/surveys/programs/{program}/review.xlsx?fy=2025").data)
    )
    sheet = book["年度ごとの推移"]
    values = [[c for c in row] for row in sheet.values]
    header = next(r for r in values if r and r[0] == "年度")
    data = {
        r[0]: dict(zip(header, r, strict=False))
        for r in values
        if r and str(r[0]).startswith("令和")
    }
    assert (
        data["令和6年度"]["満足度"] == 4.0 and data["令和6年度"]["業務での活用（受講3か月後）"] == 3
    )
    assert data["令和7年度"]["満足度"] == "回答5人未満のため非表示"
    assert data["令和7年度"]["業務での活用（受講3か月後）"] == "回答5人未満のため非表示"
    assert data["令和7年度"]["修了率"] == pytest.approx(5 / 6)
    # B's coordinator: only B's one person a year, every figure hidden.
    b_html = as_coordinator_b.get(f"/surveys/programs/{program}/review?fy=2025").get_data(
        as_text=True
    )
    b_trend = b_html.split('data-testid="review-trend"')[1].split("</table>")[0]
    assert "4.00" not in b_trend and "3.00" not in b_trend
