"""Role checks for pages: the one place that says who may open which page.

A view decorator for one route, a ``before_request`` hook for a whole
blueprint; both send a visitor to sign in and refuse a signed-in person
without the role with 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from regional.extensions import login_manager


def is_coordinator(user) -> bool:
    """Training coordinators; regional administrators count as coordinators too."""
    return user.is_coordinator


def is_regional_admin(user) -> bool:
    return user.is_regional_admin


def role_required(check: Callable) -> Callable:
    """A view decorator: signed in, and ``check(current_user)`` holds, else 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


coordinator_required = role_required(is_coordinator)
admin_required = role_required(is_regional_admin)


def blueprint_role_hook(check: Callable) -> Callable:
    """A ``before_request`` hook that applies ``check`` to every route of a blueprint."""

    def hook():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not check(current_user):
            abort(403)
        return None

    return hook
