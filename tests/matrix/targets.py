"""Matrix cases: targets and progress (a municipality's coordinators; regional administrators).

Entered by code: an employee gets 403 whatever the code; a coordinator naming
another member (or an unknown code) gets 404. The region's progress is the
regional administrators' alone.
"""

from tests.matrix import Case

AB = ("A", "B")
OWN = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}
UNKNOWN = {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404}


def _body(r, o):
    return {"kind": "annual", "target": 50, "period_start_fy": 2024, "population": 400}


PAGE_OWN = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200, "employee_a": 403}
POST_NAMED = {
    "employee_a": 403,
    "coordinator_a": {"A": 302, "B": 404},
    "coordinator_b": {"A": 404, "B": 302},
    "admin": 302,
}
ADMIN_ONLY = {"admin": 200, "employee_a": 403, "coordinator_a": 403, "coordinator_b": 403}
ADMIN_POST = {"admin": 302, "employee_a": 403, "coordinator_a": 403, "coordinator_b": 403}


def _form(r, o):
    return {"target": "40", "period_start_fy": "2024", "period_end_fy": "", "population": ""}


CASES: list[Case] = [
    Case("targets.index", lambda r, o: "/targets/", PAGE_OWN),
    Case("targets.index", lambda r, o: f"/targets/?municipality={r.code(o)}", OWN, owners=AB),
    Case("targets.index", lambda r, o: "/targets/?municipality=999999", UNKNOWN),
    Case(
        "targets.edit", lambda r, o: f"/targets/security?municipality={r.code(o)}", OWN, owners=AB
    ),
    Case(
        "targets.edit",
        lambda r, o: f"/targets/security?municipality={r.code(o)}",
        POST_NAMED,
        method="POST",
        owners=AB,
        data=_form,
    ),
    Case("targets.edit", lambda r, o: "/targets/security?municipality=999999", UNKNOWN),
    Case("targets.measures", lambda r, o: "/targets/measures", ADMIN_ONLY),
    Case("targets.edit_measure", lambda r, o: "/targets/measures/core_pm", ADMIN_ONLY),
    # First the effect (a preview: nothing saved), then the save once confirmed.
    Case(
        "targets.edit_measure",
        lambda r, o: "/targets/measures/core_pm",
        ADMIN_ONLY,
        method="POST",
        data=lambda r, o: {"rule": "at_least", "min_programs": "3", "applies": "today"},
        changes=False,
        note="the effect on the figures, shown before saving",
    ),
    Case(
        "targets.edit_measure",
        lambda r, o: "/targets/measures/core_pm",
        ADMIN_POST,
        method="POST",
        data=lambda r, o: {
            "rule": "at_least",
            "min_programs": "3",
            "applies": "today",
            "confirmed": "1",
        },
    ),
    Case(
        "api.targets", lambda r, o: f"/municipalities/{r.code(o)}/targets", OWN, owners=AB, api=True
    ),
    Case("api.targets", lambda r, o: "/municipalities/999999/targets", UNKNOWN, api=True),
    Case(
        "api.target",
        lambda r, o: f"/municipalities/{r.code(o)}/targets/security?period_start_fy=2024",
        OWN,
        owners=AB,
        api=True,
        note="the security targets of A and B come from tests/matrix/dashboards.py",
    ),
    Case("api.target", lambda r, o: "/municipalities/999999/targets/security", UNKNOWN, api=True),
    Case(
        "api.put_target",
        lambda r, o: f"/municipalities/{r.code(o)}/targets/security",
        OWN,
        method="PUT",
        owners=AB,
        api=True,
        data=_body,
    ),
    Case(
        "api.put_target",
        lambda r, o: "/municipalities/999999/targets/security",
        UNKNOWN,
        method="PUT",
        api=True,
        data=_body,
    ),
    Case(
        "api.progress",
        lambda r, o: f"/municipalities/{r.code(o)}/progress?fiscal_year=2025",
        OWN,
        owners=AB,
        api=True,
    ),
    Case("api.progress", lambda r, o: "/municipalities/999999/progress", UNKNOWN, api=True),
    Case(
        "api.region",
        lambda r, o: "/region/progress?fiscal_year=2025",
        {"admin": 200, "employee_a": 403, "coordinator_a": 403, "coordinator_b": 403},
        api=True,
    ),
]
