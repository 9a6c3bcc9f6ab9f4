"""Forms of the notice pages (every POST carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from regional.notices.models import BODY_MAX, TITLE_MAX
from regional.validation import HumanText, SensibleDate
from regional.versions import VersionField


def audience_choices() -> list[tuple[str, str]]:
    return [
        ("all", _l("All staff")),
        ("coordinators", _l("Training coordinators")),
        ("heads", _l("Heads of unit")),
    ]


class NoticeForm(FlaskForm):
    title_ja = StringField(
        _l("Notice title (Japanese)"),
        validators=[DataRequired(), HumanText(), Length(max=TITLE_MAX)],
    )
    body_ja = TextAreaField(
        _l("Text (Japanese)"),
        validators=[DataRequired(), HumanText(multiline=True), Length(max=BODY_MAX)],
    )
    title_en = StringField(
        _l("Notice title (English)"), validators=[Optional(), HumanText(), Length(max=TITLE_MAX)]
    )
    body_en = TextAreaField(
        _l("Text (English)"),
        validators=[Optional(), HumanText(multiline=True), Length(max=BODY_MAX)],
    )
    audience = SelectField(_l("Shown to"), choices=audience_choices, default="all")
    shown_from = DateField(_l("First day"), validators=[DataRequired(), SensibleDate()])
    shown_until = DateField(_l("Last day"), validators=[Optional(), SensibleDate()])
    #: The notice's version when the form was loaded (a save of an older one is refused).
    version = VersionField()


class ButtonForm(FlaskForm):
    """Mark read or withdraw: the button alone (and its CSRF token)."""
