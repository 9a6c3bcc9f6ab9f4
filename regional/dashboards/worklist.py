"""The regional administrator's home worklist item: members behind the plan line this year.

A template global (the home page lives in ``main``, the worklists in ``registrations``,
both below ``targets``): the home page calls it only for regional administrators.
"""

from __future__ import annotations

from flask_login import current_user

from regional.dashboards import bp
from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.targets.progress import MunicipalityProgress, behind_plan


@bp.app_template_global("members_behind_plan")
def members_behind_plan() -> list[MunicipalityProgress]:
    """Members with a target behind plan in the current fiscal year (administrators only)."""
    if not current_user.is_authenticated or not current_user.is_regional_admin:
        return []
    return behind_plan(db.session, fiscal_year_of(now_utc()))
