"""People who leave lose their future registrations (the handler behind ``people.departures``).

Future means a session that has not started: a registration still standing there
(enrolled, awaiting approval, or on the waiting list) is cancelled through the seat
engine (:func:`regional.registrations.cancellation.cancel_for_leavers`). Everything of
sessions already started stays as it is: attendance, completions and certificates
are the person's history and still count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import func, select

from regional.extensions import db
from regional.fiscal import now_utc
from regional.people import departures
from regional.people.departures import Withdrawn
from regional.people.models import User
from regional.registrations import cancellation
from regional.seats.models import ACTIVE, Registration
from regional.sessions.models import TrainingSession
from tenants.scoping import acting_as

#: People per query (an import may deactivate thousands).
CHUNK = 500


def _future(stmt, user_ids: list[int]):
    """``stmt`` limited to standing registrations of ``user_ids`` in sessions not yet started."""
    return stmt.join(TrainingSession, TrainingSession.id == Registration.session_id).where(
        Registration.employee_id.in_(user_ids),
        Registration.status.in_(ACTIVE),
        Registration.attended.is_(None),
        TrainingSession.starts_at > now_utc(),
    )


def _chunks(ids: Sequence[int]):
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


class Registrations:
    """The handler: counts for previews, cancellation for the deactivation itself."""

    def count(self, user_ids: Collection[int]) -> dict[int, int]:
        """Future registrations per person (of the current municipality: the wall scopes it)."""
        found: dict[int, int] = {}
        for chunk in _chunks(sorted(user_ids)):
            stmt = _future(
                select(Registration.employee_id, func.count(Registration.id)), chunk
            ).group_by(Registration.employee_id)
            found.update((employee_id, n) for employee_id, n in db.session.execute(stmt))
        return found

    def withdraw(self, people: Sequence[User], actor: User) -> list[Withdrawn]:
        """Cancel the people's future registrations, each inside the person's own municipality."""
        by_member: dict[int, list[int]] = defaultdict(list)
        for person in people:
            by_member[person.municipality_id].append(person.id)
        withdrawn: list[Withdrawn] = []
        for municipality_id, ids in sorted(by_member.items()):
            with acting_as(db.session, municipality_id):
                regs_by_session: dict[int, list[int]] = defaultdict(list)
                for chunk in _chunks(sorted(ids)):
                    stmt = _future(select(Registration.id, Registration.session_id), chunk)
                    for reg_id, session_id in db.session.execute(stmt):
                        regs_by_session[session_id].append(reg_id)
                if not regs_by_session:
                    continue
                for reg in cancellation.cancel_for_leavers(regs_by_session, actor):
                    withdrawn.append(Withdrawn(reg.employee_id, reg.id, reg.session_id))
        withdrawn.sort(key=lambda w: (w.employee_id, w.session_id))
        return withdrawn


def install_departures() -> None:
    """Every deactivation (by hand or by roster import) cancels future registrations."""
    departures.install(Registrations())
