"""The home page's worklists (the page itself is ``main.home``); required training is
``regional.targets.views_required``."""

from __future__ import annotations

from flask_login import current_user

from regional.extensions import db
from regional.registrations import bp
from regional.registrations.worklists import (
    admin_work,
    coordinator_work,
    employee_work,
)
from regional.tenancy import current_municipality
from tenants.scoping import acting_as


@bp.app_template_global("home_worklists")
def home_worklists() -> dict:
    """For ``main/home.html``: what needs doing today for the signed-in person."""
    here = current_municipality()
    work: dict = {}
    if current_user.is_coordinator and here is not None:
        work["coordinator"] = coordinator_work(current_user, here.id)
    if current_user.is_regional_admin:
        work["admin"] = admin_work()
    # About the person themselves: in their own municipality even while acting in another.
    with acting_as(db.session, current_user.municipality_id):
        work["employee"] = employee_work(current_user)
    return work
