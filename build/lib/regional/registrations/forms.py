"""Forms of the registration pages (every POST also carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class StaffRegistrationForm(FlaskForm):
    """A coordinator registers one of their own staff, named by number or e-mail."""

    employee = StringField(
        _l("Employee number or e-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )


class StaffSearchForm(FlaskForm):
    """Find own staff to register (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Find staff by name, number or e-mail"), validators=[Length(max=100)])


class UploadForm(FlaskForm):
    """A spreadsheet to preview: CSV (UTF-8 or Shift_JIS/CP932) or XLSX."""

    file = FileField(_l("Spreadsheet (CSV or XLSX)"), validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    """Commit what the preview showed: the parsed rows travel signed, never the file."""

    payload = HiddenField(validators=[DataRequired()])


class FiscalYearExportForm(FlaskForm):
    """Which fiscal year's registrations to download, and in which format."""

    class Meta:
        csrf = False

    fiscal_year = IntegerField(
        _l("Fiscal year (the year it starts in)"),
        validators=[DataRequired(), NumberRange(min=2000, max=2100)],
    )
    format = SelectField(
        _l("Format"),
        choices=[("xlsx", _l("Excel (XLSX)")), ("csv", _l("CSV (UTF-8)"))],
        default="xlsx",
    )
