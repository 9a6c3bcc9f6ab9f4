"""Policy targets: what counts (measures), each member's numbers (targets) and progress."""

from flask import Blueprint

bp = Blueprint("targets", __name__)

from regional.catalogue import effects  # noqa: E402
from regional.targets import preview, views, views_required  # noqa: E402, F401

effects.register(preview.preview_catalogue_change)
