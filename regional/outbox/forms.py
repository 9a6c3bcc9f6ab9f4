"""Forms of the undelivered-mail page: send a message again, or discard it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp


class RetryForm(FlaskForm):
    """Send a failed message again, to the address as corrected."""

    email = EmailField(
        _l("Address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField(_l("Send again"))


class DiscardForm(FlaskForm):
    """Discard a failed message (carries the CSRF token only)."""

    submit = SubmitField(_l("Discard"))


class SignatureForm(FlaskForm):
    """The member's signature under every mail it sends: its section and contact."""

    section = StringField(
        _l("Section in charge"),
        validators=[DataRequired(), Length(max=200)],
        filters=[lambda v: v.strip() if v else v],
    )
    phone = StringField(
        _l("Telephone"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(
                r"^[0-9０-９()（）+\-－ー 　内線ext.]+$", message=_l("Digits and hyphens only.")
            ),
        ],
        filters=[lambda v: v.strip() if v else v],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    email = EmailField(
        _l("Contact e-mail address"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
        filters=[lambda v: v.strip().lower() if v else v],
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField(_l("Save"))


class MailSettingsForm(FlaskForm):
    """A coordinator's own mail: the daily digest and the notices of requests to approve."""

    digest = BooleanField(
        _l(
            "Mail me about work waiting for me (a daily summary, and a mail when a registration needs my approval)"
        )
    )
    submit = SubmitField(_l("Save"))
