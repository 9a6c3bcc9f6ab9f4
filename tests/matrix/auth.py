"""Matrix cases: sign-in, sign-out, self sign-up, address confirmation, password reset.

The public pages answer everyone alike; the pages for signing in or signing up
send signed-in people home (302). A mailed link answers the same for every
caller: its page when valid, 400 when not (who follows it does not matter).
"""

from regional.auth import tokens
from regional.extensions import db
from regional.people.models import AccountStatus, User
from tenants.scoping import acting_as
from tests import factories
from tests.matrix import Case, records

SIGNED_IN = ("employee_a", "coordinator_a", "coordinator_b", "admin")
EVERYONE = ("anon", *SIGNED_IN)


def _all(status: int, who: tuple[str, ...] = EVERYONE) -> dict[str, int]:
    return {role: status for role in who}


def extend(rec: records.Records) -> None:
    """A pending account of A with a confirmation link, and an account of A with a reset link."""
    world = rec.world
    pending = factories.make_user(world.muni_a, status=AccountStatus.PENDING_EMAIL)
    active = factories.make_user(world.muni_a)
    with acting_as(db.session, world.muni_a):
        pending = db.session.get(User, pending.id)
        active = db.session.get(User, active.id)
        rec.put("confirm_token", "A", tokens.make_token(pending, tokens.CONFIRM))
        rec.put("reset_token", "A", tokens.make_token(active, tokens.RESET))


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)

BAD_TOKEN = "not-a-valid-token.abc.def"
NEW_PASSWORD = {"password": "a brand new passphrase 42", "confirm": "a brand new passphrase 42"}

CASES: list[Case] = [
    Case("auth.login", lambda r, o: "/login", {"anon": 200, **_all(302, SIGNED_IN)}),
    Case(
        "auth.logout",
        lambda r, o: "/logout",
        _all(302, SIGNED_IN),
        method="POST",
    ),
    Case(
        "auth.logout_everywhere",
        lambda r, o: "/logout/everywhere",
        _all(200, SIGNED_IN),
        note="a page explaining what signing out everywhere does",
    ),
    Case(
        "auth.logout_everywhere",
        lambda r, o: "/logout/everywhere",
        _all(302, SIGNED_IN),
        method="POST",
    ),
    Case("auth.signup", lambda r, o: "/signup", {"anon": 200, **_all(302, SIGNED_IN)}),
    Case(
        "auth.signup",
        lambda r, o: "/signup",
        _all(302),
        method="POST",
        data=lambda r, o: {
            "municipality": "332038",
            "name": "山田 花子",
            "email": "hanako.matrix@city.tsuyama.lg.jp",
            "employee_number": "",
            "job_category": "administrative",
            "password": NEW_PASSWORD["password"],
            "confirm": NEW_PASSWORD["password"],
        },
        note="anon signs up (a pending account); signed-in people are sent home, nothing made",
        unchanged_for=SIGNED_IN,
    ),
    Case("auth.signup_sent", lambda r, o: "/signup/sent", _all(200)),
    Case("auth.confirm", lambda r, o: f"/signup/confirm/{BAD_TOKEN}", _all(400)),
    Case(
        "auth.confirm",
        lambda r, o: f"/signup/confirm/{r['confirm_token']['A']}",
        _all(200),
        note="a valid link shows the confirm button to whoever follows it",
    ),
    Case(
        "auth.confirm",
        lambda r, o: f"/signup/confirm/{BAD_TOKEN}",
        _all(400),
        method="POST",
        note="an invalid link is refused (400) whoever follows it",
    ),
    Case("auth.forgot", lambda r, o: "/password/forgot", _all(200)),
    Case(
        "auth.forgot",
        lambda r, o: "/password/forgot",
        _all(302),
        method="POST",
        data=lambda r, o: {"email": "nobody@example.lg.jp"},
        note="the same answer for any address; nothing is stored for an unknown one",
        changes=False,
    ),
    Case("auth.forgot_sent", lambda r, o: "/password/forgot/sent", _all(200)),
    Case("auth.reset", lambda r, o: f"/password/reset/{BAD_TOKEN}", _all(400)),
    Case(
        "auth.reset",
        lambda r, o: f"/password/reset/{r['reset_token']['A']}",
        _all(200),
    ),
    Case(
        "auth.reset",
        lambda r, o: f"/password/reset/{BAD_TOKEN}",
        _all(400),
        method="POST",
        data=lambda r, o: NEW_PASSWORD,
    ),
]
