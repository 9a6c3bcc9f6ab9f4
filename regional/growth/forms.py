"""Forms of the growth pages (the services check every rule again)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from regional.validation import HumanText, SensibleDate, typed_code_or_none
from regional.versions import VersionField


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QualificationForm(FlaskForm):
    """A pass of an exam: which, when, the certificate's number, optionally a scan."""

    exam = SelectField(_l("Exam"), validators=[DataRequired()])
    name = StringField(
        _l("Name of the certificate (for other certificates)"),
        validators=[HumanText(), Length(max=200)],
    )
    passed_on = DateField(_l("Date passed"), validators=[DataRequired(), SensibleDate()])
    certificate_number = StringField(
        _l("Certificate number"),
        filters=[typed_code_or_none],
        validators=[HumanText(), DataRequired(), Length(max=50)],
    )
    scan = FileField(_l("Scan of the certificate (PDF, PNG or JPEG; optional)"))
    #: The record's version when the form was loaded (a save of an older one is refused).
    version = VersionField()


class ReviewForm(FlaskForm):
    """Verify a record as the coordinator saw it: its version then (changed since: refused)."""

    version = VersionField()


class ReturnForm(ReviewForm):
    reason = TextAreaField(
        _l("Reason for returning"),
        validators=[HumanText(multiline=True), DataRequired(), Length(max=1000)],
    )


class RevokeForm(FlaskForm):
    """Revoke a completion certificate: the reason is required and kept (not public)."""

    reason = TextAreaField(
        _l("Reason for revoking"),
        validators=[HumanText(multiline=True), DataRequired(), Length(max=500)],
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (verify, confirm, delete)."""


class OjtForm(FlaskForm):
    """An on-the-job project (実務を通じた人材育成)."""

    employee = StringField(
        _l("Employee number or e-mail address (leave empty for yourself)"),
        validators=[HumanText(), Optional(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    title = StringField(_l("Project"), validators=[HumanText(), DataRequired(), Length(max=200)])
    division = StringField(_l("Division where it ran"), validators=[HumanText(), Length(max=200)])
    started_on = DateField(_l("Started on"), validators=[DataRequired(), SensibleDate()])
    ended_on = DateField(
        _l("Ended on (empty if still running)"), validators=[Optional(), SensibleDate()]
    )
    skill_areas = MultiCheckboxField(_l("Skill areas practised"))
    supported_by = StringField(
        _l("Supporting staff of the digital-promotion division"),
        validators=[HumanText(), Length(max=300)],
    )
    outcome = TextAreaField(_l("Outcome"), validators=[HumanText(multiline=True), Length(max=4000)])


class QualificationFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()])
    exam = SelectField(_l("Exam"), validators=[Optional()])


class MaterialForm(FlaskForm):
    """A file or a link, for a skill area and/or an exam."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    skill_area_key = SelectField(_l("Skill area"), validators=[Optional()])
    exam_code = SelectField(_l("Exam"), validators=[Optional()])
    file = FileField(_l("File (PDF, PNG, JPEG, Excel, Word, PowerPoint or text)"))
    url = URLField(_l("Or a web address"), validators=[Optional(), Length(max=500)])
    for_everyone = BooleanField(_l("For the staff of every member"), default=True)


class MaterialFilterForm(FlaskForm):
    class Meta:
        csrf = False

    skill_area = SelectField(_l("Skill area"), validators=[Optional()])
    exam = SelectField(_l("Exam"), validators=[Optional()])
