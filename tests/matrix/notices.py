"""Matrix cases: notices (お知らせ).

Member A's coordinator posted a notice for A's staff (``notice`` A), member B's for B's
(``notice`` B), and the regional administrator one for the whole region (``notice`` -).
Every signed-in person reads the current notices of the region and of their own member, and
marks one read with a POST; a coordinator manages their member's notices, the regional
administrator the region's; another member's notice is 404, an employee gets 403.
"""

from regional.extensions import db
from regional.fiscal import day_start_utc, local_date, now_utc
from regional.notices import services
from regional.people.models import User
from tenants.scoping import acting_as
from tests.matrix import Case, records

AB = ("A", "B")
TITLES = {"A": "お知らせA市", "B": "お知らせB町", "-": "お知らせ全域"}
SIGNED_IN = {"employee_a": 200, "coordinator_a": 200, "coordinator_b": 200, "admin": 200}
READ = {
    "employee_a": {"A": 302, "B": 404, "-": 302},
    "coordinator_a": {"A": 302, "B": 404, "-": 302},
    "coordinator_b": {"A": 404, "B": 302, "-": 302},
    "admin": {"A": 404, "B": 404, "-": 302},
}
POSTERS = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200}
POSTERS_POST = {"coordinator_a": 302, "coordinator_b": 302, "admin": 302}
OWN_GET = {
    "coordinator_a": {"A": 200, "B": 404, "-": 404},
    "coordinator_b": {"A": 404, "B": 200, "-": 404},
    "admin": {"A": 404, "B": 404, "-": 200},
}
OWN_POST = {role: {o: 302 if s == 200 else s for o, s in v.items()} for role, v in OWN_GET.items()}
OWNERS = ("A", "B", "-")


def _form(r, o) -> dict:
    return {
        "title_ja": "差し替えたお知らせ",
        "body_ja": "本文",
        "audience": "all",
        "shown_from": local_date(now_utc()).isoformat(),
        "shown_until": "",
    }


def extend(rec) -> None:
    world = rec.world
    for owner, muni, poster_id in (
        ("A", world.muni_a, world.coordinator_a),
        ("B", world.muni_b, world.coordinator_b),
        ("-", world.muni_admin, world.admin),
    ):
        with acting_as(db.session, muni):
            poster = db.session.get(User, poster_id)
            data = services.NoticeData(
                title_ja=TITLES[owner],
                body_ja="本文",
                title_en="",
                body_en="",
                audience="all",
                shown_from=day_start_utc(local_date(now_utc())),
                shown_until=None,
            )
            rec.put("notice", owner, services.post(data, poster).id)


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)


def _own_notices_only(r, role: str, o: str) -> tuple[list[str], list[str]]:
    """The notices page shows the region's and the reader's member's, never another's."""
    if role == "coordinator_b":
        return [TITLES["B"], TITLES["-"]], [TITLES["A"]]
    if role == "admin":
        return [TITLES["-"]], [TITLES["A"], TITLES["B"]]
    return [TITLES["A"], TITLES["-"]], [TITLES["B"]]


CASES: list[Case] = [
    Case("notices.index", lambda r, o: "/notices/", SIGNED_IN, shows=_own_notices_only),
    Case(
        "notices.mark_read",
        lambda r, o: f"/notices/{r['notice'][o]}/read",
        READ,
        method="POST",
        owners=OWNERS,
    ),
    Case("notices.manage", lambda r, o: "/notices/manage", POSTERS),
    Case("notices.create", lambda r, o: "/notices/manage/new", POSTERS),
    Case(
        "notices.create",
        lambda r, o: "/notices/manage/new",
        POSTERS_POST,
        method="POST",
        data=_form,
    ),
    Case(
        "notices.edit",
        lambda r, o: f"/notices/manage/{r['notice'][o]}",
        OWN_GET,
        owners=OWNERS,
    ),
    Case(
        "notices.edit",
        lambda r, o: f"/notices/manage/{r['notice'][o]}",
        OWN_POST,
        method="POST",
        owners=OWNERS,
        data=_form,
    ),
    Case(
        "notices.withdraw",
        lambda r, o: f"/notices/manage/{r['notice'][o]}/withdraw",
        OWN_POST,
        method="POST",
        owners=OWNERS,
    ),
]

# The API (docs/api.md): the same rules as the pages, answered in JSON.
API_READ = {role: {o: 204 if s == 302 else s for o, s in v.items()} for role, v in READ.items()}
API_OWN = {role: dict(v) for role, v in OWN_GET.items()}
API_OWN_DELETE = {
    role: {o: 204 if s == 200 else s for o, s in v.items()} for role, v in OWN_GET.items()
}
API_POSTERS = {"employee_a": 403, **POSTERS}
API_POST = {"employee_a": 403, "coordinator_a": 201, "coordinator_b": 201, "admin": 201}
API_OWN_EMPLOYEE = {"employee_a": 403, **API_OWN}


def _api_notice(r, o) -> dict:
    return {"title_ja": "APIのお知らせ", "body_ja": "本文", "audience": "all"}


CASES += [
    Case("api.my_notices", lambda r, o: "/me/notices", SIGNED_IN, api=True),
    Case(
        "api.mark_notice_read",
        lambda r, o: f"/notices/{r['notice'][o]}/read",
        API_READ,
        method="POST",
        owners=OWNERS,
        api=True,
    ),
    Case("api.managed_notices", lambda r, o: "/notices", API_POSTERS, api=True),
    Case(
        "api.managed_notice",
        lambda r, o: f"/notices/{r['notice'][o]}",
        API_OWN_EMPLOYEE,
        owners=OWNERS,
        api=True,
    ),
    Case(
        "api.post_notice",
        lambda r, o: "/notices",
        API_POST,
        method="POST",
        api=True,
        data=_api_notice,
    ),
    Case(
        "api.update_notice",
        lambda r, o: f"/notices/{r['notice'][o]}",
        API_OWN_EMPLOYEE,
        method="PATCH",
        owners=OWNERS,
        api=True,
        data=lambda r, o: {"title_ja": "APIで差し替え"},
    ),
    Case(
        "api.withdraw_notice",
        lambda r, o: f"/notices/{r['notice'][o]}",
        {"employee_a": 403, **API_OWN_DELETE},
        method="DELETE",
        owners=OWNERS,
        api=True,
    ),
]
