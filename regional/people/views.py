"""Pages: a municipality's people, pending sign-ups and org units (coordinators only).

Everything here acts in the current municipality: a coordinator's own, or the
one a regional administrator switched to. Records are loaded through
``get_or_404``, so another municipality's person or unit is simply not found.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from regional import fiscal
from regional.errors import DomainError
from regional.extensions import db
from regional.people import bp, departures
from regional.people.forms import (
    EQUIVALENT_LABELS,
    LEVEL_LABELS,
    ActionForm,
    EditPersonForm,
    PeopleFilterForm,
    PersonForm,
    RetireUnitForm,
    UnitEditForm,
    UnitForm,
)
from regional.people.history import effective_on
from regional.people.models import AccountStatus, JobCategory, Role, User
from regional.people.people import (
    PersonData,
    approve_signup,
    check_may_disable,
    check_may_manage,
    create_person,
    disable_person,
    enable_person,
    reject_signup,
    update_person,
)
from regional.people.units import (
    UnitData,
    UnitTree,
    create_unit,
    deactivate_unit,
    reactivate_unit,
    update_unit,
)
from regional.roles import blueprint_role_hook, is_coordinator
from regional.tenancy import current_municipality, get_or_404
from regional.validation import whole_number
from regional.versions import StaleEdit, claim_version, conflict
from tenants.models import OrgLevel, OrgUnit

PER_PAGE = 50


# The coordinators' (and regional administrators') tools.
bp.before_request(blueprint_role_hook(is_coordinator))


def _refused(exc: DomainError) -> int:
    """Roll back, tell the reader why, and give the status to answer the form with."""
    db.session.rollback()
    flash(str(exc.message), "error")
    return exc.status


def _person_data(form: PersonForm) -> PersonData:
    role = getattr(form, "role", None)
    return PersonData(
        email=form.email.data,
        name=form.name.data,
        name_kana=form.name_kana.data,
        employee_number=form.employee_number.data,
        job_category=JobCategory(form.job_category.data),
        org_unit_id=form.org_unit_id.data,
        system_duty=form.system_duty.data,
        role=Role(role.data) if role is not None else None,
    )


# -- people ----------------------------------------------------------------


@bp.get("/")
def index():
    form = PeopleFilterForm(request.args)
    tree = UnitTree()
    filters: dict = {}
    if form.validate():
        if form.status.data:
            filters["status"] = AccountStatus(form.status.data)
        if form.job_category.data:
            filters["job_category"] = JobCategory(form.job_category.data)
        if form.unit.data is not None:
            filters["unit_ids"] = {form.unit.data} | tree.descendants(form.unit.data)
        filters["q"] = form.q.data or None
    page = db.paginate(
        User.search(**filters),
        page=request.args.get("page", 1, type=whole_number),
        per_page=PER_PAGE,
        error_out=False,
    )
    by_status = dict(db.session.execute(User.count_by_status()).all())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "people/index.html",
        form=form,
        page=page,
        tree=tree,
        by_status=by_status,
        args=args,
        statuses=AccountStatus,
        municipality=current_municipality(),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = PersonForm(
        municipality=current_municipality(), may_set_role=current_user.is_regional_admin
    )
    refused = None
    if form.validate_on_submit():
        try:
            person = create_person(_person_data(form), current_user)
        except DomainError as exc:
            refused = _refused(exc)
        else:
            db.session.commit()
            flash(_("%(name)s was added.", name=person.name), "success")
            return redirect(url_for("people.detail", user_id=person.id))
    return render_template("people/form.html", form=form, person=None), refused or _status(form)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def edit(user_id: int):
    person = get_or_404(User, user_id)
    try:
        check_may_manage(person, current_user)
    except DomainError:
        abort(403)
    may_set_role = current_user.is_regional_admin and person.role != Role.REGIONAL_ADMIN
    form = EditPersonForm(
        obj=person, municipality=person.municipality, person=person, may_set_role=may_set_role
    )
    if request.method == "GET":
        _fill_person(form, person, may_set_role)
    refused = stale = None
    if form.validate_on_submit():
        try:
            claim_version(person, form.version.data)
            update_person(person, _person_data(form), current_user)
        except StaleEdit:
            db.session.rollback()
            person = get_or_404(User, user_id)
            saved = EditPersonForm(
                formdata=None,
                obj=person,
                municipality=person.municipality,
                person=person,
                may_set_role=may_set_role,
            )
            _fill_person(saved, person, may_set_role)
            stale, refused = conflict(form, saved), 409
        except DomainError as exc:
            refused = _refused(exc)
        else:
            db.session.commit()
            flash(_("The changes were saved."), "success")
            return redirect(url_for("people.detail", user_id=person.id))
    return render_template(
        "people/form.html", form=form, person=person, conflict=stale
    ), refused or _status(form)


def _fill_person(form: EditPersonForm, person: User, may_set_role: bool) -> None:
    """The choices a person's record holds as enums, shown by their values."""
    form.job_category.data = person.job_category.value
    if may_set_role:
        form.role.data = person.role.value


def _status(form) -> int:
    return 400 if request.method == "POST" and form.errors else 200


def _person_action(user_id: int, action, done: str):
    person = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(person, current_user)
    except DomainError as exc:
        if exc.status == 403:
            db.session.rollback()
            abort(403)
        _refused(exc)
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("people.detail", user_id=user_id))


@bp.get("/<int:user_id>/disable")
def disable_confirm(user_id: int):
    """What disabling does, with the future registrations it cancels; nothing changes yet."""
    person = get_or_404(User, user_id)
    try:
        check_may_disable(person, current_user)
    except DomainError as exc:
        if exc.status == 403:
            abort(403)
        flash(str(exc.message), "error")
        return redirect(url_for("people.detail", user_id=user_id))
    return render_template(
        "people/disable.html",
        person=person,
        registrations=departures.future_registrations([person.id])[person.id],
        action=ActionForm(),
    )


@bp.post("/<int:user_id>/disable")
def disable(user_id: int):
    person = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        withdrawn = disable_person(person, current_user)
    except DomainError as exc:
        if exc.status == 403:
            db.session.rollback()
            abort(403)
        _refused(exc)
    else:
        db.session.commit()
        flash(_disabled_message(len(withdrawn)), "success")
    return redirect(url_for("people.detail", user_id=user_id))


def _disabled_message(cancelled: int) -> str:
    if not cancelled:
        return _(
            "The account was disabled and signed out everywhere. "
            "It held no registrations for sessions still to come."
        )
    return ngettext(
        "The account was disabled and signed out everywhere. "
        "%(num)d registration for a session still to come was cancelled; "
        "its seat went to the waiting list.",
        "The account was disabled and signed out everywhere. "
        "%(num)d registrations for sessions still to come were cancelled; "
        "their seats went to the waiting lists.",
        cancelled,
    )


@bp.post("/<int:user_id>/enable")
def enable(user_id: int):
    return _person_action(
        user_id,
        enable_person,
        _(
            "The account was enabled again. Registrations cancelled when it was disabled "
            "are not restored: register the person again where needed."
        ),
    )


# -- pending sign-ups --------------------------------------------------------


@bp.get("/pending")
def pending():
    people = db.session.scalars(User.pending_signups()).all()
    return render_template(
        "people/pending.html", people=people, action=ActionForm(), tree=UnitTree()
    )


@bp.post("/<int:user_id>/approve")
def approve(user_id: int):
    person = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        approve_signup(person, current_user)
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(_("%(name)s can now sign in; they were told by e-mail.", name=person.name), "success")
    return redirect(url_for("people.pending"))


@bp.post("/<int:user_id>/reject")
def reject(user_id: int):
    person = get_or_404(User, user_id)
    name = person.name
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        reject_signup(person, current_user)
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(
            _("The sign-up of %(name)s was refused; they were told by e-mail.", name=name),
            "success",
        )
    return redirect(url_for("people.pending"))


# -- org units ---------------------------------------------------------------


@bp.get("/units")
def units():
    tree = UnitTree()
    direct = dict(db.session.execute(User.count_by_unit()).all())
    total = {
        u.id: direct.get(u.id, 0) + sum(direct.get(d, 0) for d in tree.descendants(u.id))
        for u in tree.units.values()
    }
    unassigned = db.session.scalar(
        select(func.count(User.id)).where(
            User.org_unit_id.is_(None), User.status != AccountStatus.DISABLED
        )
    )
    return render_template(
        "people/units.html",
        rows=tree.walk(),
        direct=direct,
        total=total,
        unassigned=unassigned,
        level_labels=LEVEL_LABELS,
        equivalent_labels=EQUIVALENT_LABELS,
        action=ActionForm(),
        municipality=current_municipality(),
    )


def _unit_data(form: UnitForm) -> UnitData:
    return UnitData(
        name=form.name.data,
        level=OrgLevel(form.level.data),
        parent_id=form.parent_id.data,
        equivalent=form.equivalent.data,
    )


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new():
    form = UnitForm()
    if request.method == "GET" and request.args.get("parent", type=whole_number):
        form.parent_id.data = request.args.get("parent", type=whole_number)
    refused = None
    if form.validate_on_submit():
        try:
            unit = create_unit(_unit_data(form), current_user)
        except DomainError as exc:
            refused = _refused(exc)
        else:
            db.session.commit()
            flash(_("%(name)s was added.", name=unit.name), "success")
            return redirect(url_for("people.units"))
    return render_template("people/unit_form.html", form=form, unit=None), refused or _status(form)


def _edit_page(
    unit: OrgUnit, form: UnitEditForm, retire: RetireUnitForm, status: int, conflict=None
):
    return render_template(
        "people/unit_form.html", form=form, unit=unit, retire_form=retire, conflict=conflict
    ), status


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    """Rename, re-level or move a unit; a rename takes effect on the day given (today by default)."""
    unit = get_or_404(OrgUnit, unit_id)
    exclude = {unit.id} | UnitTree().descendants(unit.id)
    form = UnitEditForm(obj=unit, exclude=exclude)
    if request.method == "GET":
        form.level.data = unit.level.value
        form.effective_on.data = fiscal.today()
    refused = stale = None
    if form.validate_on_submit():
        try:
            claim_version(unit, form.version.data)
            with effective_on(db.session, form.effective_on.data or fiscal.today()):
                update_unit(unit, _unit_data(form), current_user)
                db.session.flush()
        except StaleEdit:
            db.session.rollback()
            unit = get_or_404(OrgUnit, unit_id)
            saved = UnitForm(formdata=None, obj=unit, exclude=exclude)
            saved.level.data = unit.level.value
            stale, refused = conflict(form, saved), 409
        except DomainError as exc:
            refused = _refused(exc)
        else:
            db.session.commit()
            flash(_("The changes were saved."), "success")
            return redirect(url_for("people.units"))
    retire = RetireUnitForm(formdata=None)
    return _edit_page(unit, form, retire, refused or _status(form), conflict=stale)


def _unit_action(unit_id: int, action, done: str, day=None):
    """Retire or reactivate a unit (the service audits it), on the day given."""
    unit = get_or_404(OrgUnit, unit_id)
    try:
        with effective_on(db.session, day or fiscal.today()):
            action(unit, current_user)
            db.session.flush()
    except DomainError as exc:
        _refused(exc)
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("people.units"))


@bp.post("/units/<int:unit_id>/deactivate")
def unit_deactivate(unit_id: int):
    """Take a unit out of use (廃止) from the day given, today unless said."""
    unit = get_or_404(OrgUnit, unit_id)
    form = RetireUnitForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        edit = UnitEditForm(
            formdata=None, obj=unit, exclude={unit.id} | UnitTree().descendants(unit.id)
        )
        edit.level.data = unit.level.value
        edit.effective_on.data = fiscal.today()
        return _edit_page(unit, edit, form, 400)
    return _unit_action(
        unit_id,
        deactivate_unit,
        _("The unit was taken out of use."),
        form.effective_on.data,
    )


@bp.post("/units/<int:unit_id>/activate")
def unit_activate(unit_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    return _unit_action(unit_id, reactivate_unit, _("The unit is in use again."))
