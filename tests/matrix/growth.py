"""Matrix cases: qualifications, on-the-job training (pages and API).

A person's record belongs to their municipality: the person, that
municipality's coordinator and regional administrators reach it; anyone else
gets 404. Checking (verify, return, confirm) is for coordinators: employees
get 403 before any record is looked up. The persona rules are regional (admins).
"""

from __future__ import annotations

from datetime import date

from regional.extensions import db
from regional.growth import certificates, files
from regional.growth.models import Material, MaterialKind, OjtRecord, Qualification
from regional.seats.models import Registration
from tenants.scoping import acting_as, all_tenants
from tests.fixtures_growth import completed_registration
from tests.matrix import Case
from tests.matrix import records as _records

AB = ("A", "B")
SIGNED_IN_200 = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
SIGNED_IN_201 = {"employee_a": 201, "coordinator_a": 201, "coordinator_b": 201, "admin": 201}
SIGNED_IN_302 = {"employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302}
STAFF_200 = {"employee_a": 403, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
#: Checking a record of A or B: that municipality's coordinator and administrators.
CHECKER = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}
#: A completed registration of A or B: its employee, its coordinator, administrators.
OWN_REG = {
    "employee_a": {"A": 200, "B": 404},
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 200, "B": 200},
}
EVERYONE_200 = {"anon": 200, **SIGNED_IN_200}
CHECKER_POST = {
    k: v if isinstance(v, int) else {o: 302 if s == 200 else s for o, s in v.items()}
    for k, v in CHECKER.items()
}


def extend(rec) -> None:
    """One qualification and one OJT record of an employee of A and of B."""
    for owner, muni, emp in (
        ("A", rec.world.muni_a, rec.world.employee_a),
        ("B", rec.world.muni_b, rec.world.employee_b),
    ):
        with acting_as(db.session, muni):
            q = Qualification(
                municipality_id=muni,
                employee_id=emp,
                exam_code="FE",
                passed_on=date(2025, 11, 20),
                certificate_number=f"FE-{owner}",
                scan_name=files.store(b"%PDF-1.4 scan"),
                scan_kind="pdf",
                scan_filename="scan.pdf",
            )
            r = OjtRecord(
                municipality_id=muni,
                employee_id=emp,
                title=f"OJT {owner}",
                started_on=date(2025, 4, 1),
                skill_areas=["cloud"],
            )
            db.session.add_all([q, r])
            db.session.flush()
        rec.put("qualification", owner, q.id)
        rec.put("ojt", owner, r.id)
        done = completed_registration(rec.world, emp)
        rec.put("completed_registration", owner, done)
    for owner, audience in (("-", None), ("A", rec.world.muni_a), ("B", rec.world.muni_b)):
        m = Material(
            audience_municipality_id=audience,
            title=f"教材 {owner}",
            kind=MaterialKind.FILE,
            file_name=files.store("学習メモ".encode()),
            file_kind="txt",
            file_size=12,
            original_filename="memo.txt",
        )
        with all_tenants(db.session):  # the region's material is behind every member's wall
            db.session.add(m)
            db.session.flush()
        rec.put("material", owner, m.id)
    for owner, muni in (("A", rec.world.muni_a), ("B", rec.world.muni_b)):
        with acting_as(db.session, muni):
            reg = db.session.get(Registration, rec["completed_registration"][owner])
            cert = certificates.of_registration(reg)  # issued with the completion
            rec.put("certificate", owner, cert.id)
            rec.put("certificate_code", owner, cert.code)
    rec.put("certificate_code", "-", rec["certificate_code"]["A"])


if extend not in _records.EXTENSIONS:
    _records.EXTENSIONS.append(extend)

PASS = {"exam": "SC", "passed_on": "2025-10-01", "certificate_number": "SC-1"}
OJT = {"title": "庁内ネットワーク更改", "started_on": "2025-04-01", "skill_areas": ["cloud"]}

CASES: list[Case] = [
    # -- pages --------------------------------------------------------------------
    Case("growth.qualifications_mine", lambda r, o: "/growth/qualifications", SIGNED_IN_302),
    Case(
        "growth.qualifications_mine",
        lambda r, o: "/growth/qualifications",
        SIGNED_IN_302,
        method="POST",
        data=lambda r, o: PASS,
    ),
    Case("growth.qualifications_review", lambda r, o: "/growth/qualifications/review", STAFF_200),
    Case(
        "growth.qualifications_review",
        lambda r, o: "/growth/qualifications/review?status=&exam=SC",
        STAFF_200,
    ),
    Case(
        "growth.qualification_verify",
        lambda r, o: f"/growth/qualifications/{r['qualification'][o]}/verify",
        CHECKER_POST,
        method="POST",
        owners=AB,
    ),
    Case(
        "growth.qualification_return",
        lambda r, o: f"/growth/qualifications/{r['qualification'][o]}/return",
        CHECKER_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"reason": "読めません"},
    ),
    Case("growth.qualifications_summary", lambda r, o: "/growth/qualifications/summary", STAFF_200),
    Case(
        "growth.qualification_personas",
        lambda r, o: "/growth/qualifications/personas",
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 200},
    ),
    Case(
        "growth.qualification_personas",
        lambda r, o: "/growth/qualifications/personas",
        {"employee_a": 403, "coordinator_a": 403, "coordinator_b": 403, "admin": 302},
        method="POST",
        data=lambda r, o: {"advanced": "SC"},
    ),
    Case("growth.ojt_mine", lambda r, o: "/growth/ojt", SIGNED_IN_302),
    Case(
        "growth.ojt_mine",
        lambda r, o: "/growth/ojt",
        SIGNED_IN_302,
        method="POST",
        data=lambda r, o: OJT,
    ),
    Case("growth.ojt_review", lambda r, o: "/growth/ojt/review", STAFF_200),
    Case(
        "growth.ojt_review",
        lambda r, o: "/growth/ojt/review",
        {"employee_a": 403, "coordinator_a": 302, "coordinator_b": 200, "admin": 200},
        method="POST",
        data=lambda r, o: {**OJT, "employee": r["email"]["A"]},
        note="only A's coordinator finds A's employee (others see the form again, nothing saved)",
        unchanged_for=("coordinator_b", "admin"),
    ),
    Case(
        "growth.ojt_confirm",
        lambda r, o: f"/growth/ojt/{r['ojt'][o]}/confirm",
        CHECKER_POST,
        method="POST",
        owners=AB,
    ),
    # -- API ----------------------------------------------------------------------
    Case("api.my_qualifications", lambda r, o: "/me/qualifications", SIGNED_IN_200, api=True),
    Case(
        "api.record_my_qualification",
        lambda r, o: "/me/qualifications",
        SIGNED_IN_201,
        method="POST",
        api=True,
        data=lambda r, o: PASS,
    ),
    Case(
        "api.verify_qualification",
        lambda r, o: f"/qualifications/{r['qualification'][o]}/verify",
        CHECKER,
        method="POST",
        owners=AB,
        api=True,
    ),
    Case(
        "api.return_qualification",
        lambda r, o: f"/qualifications/{r['qualification'][o]}/return",
        CHECKER,
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"reason": "番号が違います"},
    ),
    Case(
        "api.municipality_qualifications",
        lambda r, o: f"/municipalities/{r.code(o)}/qualifications?exam=FE&status=unverified",
        CHECKER,
        owners=AB,
        api=True,
    ),
    Case("api.my_ojt", lambda r, o: "/me/ojt", SIGNED_IN_200, api=True),
    Case(
        "api.record_my_ojt",
        lambda r, o: "/me/ojt",
        SIGNED_IN_201,
        method="POST",
        api=True,
        data=lambda r, o: OJT,
    ),
    Case(
        "api.confirm_ojt",
        lambda r, o: f"/ojt/{r['ojt'][o]}/confirm",
        CHECKER,
        method="POST",
        owners=AB,
        api=True,
    ),
    # -- certificates -------------------------------------------------------------
    Case("growth.certificates_mine", lambda r, o: "/growth/certificates", SIGNED_IN_302),
    Case(
        "growth.certificate_pdf",
        lambda r, o: f"/growth/certificates/{r['certificate'][o]}/pdf",
        OWN_REG,
        owners=AB,
        note="another member's certificate is 404; a download writes nothing",
    ),
    Case(
        "growth.certificate_revoke",
        lambda r, o: f"/growth/certificates/{r['certificate'][o]}/revoke",
        CHECKER,
        owners=AB,
    ),
    Case(
        "growth.certificate_revoke",
        lambda r, o: f"/growth/certificates/{r['certificate'][o]}/revoke",
        CHECKER_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"reason": "出席記録の誤り"},
        note="the person's coordinator and administrators; another member's is 404",
    ),
    Case(
        "api.registration_certificate",
        lambda r, o: f"/registrations/{r['completed_registration'][o]}/certificate",
        OWN_REG,
        owners=AB,
        api=True,
    ),
    Case(
        "api.registration_certificate",
        lambda r, o: f"/registrations/{r['registration'][o]}/certificate",
        {},
        owners=AB,
        api=True,
        note="not completed: no certificate for anyone",
    ),
    Case(
        "api.check_certificate",
        lambda r, o: f"/certificates/{r['certificate_code']['-']}",
        EVERYONE_200,
        api=True,
        note="public: no sign-in",
    ),
    Case(
        "api.revoke_certificate",
        lambda r, o: f"/certificates/{r['certificate_code'][o]}/revoke",
        CHECKER,
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"reason": "出席記録の誤り"},
        note="employees 403; another member's certificate is 404",
    ),
    Case(
        "growth.verify_certificate",
        lambda r, o: f"/growth/verify/{r['certificate_code']['-']}",
        EVERYONE_200,
    ),
    Case("growth.verify_certificate", lambda r, o: "/growth/verify", EVERYONE_200),
    # -- materials and scans ----------------------------------------------------------
    Case("growth.materials_index", lambda r, o: "/growth/materials", SIGNED_IN_200),
    Case(
        "growth.materials_index",
        lambda r, o: "/growth/materials?skill_area=cloud&exam=FE",
        SIGNED_IN_200,
    ),
    Case(
        "growth.material_publish",
        lambda r, o: "/growth/materials",
        {"employee_a": 403, "coordinator_a": 302, "coordinator_b": 302, "admin": 302},
        method="POST",
        data=lambda r, o: {"title": "IPA", "url": "https://www.ipa.go.jp/"},
    ),
    Case(
        "growth.material_download",
        lambda r, o: f"/growth/materials/{r['material'][o]}/download",
        {
            "employee_a": {"-": 200, "A": 200, "B": 404},
            "coordinator_a": {"-": 200, "A": 200, "B": 404},
            "coordinator_b": {"-": 200, "A": 404, "B": 200},
            "admin": {"-": 200, "A": 200, "B": 200},
        },
        owners=("-", "A", "B"),
        note="regional material: everyone's staff; a member's own: that member only",
    ),
    Case(
        "growth.material_delete",
        lambda r, o: f"/growth/materials/{r['material'][o]}/delete",
        {
            "employee_a": 403,
            "coordinator_a": {"-": 403, "A": 302, "B": 404},
            "coordinator_b": {"-": 403, "A": 404, "B": 302},
            "admin": {"-": 302, "A": 302, "B": 302},
        },
        method="POST",
        owners=("-", "A", "B"),
        note="a coordinator cannot delete regional material",
    ),
    Case(
        "growth.qualification_scan",
        lambda r, o: f"/growth/qualifications/{r['qualification'][o]}/scan",
        OWN_REG,
        owners=AB,
        note="the person, their coordinator, administrators; a download",
    ),
    Case(
        "growth.qualification_edit",
        lambda r, o: f"/growth/qualifications/{r['qualification'][o]}/edit",
        {"employee_a": {"A": 200, "B": 404}},
        owners=AB,
        note="only the person corrects their own record (coordinators verify or return)",
    ),
    Case(
        "growth.qualification_edit",
        lambda r, o: f"/growth/qualifications/{r['qualification'][o]}/edit",
        {"employee_a": {"A": 302, "B": 404}},
        method="POST",
        owners=AB,
        data=lambda r, o: PASS,
    ),
]
