"""The shared catalogue of programmes: browse for everyone, edit for regional administrators.

A programme's own page (``catalogue.detail``) shows its sessions and the
reader's eligibility, so it lives above, in :mod:`regional.registrations.views_program`.
"""

from flask import Blueprint

bp = Blueprint("catalogue", __name__)

from regional.catalogue import views  # noqa: E402, F401
