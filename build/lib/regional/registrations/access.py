"""Who may reach which registration or session: the one load gate of this feature.

* an employee reaches their own registrations only;
* a coordinator reaches every registration of their own municipality;
* a regional administrator reaches any registration, and the request then
  acts inside that registration's municipality (so the tenant wall still
  checks every write).

Anything else is simply not found.
"""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from regional.extensions import db
from regional.registrations.models import Registration
from regional.sessions.models import TrainingSession
from regional.tenancy import current_municipality
from tenants import all_tenants, set_current_tenant


def load_registration(reg_id: int) -> Registration | None:
    """The registration if the signed-in person may act on it, else None."""
    if not current_user.is_authenticated:
        return None
    stmt = select(Registration).where(Registration.id == reg_id)
    if current_user.is_regional_admin:
        with all_tenants(db.session):
            reg = db.session.scalar(stmt)
        if reg is not None:
            set_current_tenant(db.session, reg.municipality_id)
        return reg
    reg = db.session.scalar(stmt)
    if reg is None or reg.municipality_id != current_user.municipality_id:
        return None
    if not current_user.is_coordinator and reg.employee_id != current_user.id:
        return None
    return reg


def visible_session(ts_id: int) -> TrainingSession | None:
    """A session the signed-in person's municipality may see (administrators: every one)."""
    if current_user.is_regional_admin:
        return db.session.get(TrainingSession, ts_id)
    municipality = current_municipality()
    if municipality is None:
        return None
    return db.session.scalar(
        TrainingSession.visible_to(municipality.id).where(TrainingSession.id == ts_id)
    )
