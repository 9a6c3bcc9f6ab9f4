"""Forms of the catalogue: the filter of the list and the programme editor."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from regional.catalogue.models import (
    DELIVERY_LABELS,
    TIER_LABELS,
    TRACK_LABELS,
    Tier,
)
from regional.catalogue.normalise import search_words
from regional.people.models import JOB_CATEGORY_LABELS
from regional.validation import DecimalNumberField, HumanText, form_id
from regional.versions import VersionField

#: The catalogue's own order of tiers: everyone's training first.
TIER_ORDER = (Tier.GENERAL, Tier.CORE, Tier.ADVANCED)
#: Bounds of a keyword search: characters typed, and words after splitting.
MAX_QUERY = 100
MAX_WORDS = 8


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (rendered in a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _any(label) -> list[tuple[str, object]]:
    return [("", label)]


class CatalogueFilterForm(FlaskForm):
    """GET filters of the catalogue (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Keywords"),
        validators=[
            HumanText(),
            Length(max=MAX_QUERY, message=_l("Search with at most 100 characters.")),
        ],
        render_kw={"type": "search", "autocomplete": "off"},
    )
    tier = SelectField(_l("Tier"), default="")
    track = SelectField(_l("Track"), default="")
    area = SelectField(_l("Skill area"), default="")
    open = BooleanField(_l("Only programmes with a session open for registration"))
    retired = BooleanField(_l("Include retired programmes"))

    def validate_q(self, field) -> None:
        if len(search_words(field.data or "")) > MAX_WORDS:
            raise ValidationError(_l("Search with at most 8 words."))

    def words(self) -> list[str]:
        """The folded search terms, none if the keywords were refused."""
        return [] if self.q.errors else search_words(self.q.data or "")

    def chosen(self) -> dict[str, str]:
        """The filters in force (refused ones left out), as query-string arguments."""
        out = {}
        for name in ("q", "tier", "track", "area", "open", "retired"):
            f = self[name]
            if f.errors or not f.data:
                continue
            out[name] = "1" if f.type == "BooleanField" else f.data
        return out

    def set_choices(self, areas: list, locale: str) -> None:
        self.tier.choices = _any(_l("All tiers")) + [(t.value, TIER_LABELS[t]) for t in TIER_ORDER]
        self.track.choices = _any(_l("All tracks")) + [
            (k.value, v) for k, v in TRACK_LABELS.items()
        ]
        self.area.choices = _any(_l("All skill areas")) + [(a.key, a.name(locale)) for a in areas]


class ProgramForm(FlaskForm):
    """Add or revise a programme; tier and track follow the chosen skill area."""

    code = StringField(
        _l("Code"),
        validators=[
            HumanText(),
            InputRequired(message=_l("Enter a code.")),
            Length(max=20, message=_l("The code has at most 20 characters.")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                message=_l("Use letters, digits, dots, hyphens or underscores."),
            ),
        ],
    )
    title_ja = StringField(
        _l("Title (Japanese)"),
        validators=[
            HumanText(),
            DataRequired(message=_l("Enter the title in Japanese.")),
            Length(max=200, message=_l("A title has at most 200 characters.")),
        ],
    )
    title_en = StringField(
        _l("Title (English, optional)"),
        validators=[
            HumanText(),
            Length(max=200, message=_l("A title has at most 200 characters.")),
        ],
    )
    description_ja = TextAreaField(
        _l("Description (Japanese)"),
        validators=[
            HumanText(multiline=True),
            Length(max=10000, message=_l("At most 10,000 characters.")),
        ],
    )
    description_en = TextAreaField(
        _l("Description (English)"),
        validators=[
            HumanText(multiline=True),
            Length(max=10000, message=_l("At most 10,000 characters.")),
        ],
    )
    skill_area = SelectField(
        _l("Skill area"), coerce=form_id, validators=[InputRequired(_l("Choose a skill area."))]
    )
    delivery = SelectField(
        _l("Delivery"),
        choices=[(k.value, v) for k, v in DELIVERY_LABELS.items()],
        validators=[InputRequired(_l("Choose how it is delivered."))],
    )
    hours = DecimalNumberField(
        _l("Hours"),
        places=1,
        validators=[
            InputRequired(message=_l("Enter the hours, for example 1.5.")),
            NumberRange(min=0, max=999.9, message=_l("Hours must be between 0 and 999.9.")),
        ],
    )
    eligible_job_categories = MultiCheckboxField(
        _l("Open to job categories"),
        choices=[(k.value, v) for k, v in JOB_CATEGORY_LABELS.items()],
    )
    prerequisite_tracks = MultiCheckboxField(
        _l("Prerequisite: completed training in one of these tracks"),
        choices=[(k.value, v) for k, v in TRACK_LABELS.items()],
    )
    prerequisite_system_duty = BooleanField(
        _l("…or being in charge of building or maintaining systems")
    )
    elearning_url = URLField(
        _l("E-learning address (optional)"),
        validators=[
            HumanText(),
            Length(max=500, message=_l("At most 500 characters.")),
        ],
    )
    report_required = BooleanField(_l("Participants write a report after attending"))
    report_template = TextAreaField(
        _l("Report template (optional)"),
        validators=[
            HumanText(multiline=True),
            Length(max=1000, message=_l("At most 1000 characters.")),
        ],
    )
    #: The programme's version when the form was loaded (a save of an older one is refused).
    version = VersionField()

    def set_areas(self, areas: list, locale: str) -> None:
        self.skill_area.choices = [
            (a.id, f"{a.name(locale)} ({a.tier.label} / {a.track.label})") for a in areas
        ]

    def values(self) -> dict:
        """The programme fields for the catalogue service (which applies the rules)."""
        return {
            "title_ja": self.title_ja.data,
            "title_en": self.title_en.data,
            "description_ja": self.description_ja.data,
            "description_en": self.description_en.data,
            "skill_area_id": self.skill_area.data,
            "delivery": self.delivery.data,
            "hours": self.hours.data,
            "eligible_job_categories": self.eligible_job_categories.data or [],
            "prerequisite_tracks": self.prerequisite_tracks.data or [],
            "prerequisite_system_duty": self.prerequisite_system_duty.data,
            "elearning_url": self.elearning_url.data,
            "report_required": self.report_required.data,
            "report_template": self.report_template.data,
        }


class ActiveForm(FlaskForm):
    """Retire or reactivate: the button carries the wanted state."""


#: Service error fields (API names) to form field names.
FIELD_NAMES = {"skill_area": "skill_area", "skill_area_id": "skill_area"}


class SynonymGroupForm(FlaskForm):
    """A group of words keyword search treats as one (regional administrators)."""

    words = StringField(
        _l("Words of the same meaning"),
        validators=[
            HumanText(),
            InputRequired(message=_l("Enter at least two words.")),
            Length(max=500, message=_l("Enter at most 500 characters.")),
        ],
    )


class RemoveSynonymsForm(FlaskForm):
    """Delete one group (the button; CSRF only)."""
