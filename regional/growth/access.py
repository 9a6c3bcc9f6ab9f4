"""The one load gate of this feature: who may reach which person's record.

* a person reaches their own qualifications and OJT records;
* a coordinator reaches every record of their own municipality;
* a regional administrator reaches any record, and the request then acts
  inside that record's municipality (so the tenant wall still checks writes).

Anything else is simply not found (404, never 403).
"""

from __future__ import annotations

from typing import TypeVar

from flask_login import current_user
from sqlalchemy import select

from regional.extensions import db
from regional.roles import is_coordinator, is_regional_admin
from tenants.scoping import current_tenant_id

T = TypeVar("T")
#: Ids beyond a 32-bit key are simply unknown (SQLite overflows on 2**63).
MAX_ID = 2**31 - 1


def load_personal(model: type[T], ident: int) -> T | None:
    """A person-owned row (``employee_id``) if the signed-in user may see it, else None."""
    if not current_user.is_authenticated or not 0 < ident <= MAX_ID:
        return None
    stmt = select(model).where(model.id == ident)  # type: ignore[attr-defined]
    if is_regional_admin(current_user):
        # The view's record_member mark put the request inside the record's municipality
        # (regional.tenancy); a record of any other member is not found.
        obj = db.session.scalar(stmt)
        if obj is None or obj.municipality_id != current_tenant_id(db.session):  # type: ignore[attr-defined]
            return None
        return obj
    obj = db.session.scalar(stmt)
    if obj is None or obj.municipality_id != current_user.municipality_id:  # type: ignore[attr-defined]
        return None
    if not is_coordinator(current_user) and obj.employee_id != current_user.id:  # type: ignore[attr-defined]
        return None
    return obj
