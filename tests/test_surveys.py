"""Surveys (研修アンケート): asked on attendance, answered once, read only as totals of 5 or more.

Every figure below is counted by hand from the answers the tests give, never by the code
under test.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from regional.extensions import db
from regional.mail.models import OutboundMail
from regional.people.models import User
from regional.surveys import services
from regional.surveys.models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from tenants.scoping import acting_as, all_tenants
from tests import factories
from tests.conftest import CODE_B
from tests.fixtures_registrations import register

#: Satisfaction given by A's six people, in order; B's one person gives 1.
A_SATISFACTION = [5, 4, 4, 3, 5, 2]


@pytest.fixture
def held(app, world):
    """A shared session that started an hour ago: six of A's people and one of B's enrolled."""
    with app.app_context():
        program = factories.make_program()
        ts = factories.make_session(
            program,
            starts_in=timedelta(hours=-2),
            hours=1,
            opens_in=timedelta(days=-9),
            closes_in=timedelta(days=-1),
            capacity=20,
        )
        a_people = [world.employee_a, world.employee_a2] + [
            factories.make_user(world.muni_a, name=f"津山 花子{i}").id for i in range(4)
        ]
        regs_a = [register(ts.id, e, world.admin).id for e in a_people]
        reg_b = register(ts.id, world.employee_b, world.admin).id
        db.session.commit()
        return {
            "program": program.id,
            "session": ts.id,
            "a_people": a_people,
            "regs_a": regs_a,
            "reg_b": reg_b,
        }


def record(api, world, held, absent=()):
    marks = [
        {"registration_id": r, "attended": r not in absent}
        for r in held["regs_a"] + [held["reg_b"]]
    ]
    resp = api(world.emails["admin"]).post(f"/sessions/{held['session']}/attendance", json=marks)
    assert resp.status_code == 200, resp.get_json()


def email_of(app, user_id: int) -> str:
    with app.app_context(), all_tenants(db.session):
        return db.session.get(User, user_id).email


def answer_all(app, api, world, held):
    """A's six answer (satisfaction by hand above, a comment each); B's one answers 1."""
    for i, (person, reg) in enumerate(zip(held["a_people"], held["regs_a"], strict=True)):
        resp = api(email_of(app, person)).post(
            f"/registrations/{reg}/survey",
            json={
                "answers": {
                    "satisfaction": A_SATISFACTION[i],
                    "understanding": 3,
                    "usefulness": 4,
                    "good_points": f"演習が分かりやすかった{i}",
                }
            },
        )
        assert resp.status_code == 201, resp.get_json()
    resp = api(world.emails["employee_b"]).post(
        f"/registrations/{held['reg_b']}/survey",
        json={
            "answers": {
                "satisfaction": 1,
                "understanding": 1,
                "usefulness": 1,
                "improvements": "B市の意見",
            }
        },
    )
    assert resp.status_code == 201, resp.get_json()


def test_recording_attendance_asks_each_participant_once(app, api, world, held):
    record(api, world, held, absent={held["regs_a"][5]})
    record(api, world, held, absent={held["regs_a"][5]})  # recorded again: nobody asked twice
    with app.app_context(), all_tenants(db.session):
        asked = set(db.session.scalars(select(SurveyInvitation.registration_id)))
        mails = list(
            db.session.scalars(
                select(OutboundMail).where(OutboundMail.template == "survey_request")
            )
        )
    assert asked == set(held["regs_a"][:5]) | {held["reg_b"]}
    assert len(mails) == 6
    assert all(m.subject.startswith("【研修ポータル】") for m in mails)
    mine = api(world.emails["employee_a"]).get("/me/surveys").get_json()["items"]
    assert [i["registration_id"] for i in mine] == [held["regs_a"][0]]
    assert [q["key"] for q in mine[0]["questions"]] == [
        "satisfaction",
        "understanding",
        "usefulness",
        "good_points",
        "improvements",
    ]
    assert mine[0]["questions"][0]["label"] == "満足度"


def test_one_answer_per_person_and_the_rules(app, api, world, held):
    record(api, world, held, absent={held["regs_a"][1]})
    me = api(world.emails["employee_a"])
    reg = held["regs_a"][0]
    out_of_range = me.post(f"/registrations/{reg}/survey", json={"answers": {"satisfaction": 6}})
    assert out_of_range.status_code == 422
    assert out_of_range.get_json()["error"]["code"] == "invalid_answer"
    missing = me.post(f"/registrations/{reg}/survey", json={"answers": {"good_points": "x"}})
    assert missing.status_code == 422
    ok = {"answers": {"satisfaction": 5, "understanding": "4", "usefulness": 3}}
    assert me.post(f"/registrations/{reg}/survey", json=ok).status_code == 201
    again = me.post(f"/registrations/{reg}/survey", json=ok)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_answered"
    # Absent: 422; somebody else's registration: 404.
    absent = api(world.emails["employee_a2"]).post(
        f"/registrations/{held['regs_a'][1]}/survey", json=ok
    )
    assert absent.status_code == 422
    assert absent.get_json()["error"]["code"] == "not_attended"
    assert me.post(f"/registrations/{held['reg_b']}/survey", json=ok).status_code == 404
    assert me.post(f"/registrations/{held['regs_a'][2]}/survey", json=ok).status_code == 404
    assert api(world.emails["employee_a"]).get("/me/surveys").get_json()["items"] == []


def test_results_counted_by_hand_and_scoped_to_the_reader(app, api, world, held):
    record(api, world, held)
    answer_all(app, api, world, held)
    path = f"/programs/{held['program']}/survey-results"
    region = api(world.emails["admin"]).get(path).get_json()
    assert (region["responses"], region["invited"]) == (7, 7)
    sat = next(q for q in region["questions"] if q["key"] == "satisfaction")
    assert sat["count"] == 7
    assert sat["mean"] == round((sum(A_SATISFACTION) + 1) / 7, 2)  # 24 / 7
    assert [d["count"] for d in sat["distribution"]] == [1, 1, 1, 2, 2]
    assert "B市の意見" in region["comments"]

    a = api(world.emails["coordinator_a"]).get(path).get_json()
    assert (a["responses"], a["invited"]) == (6, 6)
    sat_a = next(q for q in a["questions"] if q["key"] == "satisfaction")
    assert sat_a["mean"] == round(23 / 6, 2)
    assert [d["count"] for d in sat_a["distribution"]] == [0, 1, 1, 2, 2]
    assert sorted(a["comments"]) == [f"演習が分かりやすかった{i}" for i in range(6)]
    assert "B市の意見" not in a["comments"]
    # Comments carry no names.
    body = str(a)
    assert "津山" not in body and "職員" not in body

    # B: one answer, fewer than five: every figure is null, and no comment is shown.
    b = api(world.emails["coordinator_b"]).get(path).get_json()
    assert (b["responses"], b["invited"]) == (1, 1)
    assert all(
        q["count"] is None and q["mean"] is None and q["distribution"] is None
        for q in b["questions"]
    )
    assert b["comments"] == []
    assert api(world.emails["employee_a"]).get(path).status_code == 403


def test_below_five_answers_the_figures_are_null(app, api, world, held):
    record(api, world, held)
    for person, reg in list(zip(held["a_people"], held["regs_a"], strict=True))[:4]:
        resp = api(email_of(app, person)).post(
            f"/registrations/{reg}/survey",
            json={"answers": {"satisfaction": 5, "understanding": 5, "usefulness": 5}},
        )
        assert resp.status_code == 201
    a = (
        api(world.emails["coordinator_a"])
        .get(f"/programs/{held['program']}/survey-results")
        .get_json()
    )
    assert (a["responses"], a["invited"]) == (4, 6)
    assert {q["count"] for q in a["questions"]} == {None}


def test_editing_a_question_keeps_past_results_readable(app, api, world, held):
    record(api, world, held)
    answer_all(app, api, world, held)
    with app.app_context(), acting_as(db.session, world.muni_admin):
        admin = db.session.get(User, world.admin)
        old = db.session.scalars(
            select(SurveyQuestion).where(SurveyQuestion.key == "satisfaction")
        ).one()
        services.edit_question(
            old, label_ja="研修全体の満足度", label_en="Overall satisfaction", actor=admin
        )
        db.session.commit()
        old_id = old.id
    region = (
        api(world.emails["admin"]).get(f"/programs/{held['program']}/survey-results").get_json()
    )
    sat = next(q for q in region["questions"] if q["key"] == "satisfaction")
    assert sat["label"] == "研修全体の満足度"
    assert sat["count"] == 7 and [d["count"] for d in sat["distribution"]] == [1, 1, 1, 2, 2]
    with app.app_context(), all_tenants(db.session):
        kept = db.session.scalars(
            select(SurveyAnswer.question_id).where(SurveyAnswer.value.is_not(None))
        ).all()
        asked = [q.key for q in services.questions_of(old.questionnaire_id)]
        retired = db.session.get(SurveyQuestion, old_id).retired_at
    assert old_id in kept  # the answers still name the question as it was asked
    assert asked.count("satisfaction") == 1 and retired is not None


def test_a_reminder_goes_once_to_who_has_not_answered(app, api, world, held):
    record(api, world, held)
    answer_all_but_b = api(world.emails["employee_a"]).post(
        f"/registrations/{held['regs_a'][0]}/survey",
        json={"answers": {"satisfaction": 4, "understanding": 4, "usefulness": 4}},
    )
    assert answer_all_but_b.status_code == 201
    with app.app_context():
        first = services.queue_survey_reminders(0)
        second = services.queue_survey_reminders(0)
        db.session.commit()
        with all_tenants(db.session):
            reminded = db.session.scalar(
                select(db.func.count())
                .select_from(OutboundMail)
                .where(OutboundMail.template == "survey_reminder")
            )
    assert (first, second, reminded) == (6, 0, 6)


def test_pages_answer_then_review(app, api, world, held, as_employee_a, as_admin, as_coordinator_b):
    record(api, world, held)
    home = as_employee_a.get("/").get_data(as_text=True)
    assert 'data-testid="work-surveys"' in home
    url = f"/surveys/registrations/{held['regs_a'][0]}"
    assert as_employee_a.get(url).status_code == 200
    bad = as_employee_a.form_post(
        url, {"satisfaction": "9", "understanding": "1", "usefulness": "1"}
    )
    assert bad.status_code == 422
    ok = as_employee_a.form_post(
        url, {"satisfaction": "5", "understanding": "4", "usefulness": "3", "good_points": "良い"}
    )
    assert ok.status_code == 302
    assert as_employee_a.get(url).status_code == 302  # answered: back to the list
    assert 'data-testid="work-surveys"' not in as_employee_a.get("/").get_data(as_text=True)

    review = as_admin.get(f"/surveys/programs/{held['program']}/review")
    page = review.get_data(as_text=True)
    assert review.status_code == 200
    assert 'data-testid="survey-hidden"' in page  # one answer: hidden
    assert "回答者数" in page or "1" in page
    xlsx = as_admin.get(f"/surveys/programs/{held['program']}/review.xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert len(wb.sheetnames) == 4  # sessions, members, the survey, the trend
    # A coordinator's review shows their own member's line only.
    b_page = as_coordinator_b.get(f"/surveys/programs/{held['program']}/review").get_data(
        as_text=True
    )
    assert "津山市" not in b_page.split('data-testid="review-members"')[1].split("</table>")[0]


def test_a_questionnaire_kept_on_its_pages_is_asked_for_its_programme(
    app, api, world, held, as_admin
):
    made = as_admin.form_post(
        "/surveys/questionnaires", {"name_ja": "事後アンケート", "name_en": "After"}
    )
    assert made.status_code == 302
    page = made.headers["Location"]
    refused = as_admin.form_post(
        page, {"kind": "single", "label_ja": "受講形態", "choices": "対面"}
    )
    assert refused.status_code == 422  # a single choice needs two choices
    added = as_admin.form_post(
        page,
        {
            "kind": "single",
            "label_ja": "受講形態",
            "choices": "対面／In person\nオンライン／Online",
        },
    )
    assert added.status_code == 302
    with app.app_context():
        code = db.session.get(factories.Program, held["program"]).code
    assert as_admin.form_post(page + "/attach", {"program_code": code}).status_code == 302
    assert as_admin.form_post(page + "/attach", {"program_code": "NO-SUCH"}).status_code == 422
    record(api, world, held)
    mine = api(world.emails["employee_a"]).get("/me/surveys").get_json()["items"]
    assert [(q["key"], q["choices"]) for q in mine[0]["questions"]] == [
        ("q1", ["対面", "オンライン"])
    ]
    me = api(world.emails["employee_a"])
    reg = held["regs_a"][0]
    assert me.post(f"/registrations/{reg}/survey", json={"answers": {"q1": 2}}).status_code == 422
    assert me.post(f"/registrations/{reg}/survey", json={"answers": {"q1": 1}}).status_code == 201


def test_the_reminder_command_reminds_once(app, api, world, held):
    record(api, world, held)
    runner = app.test_cli_runner()

    def run(*args: str) -> str:
        with app.app_context():  # ``flask`` pushes one for app.cli commands; the runner does not
            result = runner.invoke(args=list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "survey reminders queued: 7" in run("send-survey-reminders", "--days", "0")
    assert "survey reminders queued: 0" in run("send-survey-reminders", "--days", "0")
    # Asked today: not due before the default 7 days.
    assert "survey reminders queued: 0" in run("send-survey-reminders")


def test_the_hidden_note_names_the_threshold_in_force(app, api, world, held, as_admin, monkeypatch):
    """The words standing in for a hidden figure take the number from the threshold, on the
    page as in the workbook (the page's template had a 5 written in)."""
    from regional.surveys import results as survey_results

    monkeypatch.setattr(survey_results, "THRESHOLD", 7)
    record(api, world, held)
    answer_all(app, api, world, held)
    url = f"/surveys/results?program={held['program']}&member={CODE_B}"
    page = as_admin.get(url).get_data(as_text=True)
    assert "回答7人未満のため非表示" in page and "回答5人未満" not in page
    book = as_admin.get(url.replace("/results?", "/results.xlsx?"))
    cells = [c for row in load_workbook(io.BytesIO(book.data)).active.values for c in row if c]
    assert "回答7人未満のため非表示" in cells


def test_the_results_page_by_member_and_region(app, api, world, held, as_admin, as_coordinator_a):
    record(api, world, held)
    answer_all(app, api, world, held)
    program = held["program"]
    region = as_admin.get(f"/surveys/results?program={program}").get_data(as_text=True)
    assert "回答：7人中7人（回答率100.0%）" in region
    member_b = as_admin.get(f"/surveys/results?program={program}&member={CODE_B}")
    assert "回答：1人中1人（回答率100.0%）" in member_b.get_data(as_text=True)
    assert 'data-testid="survey-hidden"' in member_b.get_data(as_text=True)
    # A coordinator cannot choose another member: 404; their page counts their own people.
    assert as_coordinator_a.get(f"/surveys/results?member={CODE_B}").status_code == 404
    own = as_coordinator_a.get(f"/surveys/results?program={program}").get_data(as_text=True)
    assert "回答：6人中6人（回答率100.0%）" in own and "B市の意見" not in own
    book = as_admin.get(f"/surveys/results.xlsx?program={program}")
    cells = [c for row in load_workbook(io.BytesIO(book.data)).active.values for c in row if c]
    assert "演習が分かりやすかった0" in cells and "B市の意見" in cells
