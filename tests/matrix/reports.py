"""Matrix cases: the participant's report (受講報告) and its acknowledgement (確認).

For each of member A and B, a programme asking for a report and one session of it: the
member's employee (``employee_a`` / ``employee_b``) attended it (``report_registration``),
and so did the staff member of the unit ``employee_a`` / ``employee_b`` heads (from the
heads cases), whose report (``staff_report``) awaits that head. Only the participant
writes their own report; only their head acknowledges it; every coordinator sees the
overview of their own member's people only.
"""

from datetime import timedelta

from regional.extensions import db
from regional.fiscal import fiscal_year_of
from regional.people.models import User
from regional.registrations import actions
from regional.reports import services
from tenants.scoping import acting_as
from tests import factories
from tests.matrix import Case, heads, records

AB = ("A", "B")
NAMES = {"A": "報告 太郎A", "B": "報告 次郎B"}
OWN = {"employee_a": {"A": 200, "B": 404}}
OWN_POST = {"employee_a": {"A": 302, "B": 404}}
INBOX = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
OVERVIEW = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200}


def extend(rec) -> None:
    world = rec.world
    program = factories.make_program(report_required=True, report_template="学んだこと")
    ts = factories.make_session(program, starts_in=timedelta(days=40))
    for owner, muni, employee_id, coordinator_id in (
        ("A", world.muni_a, world.employee_a, world.coordinator_a),
        ("B", world.muni_b, world.employee_b, world.coordinator_b),
    ):
        with acting_as(db.session, muni):
            coordinator = db.session.get(User, coordinator_id)
            employee = db.session.get(User, employee_id)
            staff = db.session.get(User, rec["head_staff"][owner])
            staff.name = NAMES[owner]
            own = actions.register(ts.id, employee, coordinator)
            theirs = actions.register(ts.id, staff, coordinator)
            own.attended = theirs.attended = True
            db.session.flush()
            report = services.write(theirs, staff, "業務で活かす")
            rec.put("report_registration", owner, own.id)
            rec.put("staff_report", owner, report.id)
            rec.put("report_fy", owner, fiscal_year_of(ts.starts_at))


if heads.extend in records.EXTENSIONS and extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)


def _own_people_only(r, role: str, o: str) -> tuple[list[str], list[str]]:
    """A coordinator's overview names their member's people and never the other's."""
    if role == "coordinator_a":
        return [NAMES["A"]], [NAMES["B"]]
    if role == "coordinator_b":
        return [NAMES["B"]], [NAMES["A"]]
    return [], [NAMES["A"], NAMES["B"]]


CASES: list[Case] = [
    Case(
        "reports.write",
        lambda r, o: f"/reports/registrations/{r['report_registration'][o]}",
        OWN,
        owners=AB,
    ),
    Case(
        "reports.write",
        lambda r, o: f"/reports/registrations/{r['report_registration'][o]}",
        OWN_POST,
        method="POST",
        owners=AB,
        data=lambda r, o: {"body": "研修で学んだことを係内で共有する"},
    ),
    Case("reports.inbox", lambda r, o: "/reports/acknowledge", INBOX),
    Case(
        "reports.acknowledge",
        lambda r, o: f"/reports/{r['staff_report'][o]}/acknowledge",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case("reports.overview", lambda r, o: "/reports/sessions", OVERVIEW, shows=_own_people_only),
]

# The API (docs/api.md): the same rules as the pages, answered in JSON.
SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
MEMBER = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}


def _api_own_people_only(r, role: str, o: str) -> tuple[list[str], list[str]]:
    """The member's list names its own participants only (by their registration's id)."""
    own, other = (o, "B" if o == "A" else "A")
    return (
        [f'"registration_id":{r["report_registration"][own]},'],
        [f'"registration_id":{r["report_registration"][other]},'],
    )


CASES += [
    Case("api.my_reports", lambda r, o: "/me/reports", SIGNED_IN, api=True),
    Case(
        "api.write_report",
        lambda r, o: f"/registrations/{r['report_registration'][o]}/report",
        {"employee_a": {"A": 201, "B": 404}},
        method="POST",
        owners=AB,
        api=True,
        data=lambda r, o: {"text": "研修で学んだことを係内で共有する"},
    ),
    Case(
        "api.my_report_acknowledgements",
        lambda r, o: "/me/report-acknowledgements",
        SIGNED_IN,
        api=True,
        note="employee_a heads a unit; every coordinator acknowledges where no head does",
    ),
    Case(
        "api.acknowledge_report",
        lambda r, o: f"/reports/{r['staff_report'][o]}/acknowledge",
        {"employee_a": {"A": 200, "B": 404}},
        method="POST",
        owners=AB,
        api=True,
    ),
    Case(
        "api.member_reports",
        lambda r, o: f"/municipalities/{r.code(o)}/reports?fiscal_year={r['report_fy'][o]}",
        MEMBER,
        owners=AB,
        api=True,
        shows=_api_own_people_only,
    ),
]
