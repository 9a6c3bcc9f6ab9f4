"""Pages: undelivered mail (宛先不明のメール), for coordinators and regional administrators.

A coordinator sees the messages of the member they work in; a regional administrator
also those of no member. Another member's message is not found.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from regional.audit import record_audit
from regional.errors import DomainError
from regional.extensions import db
from regional.mail.models import MailSignature, OutboundMail
from regional.mail.services import compose, forget_signatures
from regional.outbox.forms import DiscardForm, MailSettingsForm, RetryForm, SignatureForm
from regional.outbox.undelivered import address_bound, discard, failed_mail, retry
from regional.roles import blueprint_role_hook, is_coordinator
from regional.tenancy import current_municipality
from tenants import all_tenants

bp = Blueprint("mail", __name__)

bp.before_request(blueprint_role_hook(is_coordinator))  # coordinators and administrators

#: Rows shown per list: failures are few; a flood (a relay refusing everything) shows its
#: first screens and the count.
LIST_LIMIT = 200


def _here() -> int:
    return current_municipality().id


def _lists() -> list[dict]:
    owners = [(_here(), current_municipality())]
    if current_user.is_regional_admin:
        owners.append((None, None))
    lists = []
    for owner, member in owners:
        # Each list names its owner (undelivered/retrying filter by it); mail of no member
        # is behind the wall for every member, so the wall is lifted for these reads.
        with all_tenants(db.session):
            lists.append(_list(owner, member))
    return lists


def _list(owner: int | None, member) -> dict:
    return {
        "member": member,
        "failed": db.session.scalars(OutboundMail.undelivered(owner).limit(LIST_LIMIT)).all(),
        "failed_total": db.session.scalar(
            select(func.count()).select_from(OutboundMail.undelivered(owner).subquery())
        ),
        "retrying": db.session.scalars(OutboundMail.retrying(owner).limit(LIST_LIMIT)).all(),
    }


@bp.get("/undelivered")
def undelivered():
    return _page()


def _page(forms: dict[int, RetryForm] | None = None, status: int = 200):
    forms = dict(forms or {})
    lists = _lists()
    for group in lists:
        for m in group["failed"]:
            if m.id not in forms:
                forms[m.id] = RetryForm(formdata=None, email=m.to_addr, prefix=f"m{m.id}")
    return render_template(
        "outbox/undelivered.html",
        lists=lists,
        forms=forms,
        discard_form=DiscardForm(),
        address_bound=address_bound,
    ), status


def _load(mail_id: int) -> OutboundMail:
    try:
        return failed_mail(mail_id, _here(), regional_admin=current_user.is_regional_admin)
    except DomainError:
        abort(404)


@bp.post("/<int:mail_id>/retry")
def retry_mail(mail_id: int):
    # failed_mail checks that the message is the caller's; mail of no member (a regional
    # administrator's) is behind the wall for every member: lifted for the change.
    with all_tenants(db.session):
        return _retry(mail_id)


def _retry(mail_id: int):
    mail = _load(mail_id)
    form = RetryForm(prefix=f"m{mail.id}")
    if not form.validate_on_submit():
        return _page({mail.id: form}, 400)
    try:
        retry(mail, form.email.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        form.email.errors = [*form.email.errors, exc.message]
        return _page({mail_id: form}, exc.status)
    db.session.commit()
    flash(_("The message will be sent again to %(email)s.", email=form.email.data), "success")
    return redirect(url_for("mail.undelivered"))


@bp.post("/<int:mail_id>/discard")
def discard_mail(mail_id: int):
    with all_tenants(db.session):  # as retry_mail
        return _discard(mail_id)


def _discard(mail_id: int):
    mail = _load(mail_id)
    if not DiscardForm().validate_on_submit():
        abort(400)
    discard(mail, current_user)
    db.session.commit()
    flash(_("The message was discarded."), "success")
    return redirect(url_for("mail.undelivered"))


@bp.app_template_global("undelivered_mail_count")
def undelivered_mail_count() -> int:
    """For the home page: failed messages the signed-in coordinator or administrator sees."""
    here = current_municipality()
    if not current_user.is_authenticated or not current_user.is_coordinator or here is None:
        return 0
    owners = [here.id, None] if current_user.is_regional_admin else [here.id]
    total = 0
    with all_tenants(db.session):  # each count names its owner (see _lists)
        for owner in owners:
            stmt = OutboundMail.undelivered(owner)
            total += db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return total


@bp.route("/signature", methods=["GET", "POST"])
def signature():
    """The signature under every mail of the member one works in: section and contact."""
    here = current_municipality()
    row = db.session.scalar(select(MailSignature))  # the current member's (tenant-scoped)
    form = SignatureForm(obj=row)
    if form.validate_on_submit():
        before = _signature_fields(row)
        if row is None:
            row = MailSignature(section=form.section.data)
            db.session.add(row)
        row.section = form.section.data
        row.phone = form.phone.data or None
        row.email = form.email.data or None
        record_audit(
            "mail.signature",
            subject_type="municipality",
            subject_id=here.id,
            subject_label=here.name_ja,
            before=before,
            after=_signature_fields(row),
        )
        db.session.commit()
        forget_signatures()
        flash(_("The signature was saved; mail sent from now on carries it."), "success")
        return redirect(url_for("mail.signature"))
    if request.method == "POST":
        db.session.rollback()
    subject, body = compose("signature_example", current_user.locale, here.id, {})
    return render_template("outbox/signature.html", form=form, row=row, example=body, member=here)


def _signature_fields(row: MailSignature | None) -> dict | None:
    if row is None:
        return None
    return {"section": row.section, "phone": row.phone, "email": row.email}


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """A coordinator's own mail: the daily digest and the notices of requests to approve
    (their own account, whichever member they work in)."""
    from regional.people.models import User
    from tenants.scoping import acting_as

    form = MailSettingsForm(data={"digest": current_user.mail_digest})
    if form.validate_on_submit():
        with acting_as(db.session, current_user.municipality_id):
            me = db.session.get(User, current_user.id)
            me.mail_digest = bool(form.digest.data)
            db.session.commit()
        flash(_("Your mail settings were saved."), "success")
        return redirect(url_for("mail.settings"))
    return render_template("outbox/settings.html", form=form)
