"""The page of one person (``people.detail``): who they are and their latest registrations.

It carries the people blueprint's URL (and its coordinators-only hook) but
lives here, above the people package, because it lists registrations.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from regional.extensions import db
from regional.people import bp
from regional.people.forms import ActionForm
from regional.people.models import User
from regional.people.people import may_manage
from regional.people.units import UnitTree
from regional.seats.models import Registration
from regional.tenancy import get_or_404


@bp.get("/<int:user_id>")
def detail(user_id: int):
    person = get_or_404(User, user_id)
    tree = UnitTree()
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.employee_id == person.id)
        .order_by(Registration.requested_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "people/detail.html",
        person=person,
        unit_path=tree.path(person.org_unit_id),
        registrations=registrations,
        manageable=may_manage(person, current_user),
        action=ActionForm(),
    )
