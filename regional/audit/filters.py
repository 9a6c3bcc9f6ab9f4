"""Reading the trail's filters (action, from, to) the same way for the API and the page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from regional.fiscal import TOKYO, local_to_utc

ACTION_RE = re.compile(r"^[a-z_]{1,30}(\.[a-z_]{1,30}){0,2}\.?$")


class FilterError(ValueError):
    """A filter value that cannot be read; ``name`` is the parameter."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _bound(raw: str, name: str, *, upper: bool) -> datetime:
    """A day (Japan, inclusive) or an ISO time; a day as ``to`` means up to its end."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            if upper:
                day += timedelta(days=1)
            return datetime.combine(day, time(0), TOKYO)
        return local_to_utc(datetime.fromisoformat(raw))
    except (ValueError, OverflowError) as exc:
        raise FilterError(name) from exc


def parse_filters(args: dict) -> AuditFilters:
    """``action`` (a code, or a prefix ending in "."), ``from`` and ``to`` (dates or ISO times)."""
    action = (args.get("action") or "").strip() or None
    if action is not None and not ACTION_RE.match(action):
        raise FilterError("action")
    start = _bound(args["from"], "from", upper=False) if args.get("from") else None
    end = _bound(args["to"], "to", upper=True) if args.get("to") else None
    return AuditFilters(action, start, end)
