"""Matrix cases: undelivered mail (宛先不明のメール): a member's coordinators see and act on
its failed messages; mail of no member is the regional administrators'.

A regional administrator who has not switched works in Okayama City, so A's and B's
messages are not found for them here (they switch first, as for people).
"""

from datetime import UTC, datetime

from regional.extensions import db
from regional.mail.models import OutboundMail
from tests.factories import add_mail
from tests.matrix import Case, records

ADDRESS = {"A": "typo@city.tsuyama.lg.jp", "B": "typo@city.tamano.lg.jp", "-": "x@example.com"}


def extend(rec: records.Records) -> None:
    """A failed message of A, of B and of no member."""
    for owner, muni in (("A", rec.world.muni_a), ("B", rec.world.muni_b), ("-", None)):
        mail = OutboundMail(
            to_addr=ADDRESS[owner],
            subject="研修のお知らせ",
            body="本文\n",
            template="reminder",
            municipality_id=muni,
            attempts=1,
            last_error="550 5.1.1 User unknown",
            failed_at=datetime.now(UTC),
        )
        add_mail(mail)
        db.session.flush()
        rec.put("failed_mail", owner, mail.id)


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)


def _own_mail_only(r, role: str, o: str) -> tuple[list[str], list[str]]:
    if role == "coordinator_a":
        return [ADDRESS["A"]], [ADDRESS["B"], ADDRESS["-"]]
    if role == "coordinator_b":
        return [ADDRESS["B"]], [ADDRESS["A"], ADDRESS["-"]]
    return [ADDRESS["-"]], [ADDRESS["A"], ADDRESS["B"]]  # an administrator in Okayama City


OWN_POST = {
    "employee_a": 403,
    "coordinator_a": {"A": 302, "B": 404, "-": 404},
    "coordinator_b": {"A": 404, "B": 302, "-": 404},
    "admin": {"A": 404, "B": 404, "-": 302},
}
OWNERS = ("A", "B", "-")

CASES: list[Case] = [
    Case(
        "mail.undelivered",
        lambda r, o: "/mail/undelivered",
        {"coordinator_a": 200, "coordinator_b": 200, "admin": 200, "employee_a": 403},
        shows=_own_mail_only,
    ),
    Case(
        "mail.retry_mail",
        lambda r, o: f"/mail/{r['failed_mail'][o]}/retry",
        OWN_POST,
        method="POST",
        owners=OWNERS,
        data=lambda r, o: {f"m{r['failed_mail'][o]}-email": ADDRESS[o]},
    ),
    Case(
        "mail.discard_mail",
        lambda r, o: f"/mail/{r['failed_mail'][o]}/discard",
        OWN_POST,
        method="POST",
        owners=OWNERS,
    ),
]
STAFF = {"coordinator_a": 200, "coordinator_b": 200, "admin": 200, "employee_a": 403}
STAFF_302 = {"coordinator_a": 302, "coordinator_b": 302, "admin": 302, "employee_a": 403}

CASES += [
    # The member's signature under its mail: its coordinators (the member they work in).
    Case("mail.signature", lambda r, o: "/mail/signature", STAFF),
    Case(
        "mail.signature",
        lambda r, o: "/mail/signature",
        STAFF_302,
        method="POST",
        data=lambda r, o: {
            "section": "総務部 人事課 研修係",
            "phone": "0868-32-2000",
            "email": "jinji@example.lg.jp",
        },
    ),
    # A coordinator's own mail settings (the digest and the approval notices).
    Case("mail.settings", lambda r, o: "/mail/settings", STAFF),
    Case(
        "mail.settings",
        lambda r, o: "/mail/settings",
        STAFF_302,
        method="POST",
        data=lambda r, o: {},
        note="unticked: the mail about waiting work turned off",
    ),
]
