"""iCalendar files: one per registration, and each person's feed."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from icalendar import Calendar, Event

from regional.registrations.models import Registration, RegistrationStatus


def _uid(reg: Registration) -> str:
    return f"registration-{reg.id}@regional-training"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//Okayama Regional Alliance//Training Platform//JA")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Tokyo")
    return cal


def _event(reg: Registration, cancelled: bool = False) -> Event:
    ts = reg.session
    ev = Event()
    ev.add("uid", _uid(reg))
    ev.add("dtstamp", reg.requested_at)
    ev.add("dtstart", ts.starts_at)
    ev.add("dtend", ts.ends_at)
    ev.add("summary", ts.program.title_ja)
    location = ts.venue or ""
    if ts.online_url:
        location = f"{location} {ts.online_url}".strip()
    ev.add("location", location)
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    ev.add("url", f"{base}/sessions/{ts.id}")
    ev.add("description", f"{ts.program.code} {ts.program.title_en}")
    # A change of status (cancelled, promoted) updates the same event in the person's calendar.
    ev.add("sequence", int(reg.requested_at.timestamp()) % 100000 + (1 if cancelled else 0))
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return ev


def registration_ics(reg: Registration, cancelled: bool = False) -> bytes:
    """One event for one registration (METHOD:CANCEL when it no longer stands)."""
    cal = _calendar(reg.session.program.title_ja)
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    cal.add_component(_event(reg, cancelled))
    return cal.to_ical()


def feed_ics(regs: Iterable[Registration], name: str) -> bytes:
    """A person's feed: sessions where they hold a seat; cancelled ones marked so."""
    cal = _calendar(name)
    for reg in regs:
        if reg.status in (RegistrationStatus.ENROLLED, RegistrationStatus.PENDING):
            cal.add_component(_event(reg))
        elif reg.status == RegistrationStatus.CANCELLED:
            cal.add_component(_event(reg, cancelled=True))
    return cal.to_ical()
