"""Who may do what: the one vocabulary of roles, below every feature package.

The predicates (:func:`is_coordinator`, :func:`is_regional_admin`) are the only role
checks; services take the actor and ask them, and two thin adapters apply them to a
request: for pages a view decorator (:func:`role_required`) and a blueprint hook
(:func:`blueprint_role_hook`) that send a visitor to sign in and refuse a signed-in
person without the role with 403; for the API ``regional.api.common.require_role``, which
answers the JSON error. :func:`not_own_record` is the one "someone else must confirm your
own record" guard.

An actor is anything with the account's ``is_coordinator`` and ``is_regional_admin``
(``regional.people.models.User``): nothing here imports the people package.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from regional.errors import DomainError
from regional.extensions import login_manager


def is_coordinator(user) -> bool:
    """Training coordinators; regional administrators count as coordinators too."""
    return user.is_coordinator


def is_regional_admin(user) -> bool:
    """Okayama City's administrators, who coordinate the region."""
    return user.is_regional_admin


def acts_for(actor, municipality_id: int) -> bool:
    """Regional administrators act for every member; coordinators for their own."""
    return actor.is_regional_admin or (
        actor.is_coordinator and actor.municipality_id == municipality_id
    )


def is_head_of(actor, head) -> bool:
    """The head (所属長) of a unit, or their deputy (代理); ``head`` is the unit's head row
    (anything with ``municipality_id``, ``head_id`` and ``deputy_id``), or None."""
    return (
        head is not None
        and getattr(actor, "is_authenticated", False)
        and head.municipality_id == actor.municipality_id
        and actor.id in (head.head_id, head.deputy_id)
    )


def may_decide_for(actor, head, applicant_id: int) -> bool:
    """Whether ``actor`` decides an application routed to ``head``'s unit: its head or
    deputy, and never for their own application."""
    return is_head_of(actor, head) and actor.id != applicant_id


def require_confirmer(actor, employee_id: int, municipality_id: int, own_message) -> None:
    """The one guard of a confirmation (a qualification checked, an OJT record confirmed):
    a coordinator, and someone else than the person the record is of; else 403."""
    if not is_coordinator(actor):
        raise DomainError("forbidden", _l("You are not allowed to do this."), status=403)
    if employee_id == actor.id and municipality_id == actor.municipality_id:
        raise DomainError("own_record", own_message, status=403)


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
