"""API: the shared catalogue (see docs/api.md)."""

from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from regional.api import bp
from regional.api.common import BadRequest, field, json_body, require_login, require_role
from regional.catalogue import search, services
from regional.catalogue.forms import MAX_QUERY, MAX_WORDS
from regional.catalogue.models import Program, SkillArea, Tier, Track
from regional.catalogue.normalise import search_words
from regional.errors import DomainError
from regional.extensions import db
from regional.i18n import locale_code
from regional.roles import is_regional_admin
from regional.tenancy import get_or_404
from regional.validation import text_problem


def program_json(p: Program) -> dict:
    """A programme as the API shows it (contract fields first, extras after)."""
    return {
        "id": p.id,
        "code": p.code,
        "title_ja": p.title_ja,
        "title_en": p.title_en,
        "tier": p.tier.value,
        "track": p.track.value,
        "skill_area": p.skill_area.key,
        "delivery": p.delivery.value,
        "hours": float(p.hours),
        "active": p.active,
        "description_ja": p.description_ja,
        "description_en": p.description_en,
        "eligible_job_categories": list(p.eligible_job_categories or []),
        "prerequisite_tracks": list(p.prerequisite_tracks or []),
        "prerequisite_system_duty": p.prerequisite_system_duty,
        "revision": p.revision,
    }


def _choice(name: str, allowed: type) -> str | None:
    value = request.args.get(name)
    if value in (None, ""):
        return None
    if value not in {m.value for m in allowed}:
        raise BadRequest(
            "invalid_filter",
            _(
                "The filter %(name)s must be one of: %(values)s.",
                name=name,
                values=", ".join(m.value for m in allowed),
            ),
            field=name,
        )
    return value


def _active_filter() -> bool | None:
    value = request.args.get("active")
    if value in (None, ""):
        return None
    if value not in ("true", "false"):
        raise BadRequest(
            "invalid_filter", _("The filter active must be true or false."), field="active"
        )
    return value == "true"


def _keywords() -> list[str]:
    """``q``: keywords as the catalogue page takes them (bounded, no control characters)."""
    q = request.args.get("q") or ""
    words = search_words(q)
    if len(q) > MAX_QUERY or len(words) > MAX_WORDS or text_problem(q):
        raise BadRequest(
            "invalid_filter",
            _("The filter q takes at most 100 characters in at most 8 words, as text."),
            field="q",
        )
    return words


@bp.get("/programs")
@require_login
def programs():
    """The shared catalogue, retired programmes included (see ``active``); with ``q``,
    the keyword search of the catalogue page in the request's language, best match first."""
    stmt = Program.listing(
        tier=_choice("tier", Tier),
        track=_choice("track", Track),
        area_key=request.args.get("skill_area") or None,
        active_only=False,
    )
    stmt = search.matching(stmt, _keywords(), locale_code())
    active = _active_filter()
    if active is not None:
        stmt = stmt.where(Program.active.is_(active))
    return {"items": [program_json(p) for p in db.session.scalars(stmt)]}


@bp.get("/programs/<int:program_id>")
@require_login
def program(program_id: int):
    return program_json(get_or_404(Program, program_id))


def _string_list(data: dict, name: str) -> list[str]:
    value = field(data, name, list, required=False) or []
    if not all(isinstance(v, str) for v in value):
        raise BadRequest(
            "invalid_field", _("The field %(name)s has the wrong type.", name=name), field=name
        )
    return value


@bp.post("/programs")
@require_role(is_regional_admin)
def create_program():
    """Add a programme; ``skill_area`` is given by its key, tier and track follow from it."""
    data = json_body()
    code = field(data, "code", str, max_len=20)
    area_key = field(data, "skill_area", str, max_len=40)
    hours = field(data, "hours", (int, float))
    if isinstance(hours, bool):
        raise BadRequest(
            "invalid_field",
            _("The field %(name)s has the wrong type.", name="hours"),
            field="hours",
        )
    values = {
        "title_ja": field(data, "title_ja", str, max_len=200),
        "title_en": field(data, "title_en", str, max_len=200, required=False) or "",
        "description_ja": field(data, "description_ja", str, required=False) or "",
        "description_en": field(data, "description_en", str, required=False) or "",
        "delivery": field(data, "delivery", str),
        "hours": str(hours),
        "eligible_job_categories": _string_list(data, "eligible_job_categories"),
        "prerequisite_tracks": _string_list(data, "prerequisite_tracks"),
        "prerequisite_system_duty": bool(
            field(data, "prerequisite_system_duty", bool, required=False)
        ),
    }
    area = db.session.scalar(select(SkillArea).where(SkillArea.key == area_key))
    if area is None:
        raise DomainError(
            "unknown_skill_area", _("Choose one of the skill areas."), field="skill_area"
        )
    values["skill_area_id"] = area.id
    p = services.create_program(code, values, current_user.id)
    db.session.commit()
    return program_json(p), 201, {"Location": url_for("api.program", program_id=p.id)}
