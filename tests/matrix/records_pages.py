"""Matrix cases: training records (my own for everyone signed in; a person's for their coordinator)."""

from tests.matrix import Case

SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
SIGNED_IN_302 = {"employee_a": 302, "coordinator_a": 302, "coordinator_b": 302, "admin": 302}
OWN = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": {"A": 404, "B": 404},
}

CASES: list[Case] = [
    Case("records.mine", lambda r, o: "/records/me", SIGNED_IN_302),
    Case("records.my_training", lambda r, o: "/records/my-training", SIGNED_IN),
    *(
        Case("records.my_training", lambda r, o, tab=tab: f"/records/my-training/{tab}", SIGNED_IN)
        for tab in ("history", "certificates", "qualifications")
    ),
    Case("records.mine_csv", lambda r, o: "/records/me.csv", SIGNED_IN),
    Case("records.person", lambda r, o: f"/records/people/{r['user'][o]}", OWN, owners=("A", "B")),
    Case("api.me_record", lambda r, o: "/me/record", SIGNED_IN, api=True),
]
