"""API: notices (お知らせ), see docs/api.md.

* ``GET /me/notices``: the notices the signed-in person sees now, newest first, in their
  language, each with ``read``;
* ``POST /notices/<id>/read``: mark one read (204, once; a notice they do not see is 404);
* ``GET /notices``, ``GET /notices/<id>``, ``POST /notices``, ``PATCH /notices/<id>``,
  ``DELETE /notices/<id>``: the poster's management, as the pages do it: a regional
  administrator the region's notices, a coordinator their member's; an employee gets 403,
  a notice the caller does not manage 404. ``PATCH`` honours If-Match (412 when stale).

The rules (who sees which, what a notice may say, the audit entries) are the pages' own
(:mod:`regional.notices.services`).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from regional.api import bp
from regional.api.common import (
    BadRequest,
    claim_or_412,
    if_match,
    iso,
    json_body,
    require_login,
    require_role,
)
from regional.errors import NotFound
from regional.extensions import db
from regional.fiscal import today
from regional.i18n import locale_code
from regional.notices import services
from regional.notices.models import Notice
from regional.roles import is_coordinator
from regional.validation import InputProblem, parse_date
from regional.versions import etag

#: Names a notice in its ETags.
KIND = "notice"

#: The text fields of a notice's body, and its days (Tokyo dates, YYYY-MM-DD).
TEXTS = ("title_ja", "body_ja", "title_en", "body_en", "audience")
DAYS = ("shown_from", "shown_until")


def _scope(notice: Notice) -> str:
    return "region" if notice.audience_municipality_id is None else "member"


@bp.get("/me/notices")
@require_login
def my_notices():
    lang = locale_code()
    notices = services.current_for(current_user)
    read = services.read_ids(current_user, notices)
    return {
        "items": [
            {
                "id": n.id,
                "scope": _scope(n),
                "title": n.title(lang),
                "body": n.body(lang),
                "published_at": iso(n.shown_from),
                "shown_until": iso(n.shown_until),
                "read": n.id in read,
            }
            for n in notices
        ]
    }


@bp.post("/notices/<int:notice_id>/read")
@require_login
def mark_notice_read(notice_id: int):
    if not services.mark_read(notice_id, current_user):
        raise NotFound("notice_not_found", _("The notice was not found."))
    db.session.commit()
    return "", 204


def notice_json(notice: Notice) -> dict:
    """A notice as its poster manages it (both languages, the days it is shown)."""
    first, last = services.days_of(notice)
    return {
        "id": notice.id,
        "scope": _scope(notice),
        "audience": notice.audience,
        "title_ja": notice.title_ja,
        "body_ja": notice.body_ja,
        "title_en": notice.title_en,
        "body_en": notice.body_en,
        "shown_from": first.isoformat(),
        "shown_until": last.isoformat() if last else None,
        "published_at": iso(notice.shown_from),
        "posted_at": iso(notice.posted_at),
        "updated_at": iso(notice.updated_at),
        "etag": etag(KIND, notice),
    }


def _tagged(notice: Notice, status: int = 200, **headers: str):
    return notice_json(notice), status, {"ETag": etag(KIND, notice), **headers}


def _managed_or_404(notice_id: int) -> Notice:
    notice = services.load_managed(notice_id, current_user)
    if notice is None:
        raise NotFound("notice_not_found", _("The notice was not found."))
    return notice


@bp.get("/notices")
@require_role(is_coordinator)
def managed_notices():
    return {"items": [notice_json(n) for n in services.managed(current_user)]}


@bp.get("/notices/<int:notice_id>")
@require_role(is_coordinator)
def managed_notice(notice_id: int):
    return _tagged(_managed_or_404(notice_id))


def _day(data: dict, name: str) -> date | None:
    raw = data[name]
    if raw is None and name == "shown_until":
        return None  # shown with no last day
    if not isinstance(raw, str):
        raise BadRequest(
            "invalid_field", _("The field %(name)s has the wrong type.", name=name), field=name
        )
    try:
        return parse_date(raw)
    except InputProblem as exc:
        raise BadRequest("invalid_field", f"{name}: {exc.message}", field=name) from exc


def _changes(data: dict) -> dict:
    """The fields a body gives, type-checked (400); what they say is the service's to judge."""
    unknown = sorted(set(data) - set(TEXTS) - set(DAYS))
    if unknown:
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s cannot be changed here.", name=unknown[0]),
            field=unknown[0],
        )
    changes: dict = {}
    for name in TEXTS:
        if name in data:
            if not isinstance(data[name], str):
                raise BadRequest(
                    "invalid_field",
                    _("The field %(name)s has the wrong type.", name=name),
                    field=name,
                )
            changes[name] = data[name].strip()
    for name in DAYS:
        if name in data:
            changes[name] = _day(data, name)
    return changes


def _noticed(base: services.NoticeData, days, changes: dict) -> services.NoticeData:
    """``base`` with the body's changes; given days make the window as the pages do."""
    texts = {k: v for k, v in changes.items() if k in TEXTS}
    if not any(k in changes for k in DAYS):
        return dataclasses.replace(base, **texts)
    first, last = days
    first = changes.get("shown_from", first)
    last = changes.get("shown_until", last)
    shown_from, shown_until = services.window(first, last)
    return dataclasses.replace(base, **texts, shown_from=shown_from, shown_until=shown_until)


@bp.post("/notices")
@require_role(is_coordinator)
def post_notice():
    """Post a notice: the region's from a regional administrator, else the member's."""
    first = today()
    start, _end = services.window(first, None)
    blank = services.NoticeData("", "", "", "", "all", start, None)
    data = _noticed(blank, (first, None), _changes(json_body()))
    notice = services.post(data, current_user)
    db.session.commit()
    return _tagged(notice, 201, Location=url_for("api.managed_notice", notice_id=notice.id))


@bp.patch("/notices/<int:notice_id>")
@require_role(is_coordinator)
def update_notice(notice_id: int):
    """Change the fields given; with If-Match only the version the client read (412 else)."""
    notice = _managed_or_404(notice_id)
    condition = if_match()
    changes = _changes(json_body())
    data = _noticed(services.data_of(notice), services.days_of(notice), changes)
    services.check(data)  # a refused value is 422 whatever the precondition
    with services.wall_for(notice):
        claim_or_412(KIND, notice, condition, lambda: notice_json(notice))
    services.edit(notice, data, current_user)
    db.session.commit()
    return _tagged(notice)


@bp.delete("/notices/<int:notice_id>")
@require_role(is_coordinator)
def withdraw_notice(notice_id: int):
    """Withdraw a notice (and everyone's read marks of it), as the poster's page does."""
    notice = _managed_or_404(notice_id)
    services.withdraw(notice, current_user)
    db.session.commit()
    return "", 204
