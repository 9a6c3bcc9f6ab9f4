"""Matrix cases: the employees API (a municipality's coordinators and regional administrators).

The role is checked before the code: an employee gets 403 for any code; a
coordinator naming another member (or an unknown code) gets 404.
"""

from tests.matrix import Case

AB = ("A", "B")
LIST = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}
ADD = {
    "employee_a": 403,
    "coordinator_a": {"A": 201, "B": 404},
    "coordinator_b": {"A": 404, "B": 201},
    "admin": 201,
}


def _new_employee(r, o):
    domain = {"A": "city.tsuyama.lg.jp", "B": "city.tamano.lg.jp"}[o]
    return {
        "email": f"api.new@{domain}",
        "name": "岡 新人",
        "employee_number": f"API-{o}-1",
    }


CASES: list[Case] = [
    Case(
        "api.employees",
        lambda r, o: f"/municipalities/{r.code(o)}/employees",
        LIST,
        owners=AB,
        api=True,
    ),
    Case(
        "api.employees",
        lambda r, o: "/municipalities/999999/employees",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        api=True,
        note="an unknown code looks like another member's",
    ),
    Case(
        "api.employee",
        lambda r, o: f"/municipalities/{r.code(o)}/employees/{r['user'][o]}",
        LIST,
        owners=AB,
        api=True,
    ),
    Case(
        "api.employee",
        lambda r, o: f"/municipalities/{r.code('A')}/employees/{r['user']['B']}",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        api=True,
        note="another member's employee named under one's own code is not found",
    ),
    Case(
        "api.update_employee",
        lambda r, o: f"/municipalities/{r.code(o)}/employees/{r['user'][o]}",
        {
            "employee_a": 403,
            "coordinator_a": {"A": 200, "B": 404},
            "coordinator_b": {"A": 404, "B": 200},
            "admin": 200,
        },
        method="PATCH",
        owners=AB,
        api=True,
        data=lambda r, o: {"name": "岡 改名"},
    ),
    Case(
        "api.update_employee",
        lambda r, o: f"/municipalities/{r.code('A')}/employees/{r['user']['B']}",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        method="PATCH",
        api=True,
        data=lambda r, o: {"name": "岡 改名"},
    ),
    Case(
        "api.add_employee",
        lambda r, o: f"/municipalities/{r.code(o)}/employees",
        ADD,
        method="POST",
        owners=AB,
        api=True,
        data=_new_employee,
    ),
]
