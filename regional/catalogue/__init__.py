"""The shared catalogue of programmes: browse for everyone, edit for regional administrators.

The list (``catalogue.index``) and a programme's page (``catalogue.detail``) show
sessions and the reader's completions and eligibility, so they live above, in
:mod:`regional.registrations.views_program`.
"""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from regional.catalogue import views  # noqa: E402, F401
