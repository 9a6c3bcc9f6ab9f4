"""Matrix cases: the staff roster import and export (pages and API).

A coordinator imports into their own municipality only; another member's code
is a 404 like an unknown one. A regional administrator's pages act in the
member they switched to (Okayama City here); the API names the member by code.
"""

import io

from regional.auth import tokens
from regional.extensions import db
from regional.people.job_categories import JobCategoryWord
from regional.people.models import JobCategory, User
from tenants.scoping import acting_as
from tests import factories
from tests.matrix import Case, records

AB = ("A", "B")
STAFF = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200, "employee_a": 403}
STAFF_302 = {"coordinator_a": 302, "coordinator_b": 302, "admin": 302, "employee_a": 403}
OWN_API = {
    "employee_a": 403,
    "coordinator_a": {"A": 200, "B": 404},
    "coordinator_b": {"A": 404, "B": 200},
    "admin": 200,
}


OWN_POST = {
    "employee_a": 403,
    "coordinator_a": {"A": 302, "B": 404},
    "coordinator_b": {"A": 404, "B": 302},
    "admin": {"A": 404, "B": 404},
}
EVERYONE = ("anon", "employee_a", "coordinator_a", "coordinator_b", "admin")


def extend(rec: records.Records) -> None:
    """An imported person (no password) of A and B, an invitation link for A's, and a
    職種 name of each member's own."""
    for owner, muni in (("A", rec.world.muni_a), ("B", rec.world.muni_b)):
        person = factories.make_user(muni)
        with acting_as(db.session, muni):
            person = db.session.get(User, person.id)
            person.password_hash = None
            db.session.flush()
            rec.put("imported_user", owner, person.id)
            if owner == "A":
                rec.put("invite_token", "A", tokens.make_token(person, tokens.INVITE))
            word = JobCategoryWord(word="主事", word_key="主事", category=JobCategory.OTHER)
            db.session.add(word)
            db.session.flush()
            rec.put("job_word", owner, word.id)


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)


def _header_only(r, o):
    """A roster with no rows: a valid preview for anyone allowed to ask."""
    return {"file": (io.BytesIO("職員番号,氏名,メールアドレス\r\n".encode("cp932")), "roster.csv")}


CASES: list[Case] = [
    Case("people.roster", lambda r, o: "/people/roster", STAFF),
    Case("people.roster", lambda r, o: "/people/roster", STAFF, method="POST", files=_header_only),
    Case(
        "people.roster_confirm",
        lambda r, o: "/people/roster/confirm",
        {role: status for role, status in STAFF_302.items() if status != 302},
        method="POST",
        data=lambda r, o: {"upload": "1", "token": "forged"},
        note="a forged preview is refused for everyone (staff: back to the upload page)",
    ),
    Case(
        "people.roster_done",
        lambda r, o: "/people/roster/done",
        STAFF_302,
        note="no import in this session: back to the upload page",
    ),
    Case(
        "people.roster_export_file",
        lambda r, o: "/people/roster/export.csv",
        STAFF,
        note="A has 𠮷野 花子: CP932 cannot hold 𠮷, so 吉 is written with a note row",
    ),
    Case(
        "people.roster_export_file",
        lambda r, o: "/people/roster/export.csv?encoding=utf-8",
        STAFF,
    ),
    Case("people.roster_export_file", lambda r, o: "/people/roster/export.xlsx", STAFF),
    Case(
        "api.roster",
        lambda r, o: f"/municipalities/{r.code(o)}/roster",
        OWN_API,
        method="POST",
        owners=AB,
        api=True,
        files=_header_only,
        note="a preview: nothing is saved without ?commit=true",
        changes=False,
    ),
    Case(
        "api.roster",
        lambda r, o: f"/municipalities/{r.code(o)}/roster?commit=true",
        OWN_API,
        method="POST",
        owners=AB,
        api=True,
        files=_header_only,
    ),
    Case(
        "api.roster",
        lambda r, o: "/municipalities/999999/roster",
        {"employee_a": 403, "coordinator_a": 404, "coordinator_b": 404, "admin": 404},
        method="POST",
        api=True,
        files=_header_only,
        note="an unknown code looks like another member's",
    ),
    Case(
        "people.invite_batch",
        lambda r, o: "/people/invitations",
        STAFF,
        note="the confirmation: how many, who, the invitation (nothing sent)",
    ),
    Case(
        "people.invite_batch",
        lambda r, o: "/people/invitations",
        STAFF_302,
        method="POST",
        note="an administrator who has not switched has nobody to invite in Okayama: nothing sent",
        unchanged_for=("admin",),
    ),
    Case(
        "people.invite",
        lambda r, o: f"/people/{r['imported_user'][o]}/invite",
        OWN_POST,
        method="POST",
        owners=AB,
    ),
    Case("people.job_categories_page", lambda r, o: "/people/roster/job-categories", STAFF),
    Case(
        "people.job_categories_page",
        lambda r, o: "/people/roster/job-categories",
        STAFF_302,
        method="POST",
        data=lambda r, o: {"word": "保健技師", "category": "medical"},
        note="a name of the caller's own member (an administrator: the member switched to)",
    ),
    Case(
        "people.job_category_delete",
        lambda r, o: f"/people/roster/job-categories/{r['job_word'][o]}/delete",
        OWN_POST,
        method="POST",
        owners=AB,
        note="another member's name is a 404 like an unknown one",
    ),
    Case(
        "auth.welcome",
        lambda r, o: "/welcome/not-a-valid-token.abc.def",
        {role: 400 for role in EVERYONE},
    ),
    Case(
        "auth.welcome",
        lambda r, o: f"/welcome/{r['invite_token']['A']}",
        {role: 200 for role in EVERYONE},
        note="a mailed link answers alike whoever follows it",
    ),
    Case(
        "auth.welcome",
        lambda r, o: "/welcome/not-a-valid-token.abc.def",
        {role: 400 for role in EVERYONE},
        method="POST",
        data=lambda r, o: {
            "password": "a brand new passphrase 42",
            "confirm": "a brand new passphrase 42",
        },
    ),
]
