"""Matrix cases: catalogue pages (shared data: everyone reads, regional administrators edit)."""

from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
ADMIN_ONLY_GET = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 200}
ADMIN_ONLY_POST = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 302}


def _program_form(r, o) -> dict:
    from sqlalchemy import select

    from regional.catalogue.models import SkillArea
    from regional.extensions import db

    area = db.session.scalar(select(SkillArea).where(SkillArea.key == "cloud"))
    return {
        "code": "MTX-001",
        "title_ja": "マトリクス研修",
        "title_en": "Matrix programme",
        "skill_area": str(area.id),
        "delivery": "classroom",
        "hours": "2.5",
    }


CASES: list[Case] = [
    Case("catalogue.index", lambda r, o: "/catalogue/", SIGNED_IN),
    Case("catalogue.detail", lambda r, o: f"/catalogue/{r['program']['-']}", SIGNED_IN),
    Case("catalogue.create", lambda r, o: "/catalogue/new", ADMIN_ONLY_GET),
    Case(
        "catalogue.create",
        lambda r, o: "/catalogue/new",
        ADMIN_ONLY_POST,
        method="POST",
        data=_program_form,
    ),
    Case("catalogue.edit", lambda r, o: f"/catalogue/{r['program']['-']}/edit", ADMIN_ONLY_GET),
    Case(
        "catalogue.edit",
        lambda r, o: f"/catalogue/{r['program']['-']}/edit",
        ADMIN_ONLY_POST,
        method="POST",
        data=_program_form,
    ),
    Case(
        "catalogue.set_active",
        lambda r, o: f"/catalogue/{r['program']['-']}/active",
        ADMIN_ONLY_POST,
        method="POST",
        data=lambda r, o: {"active": "0"},
    ),
]
