"""The heads' pages: 所属の申込み (their worklist), their units' training status, and the
coordinator's page that names the heads and turns the step on or off."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from regional.dashboards import tables
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.heads import bp, services
from regional.heads.forms import DecisionForm, DeclineForm, SettingForm, UnitHeadForm
from regional.heads.progress import units_progress
from regional.i18n import locale_code
from regional.main.helpers import flash_refusal
from regional.people.models import AccountStatus, User
from regional.records.services import person_record
from regional.roles import coordinator_required
from regional.targets.required import missing_for_person
from regional.tenancy import get_or_404
from tenants.models import OrgUnit
from tenants.scoping import acting_as


def _head_or_403() -> None:
    if not services.is_head(current_user):
        abort(403)


@bp.app_template_global("head_work")
def head_work() -> dict | None:
    """For the home page's card: applications waiting for the signed-in head, or None."""
    if not current_user.is_authenticated:
        return None
    with acting_as(db.session, current_user.municipality_id):
        if not services.is_head(current_user):
            return None
        regs = list(db.session.scalars(services.awaiting(current_user)))
        return {"total": len(regs), "regs": regs[:5]}


def _applicant(reg, fiscal_year: int) -> dict:
    record = person_record(reg.employee, locale_code())
    return {
        "reg": reg,
        "completions": record.completions,
        "gaps": record.gaps,
        "required": missing_for_person(db.session, reg.employee, fiscal_year),
    }


@bp.get("/")
@login_required
def index():
    """所属の申込み: the applications waiting for the head (or deputy), with each person's record."""
    with acting_as(db.session, current_user.municipality_id):
        _head_or_403()
        fy = fiscal_year_of(now_utc())
        items = [_applicant(r, fy) for r in db.session.scalars(services.awaiting(current_user))]
        return render_template("heads/index.html", items=items, form=DecisionForm(), fiscal_year=fy)


def _decide(reg_id: int, decide) -> object:
    with acting_as(db.session, current_user.municipality_id):
        _head_or_403()
        reg = services.decidable(reg_id, current_user)
        if reg is None:
            abort(404)
        try:
            decide(reg)
        except DomainError as exc:
            db.session.rollback()
            flash_refusal(exc)
        else:
            db.session.commit()
    return redirect(url_for("heads.index"))


@bp.post("/registrations/<int:reg_id>/approve")
@login_required
def approve(reg_id: int):
    def decide(reg):
        services.head_approve(reg, current_user)
        flash(_("Approved."), "success")

    return _decide(reg_id, decide)


@bp.post("/registrations/<int:reg_id>/decline")
@login_required
def decline(reg_id: int):
    form = DeclineForm()

    def decide(reg):
        if not form.validate_on_submit():
            raise DomainError("reason_required", _("Please give a reason (plain text)."))
        services.head_decline(reg, current_user, form.reason.data)
        flash(_("Declined. The reason was mailed to the person."), "success")

    return _decide(reg_id, decide)


@bp.get("/units")
@login_required
def units():
    """The head's units (and the units below them): their people, what they lack, and how
    many of them count toward each of the member's targets."""
    with acting_as(db.session, current_user.municipality_id):
        _head_or_403()
        unit_ids = services.units_below(
            [h.org_unit_id for h in services.headed_units(current_user)]
        )
        fy = fiscal_year_of(now_utc())
        people = db.session.scalars(
            select(User)
            .where(User.org_unit_id.in_(unit_ids), User.status == AccountStatus.ACTIVE)
            .order_by(User.org_unit_id, User.employee_number, User.id)
        ).all()
        rows = [
            {
                "person": p,
                "record": person_record(p, locale_code()),
                "required": missing_for_person(db.session, p, fy),
            }
            for p in people
        ]
        progress = units_progress(current_user.municipality_id, unit_ids, fy)
        return render_template(
            "heads/units.html", rows=rows, fiscal_year=fy, progress=progress, tables=tables
        )


# -- the coordinator's page ---------------------------------------------------------------


def _people_choices(unit: OrgUnit) -> list[tuple[int | None, str]]:
    """The member's active people for one unit's head and deputy: nobody, then the unit's
    own staff, then everyone else (one unit per form: the page does not grow with units
    times people)."""
    people = db.session.scalars(
        select(User).where(User.status == AccountStatus.ACTIVE).order_by(User.name, User.id)
    ).all()
    people = sorted(people, key=lambda p: p.org_unit_id != unit.id)  # stable: names kept
    return [(None, _("(nobody)"))] + [
        (p.id, f"{p.name}（{p.employee_number or p.email}）") for p in people
    ]


def _unit_form(unit: OrgUnit, head) -> UnitHeadForm:
    form = UnitHeadForm(prefix=f"u{unit.id}")
    form.head.choices = form.deputy.choices = _people_choices(unit)
    if request.method == "GET":
        form.head.data = head.head_id if head else None
        form.deputy.data = head.deputy_id if head else None
    return form


@bp.get("/setup")
@coordinator_required
def setup():
    """The member's heads of unit (names, with a link to change each unit's), and whether
    their approval comes first."""
    heads = services.heads_by_unit()
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.active.is_(True))).all()
    units = sorted(units, key=lambda u: u.path())
    named = {i for h in heads.values() for i in (h.head_id, h.deputy_id) if i}
    people = (
        {p.id: p for p in db.session.scalars(select(User).where(User.id.in_(named)))}
        if named
        else {}
    )
    rows = []
    for unit in units:
        head = heads.get(unit.id)
        rows.append(
            (
                unit,
                people.get(head.head_id) if head else None,
                people.get(head.deputy_id) if head and head.deputy_id else None,
            )
        )
    setting = SettingForm(head_approval=services.head_approval_on())
    return render_template("heads/setup.html", rows=rows, setting=setting)


@bp.post("/setting")
@coordinator_required
def setting():
    form = SettingForm()
    if form.validate_on_submit():
        services.set_head_approval(bool(form.head_approval.data), current_user)
        db.session.commit()
        flash(_("Saved."), "success")
    else:
        flash(_("The form has expired. Please try again."), "error")
    return redirect(url_for("heads.setup"))


@bp.route("/units/<int:unit_id>/head", methods=["GET", "POST"])
@coordinator_required
def set_head(unit_id: int):
    """One unit's head and deputy: the form, and saving it."""
    unit = get_or_404(OrgUnit, unit_id)
    form = _unit_form(unit, services.heads_by_unit().get(unit.id))
    status = 200
    if form.validate_on_submit():
        try:
            services.set_head(unit, form.head.data, form.deputy.data, current_user)
        except DomainError as exc:
            db.session.rollback()
            field = getattr(form, "deputy" if "deputy" in str(exc.code) else "head")
            field.errors = [*field.errors, str(exc.message)]
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("heads.setup") + f"#unit-{unit.id}")
    if form.is_submitted():
        status = 400
    return render_template("heads/unit_head.html", unit=unit, form=form), status
