"""Who may reach which registration: the one load gate of registrations (sessions: :mod:`regional.sessions.access`).

* an employee reaches their own registrations only;
* a coordinator reaches every registration of their own municipality;
* a regional administrator reaches any registration; the caller then acts
  inside that registration's municipality for the step, in a
  ``with acting_as(db.session, reg.municipality_id):`` block (so the tenant
  wall still checks every write, and the request's own municipality is back
  afterwards).

Anything else is simply not found.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from regional.extensions import db
from regional.seats.models import Registration
from tenants import all_tenants


def load_registration(reg_id: int) -> Registration | None:
    """The registration if the signed-in person may act on it, else None."""
    if not current_user.is_authenticated:
        return None
    stmt = select(Registration).where(Registration.id == reg_id)
    if current_user.is_regional_admin:
        with all_tenants(db.session):
            reg = db.session.scalar(stmt)
        return reg
    reg = db.session.scalar(stmt)
    if reg is None or reg.municipality_id != current_user.municipality_id:
        return None
    if not current_user.is_coordinator and reg.employee_id != current_user.id:
        return None
    return reg
