"""The JSON API (``/api/v1``): a public contract, see docs/api.md.

Bearer tokens only; errors are ``{"error": {"code", "message"}}``; another
municipality's record is a 404, never a 403.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from regional.api import (  # noqa: E402, F401
    account,
    audit,
    catalogue,
    certificates,
    growth,
    heads,
    notices,
    people,
    records,
    registrations,
    reports,
    roster,
    sessions,
    surveys,
    targets,
)
