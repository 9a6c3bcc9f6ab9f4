"""One person's training record, read in their municipality: what they did and what they lack."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from regional.attendance.models import Completion
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import now_utc
from regional.people.models import User
from regional.seats.models import Registration
from regional.seats.waitlist import waitlist_positions
from regional.sessions.models import SessionStatus, TrainingSession
from regional.targets.measures import measures_by_key, missing_for, personas_of
from regional.targets.models import MeasureKind

#: Upcoming sessions suggested per missing programme.
SESSIONS_PER_PROGRAM = 3


@dataclass
class Gap:
    """A persona not reached yet: the programmes still missing, and sessions that would help."""

    key: str
    label: str
    track: str | None
    missing: list[Program]
    sessions: dict[int, list[TrainingSession]] = field(default_factory=dict)


@dataclass
class PersonRecord:
    person: User
    completions: list[Completion]
    registrations: list[Registration]
    positions: dict[int, int]
    personas: list[tuple[str, str]]  # (key, label)
    gaps: list[Gap]
    now: datetime

    @property
    def upcoming(self) -> list[Registration]:
        return [
            r for r in self.registrations if r.session.ends_at > self.now and r.status.holds_seat
        ]

    @property
    def waiting(self) -> list[Registration]:
        return [r for r in self.registrations if r.id in self.positions]

    @property
    def past(self) -> list[Registration]:
        return list(reversed([r for r in self.registrations if r.session.ends_at <= self.now]))


def person_record(
    person: User, locale: str, *, with_sessions: bool = False, now: datetime | None = None
) -> PersonRecord:
    """The record of ``person`` (the current municipality must be theirs)."""
    now = now or now_utc()
    session = db.session
    completions = list(session.scalars(Completion.of_employee(person.id)))
    registrations = list(session.scalars(Registration.of_employee(person.id)))
    positions = waitlist_positions([r for r in registrations if r.session.starts_at > now])
    measures = [m for m in measures_by_key(session).values() if m.kind == MeasureKind.PERSONA]
    reached = set(personas_of(session, person.id))
    personas = [(m.key, m.label(locale)) for m in measures if m.key in reached]
    gaps = [
        Gap(m.key, m.label(locale), m.track, missing_for(session, person.id, m.key))
        for m in measures
        if m.key not in reached
    ]
    gaps = [g for g in gaps if g.missing]
    if with_sessions:
        _suggest_sessions(gaps, person, now)
    return PersonRecord(person, completions, registrations, positions, personas, gaps, now)


def _suggest_sessions(gaps: list[Gap], person: User, now: datetime) -> None:
    """The next sessions of the missing programmes that the person's municipality may attend."""
    ids = {p.id for g in gaps for p in g.missing}
    if not ids:
        return
    found: dict[int, list[TrainingSession]] = {}
    rows = db.session.scalars(
        TrainingSession.visible_to(person.municipality_id)
        .where(
            TrainingSession.program_id.in_(ids),
            TrainingSession.starts_at > now,
            TrainingSession.status != SessionStatus.CANCELLED,
        )
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    for ts in rows:
        bucket = found.setdefault(ts.program_id, [])
        if len(bucket) < SESSIONS_PER_PROGRAM:
            bucket.append(ts)
    for gap in gaps:
        gap.sessions = {p.id: found.get(p.id, []) for p in gap.missing}


# -- the record as data ---------------------------------------------------------------


def completion_json(c: Completion, locale: str, certificate_code: str | None = None) -> dict:
    """One completion as ``GET /me/record`` lists it (API.md)."""
    return {
        "registration_id": c.registration_id,
        "program_code": c.program_code,
        "program_title": c.title_en if locale == "en" else c.title_ja,
        "completed_on": c.completed_on.isoformat(),
        "fiscal_year": c.fiscal_year,
        # None when not certified (its revision was certified by an earlier completion) or revoked.
        "certificate_code": certificate_code,
    }


CSV_HEADER = {
    "ja": ["研修コード", "研修名", "修了日", "年度", "時間数", "登録ID"],
    "en": [
        "Programme code",
        "Programme",
        "Completed on",
        "Fiscal year",
        "Hours",
        "Registration ID",
    ],
}
_FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_FIRST) else text


def record_csv(record: PersonRecord, locale: str) -> bytes:
    """The completions as CSV (UTF-8 with BOM, CRLF) for the person to keep."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER["en" if locale == "en" else "ja"])
    for c in record.completions:
        writer.writerow(
            [
                _safe(v)
                for v in (
                    c.program_code,
                    c.title_en if locale == "en" else c.title_ja,
                    c.completed_on.isoformat(),
                    c.fiscal_year,
                    c.hours,
                    c.registration_id or "",
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
