"""Required training on the home page: the coordinator's worklist item and its reminder,
and the employee's own list (one definition: :mod:`regional.targets.required`)."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.audit import record_audit
from regional.audit.models import AuditEntry
from regional.catalogue.models import Program, SkillArea
from regional.extensions import db
from regional.fiscal import fiscal_year_bounds, fiscal_year_of, now_utc
from regional.mail.services import queue_mail
from regional.people import mailing
from regional.people.forms import ActionForm
from regional.targets import bp, required
from regional.tenancy import current_municipality
from tenants.scoping import acting_as

#: One reminder a day per municipality is plenty.
REMIND_EVERY = timedelta(hours=20)


@bp.app_template_global("required_work")
def required_work() -> dict | None:
    """For ``main/home.html``: the current municipality's staff missing required training."""
    here = current_municipality()
    if not current_user.is_authenticated or not current_user.is_coordinator or here is None:
        return None
    last = _last_reminder()
    return {
        "work": required.staff_gaps(db.session, fiscal_year_of(now_utc())),
        "last_reminder": last,
        "next_reminder_at": _next_reminder_at(last),
    }


@bp.app_template_global("my_required_training")
def my_required_training() -> dict | None:
    """For ``main/home.html``: the required training the signed-in person lacks this year,
    each with the catalogue's active programmes of its skill areas."""
    if not current_user.is_authenticated:
        return None
    fy = fiscal_year_of(now_utc())
    # About the person themselves: in their own municipality even while acting in another.
    with acting_as(db.session, current_user.municipality_id):
        missing = required.missing_for_person(db.session, current_user, fy)
    areas = sorted({a for m in missing for a in (m.skill_areas or [])})
    programs: dict[str, list[Program]] = {}
    if areas:
        for p in db.session.scalars(
            select(Program)
            .join(SkillArea, SkillArea.id == Program.skill_area_id)
            .where(SkillArea.key.in_(areas), Program.active.is_(True))
            .order_by(Program.code)
        ):
            programs.setdefault(p.skill_area.key, []).append(p)
    return {
        "fiscal_year": fy,
        "missing": [
            (m, [p for a in (m.skill_areas or []) for p in programs.get(a, [])]) for m in missing
        ],
    }


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


def _reminder_plan():
    """The staff missing required training this fiscal year, split by what each gets."""
    fy = fiscal_year_of(now_utc())
    work = required.staff_gaps(db.session, fy, limit=None)
    names = {m.key: m for m in work.measures}
    gaps = {g.person.id: g for g in work.gaps}

    def context(person) -> dict:
        return {
            "employee": person,
            "measures": [names[k] for k in gaps[person.id].keys if k in names],
            "fiscal_year": fy,
            "deadline": fiscal_year_bounds(fy)[1],
        }

    return fy, mailing.split(g.person for g in work.gaps), context


@bp.route("/remind-required", methods=["GET", "POST"])
def remind_required():
    """Mail every member of staff missing required training this fiscal year (once a day):
    first the confirmation (GET: who, and the mail as it is sent), then the sending (POST).
    People who never signed in get the invitation to choose a password instead."""
    if _next_reminder_at(_last_reminder()) is not None:
        flash(_("A reminder was already sent in the last day; it was not sent again."), "error")
        return redirect(url_for("main.home"))
    fy, plan, context = _reminder_plan()
    if request.method == "GET":
        return render_template(
            "mailing/confirm.html",
            title=_("Reminder of required training: check before sending"),
            mailing=plan,
            examples=mailing.examples(
                plan, _("The reminder"), "required_training_reminder", context
            ),
            action=url_for("targets.remind_required"),
            hidden=[],
            button=_("Send the mail"),
            back=url_for("main.home"),
        )
    if not ActionForm().validate_on_submit():
        abort(400)
    here = current_municipality()
    mailing.send(
        plan,
        current_user,
        lambda person: queue_mail(
            person.email,
            "required_training_reminder",
            locale=person.locale or "ja",
            municipality_id=here.id,
            **context(person),
        ),
    )
    record_audit(
        "reminder.required",
        subject_type="municipality",
        subject_id=here.id,
        subject_label=here.name_ja,
        detail={
            "fiscal_year": fy,
            "people": plan.total,
            "reminded": len(plan.notices),
            "invited": len(plan.invitations),
            "invited_lately": len(plan.invited_lately),
        },
    )
    db.session.commit()
    flash(
        _(
            "A reminder was sent by mail to %(n)d people; %(m)d people who have never signed in"
            " were sent the invitation to choose a password.",
            n=len(plan.notices),
            m=len(plan.invitations),
        )
        if plan.total
        else _("Nobody needs a mail now; no mail was sent."),
        "success",
    )
    return redirect(url_for("main.home"))
