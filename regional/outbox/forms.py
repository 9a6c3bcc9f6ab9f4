"""Forms of the undelivered-mail page: send a message again, or discard it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SubmitField
from wtforms.validators import DataRequired, Email, Length


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
