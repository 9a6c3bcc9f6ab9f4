"""The language switch (a POST with CSRF, like every other form)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[("ja", "日本語"), ("en", "English")])
    next = HiddenField()
