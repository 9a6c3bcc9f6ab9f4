"""Notices (お知らせ): the region's administrators post to every member, coordinators to
their own; staff read them on the home page and the notices page and mark them read.

Above the participant's reports; asks the heads of unit who heads a unit (the audience).
"""

from flask import Blueprint

bp = Blueprint("notices", __name__)

from regional.notices import views  # noqa: E402, F401
