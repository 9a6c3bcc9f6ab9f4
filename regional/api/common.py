"""Shared pieces of the API: body parsing, role gates, paging, error replies."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import local_to_utc
from regional.validation import (
    InputProblem,
    date_problem,
    parse_fiscal_year,
    parse_paging,
    text_problem,
    whole_number,
)
from regional.versions import StaleEdit, claim_version, etag, etag_version
from tenants.base import Versioned

MAX_PAGE_SIZE = 500


class BadRequest(DomainError):
    status = 400


class PreconditionFailed(DomainError):
    """412: the record changed since the client read it (or is not as the client expects).

    ``current`` is the record as it is now (None: there is none), sent in the error body
    with its ETag in the header, so the client can reapply its change.
    """

    status = 412

    def __init__(self, current: dict | None, tag: str | None = None):
        super().__init__(
            "precondition_failed",
            _(
                "The record was changed by someone else since you read it; nothing was "
                "changed. Read it again and reapply your change."
            ),
            current=current,
        )
        self.headers = {"ETag": tag} if tag else {}


#: One entity tag of an If-Match list: optionally weak, always quoted (RFC 9110 8.8.3).
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\uffff]*)"\s*(?:,|$)')


@dataclass(frozen=True)
class IfMatch:
    """An If-Match header: ``*`` (any current version) or the strong tags it names."""

    any: bool
    tags: tuple[str, ...]

    def expected_version(self, kind: str, obj: Versioned) -> int | None:
        """The version a save must find (None: any will do).

        Weak tags never match (strong comparison); a tag of another record, or of none
        of ours, asks for a version no row has (0), so the save is refused.
        """
        if self.any:
            return None
        named = [v for t in self.tags if (v := etag_version(kind, obj.id, t)) is not None]
        if obj.version in named:
            return obj.version
        return named[0] if named else 0


def _parse_tags(raw: str) -> tuple[str, ...] | None:
    """The strong tags of an entity-tag list; None when the header is not one."""
    tags, pos = [], 0
    while pos < len(raw):
        match = _ENTITY_TAG.match(raw, pos)
        if match is None or match.end() == pos:
            return None
        if not match.group(1):
            tags.append(match.group(2))
        pos = match.end()
    return tuple(tags) if pos else None


def if_match() -> IfMatch | None:
    """The request's If-Match (None: absent, the change is applied as before); 400 if malformed."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    if raw.strip() == "*":
        return IfMatch(any=True, tags=())
    tags = _parse_tags(raw)
    if tags is None:
        raise BadRequest(
            "invalid_if_match",
            _("The If-Match header must be * or ETags in double quotes, separated by commas."),
        )
    return IfMatch(any=False, tags=tags)


def if_none_match_any() -> bool:
    """Whether the request says ``If-None-Match: *`` (create only: refuse if it exists)."""
    return (request.headers.get("If-None-Match") or "").strip() == "*"


def claim_or_412(kind: str, obj: Versioned, condition: IfMatch | None, current: Callable) -> None:
    """Claim ``obj``'s next version as the client's If-Match allows; 412 with ``current()``.

    Without If-Match the change is applied as before (and still counts as one).
    """
    expected = condition.expected_version(kind, obj) if condition is not None else None
    try:
        claim_version(obj, expected)
    except StaleEdit as exc:
        db.session.refresh(obj)
        raise PreconditionFailed(current(), etag(kind, obj)) from exc


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


def require_role(check: Callable[[Any], bool]) -> Callable:
    """The API's adapter of a role predicate (``regional.roles``): signed in, and
    ``check(current_user)`` holds, else the JSON error 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @require_login
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not check(current_user):
                raise DomainError("forbidden", _("You are not allowed to do this."), status=403)
            return view(*args, **kwargs)

        return wrapper

    return decorator
