"""The audit page's filters (a GET form: nothing to protect with CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import Optional

from regional.audit.labels import ACTION_LABELS


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    municipality = SelectField(_l("Member"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])
    start = DateField(_l("From (date)"), validators=[Optional()])
    end = DateField(_l("To (date)"), validators=[Optional()])
    submit = SubmitField(_l("Show"))

    def __init__(self, *args, present_actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        codes = sorted(set(ACTION_LABELS) | set(present_actions))
        self.action.choices = [("", _l("All"))] + [(c, ACTION_LABELS.get(c, c)) for c in codes]

    def validate_end(self, field) -> None:
        if field.data and self.start.data and field.data < self.start.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("The end date is before the start date."))
