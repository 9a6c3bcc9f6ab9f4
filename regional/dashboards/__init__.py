"""Dashboards of progress against the policy's targets: each member's, and the region's.

Reads come from :mod:`regional.targets.progress` (owned by the targets feature);
this package only shows them: pages, charts, drill-downs, exports and invitations.
"""

from flask import Blueprint

bp = Blueprint("dashboards", __name__)

from regional.dashboards import views, views_close, views_council, worklist  # noqa: E402, F401
