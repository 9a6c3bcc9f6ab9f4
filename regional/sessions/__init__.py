"""Sessions (開催回): the model, the rules of a session's plan, and the one load gate.

The ``sessions`` blueprint is defined here; its pages live in
:mod:`regional.registrations.views_sessions` (registered with the other grafted pages in
:mod:`regional.registrations`), because every one of them shows or moves seats and
registrations, which belong to the packages above this one (``seats``, ``registrations``).
"""

from flask import Blueprint

bp = Blueprint("sessions", __name__)
