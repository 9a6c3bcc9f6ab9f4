"""The survey's forms: answering (CSRF here, the questions' fields read by the service) and
keeping questionnaires."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from regional.validation import HumanText


class AnswerForm(FlaskForm):
    """Protects the answer's POST; the answers are read per question (regional.surveys.views)."""


class QuestionnaireForm(FlaskForm):
    """A new questionnaire (its questions are added on its page)."""

    name_ja = StringField(
        _l("Name (Japanese)"), validators=[DataRequired(), Length(max=200), HumanText()]
    )
    name_en = StringField(_l("Name (English)"), validators=[Length(max=200), HumanText()])


class QuestionForm(FlaskForm):
    """A question added at the end; choices one a line (Japanese, then English after ／)."""

    kind = SelectField(
        _l("Kind of question"),
        choices=[
            ("scale5", _l("5-point scale")),
            ("single", _l("Single choice")),
            ("multiple", _l("Multiple choice")),
            ("text", _l("Free text")),
        ],
    )
    label_ja = StringField(
        _l("Question (Japanese)"), validators=[DataRequired(), Length(max=300), HumanText()]
    )
    label_en = StringField(_l("Question (English)"), validators=[Length(max=300), HumanText()])
    choices = TextAreaField(_l("Choices"), validators=[Length(max=2000), HumanText(multiline=True)])

    def parsed_choices(self) -> list[dict]:
        out = []
        for line in (self.choices.data or "").splitlines():
            ja, _sep, en = line.partition("／")
            if ja.strip():
                out.append({"ja": ja.strip()[:100], "en": en.strip()[:100]})
        return out[:20]


class LabelForm(FlaskForm):
    """A question's new wording (a new version; past answers keep theirs)."""

    label_ja = StringField(
        _l("Question (Japanese)"), validators=[DataRequired(), Length(max=300), HumanText()]
    )
    label_en = StringField(_l("Question (English)"), validators=[Length(max=300), HumanText()])


class AttachForm(FlaskForm):
    """Use this questionnaire for a programme (by its code) or one session (by its number)."""

    program_code = StringField(_l("Programme code"), validators=[Length(max=40), HumanText()])
    session_id = StringField(_l("Session number"), validators=[Length(max=12)])


class FollowupForm(FlaskForm):
    """The 3-month follow-up: how far they could use it (1-5) and, optionally, how or why not."""

    applied = RadioField(
        _l("Could you use what you learned in your work?"),
        choices=[
            ("1", _l("1 Not used at all")),
            ("2", "2"),
            ("3", "3"),
            ("4", "4"),
            ("5", _l("5 Used a great deal")),
        ],
        validators=[InputRequired(_l("Choose one answer."))],
    )
    applied_how = TextAreaField(
        _l("How did you use it, or why could you not?"),
        validators=[Length(max=2000), HumanText(multiline=True)],
    )


class FollowupSettingForm(FlaskForm):
    """Switch a programme's 3-month follow-up on or off."""

    enabled = BooleanField(_l("Ask participants the 3-month follow-up question"))
