"""Forms of the heads' pages (every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from regional.validation import HumanText


def _person(value):
    """A select's value: a person's id, or None for nobody."""
    from regional.validation import whole_number

    if value in (None, "", "None"):
        return None
    return whole_number(value)


class DecisionForm(FlaskForm):
    """Approve (no reason needed) or decline (a reason, mailed to the person)."""

    reason = TextAreaField(
        _l("Reason for declining"),
        validators=[HumanText(multiline=True), Length(max=500)],
    )


class DeclineForm(DecisionForm):
    reason = TextAreaField(
        _l("Reason for declining"),
        validators=[HumanText(multiline=True), DataRequired(), Length(max=500)],
    )


class SettingForm(FlaskForm):
    head_approval = BooleanField(_l("Employees' applications need their head of unit's approval"))


class UnitHeadForm(FlaskForm):
    head = SelectField(_l("Head of unit"), coerce=_person, validate_choice=True)
    deputy = SelectField(_l("Deputy"), coerce=_person, validate_choice=True)
