"""Matrix cases: surveys (研修アンケート) and the programme review.

A survey is answered by its participant only (anyone else: 404); results and the review
are for coordinators (their own people's answers) and regional administrators.
"""

from __future__ import annotations

from datetime import timedelta

from regional.extensions import db
from regional.fiscal import fiscal_year_of
from regional.people.models import User
from regional.registrations import actions
from regional.surveys.models import SurveyFollowup, SurveyInvitation, SurveyQuestion
from regional.surveys.services import questionnaire_for
from tenants.scoping import acting_as
from tests import factories
from tests.matrix import Case
from tests.matrix import records as _records

AB = ("A", "B")
SIGNED_IN_200 = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
ADMIN_200 = {"admin": 200}
ADMIN_302 = {"admin": 302}
STAFF_200 = {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
ANSWERS = {"satisfaction": 5, "understanding": 4, "usefulness": 3, "good_points": "良かった"}


def extend(rec) -> None:
    """A session held an hour ago that employee_a and employee_b attended, each asked."""
    program_id = rec["program"]["-"]
    from regional.catalogue.models import Program

    ts = factories.make_session(
        db.session.get(Program, program_id),
        capacity=20,
        starts_in=timedelta(hours=-6),
        hours=1,
        closes_in=timedelta(hours=-7),
        opens_in=timedelta(days=-10),
    )
    questionnaire = questionnaire_for(ts)
    with acting_as(db.session, rec.world.muni_admin):
        admin = db.session.get(User, rec.world.admin)
    for owner, muni, emp in (
        ("A", rec.world.muni_a, rec.world.employee_a),
        ("B", rec.world.muni_b, rec.world.employee_b),
    ):
        with acting_as(db.session, muni):
            employee = db.session.get(User, emp)
            reg = actions.register(ts.id, employee, admin)
            reg.attended = True
            db.session.add(
                SurveyInvitation(
                    municipality_id=muni,
                    registration_id=reg.id,
                    employee_id=emp,
                    session_id=ts.id,
                    questionnaire_id=questionnaire.id,
                )
            )
            # Asked the 3-month follow-up too (as the cron would, three months on).
            db.session.add(
                SurveyFollowup(
                    municipality_id=muni,
                    registration_id=reg.id,
                    employee_id=emp,
                    session_id=ts.id,
                    program_id=ts.program_id,
                    fiscal_year=fiscal_year_of(ts.starts_at),
                )
            )
            db.session.flush()
            rec.put("survey_registration", owner, reg.id)
    rec.put("questionnaire", "-", questionnaire.id)
    rec.put("program_code", "-", ts.program.code)
    rec.put(
        "question",
        "-",
        db.session.scalars(SurveyQuestion.asked(questionnaire.id)).first().id,
    )


_records.EXTENSIONS.append(extend)

CASES: list[Case] = [
    Case("surveys.mine", lambda r, o: "/surveys/", SIGNED_IN_200),
    Case(
        "surveys.answer",
        lambda r, o: f"/surveys/registrations/{r['survey_registration'][o]}",
        {"employee_a": {"A": 200}},
        owners=AB,
        note="only the participant answers; anyone else's registration is a 404",
    ),
    Case(
        "surveys.answer",
        lambda r, o: f"/surveys/registrations/{r['survey_registration'][o]}",
        {"employee_a": {"A": 302}},
        method="POST",
        owners=AB,
        data=lambda r, o: {k: str(v) for k, v in ANSWERS.items()},
    ),
    Case(
        "surveys.results_page",
        lambda r, o: f"/surveys/results?program={r['program']['-']}",
        STAFF_200,
    ),
    Case(
        "surveys.results_xlsx",
        lambda r, o: f"/surveys/results.xlsx?program={r['program']['-']}",
        STAFF_200,
    ),
    Case("surveys.review", lambda r, o: f"/surveys/programs/{r['program']['-']}/review", STAFF_200),
    Case(
        "surveys.review_xlsx",
        lambda r, o: f"/surveys/programs/{r['program']['-']}/review.xlsx",
        STAFF_200,
    ),
    Case("api.my_surveys", lambda r, o: "/me/surveys", SIGNED_IN_200, api=True),
    Case(
        "api.answer_survey",
        lambda r, o: f"/registrations/{r['survey_registration'][o]}/survey",
        {"employee_a": {"A": 201}},
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"answers": ANSWERS},
    ),
    Case(
        "api.survey_results",
        lambda r, o: f"/programs/{r['program']['-']}/survey-results?fiscal_year=2026",
        STAFF_200,
        api=True,
    ),
    Case(
        "surveys.followup",
        lambda r, o: f"/surveys/followups/{r['survey_registration'][o]}",
        {"employee_a": {"A": 200}},
        owners=AB,
        note="only the participant answers their follow-up; anyone else's is a 404",
    ),
    Case(
        "surveys.followup",
        lambda r, o: f"/surveys/followups/{r['survey_registration'][o]}",
        {"employee_a": {"A": 302}},
        method="POST",
        owners=AB,
        data=lambda r, o: {"applied": "4", "applied_how": "係内で共有した"},
    ),
    Case(
        "api.answer_followup",
        lambda r, o: f"/registrations/{r['survey_registration'][o]}/survey/followup",
        {"employee_a": {"A": 201}},
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"answers": {"applied": 4, "applied_how": "係内で共有した"}},
    ),
    Case(
        "surveys.program_settings",
        lambda r, o: f"/surveys/programs/{r['program']['-']}/settings",
        ADMIN_200,
    ),
    Case(
        "surveys.program_settings",
        lambda r, o: f"/surveys/programs/{r['program']['-']}/settings",
        ADMIN_302,
        method="POST",
        data=lambda r, o: {"enabled": "y"},
    ),
    Case("surveys.questionnaires", lambda r, o: "/surveys/questionnaires", ADMIN_200),
    Case(
        "surveys.questionnaires",
        lambda r, o: "/surveys/questionnaires",
        ADMIN_302,
        method="POST",
        data=lambda r, o: {"name_ja": "事後アンケート", "name_en": "After the session"},
    ),
    Case(
        "surveys.questionnaire",
        lambda r, o: f"/surveys/questionnaires/{r['questionnaire']['-']}",
        ADMIN_200,
    ),
    Case(
        "surveys.questionnaire",
        lambda r, o: f"/surveys/questionnaires/{r['questionnaire']['-']}",
        ADMIN_302,
        method="POST",
        data=lambda r, o: {
            "kind": "single",
            "label_ja": "受講形態",
            "choices": "対面／In person\nオンライン／Online",
        },
    ),
    Case(
        "surveys.reword",
        lambda r, o: f"/surveys/questions/{r['question']['-']}/label",
        ADMIN_302,
        method="POST",
        data=lambda r, o: {"label_ja": "研修全体の満足度", "label_en": "Overall satisfaction"},
    ),
    Case(
        "surveys.attach_to",
        lambda r, o: f"/surveys/questionnaires/{r['questionnaire']['-']}/attach",
        ADMIN_302,
        method="POST",
        data=lambda r, o: {"program_code": r["program_code"]["-"]},
    ),
]
