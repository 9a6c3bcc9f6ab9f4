"""API: a person's own training record (``GET /me/record``, see docs/api.md)."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from regional.api import bp
from regional.api.common import require_login
from regional.api.growth import ojt_json, qualification_json
from regional.attendance.models import Certificate
from regional.extensions import db
from regional.growth.models import OjtRecord, Qualification
from regional.i18n import locale_code
from regional.records.services import completion_json, person_record
from tenants.scoping import acting_as


@bp.get("/me/record")
@require_login
def me_record():
    """Completions (each with its valid certificate's code), personas, OJT and qualifications."""
    with acting_as(db.session, current_user.municipality_id):
        locale = locale_code()
        record = person_record(current_user, locale)
        codes = dict(
            db.session.execute(
                select(Certificate.completion_id, Certificate.code).where(
                    Certificate.employee_id == current_user.id, Certificate.revoked_at.is_(None)
                )
            ).all()
        )
        return {
            "completions": [
                completion_json(c, locale, codes.get(c.id)) for c in record.completions
            ],
            "personas": [key for key, _label in record.personas],
            "ojt": [
                ojt_json(r) for r in db.session.scalars(OjtRecord.of_employee(current_user.id))
            ],
            "qualifications": [
                qualification_json(q)
                for q in db.session.scalars(Qualification.of_employee(current_user.id))
            ],
        }
