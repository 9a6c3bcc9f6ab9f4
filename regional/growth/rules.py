"""Input rules shared by the growth pages and the API (both call the services with these)."""

from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l

from regional.errors import DomainError
from regional.fiscal import local_date, now_utc

#: Bidirectional overrides and isolates, line and paragraph separators.
_INVISIBLE = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x2028, 0x2029}
EARLIEST = date(1970, 1, 1)


class InvalidInput(DomainError):
    status = 422


def text(
    value: object, name: str, *, max_len: int, required: bool = True, lines: bool = False
) -> str:
    """Human text: trimmed, bounded, without control or bidi characters (newlines if ``lines``)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(
            "invalid_field", _l("The field %(name)s has the wrong type.", name=name), field=name
        )
    value = value.strip()
    if required and not value:
        raise InvalidInput(
            "missing_field", _l("The field %(name)s is required.", name=name), field=name
        )
    if len(value) > max_len:
        raise InvalidInput(
            "invalid_field",
            _l("The field %(name)s is longer than %(n)d characters.", name=name, n=max_len),
            field=name,
        )
    allowed = {"\n", "\r", "\t"} if lines else set()
    for c in value:
        if c in allowed:
            continue
        if unicodedata.category(c) in ("Cc", "Cs") or ord(c) in _INVISIBLE:
            raise InvalidInput(
                "invalid_text",
                _l("The field %(name)s contains invisible control characters.", name=name),
                field=name,
            )
    return value


def day(
    value: object, name: str, *, required: bool = True, today: date | None = None
) -> date | None:
    """A calendar day (ISO ``YYYY-MM-DD`` text or a date), from 1970 to today."""
    if value in (None, ""):
        if required:
            raise InvalidInput(
                "missing_field", _l("The field %(name)s is required.", name=name), field=name
            )
        return None
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, date):
        raise InvalidInput(
            "invalid_field",
            _l("The field %(name)s must be a date (YYYY-MM-DD).", name=name),
            field=name,
        )
    latest = today or local_date(now_utc())
    if value < EARLIEST or value > latest:
        raise InvalidInput(
            "invalid_field",
            _l("The field %(name)s must be a date in the past.", name=name),
            field=name,
        )
    return value
