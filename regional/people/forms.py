"""Forms of the people pages: a person, an org unit, the list's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from regional import fiscal
from regional.audit.labels import register_values
from regional.people.addresses import address_refusal
from regional.people.models import (
    JOB_CATEGORY_LABELS,
    STATUS_LABELS,
    AccountStatus,
    JobCategory,
    Role,
    User,
    normalize_email,
)
from regional.people.people import employee_number_taken, normalize_employee_number
from regional.people.units import UnitTree
from regional.validation import HumanText, optional_form_id, typed_code_or_none
from regional.versions import VersionField
from tenants.models import UNITS_EPOCH, Municipality, OrgLevel

LEVEL_LABELS = {
    OrgLevel.DEPARTMENT: _l("Department (部・局)"),
    OrgLevel.DIVISION: _l("Division (課)"),
    OrgLevel.SECTION: _l("Section (係)"),
}

#: Level names when the unit is an equivalent of another name (室, センター, 担当).
EQUIVALENT_LABELS = {
    OrgLevel.DEPARTMENT: _l("Department equivalent (部相当)"),
    OrgLevel.DIVISION: _l("Division equivalent (課相当)"),
    OrgLevel.SECTION: _l("Section equivalent (係相当)"),
}


def unit_choices(*, include_inactive: bool = False, exclude: set[int] | None = None) -> list:
    """The current municipality's units as (id, path), in path order (the wall scopes the query)."""
    return UnitTree().choices(include_inactive=include_inactive, exclude=exclude)


class PersonForm(FlaskForm):
    """A person of the current municipality; the municipality itself is never a field."""

    name = StringField(
        _l("Name"),
        validators=[HumanText(), DataRequired(), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    name_kana = StringField(
        _l("Name in kana"), validators=[HumanText(), Optional(), Length(max=100)]
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    employee_number = StringField(
        _l("Employee number"),
        filters=[typed_code_or_none],
        validators=[HumanText(), DataRequired(), Length(max=20)],
    )
    job_category = SelectField(
        _l("Job category"),
        choices=[(c.value, JOB_CATEGORY_LABELS[c]) for c in JobCategory],
        default=JobCategory.ADMINISTRATIVE.value,
    )
    org_unit_id = SelectField(
        _l("Organisation unit"), coerce=optional_form_id, validate_choice=True
    )
    system_duty = BooleanField(_l("Builds or maintains systems (システム構築・保守の担当)"))
    role = SelectField(
        _l("Role"),
        choices=[
            (Role.EMPLOYEE.value, Role.EMPLOYEE.label),
            (Role.COORDINATOR.value, Role.COORDINATOR.label),
        ],
        default=Role.EMPLOYEE.value,
    )
    submit = SubmitField(_l("Save"))

    def __init__(
        self,
        *args,
        municipality: Municipality,
        person: User | None = None,
        may_set_role: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.person_id = person.id if person is not None else None
        #: An address kept as it is stays (even an approved outside one); a new one obeys the rule.
        self.kept_email = person.email if person is not None else None
        self.org_unit_id.choices = [("", _l("(none)"))] + unit_choices()
        if not may_set_role:
            del self.role

    def validate_email(self, field: EmailField) -> None:
        email = normalize_email(field.data)
        if email == self.kept_email:
            return
        # One neutral message for an outside address and a taken one alike.
        refusal = address_refusal(self.municipality, email, except_id=self.person_id)
        if refusal is not None:
            raise ValidationError(refusal)

    def validate_employee_number(self, field: StringField) -> None:
        if employee_number_taken(normalize_employee_number(field.data), except_id=self.person_id):
            raise ValidationError(_l("This employee number is already used in this municipality."))


class EditPersonForm(PersonForm):
    """Editing: an employee number may still be unknown (a sign-up from outside)."""

    employee_number = StringField(
        _l("Employee number"),
        filters=[typed_code_or_none],
        validators=[HumanText(), Optional(), Length(max=20)],
    )
    #: The person's version when the form was loaded (a save of an older one is refused).
    version = VersionField()


class PeopleFilterForm(FlaskForm):
    """The list's search and filters (a GET form: nothing to protect with CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Search by name, e-mail or employee number"),
        validators=[HumanText(), Optional(), Length(max=100)],
    )
    status = SelectField(
        _l("Status"),
        choices=[("", _l("All"))] + [(s.value, STATUS_LABELS[s]) for s in AccountStatus],
        validators=[Optional()],
    )
    unit = SelectField(_l("Organisation unit"), coerce=optional_form_id, validators=[Optional()])
    job_category = SelectField(
        _l("Job category"),
        choices=[("", _l("All"))] + [(c.value, JOB_CATEGORY_LABELS[c]) for c in JobCategory],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Search"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = [("", _l("All"))] + unit_choices(include_inactive=True)


class UnitForm(FlaskForm):
    name = StringField(_l("Name"), validators=[HumanText(), DataRequired(), Length(max=100)])
    level = SelectField(
        _l("Level"),
        choices=[(level.value, LEVEL_LABELS[level]) for level in OrgLevel],
        default=OrgLevel.DIVISION.value,
    )
    equivalent = BooleanField(
        _l("An equivalent of another name (室, センター, 担当 counted at this level)")
    )
    parent_id = SelectField(_l("Parent unit"), coerce=optional_form_id)
    submit = SubmitField(_l("Save"))
    #: The unit's version when the form was loaded (a save of an older one is refused).
    version = VersionField()

    def __init__(self, *args, exclude: set[int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = [("", _l("(top level)"))] + unit_choices(exclude=exclude)


class EffectiveDate:
    """The day a change takes effect: not in the future, not before the units' first day."""

    def __call__(self, form: object, field: DateField) -> None:
        day = field.data
        if day is None:
            return
        if day > fiscal.today():
            raise ValidationError(_l("The effective date cannot be in the future."))
        if day < UNITS_EPOCH:
            raise ValidationError(
                _l("The effective date cannot be before %(day)s.", day=UNITS_EPOCH.isoformat())
            )


def effective_date_field(label, **kwargs) -> DateField:
    """A day a change takes effect, today in Japan unless given."""
    return DateField(
        label, default=lambda: fiscal.today(), validators=[Optional(), EffectiveDate()], **kwargs
    )


class UnitEditForm(UnitForm):
    """A unit's name, level and place; a rename takes effect on the day given."""

    effective_on = effective_date_field(_l("Takes effect on"))


class RetireUnitForm(FlaskForm):
    """Take a unit out of use from a day (today unless given)."""

    #: Its own id: it shares the edit page with the unit's form.
    effective_on = effective_date_field(_l("Takes effect on"), id="retire_effective_on")


class ActionForm(FlaskForm):
    """A button that changes something: carries the CSRF token only."""

    submit = SubmitField(_l("Confirm"))


class RosterUploadForm(FlaskForm):
    """A personnel-system export to preview (CSV in UTF-8 or CP932, or XLSX)."""

    file = FileField(_l("Staff roster (CSV or XLSX)"), validators=[FileRequired()])
    deactivate_missing = BooleanField(
        _l("This is the whole staff: deactivate people who are not in the file")
    )
    effective_on = effective_date_field(_l("Effective date"))


class RosterConfirmForm(FlaskForm):
    """Import what the preview showed: the upload's id and a signed hash of its bytes."""

    upload = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired()])


class JobWordForm(FlaskForm):
    """One 職種 name of the member's personnel system and the job category it means."""

    word = StringField(
        _l("Name in the personnel system (職種)"),
        validators=[HumanText(), DataRequired(), Length(max=40)],
        render_kw={"autocomplete": "off"},
    )
    category = SelectField(
        _l("Job category on the platform"),
        choices=[(c.value, JOB_CATEGORY_LABELS[c]) for c in JobCategory],
        default=JobCategory.ADMINISTRATIVE.value,
    )


# The audit trail shows these codes by their labels.
register_values(LEVEL_LABELS, (None, "level"))
