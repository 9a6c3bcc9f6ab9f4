"""API: sessions (see docs/api.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from regional.api import bp
from regional.api.common import (
    BadRequest,
    claim_or_412,
    datetime_field,
    field,
    if_match,
    iso,
    json_body,
    paging,
    require_login,
    require_role,
)
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import TOKYO, local_to_utc
from regional.registrations import interests, session_changes
from regional.roles import is_regional_admin
from regional.seats.counts import Counts, counts_for
from regional.sessions import services
from regional.sessions.access import session_or_404, viewer_scope
from regional.sessions.lifecycle import phase_of
from regional.sessions.models import SessionStatus, TrainingSession
from regional.sessions.services import SessionPlan
from regional.tenancy import current_municipality
from regional.validation import InputProblem, parse_datetime, whole_number
from regional.versions import etag
from tenants.models import Municipality

#: Names a session in its ETags.
KIND = "session"

#: Times a session body may carry (ISO 8601; without an offset, Tokyo time).
TIME_FIELDS = (
    "starts_at",
    "ends_at",
    "registration_opens_at",
    "registration_closes_at",
    "cancellation_deadline",
)


def session_json(ts: TrainingSession, counts: Counts) -> dict:
    """A session as the API shows it (contract fields first, extras after)."""
    here = current_municipality()
    phase = phase_of(ts)
    body = {
        "id": ts.id,
        "program_id": ts.program_id,
        "starts_at": iso(ts.starts_at),
        "ends_at": iso(ts.ends_at),
        "venue": ts.venue,
        "capacity": ts.capacity,
        "enrolled_count": counts.taken,
        "waitlist_count": counts.waiting,
        "seats_left": ts.seats_left,
        "registration_opens_at": iso(ts.registration_opens_at),
        "registration_closes_at": iso(ts.registration_closes_at),
        "requires_approval": ts.requires_approval,
        "status": ts.status.value,
        "phase": phase.value,
        "phase_label": phase.label,
        "program_code": ts.program.code,
        "program_title_ja": ts.program.title_ja,
        "program_title_en": ts.program.title_en,
        "online_url": ts.online_url,
        "cancellation_deadline": iso(ts.cancellation_deadline),
        "host_municipality_code": ts.host_municipality.code if ts.host_municipality else None,
        "open_to": None
        if ts.host_municipality_id is not None or ts.open_to_all
        else sorted(m.code for m in ts.audience),
        "seats_left_for_you": ts.seats_left_for(here.id)
        if here is not None and ts.admits(here.id)
        else 0,
        "cancel_reason": ts.cancel_reason,
        "notes": ts.notes,
        # The value to send in If-Match to change it (the GET of one session sends it too).
        "etag": etag(KIND, ts),
        "reservations": [
            {
                "municipality_code": a.municipality.code,
                "seats": a.seats,
                "claimed": a.claimed,
                "release_at": iso(a.release_at),
                "released": a.released,
            }
            for a in services.visible_allocations(ts, current_user)
        ],
    }
    return body


def _one(ts: TrainingSession) -> dict:
    return session_json(ts, counts_for([ts.id])[ts.id])


def _tagged(ts: TrainingSession, status: int = 200, **headers: str):
    """One session with its ETag (it changes with every saved change of the session)."""
    return _one(ts), status, {"ETag": etag(KIND, ts), **headers}


def _bound(name: str) -> tuple[datetime, bool] | None:
    """A ``from``/``to`` filter as (UTC instant, is a whole Tokyo day); None when absent."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw)
    except InputProblem as exc:
        raise BadRequest(
            "invalid_filter",
            _("The filter %(name)s must be an ISO 8601 date or time.", name=name),
            field=name,
        ) from exc
    if len(raw) == 10:
        return local_to_utc(value.replace(tzinfo=TOKYO)), True
    return local_to_utc(value), False


@bp.get("/sessions")
@require_login
def sessions():
    """Sessions the caller's municipality may attend (all for administrators), in date order."""
    program_id = request.args.get("program_id")
    if program_id not in (None, ""):
        try:
            program_id = whole_number(program_id, minimum=1)
        except InputProblem as exc:
            raise BadRequest(
                "invalid_filter", _("The filter program_id must be a number."), field="program_id"
            ) from exc
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in SessionStatus}:
        raise BadRequest(
            "invalid_filter", _("The filter status must be scheduled or cancelled."), field="status"
        )
    start, end = _bound("from"), _bound("to")
    stmt = TrainingSession.search(
        viewer_scope(current_user),
        program_id=program_id or None,
        starts_from=start[0] if start else None,
        status=status,
    )
    if end is not None:
        moment, whole_day = end
        # ``to`` as a date includes that whole day; as a time, that moment is the last included.
        stmt = stmt.where(
            TrainingSession.starts_at < moment + timedelta(days=1)
            if whole_day
            else TrainingSession.starts_at <= moment
        )
    page, per_page = paging()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    counts = counts_for([s.id for s in rows])
    return {
        "items": [session_json(s, counts[s.id]) for s in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


@bp.get("/sessions/<int:session_id>")
@require_login
def session(session_id: int):
    return _tagged(session_or_404(session_id))


def _open_to(data: dict) -> tuple[bool, list[int]] | None:
    """``open_to``: absent or null means every member; a list of codes means those only."""
    if "open_to" not in data:
        return None
    codes = data["open_to"]
    if codes is None:
        return True, []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s has the wrong type.", name="open_to"),
            field="open_to",
        )
    if not codes:
        raise DomainError(
            "missing_audience",
            _("Choose at least one municipality, or open the session to every member."),
            field="open_to",
        )
    found = dict(
        db.session.execute(
            select(Municipality.code, Municipality.id).where(Municipality.code.in_(codes))
        ).all()
    )
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise DomainError(
            "unknown_municipality",
            _("Unknown municipality code: %(codes)s", codes=", ".join(unknown)),
            field="open_to",
        )
    return False, sorted(found.values())


def _changes(data: dict, *, creating: bool) -> dict:
    """Type-check a body into plan fields (absent fields are not changes)."""
    out: dict = {}
    for name in TIME_FIELDS:
        required = (creating or name in data) and name != "cancellation_deadline"
        if name in data or required:
            out[name] = datetime_field(data, name, required=required)
    if "venue" in data or creating:
        out["venue"] = field(data, "venue", str, required=False, max_len=200) or ""
    if "online_url" in data:
        out["online_url"] = field(data, "online_url", str, required=False, max_len=500)
    if "capacity" in data or creating:
        out["capacity"] = field(data, "capacity", int)
    if "requires_approval" in data or creating:
        out["requires_approval"] = bool(field(data, "requires_approval", bool, required=False))
    if "notes" in data:
        out["notes"] = field(data, "notes", str, required=False, max_len=2000) or ""
    if "program_id" in data or creating:
        out["program_id"] = field(data, "program_id", int)
    audience = _open_to(data)
    if audience is not None:
        out["open_to_all"], out["audience_ids"] = audience
    return out


@bp.post("/sessions")
@require_role(is_regional_admin)
def create_session():
    """Add a shared session; times with an offset, or without one as Tokyo time."""
    data = json_body()
    values = _changes(data, creating=True)
    ts = services.create_session(SessionPlan(**values), current_user)
    interests.notify_interested([ts.id])
    db.session.commit()
    return _tagged(ts, 201, Location=url_for("api.session", session_id=ts.id))


@bp.patch("/sessions/<int:session_id>")
@require_role(is_regional_admin)
def update_session(session_id: int):
    """Change a session; capacity below the seats in use is refused (422).

    With If-Match, only the version the client read is changed (412 with the session as
    it is now otherwise); without, the change is applied as before.
    """
    ts = session_or_404(session_id)
    condition = if_match()
    data = json_body()
    changes = _changes(data, creating=False)
    claim_or_412(KIND, ts, condition, lambda: _one(ts))
    session_changes.update_session(ts, changes, current_user)
    db.session.commit()
    return _tagged(ts)


@bp.post("/sessions/<int:session_id>/cancel")
@require_role(is_regional_admin)
def cancel_session(session_id: int):
    """Cancel a session and tell everyone registered by mail: ``{"reason"}``."""
    ts = session_or_404(session_id)
    data = json_body()
    reason = field(data, "reason", str, max_len=1000)
    told = session_changes.cancel(ts, reason, current_user)
    db.session.commit()
    return {**_one(ts), "notified": told}


@bp.put("/sessions/<int:session_id>/reservations/<code>")
@require_role(is_regional_admin)
def reserve_seats(session_id: int, code: str):
    """Hold seats of a shared session for one member: ``{"seats", "release_at"}``."""
    ts = session_or_404(session_id)
    municipality = db.session.scalar(Municipality.by_code(code))
    if municipality is None:
        raise DomainError("not_found", _("The page or record was not found."), status=404)
    data = json_body()
    seat_count = field(data, "seats", int)
    release_at = datetime_field(data, "release_at")
    session_changes.reserve_seats(ts, municipality, seat_count, release_at)
    db.session.commit()
    return _one(ts)
