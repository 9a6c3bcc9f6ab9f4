"""Notices: who sees which, posting, editing, withdrawing (all audited), read marks.

A regional administrator manages the region's notices (for every member); a coordinator
their own municipality's. Staff see the current ones (inside the publication window) of the
region and of their municipality whose audience they belong to. Services take the actor.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from regional.audit import record_audit
from regional.errors import DomainError
from regional.extensions import db
from regional.fiscal import (
    day_after_utc,
    day_start_utc,
    last_day_before,
    local_date,
    now_utc,
)
from regional.heads.services import is_head
from regional.notices.models import AUDIENCES, BODY_MAX, TITLE_MAX, Notice, NoticeRead
from regional.roles import is_coordinator, is_regional_admin
from regional.validation import text_problem
from tenants import all_tenants
from tenants.scoping import acting_as


@dataclass
class NoticeData:
    title_ja: str
    body_ja: str
    title_en: str
    body_en: str
    audience: str
    shown_from: datetime
    shown_until: datetime | None


def window(first_day: date, last_day: date | None) -> tuple[datetime, datetime | None]:
    """The publication window of Tokyo days ``first_day`` to ``last_day`` (inclusive; None:
    no end), as the UTC bounds a notice keeps: the pages and the API say days alike."""
    return day_start_utc(first_day), day_after_utc(last_day) if last_day else None


def days_of(notice: Notice) -> tuple[date, date | None]:
    """A notice's first and last day shown (Tokyo days), as :func:`window` took them."""
    until = notice.shown_until
    return local_date(notice.shown_from), last_day_before(until) if until else None


def data_of(notice: Notice) -> NoticeData:
    """A notice's fields as they are (a partial change replaces some of them)."""
    return NoticeData(
        title_ja=notice.title_ja,
        body_ja=notice.body_ja,
        title_en=notice.title_en,
        body_en=notice.body_en,
        audience=notice.audience,
        shown_from=notice.shown_from,
        shown_until=notice.shown_until,
    )


def problems(data: NoticeData) -> dict[str, str]:
    """What is wrong with a notice, by field (empty: nothing): the one check of pages and API."""
    found: dict[str, object] = {}
    if data.audience not in AUDIENCES:
        found["audience"] = _l("Choose who the notice is for.")
    for name in ("title_ja", "body_ja"):
        if not getattr(data, name).strip():
            found[name] = _l("Enter the title and the text in Japanese.")
    for name in ("title_ja", "title_en"):
        value = getattr(data, name)
        if name not in found and (len(value) > TITLE_MAX or text_problem(value)):
            found[name] = _l("Please check the title.")
    for name in ("body_ja", "body_en"):
        value = getattr(data, name)
        if name not in found and (len(value) > BODY_MAX or text_problem(value, multiline=True)):
            found[name] = _l("Please check the text.")
    if data.shown_until is not None and data.shown_until <= data.shown_from:
        found["shown_until"] = _l("The last day must not be before the first day.")
    return {name: str(message) for name, message in found.items()}


def check(data: NoticeData) -> None:
    """Refuse a notice with any problem (422): the first one's message, every field's too."""
    found = problems(data)
    if found:
        first = next(iter(found))
        raise DomainError("invalid_notice", found[first], status=422, field=first, fields=found)


def _audiences_of(user) -> list[str]:
    allowed = ["all"]
    if is_coordinator(user):
        allowed.append("coordinators")
    with acting_as(db.session, user.municipality_id):
        if is_head(user):
            allowed.append("heads")
    return allowed


def current_for(user, now: datetime | None = None) -> list[Notice]:
    """The notices ``user`` sees now, newest first: the one filter for every page."""
    now = now or now_utc()
    stmt = (
        Notice.visible_to(user.municipality_id)
        .where(Notice.audience.in_(_audiences_of(user)))
        .where(Notice.shown_from <= now)
        .where((Notice.shown_until.is_(None)) | (Notice.shown_until > now))
    )
    with acting_as(db.session, user.municipality_id):
        return list(db.session.scalars(stmt))


def read_ids(user, notices: list[Notice]) -> set[int]:
    """Which of ``notices`` ``user`` has marked read."""
    if not notices:
        return set()
    with acting_as(db.session, user.municipality_id):
        return set(
            db.session.scalars(
                select(NoticeRead.notice_id).where(
                    NoticeRead.user_id == user.id,
                    NoticeRead.notice_id.in_([n.id for n in notices]),
                )
            )
        )


def mark_read(notice_id: int, user) -> bool:
    """Mark a notice ``user`` sees now as read (once); False if they do not see it."""
    if notice_id not in {n.id for n in current_for(user)}:
        return False
    with acting_as(db.session, user.municipality_id):
        if notice_id not in read_ids(user, [db.session.get(Notice, notice_id)]):
            db.session.add(NoticeRead(notice_id=notice_id, user_id=user.id))
            db.session.flush()
    return True


def _owner(actor) -> int | None:
    """Whose notices ``actor`` manages: the region's (None) or their municipality's."""
    return None if is_regional_admin(actor) else actor.municipality_id


def managed(actor) -> list[Notice]:
    """The notices ``actor`` manages, newest first (past and future ones too)."""
    owner = _owner(actor)
    stmt = select(Notice).order_by(Notice.shown_from.desc(), Notice.id.desc())
    if owner is None:
        stmt = stmt.where(Notice.audience_municipality_id.is_(None))
    else:
        stmt = stmt.where(Notice.audience_municipality_id == owner)
    with acting_as(db.session, actor.municipality_id):
        return list(db.session.scalars(stmt))


def load_managed(notice_id: int, actor) -> Notice | None:
    """The one load gate for the management pages: None unless ``actor`` manages it."""
    if not is_coordinator(actor):
        return None
    with acting_as(db.session, actor.municipality_id):
        notice = db.session.get(Notice, notice_id)
    if notice is None or notice.audience_municipality_id != _owner(actor):
        return None
    return notice


def _snapshot(n: Notice) -> dict:
    return {
        "title": n.title_ja,
        "title_en": n.title_en,
        "body": n.body_ja,
        "body_en": n.body_en,
        "audience": n.audience,
        "shown_from": n.shown_from,
        "shown_until": n.shown_until,
    }


def wall_for(notice: Notice) -> AbstractContextManager:
    """Where a change of ``notice`` is written: the region's notice is no member's, so it is
    behind every member's wall (PostgreSQL) and written with the wall lifted; a member's
    notice in the member the caller acts in."""
    if notice.audience_municipality_id is None:
        return all_tenants(db.session)
    return nullcontext()


def _flush(notice: Notice) -> None:
    with wall_for(notice):
        db.session.flush()


def _audit(action: str, n: Notice, actor, **kw) -> None:
    """In the poster's municipality's trail (the region's notices: the administrator's)."""
    with acting_as(db.session, actor.municipality_id):
        record_audit(
            action,
            subject_type="notice",
            subject_id=n.id,
            subject_label=n.title_ja,
            actor=actor,
            **kw,
        )
        db.session.flush()


def _apply(notice: Notice, data: NoticeData) -> None:
    notice.title_ja, notice.body_ja = data.title_ja.strip(), data.body_ja.strip()
    notice.title_en, notice.body_en = data.title_en.strip(), data.body_en.strip()
    notice.audience = data.audience
    notice.shown_from, notice.shown_until = data.shown_from, data.shown_until


def post(data: NoticeData, actor) -> Notice:
    """A new notice: the region's from an administrator, else the coordinator's member's."""
    if not is_coordinator(actor):
        raise DomainError("forbidden", _l("You are not allowed to do this."), status=403)
    check(data)
    notice = Notice(audience_municipality_id=_owner(actor), posted_by_id=actor.id)
    _apply(notice, data)
    db.session.add(notice)
    _flush(notice)
    _audit("notice.post", notice, actor, after=_snapshot(notice))
    return notice


def edit(notice: Notice, data: NoticeData, actor) -> None:
    if load_managed(notice.id, actor) is None:
        raise DomainError("not_found", _l("Not found."), status=404)
    check(data)
    before = _snapshot(notice)
    _apply(notice, data)
    _flush(notice)
    after = _snapshot(notice)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        _audit(
            "notice.edit",
            notice,
            actor,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )


def withdraw(notice: Notice, actor) -> None:
    """Delete the notice and everyone's read marks of it."""
    if load_managed(notice.id, actor) is None:
        raise DomainError("not_found", _l("Not found."), status=404)
    _audit("notice.withdraw", notice, actor, before=_snapshot(notice))
    with all_tenants(db.session):
        # The read marks of every member go with it (load_managed decided).
        db.session.execute(delete(NoticeRead).where(NoticeRead.notice_id == notice.id))
        db.session.delete(notice)
        db.session.flush()
