"""Matrix cases: importing what a preview showed (roster, attendance sheet, e-learning list).

Each preview is signed for the person who made it: A's coordinator here. Only they
import it (a change, audited); anyone else's confirmation is refused and changes
nothing (staff: back to the upload page, 302). The forged previews are in the
features' own modules.
"""

from __future__ import annotations

from regional import spreadsheets
from regional.extensions import db
from regional.people import roster_import, roster_views
from regional.people.models import User
from regional.registrations import views_files
from tenants.models import Municipality
from tenants.scoping import acting_as
from tests.matrix import Case, records
from tests.matrix.registrations import _attendance_sheet, _completions_sheet

#: Only the person who previewed may import; the others are refused (any of REFUSED).
PREVIEWER_ONLY = {"employee_a": 403, "coordinator_a": 302}

ROSTER = "職員番号,氏名,メールアドレス\r\nR-1,新規 太郎,r1.new@city.tsuyama.lg.jp\r\n".encode()


def extend(rec: records.Records) -> None:
    """A roster previewed by A's coordinator, with the signed facts its page would carry."""
    world = rec.world
    with acting_as(db.session, world.muni_a):
        actor = db.session.get(User, world.coordinator_a)
        municipality = db.session.get(Municipality, world.muni_a)
        plan = roster_import.preview(ROSTER, municipality, actor)
        upload = roster_import.keep_upload(ROSTER, "roster.csv", actor)
        token = roster_views._serializer().dumps(
            {
                "u": actor.id,
                "m": municipality.id,
                "f": upload.id,
                "h": upload.sha256,
                "d": False,
                "g": plan.digest(),
            }
        )
    rec.put("roster_preview", "A", {"upload": str(upload.id), "token": token})


if extend not in records.EXTENSIONS:
    records.EXTENSIONS.append(extend)


def _signed(kind: str, scope: int, sheet: dict, actor_id: int) -> str:
    """The payload a preview page signs for ``actor_id`` (see views_files._sign)."""
    table = spreadsheets.read_table(sheet["file"][0].getvalue())
    data = {"u": actor_id, "s": scope, "h": table.header, "r": table.rows}
    return views_files._serializer(kind).dumps(data)


def _attendance(r, o) -> dict:
    sheet = _attendance_sheet(r, o)
    return {"payload": _signed("attendance", r["past_session"]["-"], sheet, r.world.coordinator_a)}


def _completions(r, o) -> dict:
    sheet = _completions_sheet(r, o)
    return {"payload": _signed("completions", 0, sheet, r.world.coordinator_a)}


CASES: list[Case] = [
    Case(
        "people.roster_confirm",
        lambda r, o: "/people/roster/confirm",
        PREVIEWER_ONLY,
        method="POST",
        data=lambda r, o: r["roster_preview"]["A"],
        note="A's coordinator imports their own preview; nobody else can",
    ),
    Case(
        "registrations.attendance_confirm",
        lambda r, o: f"/registrations/session/{r['past_session']['-']}/attendance/confirm",
        PREVIEWER_ONLY,
        method="POST",
        data=_attendance,
        note="A's coordinator saves their own previewed sheet; nobody else can",
    ),
    Case(
        "registrations.import_completions_confirm",
        lambda r, o: "/registrations/completions/import/confirm",
        PREVIEWER_ONLY,
        method="POST",
        data=_completions,
        note="A's coordinator records their own previewed list; nobody else can",
    ),
]
