"""関心登録 on a programme's page: a person registers or withdraws their own interest.

On the catalogue blueprint (the URLs are a programme's), living here because the
rule reads sessions and the interest is a registrations-level record. Nobody acts
for someone else: the person is always the signed-in one, so no URL names an interest.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from regional.catalogue import bp
from regional.catalogue.models import Program
from regional.errors import DomainError
from regional.extensions import db
from regional.registrations import interests
from regional.registrations.forms import InterestForm
from regional.tenancy import get_or_404


def _back(program: Program):
    """Back where the button was: the home page's list, or the programme's page."""
    if request.form.get("back") == "home":
        return redirect(url_for("main.home"))
    return redirect(url_for("catalogue.detail", program_id=program.id))


@bp.post("/<int:program_id>/interest")
@login_required
def register_interest(program_id: int):
    """Ask to be mailed when a session of this programme opens for the person's municipality."""
    program = get_or_404(Program, program_id)
    if not InterestForm().validate_on_submit():
        abort(400)
    try:
        interests.register_interest(program, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error" if exc.code != "already_interested" else "info")
    else:
        db.session.commit()
        flash(
            _(
                "Your interest is registered. We will mail you when a session opens for registration."
            ),
            "success",
        )
    return _back(program)


@bp.post("/<int:program_id>/interest/withdraw")
@login_required
def withdraw_interest(program_id: int):
    """Withdraw the person's own interest in this programme."""
    program = get_or_404(Program, program_id)
    if not InterestForm().validate_on_submit():
        abort(400)
    if interests.withdraw_interest(program, current_user):
        db.session.commit()
        flash(_("Your interest was withdrawn."), "success")
    else:
        flash(_("You had not registered your interest in this programme."), "info")
    return _back(program)
