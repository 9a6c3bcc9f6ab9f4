"""Pages: sending invitations to imported staff (one person, or the next batch)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from regional.errors import DomainError
from regional.extensions import db
from regional.people import bp, invitations, mailing
from regional.people.forms import ActionForm
from regional.people.models import User
from regional.people.people import check_may_manage
from regional.tenancy import get_or_404


@bp.route("/invitations", methods=["GET", "POST"])
def invite_batch():
    """Invite the next batch of people who have never been invited: first the
    confirmation (GET: how many, who, the mail as it is sent), then the sending (POST)."""
    if request.method == "GET":
        plan = mailing.split(db.session.scalars(invitations.not_invited().limit(invitations.BATCH)))
        left = invitations.count(invitations.not_invited()) - plan.total
        return render_template(
            "mailing/confirm.html",
            title=_("Invitations to imported staff: check before sending"),
            mailing=plan,
            examples=mailing.examples(plan, "", "people_invitation", lambda p: {}),
            notes=[_("People still to invite after this batch: %(n)d.", n=left)] if left else [],
            action=url_for("people.invite_batch"),
            hidden=[],
            button=_("Send the invitations"),
            back=url_for("people.roster"),
        )
    if not ActionForm().validate_on_submit():
        abort(400)
    sent, left = invitations.invite_batch(current_user)
    db.session.commit()
    if sent:
        flash(
            _(
                "%(n)d invitations are on their way; %(left)d people still to invite.",
                n=sent,
                left=left,
            ),
            "success",
        )
    else:
        flash(_("Everyone has been invited already."), "info")
    return redirect(url_for("people.roster"))


@bp.post("/<int:user_id>/invite")
def invite(user_id: int):
    """Send (or send again) one person's invitation."""
    person = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        check_may_manage(person, current_user)
        invitations.invite(person, current_user)
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("An invitation was sent to %(email)s.", email=person.email), "success")
    return redirect(url_for("people.detail", user_id=user_id))
