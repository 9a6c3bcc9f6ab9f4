"""A municipality's people, pending sign-ups and org units (coordinators' pages).

A person's own page (``people.detail``) lists their registrations, so it lives
above, in :mod:`regional.registrations.views_person`.
"""

from flask import Blueprint

bp = Blueprint("people", __name__)

from regional.people import (  # noqa: E402, F401
    invitation_views,
    job_category_views,
    roster_views,
    views,
)
