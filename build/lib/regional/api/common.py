"""Shared pieces of the API: body parsing, role gates, paging, error replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.errors import DomainError
from regional.fiscal import local_to_utc

MAX_PAGE_SIZE = 500


class BadRequest(DomainError):
    status = 400


def json_body(kind: type = dict) -> Any:
    """The request's JSON body, or a 400 naming what is wrong."""
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("malformed_json", _("The request body must be valid JSON."))
    if not isinstance(data, kind):
        raise BadRequest(
            "malformed_json",
            _("The request body must be a JSON object.")
            if kind is dict
            else _("The request body must be a JSON array."),
        )
    return data


def field(
    data: dict, name: str, kind: type | tuple, *, required: bool = True, max_len: int | None = None
) -> Any:
    """One field of a JSON object, type-checked; a 400 ``invalid_field`` names the field."""
    if name not in data or data[name] is None:
        if required:
            raise BadRequest(
                "missing_field", _("The field %(name)s is required.", name=name), field=name
            )
        return None
    value = data[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise BadRequest(
            "invalid_field", _("The field %(name)s has the wrong type.", name=name), field=name
        )
    if isinstance(value, str):
        value = value.strip()
        if required and not value:
            raise BadRequest(
                "missing_field", _("The field %(name)s is required.", name=name), field=name
            )
        if max_len is not None and len(value) > max_len:
            raise BadRequest(
                "invalid_field",
                _("The field %(name)s is longer than %(n)d characters.", name=name, n=max_len),
                field=name,
            )
    return value


def datetime_field(data: dict, name: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 time; without an offset it is read as Asia/Tokyo wall-clock time."""
    raw = field(data, name, str, required=required)
    if raw is None:
        return None
    try:
        return local_to_utc(datetime.fromisoformat(raw))
    except ValueError as exc:
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s must be an ISO 8601 time.", name=name),
            field=name,
        ) from exc


def iso(value: datetime | None) -> str | None:
    """Times leave the API in Asia/Tokyo with their offset."""
    from regional.fiscal import to_local

    return None if value is None else to_local(value).isoformat(timespec="seconds")


def paging() -> tuple[int, int]:
    try:
        page = max(1, int(request.args.get("page", 1)))
        size = min(MAX_PAGE_SIZE, max(1, int(request.args.get("per_page", 100))))
    except ValueError as exc:
        raise BadRequest("invalid_paging", _("page and per_page must be whole numbers.")) from exc
    return page, size


def require_login(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise DomainError("unauthorized", _("Please sign in."), status=401)
        return view(*args, **kwargs)

    return wrapper


def require_role(*roles: str) -> Callable:
    """Signed in and holding one of ``roles`` (regional_admin always qualifies)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @require_login
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not (set(roles) & set(current_user.roles)) and not current_user.is_regional_admin:
                raise DomainError("forbidden", _("You are not allowed to do this."), status=403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
