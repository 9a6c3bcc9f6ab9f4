"""Policy targets: what counts (measures), each member's numbers (targets) and progress."""

from flask import Blueprint

bp = Blueprint("targets", __name__)

from regional.targets import views  # noqa: E402, F401
