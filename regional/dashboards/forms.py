"""The fiscal-year selector and the invitation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from regional.fiscal import fiscal_year_option, fiscal_years_offered
from regional.i18n import locale_code
from regional.validation import form_id, whole_number


def fiscal_year_choices(today=None) -> list[tuple[int, str]]:
    """From FY2024 (the policy's first year) to the current one, newest first, labelled as
    everywhere else on the platform: '令和8年度（2026年度）' / 'FY2026 (Reiwa 8)'."""
    lang = locale_code()
    return [(fy, fiscal_year_option(fy, lang)) for fy in fiscal_years_offered(today, ahead=0)]


class FiscalYearForm(FlaskForm):
    """GET form: never a free-text year, only the years there are."""

    class Meta:
        csrf = False

    fy = SelectField(_l("Fiscal year"), coerce=whole_number, validators=[InputRequired()])


def chosen_fiscal_year(args, current: int) -> tuple[FiscalYearForm, int]:
    """The selector bound to the query string, and the year it names (current if none/invalid)."""
    form = FiscalYearForm(formdata=args)
    form.fy.choices = fiscal_year_choices()
    valid = {fy for fy, _ in form.fy.choices}
    if "fy" in args and form.validate() and form.fy.data in valid:
        return form, form.fy.data
    form.fy.data = current
    return form, current


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class InviteForm(FlaskForm):
    """Invite the people ticked to one upcoming session (a mail through the outbox)."""

    session_id = SelectField(_l("Session"), coerce=form_id, validators=[DataRequired()])
    people = MultiCheckboxField(_l("People to invite"), coerce=form_id, validators=[DataRequired()])


class CloseYearForm(FlaskForm):
    """年度締め: a deliberate step, after checking the figures shown above it."""

    checked = BooleanField(
        _l("I have checked these figures; they are the ones we report."),
        validators=[DataRequired(message=_l("Tick the box to confirm the figures."))],
    )


class ReopenYearForm(FlaskForm):
    """Re-open a closed year (regional administrators): the reason is kept in the trail."""

    reason = TextAreaField(
        _l("Why is the year re-opened?"),
        validators=[
            DataRequired(message=_l("Say why the year is re-opened.")),
            Length(max=2000),
        ],
    )
