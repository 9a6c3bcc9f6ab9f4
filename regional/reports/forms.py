"""Forms of the report pages (every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from regional.reports.models import BODY_MAX
from regional.validation import HumanText


class ReportForm(FlaskForm):
    body = TextAreaField(
        _l("What you will apply at work"),
        validators=[
            HumanText(multiline=True),
            Length(max=BODY_MAX, message=_l("At most %(max)d characters.", max=BODY_MAX)),
        ],
    )


class AcknowledgeForm(FlaskForm):
    """Acknowledge a report: the button alone (and its CSRF token)."""
