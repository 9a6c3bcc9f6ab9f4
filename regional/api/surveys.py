"""API: surveys (研修アンケート), see docs/api.md.

* ``GET /me/surveys``: the surveys waiting for the signed-in person;
* ``POST /registrations/<id>/survey`` with ``{"answers": {key: value}}``: 201; 409
  ``already_answered``; 422 ``not_attended`` or ``invalid_answer``; another person's
  registration is a 404;
* ``POST /registrations/<id>/survey/followup`` with ``{"answers": {"applied": 1-5,
  "applied_how": text}}``: the 3-month follow-up, 201; 409 ``already_answered``; a
  registration never asked, or another person's, is a 404;
* ``GET /programs/<id>/survey-results?fiscal_year=YYYY``: coordinators their own people's
  answers, regional administrators everyone's; figures are null below 5 answers.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import fiscal_year_arg, iso, json_body, require_login, require_role
from regional.catalogue.models import Program
from regional.errors import NotFound
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.i18n import locale_code
from regional.roles import is_coordinator
from regional.surveys import followups
from regional.surveys.results import Scope, results
from regional.surveys.services import questions_of, submit, waiting_for
from regional.tenancy import own_records


@bp.get("/me/surveys")
@require_login
@own_records
def my_surveys():
    locale = locale_code()
    items = []
    for w in waiting_for(current_user):
        reg = w.registration
        items.append(
            {
                "registration_id": reg.id,
                "session_id": reg.session_id,
                "program_title": reg.session.program.title(locale),
                "starts_at": iso(reg.session.starts_at),
                "questions": [
                    {
                        "key": q.key,
                        "kind": q.kind.value,
                        "label": q.label(locale),
                        "choices": q.choice_labels(locale),
                        "required": q.required,
                    }
                    for q in questions_of(w.questionnaire_id)
                ],
                "followup": False,
            }
        )
    items.extend(
        _followup_item(w.registration, locale) for w in followups.waiting_for(current_user)
    )
    return {"items": items}


def _followup_item(reg, locale: str) -> dict:
    """A waiting follow-up in the survey items' shape, marked ``"followup": true``."""
    return {
        "registration_id": reg.id,
        "session_id": reg.session_id,
        "program_title": reg.session.program.title(locale),
        "starts_at": iso(reg.session.starts_at),
        "questions": [
            {
                "key": followups.SCALE_KEY,
                "kind": "scale5",
                "label": _("Could you use what you learned in your work?"),
                "choices": ["1", "2", "3", "4", "5"],
                "required": True,
            },
            {
                "key": followups.TEXT_KEY,
                "kind": "text",
                "label": _("How did you use it, or why could you not?"),
                "choices": [],
                "required": False,
            },
        ],
        "followup": True,
    }


@bp.post("/registrations/<int:registration_id>/survey/followup")
@require_login
@own_records
def answer_followup(registration_id: int):
    data = json_body()
    found = followups.answer(registration_id, current_user, data.get("answers"))
    body = {
        "id": found.id,
        "registration_id": found.registration_id,
        "session_id": found.session_id,
        "answered_at": iso(found.answered_at),
    }
    db.session.commit()
    return body, 201


@bp.post("/registrations/<int:registration_id>/survey")
@require_login
@own_records
def answer_survey(registration_id: int):
    data = json_body()
    response = submit(registration_id, current_user, data.get("answers"))
    body = {
        "id": response.id,
        "registration_id": response.registration_id,
        "session_id": response.session_id,
        "submitted_at": iso(response.submitted_at),
    }
    db.session.commit()
    return body, 201


@bp.get("/programs/<int:program_id>/survey-results")
@require_role(is_coordinator)
def survey_results(program_id: int):
    if db.session.get(Program, program_id) is None:
        raise NotFound("not_found", _("Not found."))
    fy = fiscal_year_arg() or fiscal_year_of(now_utc())
    found = results(Scope(program_id=program_id, fiscal_year=fy), current_user, locale_code())
    return {
        "program_id": program_id,
        "fiscal_year": fy,
        "responses": found.responses,
        "invited": found.invited,
        "response_rate": None if found.rate is None else round(found.rate, 4),
        "questions": [
            {
                "key": q.key,
                "label": q.label,
                "kind": q.kind.value,
                "count": q.count,
                "mean": q.mean,
                "distribution": None
                if q.distribution is None
                else [{"choice": label, "count": n} for label, n in q.distribution],
            }
            for q in found.questions
        ],
        "comments": [text for _label, text in found.comments],
        "followup": _followup_figures(found.followup),
    }


def _followup_figures(f) -> dict | None:
    """The 3-month follow-up's figures (null where nobody in scope was asked it)."""
    if f is None:
        return None
    return {
        "answered": f.answered,
        "asked": f.asked,
        "response_rate": None if f.rate is None else round(f.rate, 4),
        "mean": f.mean,
        "distribution": None
        if f.distribution is None
        else [{"choice": label, "count": n} for label, n in f.distribution],
        "comments": list(f.comments),
    }
