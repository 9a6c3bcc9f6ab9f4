"""Who may see and manage a session: the one load gate of sessions.

A session not open to the viewer's municipality is not found (404, never 403);
one the viewer may see but not change is refused with 403.
"""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from regional.extensions import db
from regional.people.models import User
from regional.sessions.models import TrainingSession


def viewer_scope(viewer: User) -> int | None:
    """The municipality whose sessions ``viewer`` sees; None for every session (administrators).

    Everyone but a regional administrator acts in their own municipality, so it is theirs.
    """
    if viewer.is_regional_admin:
        return None
    if not viewer.is_authenticated:
        return -1
    return viewer.municipality_id


def visible_session(session_id: int, viewer: User) -> TrainingSession | None:
    """The session if it is open to ``viewer``'s municipality (administrators: any), else None."""
    return db.session.scalar(
        TrainingSession.visible_to(viewer_scope(viewer)).where(TrainingSession.id == session_id)
    )


def may_manage(ts: TrainingSession, user: User) -> bool:
    """Regional administrators manage every session; coordinators only their own member's."""
    if user.is_regional_admin:
        return True
    return user.is_coordinator and ts.host_municipality_id == user.municipality_id


def session_or_404(session_id: int, *, manage: bool = False) -> TrainingSession:
    """The gate for a request: unseen is 404; with ``manage``, seen but not theirs is 403."""
    ts = visible_session(session_id, current_user)
    if ts is None:
        abort(404)
    if manage and not may_manage(ts, current_user):
        abort(403)
    return ts
