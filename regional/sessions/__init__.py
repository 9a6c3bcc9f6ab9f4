"""Sessions (開催回): the model, the rules of a session's plan, and the one load gate.

The ``sessions`` blueprint is defined here; its pages live in
:mod:`regional.registrations.views_sessions`, because every one of them shows
or moves seats, which belong to the package above this one.
"""

from flask import Blueprint

bp = Blueprint("sessions", __name__)
