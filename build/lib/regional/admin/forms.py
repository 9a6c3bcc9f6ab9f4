"""Forms of the regional administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class SwitchForm(FlaskForm):
    """Which member a regional administrator works in (their own to go back)."""

    municipality = SelectField(_l("Municipality to work in"), validators=[DataRequired()])
    submit = SubmitField(_l("Switch"))


class PromoteForm(FlaskForm):
    """Find an employee of the municipality by e-mail or employee number."""

    who = StringField(
        _l("E-mail address or employee number"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField(_l("Make training coordinator"))


class DemoteForm(FlaskForm):
    """A button: carries the CSRF token only."""

    submit = SubmitField(_l("Remove as coordinator"))
