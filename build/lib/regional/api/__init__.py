"""The JSON API (``/api/v1``): a public contract, see ../shared/API.md.

Bearer tokens only; errors are ``{"error": {"code", "message"}}``; another
municipality's record is a 404, never a 403.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from regional.api import account, catalogue, people, registrations, sessions  # noqa: E402, F401
