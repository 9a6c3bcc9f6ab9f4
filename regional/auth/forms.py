"""Sign-in, sign-up and password forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from regional.auth.passwords import MAX_LENGTH, password_problems
from regional.people.models import JOB_CATEGORY_LABELS, JobCategory, normalize_email
from regional.validation import HumanText, typed_code_or_none


def _strip(value: str | None) -> str | None:
    # Names are kept exactly as typed (no Unicode normalisation): NFC/NFKC would replace
    # CJK compatibility ideographs that people really use in their names.
    return value.strip() if isinstance(value, str) else value


def _email_field(label: str = _l("E-mail address"), autocomplete: str = "username") -> EmailField:
    return EmailField(
        label,
        filters=[normalize_email],
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(check_deliverability=False, message=_l("Enter a valid e-mail address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": autocomplete},
    )


class _NewPasswordForm(FlaskForm):
    """A new password twice; the strength rule sees the person's own name and address."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )

    def personal_words(self) -> list[str]:
        return []

    def validate_password(self, field: PasswordField) -> None:
        problems = password_problems(field.data or "", self.personal_words())
        if problems:
            raise ValidationError(" ".join(problems))


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this computer"))
    submit = SubmitField(_l("Sign in"))


class SignupForm(_NewPasswordForm):
    """Self sign-up; the municipality list comes from the database (the region is data)."""

    municipality = SelectField(
        _l("Municipality you work for"),
        validators=[DataRequired(message=_l("Choose your municipality."))],
    )
    name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=100), HumanText()],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field(_l("Work e-mail address"), autocomplete="email")
    employee_number = StringField(
        _l("Employee number (optional)"),
        filters=[typed_code_or_none],
        validators=[Optional(), Length(max=20), HumanText()],
        render_kw={"autocomplete": "off"},
    )
    job_category = SelectField(
        _l("Job category"),
        choices=[(c.value, JOB_CATEGORY_LABELS[c]) for c in JobCategory],
        default=JobCategory.ADMINISTRATIVE.value,
    )
    submit = SubmitField(_l("Create my account"))

    def __init__(self, municipalities: list[tuple[str, str]], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.municipality.choices = [("", _l("Choose…"))] + municipalities
        self.password.label.text = _l("Password")

    def personal_words(self) -> list[str]:
        return [self.email.data or "", self.name.data or ""]


class ForgotForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResetForm(_NewPasswordForm):
    submit = SubmitField(_l("Save the new password"))

    def __init__(self, *args, words: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._words = words or []

    def personal_words(self) -> list[str]:
        return self._words


class ActionForm(FlaskForm):
    """A button and its CSRF token (confirm an address, sign out everywhere)."""

    submit = SubmitField(_l("Continue"))
