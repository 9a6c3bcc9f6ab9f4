"""Forms of the targets pages: one target, one measure (labels through lazy gettext)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from regional.fiscal import fiscal_year_option
from regional.i18n import locale_code
from regional.targets.models import RULE_LABELS, PersonaRule
from regional.targets.services import MAX_PEOPLE
from regional.validation import WholeNumberField, optional_whole_number, whole_number
from regional.versions import VersionField

FIRST_CHOICE_FY = 2019  # 令和元年度


def fiscal_year_choices(current: int, extra: tuple[int, ...] = ()) -> list[tuple[int, str]]:
    """令和N年度（xxxx年度）, as every select names a year, from FY2019 to ten years ahead
    (plus any year already stored)."""
    years = sorted(set(range(FIRST_CHOICE_FY, current + 11)) | {y for y in extra if y})
    return [(y, fiscal_year_option(y, locale_code())) for y in years]


class TargetForm(FlaskForm):
    target = WholeNumberField(
        _l("Target (people)"),
        validators=[
            DataRequired(message=_l("Enter a number of people.")),
            NumberRange(0, MAX_PEOPLE),
        ],
    )
    period_start_fy = SelectField(_l("First fiscal year"), coerce=whole_number)
    period_end_fy = SelectField(
        _l("Last fiscal year"), coerce=optional_whole_number, validators=[Optional()]
    )
    population = WholeNumberField(
        _l("Eligible population (optional)"),
        validators=[Optional(), NumberRange(1, MAX_PEOPLE)],
    )
    submit = SubmitField(_l("Save target"))
    #: The target's version when the form was loaded (a save of an older one is refused).
    version = VersionField()

    def __init__(self, *args, current_fy: int, annual: bool, stored=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = fiscal_year_choices(current_fy, tuple(stored))
        self.period_start_fy.choices = choices
        if annual:
            self.period_end_fy.choices = [("", _l("Every year from the first"))] + choices
        else:
            self.period_end_fy.choices = choices
            self.period_end_fy.validators = [DataRequired()]


class MeasureForm(FlaskForm):
    rule = SelectField(
        _l("A person counts when they have completed"),
        choices=[(r.value, RULE_LABELS[r]) for r in PersonaRule],
    )
    min_programs = WholeNumberField(
        _l("Number of programmes (for “at least”)"),
        validators=[Optional(), NumberRange(1, 50)],
    )
    skill_areas = SelectMultipleField(
        _l("Skill areas whose completions count"),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    applies = RadioField(
        _l("The change applies"),
        choices=[
            ("today", _l("From today: what was reached or counted before stays as it was")),
            ("past", _l("From an earlier day: past figures are counted again (re-definition)")),
        ],
        default="today",
    )
    effective_from = DateField(_l("First day of the new definition"), validators=[Optional()])
    submit = SubmitField(_l("Save measure"))
    #: The measure's version when the form was loaded (a save of an older one is refused).
    version = VersionField()

    def validate(self, extra_validators=None) -> bool:
        """A re-definition needs its first day: in the past, not before 1 April 2000."""
        from regional import fiscal

        ok = super().validate(extra_validators)
        if self.applies.data != "past":
            return ok
        day, field = self.effective_from.data, self.effective_from
        if day is None and not field.errors:
            field.errors = [*field.errors, _l("Enter the first day the new definition applies.")]
        elif day is not None and not (date(2000, 4, 1) <= day < fiscal.today()):
            field.errors = [
                *field.errors,
                _l("The day must be in the past, and not before 1 April 2000."),
            ]
        return ok and not field.errors
