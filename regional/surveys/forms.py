"""The survey's answer form: CSRF here, the questions' own fields read by the service."""

from __future__ import annotations

from flask_wtf import FlaskForm


class AnswerForm(FlaskForm):
    """Protects the answer's POST; the answers are read per question (regional.surveys.views)."""
