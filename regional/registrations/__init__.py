"""Registering for sessions: the seat engine, registrations, attendance and completions.

The top of the feature packages (people → catalogue → sessions → registrations):
it imports the others, never the reverse. So the pages that show seats or
registrations live here even when they carry a lower package's URLs: the
sessions pages (``views_sessions``), a programme's page (``views_program``)
and a person's page (``views_person``), each on its own package's blueprint.
"""

from flask import Blueprint

bp = Blueprint("registrations", __name__)

from regional.registrations import (  # noqa: E402, F401
    views,
    views_files,
    views_home,
    views_interest,
    views_person,
    views_print,
    views_program,
    views_sessions,
)
