"""Training records (受講履歴): a person's completions, registrations and personas.

Above every feature package: it reads registrations, sessions, the catalogue
and the targets' persona rules, and nothing imports it.
"""

from flask import Blueprint

bp = Blueprint("records", __name__)

from regional.records import tabs, views  # noqa: E402, F401
