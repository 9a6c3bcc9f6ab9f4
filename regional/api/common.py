"""Shared pieces of the API: body parsing, role gates, paging, error replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.errors import DomainError
from regional.fiscal import local_to_utc
from regional.validation import (
    InputProblem,
    date_problem,
    parse_fiscal_year,
    parse_paging,
    text_problem,
    whole_number,
)

MAX_PAGE_SIZE = 500


class BadRequest(DomainError):
    status = 400


def _malformed() -> BadRequest:
    return BadRequest("malformed_json", _("The request body must be valid JSON."))


def _has_lone_surrogate(data: Any) -> bool:
    """Whether any string (or key) of parsed JSON holds a lone surrogate (``"\\ud800"``).

    JSON may escape one; Python keeps it in a str that cannot be encoded later
    (UnicodeEncodeError when stored, hashed or logged). Walked without recursion.
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_body(kind: type = dict) -> Any:
    """The request's JSON body, or a 400 ``malformed_json`` naming what is wrong.

    The one place the API reads a body: invalid JSON, nesting deep enough to
    exhaust the parser (RecursionError) and lone surrogates are all refused here.
    """
    try:
        data = request.get_json(silent=True)
    except RecursionError as exc:
        raise _malformed() from exc
    if data is None or _has_lone_surrogate(data):
        raise _malformed()
    if not isinstance(data, kind):
        raise BadRequest(
            "malformed_json",
            _("The request body must be a JSON object.")
            if kind is dict
            else _("The request body must be a JSON array."),
        )
    return data


def field(
    data: dict,
    name: str,
    kind: type | tuple,
    *,
    required: bool = True,
    max_len: int | None = None,
    text: bool = True,
    multiline: bool = False,
) -> Any:
    """One field of a JSON object, type-checked; a 400 ``invalid_field`` names the field.

    Strings follow the human text rule (:mod:`regional.validation`) unless
    ``text=False`` (passwords, which may hold anything); whole numbers must fit
    the database (``{"employee_id": 2**70}`` is a 400, not an OverflowError).
    """
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
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            whole_number(value)
        except InputProblem as exc:
            raise BadRequest(
                "invalid_field",
                _("The field %(name)s is out of range.", name=name),
                field=name,
            ) from exc
    if isinstance(value, str):
        value = value.strip()
        problem = text_problem(value, multiline=multiline) if text else None
        if problem:
            raise BadRequest("invalid_field", f"{name}: {problem}", field=name)
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
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s must be an ISO 8601 time.", name=name),
            field=name,
        ) from exc
    problem = date_problem(value)
    if problem:
        raise BadRequest("invalid_field", f"{name}: {problem}", field=name)
    return local_to_utc(value)


def iso(value: datetime | None) -> str | None:
    """Times leave the API in Asia/Tokyo with their offset."""
    from regional.fiscal import to_local

    return None if value is None else to_local(value).isoformat(timespec="seconds")


def paging() -> tuple[int, int]:
    """``page`` and ``per_page`` of a list request (400 ``invalid_paging`` when unreadable)."""
    try:
        return parse_paging(request.args, per_page=100, max_per_page=MAX_PAGE_SIZE)
    except InputProblem as exc:
        raise BadRequest("invalid_paging", exc.message) from exc


def int_arg(name: str) -> int | None:
    """A whole-number query parameter (an id), or None; 400 ``invalid_field`` otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return whole_number(raw)
    except InputProblem as exc:
        raise BadRequest("invalid_field", f"{name}: {exc.message}", field=name) from exc


def fiscal_year_arg(name: str = "fiscal_year") -> int | None:
    """A fiscal-year query parameter, or None; 400 ``invalid_field`` outside the range."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_fiscal_year(raw)
    except InputProblem as exc:
        raise BadRequest("invalid_field", exc.message, field=name) from exc


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
