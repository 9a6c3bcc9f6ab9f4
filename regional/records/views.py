"""Pages: my training record, and a person's record for their coordinator (受講履歴)."""

from __future__ import annotations

from contextlib import AbstractContextManager

from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from regional.attendance.models import Certificate
from regional.downloads import CSV_UTF8, file_response
from regional.extensions import db
from regional.i18n import locale_code
from regional.people.models import User
from regional.people.units import UnitTree
from regional.records import bp
from regional.records.services import person_record, record_csv
from regional.roles import coordinator_required
from regional.tenancy import get_or_404
from tenants.scoping import acting_as


def _own_municipality() -> AbstractContextManager:
    """About me: read in my own municipality, even while an administrator acts in another."""
    return acting_as(db.session, current_user.municipality_id)


@bp.get("/me")
@login_required
def mine():
    """My record is the 履歴 tab of my training now."""
    return redirect(url_for(".my_training", tab="history"))


@bp.get("/me.csv")
@login_required
def mine_csv():
    """My completions as CSV (UTF-8 with BOM, for Excel)."""
    with _own_municipality():
        locale = locale_code()
        body = record_csv(person_record(current_user, locale), locale)
        return file_response(body, CSV_UTF8, "training-record.csv")


@bp.get("/people/<int:user_id>")
@coordinator_required
def person(user_id: int):
    """One person's training record for their coordinator, printable on A4."""
    who = get_or_404(User, user_id)
    record = person_record(who, locale_code())
    return render_template(
        "records/person.html",
        record=record,
        unit_path=UnitTree().path(who.org_unit_id),
        # The coordinator revokes a certificate from here: where they read the person's record.
        certificates=list(db.session.scalars(Certificate.of_employee(who.id))),
    )
