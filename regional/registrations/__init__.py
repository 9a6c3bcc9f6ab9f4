"""Registering for sessions, and the pages of a registration's life.

The top of the training packages (people → catalogue → sessions → seats → attendance
→ registrations): it imports the others, never the reverse. What it holds:

- registering, approving and declining (:mod:`.actions`) and cancelling
  (:mod:`.cancellation`, one module read top to bottom), with the checks before
  registering (:mod:`.eligibility`) and people who left (:mod:`.leavers`);
- interest registration (関心登録, :mod:`.interests`, its model in :mod:`.models`);
- the session changes that move seats (:mod:`.session_changes`), reminders and the
  coordinators' digest, the home page's worklists, exports and prints;
- the pages of this blueprint (``views``, ``views_files``, ``views_home``,
  ``views_print``).

The seat engine (seats, reservations, the waiting line) is :mod:`regional.seats`;
attendance, completions and certificates are :mod:`regional.attendance`.

Pages of other blueprints are registered here too, in this one place (the imports
below), because each of them shows what only this layer can read: the sessions pages
(``views_sessions``: seats, eligibility, interest notices), a programme's page and the
catalogue list (``views_program``, ``views_interest``: sessions open to the reader,
their completions and eligibility, their interest) and a person's page
(``views_person``: their registrations). Moving them to the package that owns the
blueprint would make it import upwards; each of those packages' docstrings points here.
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
