"""A person's unit over time: memberships kept in the same flush as every change.

Coverage of 課 and 係 in a past fiscal year counts people by the unit they were in on the
year's last day, so a transfer or the April reorganisation never rewrites what was
reported. This module keeps ``unit_memberships`` in step with ``users.org_unit_id`` and
``users.status`` (one central hook, like the tenant wall and the tallies): whatever code
moves, disables or re-enables a person, the flush records it.

* A person's first membership starts at :data:`tenants.models.UNITS_EPOCH`: before the
  platform knew them, the unit it was first given is the best knowledge of where they
  were (history entered after the fact keeps its coverage).
* A later change is dated by the day in Japan, or by the day given with
  :func:`effective_on` (a roster import of the April reorganisation run on 10 April, dated
  1 April); never before the membership it ends began.
* A disabled account is in no unit; re-enabling it starts a new membership.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import delete, event, insert, inspect, select, update
from sqlalchemy.orm import Session

from regional import fiscal
from regional.people.models import AccountStatus, UnitMembership, User
from tenants.models import UNITS_EPOCH, OrgUnit

_DAY = "people_effective_day"
_MOVED = "people_moved"
ALL = {"all_tenants": True}
table = UnitMembership.__table__


@contextmanager
def effective_on(session: Session, day: date) -> Iterator[None]:
    """Changes of units and statuses flushed inside the block take effect on ``day``."""
    saved = session.info.get(_DAY)
    session.info[_DAY] = day
    try:
        yield
    finally:
        if saved is None:
            session.info.pop(_DAY, None)
        else:
            session.info[_DAY] = saved


def effective_day(session: Session) -> date:
    """The day changes flushed now take effect (today in Japan unless a block says)."""
    return session.info.get(_DAY) or fiscal.today()


def _placed(unit_id: int | None, status: Any) -> int | None:
    """The unit a person counts in: theirs, unless the account is disabled."""
    return None if unit_id is None or status == AccountStatus.DISABLED else unit_id


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    moved: dict[int, User] = session.info.setdefault(_MOVED, {})
    gone = [obj.id for obj in session.deleted if isinstance(obj, User) and obj.id is not None]
    if gone:  # an account deleted (a refused sign-up): its memberships go with it
        session.connection().execute(
            delete(table).where(table.c.employee_id.in_(gone)).execution_options(**ALL)
        )
    for obj in chain(session.new, session.dirty):
        if isinstance(obj, OrgUnit):
            _keep_unit_dates(session, obj)
            continue
        if not isinstance(obj, User):
            continue
        if obj in session.new:
            moved[id(obj)] = obj
            continue
        state = inspect(obj)
        unit, status = state.attrs.org_unit_id.history, state.attrs.status.history
        if not (unit.has_changes() or status.has_changes()):
            continue
        old_unit = (unit.deleted or unit.unchanged or [None])[0]
        old_status = (status.deleted or status.unchanged or [None])[0]
        if _placed(old_unit, old_status) != _placed(obj.org_unit_id, obj.status):
            moved[id(obj)] = obj


def _keep_unit_dates(session: Session, unit: OrgUnit) -> None:
    """``active`` and ``retired_on`` say one thing: a unit taken out of use is retired from
    the day changes take effect, and one brought back was never retired."""
    if unit.active is not False and unit.retired_on is not None:  # None: in use (default)
        unit.retired_on = None
    elif unit.active is False and unit.retired_on is None:
        unit.retired_on = max(effective_day(session), unit.valid_from or UNITS_EPOCH)


def _after_flush(session: Session, _context: Any) -> None:
    moved = session.info.pop(_MOVED, None)
    if not moved:
        return
    conn = session.connection()
    day = effective_day(session)
    for user in moved.values():
        if user.id is None:
            continue
        record(conn, user.municipality_id, user.id, _placed(user.org_unit_id, user.status), day)


def record(conn, municipality_id: int, employee_id: int, unit_id: int | None, day: date) -> None:
    """Bring the person's memberships to ``unit_id`` (None: in no unit) from ``day``."""
    rows = conn.execute(
        select(table.c.id, table.c.org_unit_id, table.c.valid_from)
        .where(table.c.employee_id == employee_id, table.c.valid_to.is_(None))
        .execution_options(**ALL)
    ).all()
    ever = (
        rows
        or conn.execute(
            select(table.c.id)
            .where(table.c.employee_id == employee_id)
            .limit(1)
            .execution_options(**ALL)
        ).first()
    )
    current = rows[0] if rows else None
    if current is not None and current.org_unit_id == unit_id:
        return
    start = day if ever else UNITS_EPOCH
    if current is not None:
        if current.valid_from >= day:
            # Begun on the same day (or dated later): a correction of that day, not a move.
            if unit_id is None:
                conn.execute(delete(table).where(table.c.id == current.id).execution_options(**ALL))
            else:
                conn.execute(
                    update(table)
                    .where(table.c.id == current.id)
                    .values(org_unit_id=unit_id)
                    .execution_options(**ALL)
                )
            return
        conn.execute(
            update(table)
            .where(table.c.id == current.id)
            .values(valid_to=day)
            .execution_options(**ALL)
        )
    if unit_id is not None:
        conn.execute(
            insert(table)
            .values(
                municipality_id=municipality_id,
                employee_id=employee_id,
                org_unit_id=unit_id,
                valid_from=start,
            )
            .execution_options(**ALL)
        )


_installed = False


def install_history(session_class: Any = Session) -> None:
    """Keep memberships in step with every flush of ``session_class`` (the app factory)."""
    global _installed
    if _installed:
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    _installed = True
