"""The home page's worklists (the page itself is ``main.home``) and the one-step reminder."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.audit import record_audit
from regional.audit.models import AuditEntry
from regional.auth.roles import coordinator_required
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.mail.services import queue_mail
from regional.people.models import User
from regional.registrations import bp
from regional.registrations.worklists import (
    REQUIRED_AREAS,
    _areas,
    admin_work,
    coordinator_work,
    employee_work,
    staff_missing_required,
)
from regional.tenancy import current_municipality
from tenants.scoping import acting_as

#: One reminder a day per municipality is plenty.
REMIND_EVERY = timedelta(hours=20)


@bp.app_template_global("home_worklists")
def home_worklists() -> dict:
    """For ``main/home.html``: what needs doing today for the signed-in person."""
    here = current_municipality()
    work: dict = {}
    if current_user.is_coordinator and here is not None:
        work["coordinator"] = coordinator_work(current_user, here.id)
        last = work["last_reminder"] = _last_reminder()
        # The button is offered only when pressing it would send: else say when it can.
        work["next_reminder_at"] = _next_reminder_at(last)
    if current_user.is_regional_admin:
        work["admin"] = admin_work()
    # About the person themselves: in their own municipality even while acting in another.
    with acting_as(db.session, current_user.municipality_id):
        work["employee"] = employee_work(current_user)
    return work


def _last_reminder() -> AuditEntry | None:
    return db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "reminder.required")
        .order_by(AuditEntry.at.desc())
        .limit(1)
    )


def _next_reminder_at(last: AuditEntry | None):
    """When the next reminder may go out, or None when it may go out now."""
    if last is None:
        return None
    due = last.at.replace(tzinfo=UTC) + REMIND_EVERY
    return due if due > now_utc() else None


@bp.post("/remind-required")
@coordinator_required
def remind_required():
    """Mail every member of staff missing required training this fiscal year (once a day)."""
    if _next_reminder_at(_last_reminder()) is not None:
        flash(_("A reminder was already sent in the last day; it was not sent again."), "error")
        return redirect(url_for("main.home"))
    fy = fiscal_year_of(now_utc())
    gaps, _total = staff_missing_required(fy, limit=None)
    names = {a.key: a for a in _areas(REQUIRED_AREAS)}
    here = current_municipality()
    for gap in gaps:
        person: User = gap.person
        queue_mail(
            person.email,
            "required_training_reminder",
            locale=person.locale or "ja",
            municipality_id=here.id,
            employee=person,
            areas=[names[k] for k in gap.areas if k in names],
            fiscal_year=fy,
        )
    record_audit(
        "reminder.required",
        subject_type="municipality",
        subject_id=here.id,
        subject_label=here.name_ja,
        detail={"fiscal_year": fy, "people": len(gaps)},
    )
    db.session.commit()
    flash(
        _("A reminder was sent by mail to %(n)d people.", n=len(gaps))
        if gaps
        else _("Everyone has done the required training this fiscal year; no mail was sent."),
        "success",
    )
    return redirect(url_for("main.home"))
