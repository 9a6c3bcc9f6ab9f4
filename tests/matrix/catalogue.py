"""Matrix cases: catalogue pages (shared data: everyone reads, regional administrators edit)."""

from tests.matrix import Case, records


def extend(rec: records.Records) -> None:
    """Two programmes without sessions: one nobody is interested in (registering changes
    something for every role), one everybody is (withdrawing does)."""
    from regional.catalogue.models import SynonymGroup
    from regional.extensions import db
    from regional.registrations.models import ProgramInterest
    from tenants.scoping import acting_as
    from tests import factories

    rec.put("quiet_program", "-", factories.make_program().id)
    group = SynonymGroup(words=["マトリクス", "matrix"], added_by_id=rec.world.admin)
    db.session.add(group)
    db.session.flush()
    rec.put("synonyms", "-", group.id)
    wanted = factories.make_program()
    rec.put("wanted_program", "-", wanted.id)
    w = rec.world
    for user, muni in (
        (w.employee_a, w.muni_a),
        (w.coordinator_a, w.muni_a),
        (w.coordinator_b, w.muni_b),
        (w.admin, w.muni_admin),
    ):
        with acting_as(db.session, muni):
            db.session.add(
                ProgramInterest(municipality_id=muni, employee_id=user, program_id=wanted.id)
            )
            db.session.flush()


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
ADMIN_ONLY_GET = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 200}
ADMIN_ONLY_POST = {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 302}
#: A person's own interest: everyone signed in, for themselves only (no URL names one).
OWN_INTEREST = {"employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302}


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
    # A programme of a persona track (cloud: core digital technology): first the effect on
    # the figures (nothing saved), then the save once confirmed.
    Case(
        "catalogue.create",
        lambda r, o: "/catalogue/new",
        ADMIN_ONLY_GET,
        method="POST",
        data=_program_form,
        changes=False,
        note="the effect on the figures, shown before saving",
    ),
    Case(
        "catalogue.create",
        lambda r, o: "/catalogue/new",
        ADMIN_ONLY_POST,
        method="POST",
        data=lambda r, o: {**_program_form(r, o), "confirmed": "1"},
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
        data=lambda r, o: {"active": "0", "confirmed": "1"},
    ),
]
CASES += [
    Case(
        "catalogue.register_interest",
        lambda r, o: f"/catalogue/{r['quiet_program']['-']}/interest",
        OWN_INTEREST,
        method="POST",
        data=lambda r, o: {},
        note="the signed-in person's own interest, stamped with their own municipality",
    ),
    Case(
        "catalogue.withdraw_interest",
        lambda r, o: f"/catalogue/{r['wanted_program']['-']}/interest/withdraw",
        OWN_INTEREST,
        method="POST",
        data=lambda r, o: {},
        note="removes the signed-in person's own interest only",
    ),
    Case(
        "catalogue.register_interest",
        lambda r, o: "/catalogue/999999/interest",
        {"employee_a": 404, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        method="POST",
        data=lambda r, o: {},
    ),
]
CASES += [
    Case("catalogue.synonyms", lambda r, o: "/catalogue/synonyms", ADMIN_ONLY_GET),
    Case(
        "catalogue.synonyms",
        lambda r, o: "/catalogue/synonyms",
        ADMIN_ONLY_POST,
        method="POST",
        data=lambda r, o: {"words": "行列, マトリックス"},
    ),
    Case(
        "catalogue.remove_synonyms",
        lambda r, o: f"/catalogue/synonyms/{r['synonyms']['-']}/delete",
        ADMIN_ONLY_POST,
        method="POST",
        data=lambda r, o: {},
    ),
    Case(
        "catalogue.remove_synonyms",
        lambda r, o: "/catalogue/synonyms/999999/delete",
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 404},
        method="POST",
        data=lambda r, o: {},
    ),
]
