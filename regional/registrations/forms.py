"""Forms of the registration pages (every POST also carries the CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from regional.fiscal import fiscal_year_option, fiscal_years_offered
from regional.i18n import locale_code
from regional.validation import HumanText, whole_number


class StaffRegistrationForm(FlaskForm):
    """A coordinator registers one of their own staff, named by number or e-mail."""

    employee = StringField(
        _l("Employee number or e-mail address"),
        validators=[HumanText(), DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )


class StaffSearchForm(FlaskForm):
    """Find own staff to register (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Find staff by name, number or e-mail"), validators=[HumanText(), Length(max=100)]
    )


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

    fiscal_year = SelectField(_l("Fiscal year"), coerce=whole_number, validators=[DataRequired()])
    format = SelectField(
        _l("Format"),
        choices=[("xlsx", _l("Excel (XLSX)")), ("csv", _l("CSV (UTF-8)"))],
        default="xlsx",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fiscal_year.choices = [
            (fy, fiscal_year_option(fy, locale_code())) for fy in fiscal_years_offered()
        ]


class InterestForm(FlaskForm):
    """Register or withdraw one's interest (関心登録): the CSRF token only; the programme is in the URL."""
