"""iCalendar files: one per registration, and each person's feed.

Stored text goes through :func:`regional.validation.printable` first: rows saved
before the text rule existed must not break the file (a CR in a name would
start a new iCalendar line).

Times go out in UTC (``...Z``), which every calendar reads without a time-zone
block. The UID is fixed per registration, and SEQUENCE grows with each change
(request, approval, cancellation), so a later file updates the same event
instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask import current_app
from icalendar import Calendar, Event

from regional.fiscal import now_utc
from regional.seats.models import Registration, RegistrationStatus
from regional.validation import printable

#: SEQUENCE counts seconds from here, so it stays a small positive integer.
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


_WITHDRAWN = (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED)


def _uid(reg: Registration) -> str:
    return f"registration-{reg.id}@regional-training"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Okayama Regional Alliance//Training Platform//JA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", printable(name))
    cal.add("x-wr-timezone", "Asia/Tokyo")
    return cal


def _sequence(reg: Registration) -> int:
    """Later changes give larger numbers, even within one second (a request then its cancellation).

    Seconds since 2024 times four, plus the kind of the latest change: fits a
    32-bit iCalendar INTEGER until about 2040.
    """
    changes = [(reg.requested_at, 0), (reg.approved_at, 1), (reg.cancelled_at, 2)]
    latest, rank = max(((t, r) for t, r in changes if t is not None), default=(_EPOCH, 0))
    return max(0, int((latest - _EPOCH).total_seconds())) * 4 + rank


def _event(reg: Registration, cancelled: bool, locale: str) -> Event:
    ts = reg.session
    program = ts.program
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    ev = Event()
    ev.add("uid", _uid(reg))
    ev.add("dtstamp", now_utc())
    ev.add("dtstart", ts.starts_at)
    ev.add("dtend", ts.ends_at)
    title = printable(program.title(locale))
    ev.add("summary", title)
    location = printable(ts.venue or "")
    if ts.online_url:
        location = f"{location} {printable(ts.online_url)}".strip()
    if location:
        ev.add("location", location)
    ev.add("url", f"{base}/sessions/{ts.id}")
    ev.add("description", f"{printable(program.code)} {title}\n{base}/sessions/{ts.id}")
    ev.add("sequence", _sequence(reg))
    if cancelled or ts.is_cancelled or reg.status in _WITHDRAWN:
        ev.add("status", "CANCELLED")
    elif reg.status == RegistrationStatus.ENROLLED:
        ev.add("status", "CONFIRMED")
    else:
        ev.add("status", "TENTATIVE")  # awaiting approval, or still waiting for a seat
    ev.add("transp", "OPAQUE")
    return ev


def registration_ics(reg: Registration, cancelled: bool = False, locale: str = "ja") -> bytes:
    """One event for one registration (marked cancelled when it no longer stands)."""
    cal = _calendar(reg.session.program.title(locale))
    cal.add("method", "PUBLISH")
    cal.add_component(_event(reg, cancelled, locale))
    return cal.to_ical()


def feed_ics(regs: Iterable[Registration], name: str, locale: str = "ja") -> bytes:
    """A person's feed: sessions where they hold a seat; cancelled ones marked so."""
    cal = _calendar(name)
    # Calendar clients poll the feed; six hours keeps the load small.
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal["X-PUBLISHED-TTL"] = "PT6H"
    for reg in regs:
        if reg.status.holds_seat:
            cal.add_component(_event(reg, False, locale))
        elif reg.status in _WITHDRAWN:
            cal.add_component(_event(reg, True, locale))
    return cal.to_ical()
