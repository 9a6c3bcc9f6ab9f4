"""Forms of the sessions pages: the list's filters, the session editor, seats, cancellation."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from regional.catalogue.forms import TIER_ORDER
from regional.catalogue.models import TIER_LABELS, TRACK_LABELS
from regional.fiscal import (
    TOKYO,
    fiscal_months,
    fiscal_year_of,
    fiscal_year_option,
    fiscal_year_utc_range,
    fiscal_years_offered,
    local_to_utc,
    now_utc,
    to_local,
)
from regional.sessions.lifecycle import WHEN_CHOICES, Phase
from regional.sessions.services import ReservationLine, SessionPlan, plan_problems
from regional.validation import (
    HumanText,
    InputProblem,
    SensibleDate,
    WholeNumberField,
    form_id,
    parse_fiscal_year,
)
from regional.versions import VersionField

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_month(value: str | None) -> tuple[datetime, datetime] | None:
    """'2026-05' as [start, end) in UTC, the month being Tokyo's; None if not a month."""
    match = MONTH.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2999):
        return None
    start = datetime(year, month, 1, tzinfo=TOKYO)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=TOKYO)
    return local_to_utc(start), local_to_utc(end)


class SessionFilterForm(FlaskForm):
    """GET filters of the sessions list (no CSRF: it changes nothing).

    Time is chosen, never typed: upcoming, ended or all; a fiscal year named both
    ways (令和8年度（2026年度）); a month of that fiscal year; a phase.
    """

    class Meta:
        csrf = False

    when = SelectField(_l("Which sessions"), default="upcoming", choices=WHEN_CHOICES)
    fy = SelectField(_l("Fiscal year"), default="")
    month = SelectField(_l("Month"), default="")
    phase = SelectField(_l("Status"), default="")
    tier = SelectField(_l("Tier"), default="")
    track = SelectField(_l("Track"), default="")
    program = SelectField(_l("Programme"), default="")
    seats = BooleanField(_l("Only with seats left for my municipality"))

    def set_choices(self, programs: list, locale: str) -> None:
        self.tier.choices = [("", _l("All tiers"))] + [
            (t.value, TIER_LABELS[t]) for t in TIER_ORDER
        ]
        self.track.choices = [("", _l("All tracks"))] + [
            (k.value, v) for k, v in TRACK_LABELS.items()
        ]
        self.program.choices = [("", _l("All programmes"))] + [
            (str(p.id), f"{p.code} {p.title(locale)}") for p in programs
        ]
        self.phase.choices = [("", _l("Any status"))] + [(p.value, p.label) for p in Phase]
        years = fiscal_years_offered()
        self.fy.choices = [("", _l("Any fiscal year"))] + [
            (str(fy), fiscal_year_option(fy, locale)) for fy in years
        ]
        fy = self.chosen_fy() or fiscal_year_of(now_utc())
        self.month.choices = [("", _l("Any month"))] + [
            (f"{y:04d}-{m:02d}", _month_label(y, m, locale)) for y, m in fiscal_months(fy)
        ]

    def chosen_fy(self) -> int | None:
        """The fiscal year asked for, or the one the asked month falls in."""
        try:
            return parse_fiscal_year(self.fy.data)
        except InputProblem:
            pass
        month = parse_month(self.month.data)
        return fiscal_year_of(month[0]) if month else None

    def period(self) -> tuple[datetime, datetime] | None:
        """[start, end) chosen by month or fiscal year (valid fields only); None for any time."""
        if self.month.data and not self.month.errors:
            return parse_month(self.month.data)
        if self.fy.data and not self.fy.errors and (fy := self.chosen_fy()) is not None:
            return fiscal_year_utc_range(fy)
        return None

    def when_value(self) -> str:
        """upcoming/past/all; a chosen period or status shows all of it unless 'when' was asked."""
        if self.when.errors:
            return "upcoming"
        narrowed = self.period() is not None or (self.phase.data and not self.phase.errors)
        if narrowed and not self.when.raw_data:
            return "all"
        return self.when.data or "upcoming"


def _month_label(year: int, month: int, locale: str) -> str:
    if locale == "en":
        return date(year, month, 1).strftime("%B %Y")
    return f"{year}年{month}月"


def _when(label, required: bool = True) -> DateTimeLocalField:
    validators = [InputRequired(message=_l("Enter a date and time."))] if required else [Optional()]
    return DateTimeLocalField(
        label, format=DATETIME_FORMATS, validators=[*validators, SensibleDate()]
    )


class ReservationRowForm(FlaskForm):
    """One member's line of a shared session's reservations (優先枠), inside the session form."""

    class Meta:
        csrf = False

    code = HiddenField()
    seats = WholeNumberField(
        _l("Reserved seats"),
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("Between 0 and 1,000.")),
        ],
    )
    release_on = DateField(
        _l("Release unclaimed seats on"), validators=[Optional(), SensibleDate()]
    )


#: Fields the reservation service names, to a row's fields.
ROW_FIELDS = {"seats": "seats", "release_at": "release_on"}


class ReservationRows:
    """Every member's reservation row (``reservations``) of a form, and what they ask for.

    The form sets ``members`` (code -> Municipality, in the region's order) first.
    """

    members: dict

    def fill_reservations(self, allocations=()) -> None:  # noqa: ANN001
        """One row per member, showing the seats held for it now (none for a new session)."""
        if "reservations" not in self:
            return
        held = {a.municipality_id: a for a in allocations}
        while self.reservations.entries:
            self.reservations.pop_entry()
        for m in self.members.values():
            a = held.get(m.id)
            self.reservations.append_entry(
                {
                    "code": m.code,
                    "seats": a.seats if a else 0,
                    "release_on": to_local(a.release_at).date() if a and a.seats else None,
                }
            )

    def validate_reservations(self, field) -> None:  # noqa: ANN001
        codes = [row.form.code.data for row in field.entries]
        if any(code not in self.members for code in codes) or len(set(codes)) != len(codes):
            raise ValidationError(_l("The reservation rows do not match the members; reload."))

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        ok = super().validate(extra_validators)
        if "reservations" in self and any(isinstance(e, dict) for e in self.reservations.errors):
            # Each row shows its own message; the summary points at the table once.
            self.reservations.errors = [str(ROWS_MESSAGE)]
        return ok

    def row_problems(self, capacity: int | None, starts_at: datetime | None) -> bool:
        """Check the rows as far as the form can, each refusal beside its field; True if none.

        The seat engine checks them again when it saves; here they are shown together
        with every other error of the form, on one submit.
        """
        if "reservations" not in self:
            return True
        today = to_local(now_utc()).date()
        start_day = to_local(starts_at).date() if starts_at is not None else None
        found = False
        for row in self.reservations.entries:
            seats, release = row.form.seats, row.form.release_on
            day = release.data
            if not seats.data or day is None or release.errors:
                continue
            if day <= today and getattr(self, "rules", {}).get("creating"):
                # (An edit keeps a reservation already released; the seat engine judges changes.)
                message = _l("The release date must be in the future.")
            elif start_day is not None and day > start_day:
                message = _l(
                    "Reserved seats must be released no later than the start of the session."
                )
            else:
                continue
            release.errors = [*release.errors, str(message)]
            found = True
        if found and not self.reservations.errors:
            self.reservations.errors = [str(ROWS_MESSAGE)]
        total = sum(row.form.seats.data or 0 for row in self.reservations.entries)
        if capacity is not None and total > capacity:
            found = True
            self.reservations.errors = [
                *self.reservations.errors,
                str(
                    _l(
                        "Reserved seats total %(n)d, more than the capacity of %(c)d.",
                        n=total,
                        c=capacity,
                    )
                ),
            ]
        return not found

    def caption_of(self, row) -> str | None:  # noqa: ANN001
        """A reservation row's caption where values are listed side by side: its member."""
        member = self.members.get(row.code.data) if hasattr(row, "code") else None
        if member is None:
            return None
        return f"{self.reservations.label.text}: {member.name(getattr(self, 'locale', 'ja'))}"

    def reservation_rows(self) -> dict[str, object]:
        """The row (its form) of each member code, to show a refusal next to it."""
        if "reservations" not in self:
            return {}
        return {row.form.code.data: row.form for row in self.reservations.entries}

    def reservation_lines(self) -> list:
        """Each row as a :class:`ReservationLine` (release at the start of the day, Tokyo)."""
        if "reservations" not in self:
            return []
        lines = []
        for row in self.reservations.entries:
            day = row.form.release_on.data
            lines.append(
                ReservationLine(
                    municipality=self.members[row.form.code.data],
                    seats=row.form.seats.data or 0,
                    release_at=local_to_utc(datetime.combine(day, time(0))) if day else None,
                )
            )
        return lines


class SessionForm(ReservationRows, FlaskForm):
    """Add or change a session; times are Tokyo wall-clock times.

    A shared session's form also holds every member's reservation (one row each),
    saved with the session in one go.
    """

    program_id = SelectField(
        _l("Programme"), coerce=form_id, validators=[InputRequired(_l("Choose a programme."))]
    )
    starts_at = _when(_l("Starts"))
    ends_at = _when(_l("Ends"))
    venue = StringField(
        _l("Venue"),
        validators=[HumanText(), Length(max=200, message=_l("At most 200 characters."))],
    )
    online_url = URLField(
        _l("Online address (https://…)"),
        validators=[Optional(), Length(max=500, message=_l("At most 500 characters."))],
    )
    capacity = WholeNumberField(
        _l("Capacity"),
        validators=[
            InputRequired(message=_l("Enter the number of seats.")),
            NumberRange(min=0, max=1000, message=_l("Capacity must be between 0 and 1,000.")),
        ],
    )
    registration_opens_at = _when(_l("Registration opens"))
    registration_closes_at = _when(_l("Registration closes"))
    cancellation_deadline = _when(_l("Cancellation deadline"), required=False)
    requires_approval = BooleanField(_l("Registrations need the coordinator's approval"))
    audience = RadioField(
        _l("Who may attend"),
        choices=[
            ("all", _l("Staff of every member municipality")),
            ("selected", _l("Only staff of the municipalities ticked below")),
        ],
        default="all",
    )
    municipalities = MultiCheckboxField(_l("Municipalities"), coerce=form_id)
    notes = TextAreaField(
        _l("Notes for participants"),
        validators=[
            HumanText(multiline=True),
            Length(max=2000, message=_l("At most 2,000 characters.")),
        ],
    )
    reservations = FieldList(
        FormField(ReservationRowForm), label=_l("Seats reserved for members"), max_entries=50
    )
    #: The session's version when the form was loaded (a save of an older one is refused).
    version = VersionField()

    def setup(
        self,
        programs: list,
        municipalities: list,
        locale: str,
        *,
        shared: bool,
        creating: bool = True,
        past_allowed: bool = False,
    ) -> None:
        """Fill the choices; a member's own session has no audience and no reservations.

        ``creating``/``past_allowed`` say which scheduling rules apply (as the service's).
        """
        self.program_id.choices = [(p.id, f"{p.code} {p.title(locale)}") for p in programs]
        self.members = {m.code: m for m in municipalities}
        self.locale = locale
        self.rules = {"creating": creating, "hosted": not shared, "past_allowed": past_allowed}
        if shared:
            self.municipalities.choices = [(m.id, m.name(locale)) for m in municipalities]
        else:
            del self.audience
            del self.municipalities
            del self.reservations

    def fill(self, ts) -> None:
        """Show a session's plan in Tokyo wall-clock time."""
        for name in (
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "cancellation_deadline",
        ):
            value = getattr(ts, name)
            getattr(self, name).data = to_local(value).replace(tzinfo=None) if value else None
        if "program_id" in self:
            self.program_id.data = ts.program_id
        self.venue.data, self.online_url.data = ts.venue, ts.online_url
        self.capacity.data, self.requires_approval.data = ts.capacity, ts.requires_approval
        self.notes.data = ts.notes
        self.version.data = ts.version
        if "audience" in self:
            self.audience.data = "all" if ts.open_to_all else "selected"
            self.municipalities.data = [m.id for m in ts.audience]

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        """Every field's own check and every scheduling rule, all shown on one submit."""
        ok = super().validate(extra_validators)
        if not hasattr(self, "rules"):
            return ok
        plan = self.plan(program_id=0)
        for problem in plan_problems(plan, **self.rules):
            name = problem.details.get("field")
            field = self._fields.get(FIELD_NAMES.get(name, name))
            if field is None:
                continue
            ok = False
            if not field.errors:  # a field's own message already says what is wrong
                field.errors = [*field.errors, str(problem.message)]
        capacity = None if self.capacity.errors else self.capacity.data
        return self.row_problems(capacity, plan.starts_at) and ok

    def plan(self, program_id: int | None = None) -> SessionPlan:
        """The form's values as a plan in UTC (rules are checked by the service)."""

        def utc(field: DateTimeLocalField) -> datetime | None:
            # A time the field refused is unknown (its own message says why).
            return None if field.data is None or field.errors else local_to_utc(field.data)

        shared = "audience" in self
        return SessionPlan(
            program_id=self.program_id.data if program_id is None else program_id,
            starts_at=utc(self.starts_at),
            ends_at=utc(self.ends_at),
            capacity=self.capacity.data,
            registration_opens_at=utc(self.registration_opens_at),
            registration_closes_at=utc(self.registration_closes_at),
            venue=self.venue.data or "",
            online_url=self.online_url.data or None,
            cancellation_deadline=utc(self.cancellation_deadline),
            requires_approval=bool(self.requires_approval.data),
            open_to_all=not shared or self.audience.data != "selected",
            audience_ids=list(self.municipalities.data or []) if shared else [],
            notes=self.notes.data or "",
        )


class ReservationsForm(ReservationRows, FlaskForm):
    """A shared session's reservations on their own page: every member's row, one save."""

    reservations = FieldList(
        FormField(ReservationRowForm), label=_l("Seats reserved for members"), max_entries=50
    )

    def setup(self, municipalities: list) -> None:
        self.members = {m.code: m for m in municipalities}


ROWS_MESSAGE = _l("Some rows need correcting; each shows its message.")

#: Service error fields to form field names.
FIELD_NAMES = {"open_to": "municipalities"}


class AllocationForm(FlaskForm):
    """Seats held for one municipality, until the start of the release day (Tokyo)."""

    seats = WholeNumberField(
        _l("Reserved seats"),
        validators=[
            InputRequired(message=_l("Enter the number of seats (0 removes the reservation).")),
            NumberRange(min=0, max=1000, message=_l("Between 0 and 1,000.")),
        ],
    )
    release_on = DateField(
        _l("Release unclaimed seats on"),
        validators=[InputRequired(message=_l("Enter the release date.")), SensibleDate()],
    )

    def release_at(self) -> datetime:
        day: date = self.release_on.data
        return local_to_utc(datetime.combine(day, time(0)))


class DuplicateForm(FlaskForm):
    """The first step of copying a session: the day of the new one (GET, changes nothing)."""

    class Meta:
        csrf = False

    on = DateField(
        _l("Day of the new session"),
        validators=[
            InputRequired(message=_l("Choose the day of the new session.")),
            SensibleDate(),
        ],
    )

    def validate_on(self, field) -> None:  # noqa: ANN001
        if field.data is not None and field.data < to_local(now_utc()).date():
            raise ValidationError(_l("Choose today or a later day."))


def shifted(form: SessionForm, days: int) -> None:
    """Move every time of a filled session form by ``days`` days (times of day kept).

    Registration opening is never left in the past: it becomes now (this minute), so the
    copy is open for registration as soon as it is saved.
    """
    step = timedelta(days=days)
    for name in (
        "starts_at",
        "ends_at",
        "registration_opens_at",
        "registration_closes_at",
        "cancellation_deadline",
    ):
        field = getattr(form, name)
        if field.data is not None:
            field.data = field.data + step
    soon = to_local(now_utc()).replace(tzinfo=None, second=0, microsecond=0)
    if form.registration_opens_at.data is not None and form.registration_opens_at.data < soon:
        form.registration_opens_at.data = soon
    if "reservations" in form:
        for row in form.reservations.entries:
            if row.form.release_on.data is not None:
                row.form.release_on.data = row.form.release_on.data + step


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (sent to everyone registered)"),
        validators=[
            HumanText(multiline=True),
            DataRequired(message=_l("Give the reason, for the people registered.")),
            Length(max=1000, message=_l("At most 1,000 characters.")),
        ],
    )
