"""Catalogue writes: loading the policy's areas, adding and revising programmes."""

from __future__ import annotations

import logging
import re
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from regional.audit import audited, record_audit_across
from regional.catalogue.models import Delivery, Program, ProgramRevision, SkillArea, Tier, Track
from regional.errors import Conflict, DomainError
from regional.extensions import db
from regional.people.models import JobCategory, User
from tenants import all_tenants
from tenants.models import Municipality

log = logging.getLogger("regional.audit")

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$")
MAX_HOURS = Decimal("999.9")
#: Fields a programme form or API body may set (tier and track follow the skill area).
EDITABLE = (
    "title_ja",
    "title_en",
    "description_ja",
    "description_en",
    "skill_area_id",
    "delivery",
    "hours",
    "eligible_job_categories",
    "prerequisite_tracks",
    "prerequisite_system_duty",
    "elearning_url",
    "report_required",
    "report_template",
)

POLICY_CATALOGUE = Path(__file__).parent / "data" / "policy_catalogue.toml"

#: Named prerequisite rules used by the data file.
PREREQUISITES = {
    "pm": (["digital_tech", "project_management"], True),
}


def record_revision(program: Program, actor_id: int | None) -> ProgramRevision:
    """Keep the programme's current state as revision ``program.revision``."""
    rev = ProgramRevision(
        program_id=program.id,
        revision=program.revision,
        snapshot=program.snapshot(),
        changed_by_id=actor_id,
    )
    db.session.add(rev)
    return rev


def revise_program(program: Program, changes: dict, actor_id: int | None) -> Program:
    """Apply changes as a new revision; completions keep the revision they were taken at."""
    changed = {k: v for k, v in changes.items() if getattr(program, k) != v}
    if not changed:
        return program
    for key, value in changed.items():
        setattr(program, key, value)
    program.revision += 1
    db.session.flush()
    record_revision(program, actor_id)
    return program


def add_program(values: dict, actor_id: int | None) -> Program:
    """Insert a programme as revision 1 (values already checked)."""
    program = Program(revision=1, **values)
    db.session.add(program)
    db.session.flush()
    record_revision(program, actor_id)
    return program


# -- administration ----------------------------------------------------------


def _trail(program: Program) -> dict:
    return {**program.snapshot(), "revision": program.revision, "active": program.active}


def _home_trail(actor_id: int | None) -> dict:
    """Where a change of the shared catalogue is audited: the coordinating city's trail (it
    runs it). The actor is read by id for its name and address only (a deliberate read
    across members: no account is loaded)."""
    actor = None
    with all_tenants(db.session):
        home = db.session.scalar(select(Municipality.id).where(Municipality.coordinating))
        if actor_id is not None:
            row = db.session.execute(
                select(User.id, User.name, User.email).where(User.id == actor_id)
            ).first()
            actor = SimpleNamespace(id=row.id, name=row.name, email=row.email) if row else None
    return {"municipality_id": home, "actor": actor}


def _label(program: Program) -> str:
    return f"{program.code} {program.title_ja}"


def _program_change(action: str, program: Program, actor_id: int | None, **what):  # noqa: ANN003
    """A change of the shared catalogue (``audited``): the entry keeps the fields that changed."""
    return audited(
        action,
        target=program,
        across=True,
        subject_type="program",
        subject_label=_label,
        **_home_trail(actor_id),
        **what,
    )


def _invalid(code: str, message, field: str) -> DomainError:
    return DomainError(code, message, field=field)


def check_program_values(values: dict) -> dict:
    """Apply the catalogue's rules to a programme's fields; returns them normalised.

    Tier and track are not chosen: they follow the skill area, as in the policy's table.
    """
    out = {k: values[k] for k in EDITABLE if k in values}
    for key in ("title_ja", "title_en"):
        if key not in out and key == "title_en":
            continue
        text = (out.get(key) or "").strip()
        if not text and key == "title_ja":
            raise _invalid("missing_title", _l("Enter the title in Japanese."), key)
        if len(text) > 200:
            raise _invalid("invalid_title", _l("A title has at most 200 characters."), key)
        out[key] = text
    for key in ("description_ja", "description_en"):
        out[key] = (out.get(key) or "").strip()
        if len(out[key]) > 10000:
            raise _invalid(
                "invalid_description", _l("A description has at most 10,000 characters."), key
            )
    area = db.session.get(SkillArea, out.get("skill_area_id") or 0)
    if area is None:
        raise _invalid("unknown_skill_area", _l("Choose one of the skill areas."), "skill_area")
    out["tier"], out["track"] = area.tier, area.track
    try:
        out["delivery"] = Delivery(out.get("delivery"))
    except ValueError:
        raise _invalid(
            "invalid_delivery", _l("Choose one of the delivery methods."), "delivery"
        ) from None
    out["hours"] = _checked_hours(out.get("hours"))
    out["eligible_job_categories"] = _members(
        out.get("eligible_job_categories"),
        JobCategory,
        "eligible_job_categories",
        _l("Unknown job category."),
    )
    out["prerequisite_tracks"] = _members(
        out.get("prerequisite_tracks"), Track, "prerequisite_tracks", _l("Unknown track.")
    )
    out["prerequisite_system_duty"] = bool(out.get("prerequisite_system_duty"))
    if "elearning_url" in out:  # the programme form sets it; the JSON API does not name it
        out["elearning_url"] = checked_elearning_url(out["elearning_url"])
    if "report_required" in out:  # likewise the participant's report (受講報告)
        out["report_required"] = bool(out["report_required"])
        out["report_template"] = _checked_template(out.get("report_template"))
    return out


REPORT_TEMPLATE_MAX = 1000


def _checked_template(raw: object) -> str:
    """The report's template: plain text of at most :data:`REPORT_TEMPLATE_MAX` characters."""
    text = str(raw or "").strip()
    if len(text) > REPORT_TEMPLATE_MAX:
        raise _invalid(
            "invalid_report_template",
            _l("The report template is too long (at most 1000 characters)."),
            "report_template",
        )
    return text


def checked_elearning_url(raw: object) -> str | None:
    """An e-learning address: empty for none, else a full http(s) address of at most 500."""
    url = str(raw or "").strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. a malformed IPv6 host or port
        parts, host = None, None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not host
        or len(url) > 500
        or any(c.isspace() or not c.isprintable() for c in url)
    ):
        raise _invalid(
            "invalid_elearning_url",
            _l(
                "Give the e-learning address in full, beginning http:// or https:// (at most 500 characters)."
            ),  # noqa: E501
            "elearning_url",
        )
    return url


def _checked_hours(raw: object) -> Decimal:
    try:
        hours = Decimal(str(raw)) if raw is not None and not isinstance(raw, bool) else None
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite():
        raise _invalid("invalid_hours", _l("Hours must be a number."), "hours")
    if hours < 0 or hours > MAX_HOURS:
        raise _invalid("invalid_hours", _l("Hours must be between 0 and 999.9."), "hours")
    if hours != hours.quantize(Decimal("0.1")):
        raise _invalid("invalid_hours", _l("Hours take at most one decimal place."), "hours")
    return hours.quantize(Decimal("0.1"))


def _members(raw: object, enum_cls: type, field: str, message) -> list[str]:
    """A list of enum values in the enum's own order, without repeats."""
    chosen = set(raw or [])
    allowed = [m.value for m in enum_cls]
    if not chosen <= set(allowed):
        raise _invalid(f"invalid_{field}", message, field)
    return [v for v in allowed if v in chosen]


def create_program(code: str, values: dict, actor_id: int | None) -> Program:
    """Add a programme to the shared catalogue; the code must be new."""
    code = (code or "").strip()
    if not CODE_PATTERN.match(code):
        raise _invalid(
            "invalid_code",
            _l("The code has 1 to 20 letters, digits, dots, hyphens or underscores."),
            "code",
        )
    if db.session.scalar(Program.by_code(code)) is not None:
        raise Conflict("duplicate_code", _l("A programme with this code already exists."))
    checked = check_program_values(values)
    try:
        with db.session.begin_nested():
            program = add_program({"code": code, **checked}, actor_id)
    except IntegrityError:
        # Another administrator added the same code at the same moment.
        raise Conflict("duplicate_code", _l("A programme with this code already exists.")) from None
    record_audit_across(
        "program.create",
        subject_type="program",
        subject_id=program.id,
        subject_label=_label(program),
        after=_trail(program),
        **_home_trail(actor_id),
    )
    log.info("programme added code=%s by=%s", code, actor_id)
    return program


def update_program(program: Program, values: dict, actor_id: int | None) -> Program:
    """Revise a programme (its code stays); unchanged values make no new revision."""
    before = program.revision
    with _program_change("program.update", program, actor_id, snapshot=_trail):
        revise_program(program, check_program_values(values), actor_id)
    if program.revision != before:
        log.info(
            "programme revised code=%s revision=%s by=%s", program.code, program.revision, actor_id
        )
    return program


def set_program_active(program: Program, active: bool, actor_id: int | None) -> Program:
    """Retire or reactivate a programme; its history and past completions stay as they are."""
    if program.active != active:
        with _program_change(
            "program.reactivate" if active else "program.retire",
            program,
            actor_id,
            fields=("active",),
        ):
            program.active = active
        log.info(
            "programme %s code=%s by=%s",
            "reactivated" if active else "retired",
            program.code,
            actor_id,
        )
    return program


def revision_changes(program_id: int) -> list[tuple[ProgramRevision, list[str]]]:
    """Each revision with the snapshot keys that changed since the one before, newest first."""
    revisions = list(db.session.scalars(ProgramRevision.history(program_id)))
    out = []
    for i, rev in enumerate(revisions):
        older = revisions[i + 1].snapshot if i + 1 < len(revisions) else None
        changed = (
            []
            if older is None
            else [k for k in rev.snapshot if rev.snapshot.get(k) != older.get(k)]
        )
        out.append((rev, changed))
    return out


#: Names of a revision's snapshot keys, for the history table.
SNAPSHOT_LABELS = {
    "code": _l("Code"),
    "title_ja": _l("Title (Japanese)"),
    "title_en": _l("Title (English)"),
    "tier": _l("Tier"),
    "track": _l("Track"),
    "skill_area": _l("Skill area"),
    "delivery": _l("Delivery"),
    "hours": _l("Hours"),
    "eligible_job_categories": _l("Job categories"),
    "prerequisite_tracks": _l("Prerequisites"),
    "prerequisite_system_duty": _l("Prerequisites"),
    "elearning_url": _l("E-learning address"),
    "report_required": _l("Participant's report"),
    "report_template": _l("Report template"),
}


def revision_history(
    program_id: int,
) -> tuple[list[tuple[ProgramRevision, list[str]]], dict[int, str]]:
    """For the programme's page: each revision with the names of what changed, and editors' names."""
    history = [
        (rev, list(dict.fromkeys(str(SNAPSHOT_LABELS.get(k, k)) for k in changed)))
        for rev, changed in revision_changes(program_id)
    ]
    ids = {rev.changed_by_id for rev, _changed in history if rev.changed_by_id}
    if not ids:
        return history, {}
    # Editors are regional administrators of the coordinating city, read for their names only.
    with all_tenants(db.session):
        editors = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return history, editors


def load_policy_catalogue(path: Path = POLICY_CATALOGUE) -> tuple[int, int]:
    """Add the policy's skill areas and any missing starter programme; returns (areas, programmes) added.

    Existing programmes are left as administrators made them.
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    areas = {a.key: a for a in db.session.scalars(select(SkillArea))}
    added_areas = 0
    for position, raw in enumerate(data.get("skill_area", []), start=1):
        area = areas.get(raw["key"])
        if area is None:
            area = SkillArea(key=raw["key"])
            db.session.add(area)
            areas[raw["key"]] = area
            added_areas += 1
        area.tier, area.track = Tier(raw["tier"]), Track(raw["track"])
        area.name_ja, area.name_en = raw["name_ja"], raw["name_en"]
        area.audience_ja, area.audience_en = raw.get("audience_ja", ""), raw.get("audience_en", "")
        area.position = position
    db.session.flush()
    # A code ever used (even one an administrator since renamed in a revision) is never re-added.
    codes = set(db.session.scalars(select(Program.code)))
    codes |= {r.snapshot.get("code") for r in db.session.scalars(select(ProgramRevision))}
    added_programs = 0
    for raw in data.get("program", []):
        if raw["code"] in codes:
            continue
        area = areas[raw["area"]]
        tracks, duty = PREREQUISITES.get(raw.get("prerequisite", ""), ([], False))
        add_program(
            dict(
                code=raw["code"],
                title_ja=raw["title_ja"],
                title_en=raw["title_en"],
                description_ja=raw.get("description_ja", ""),
                description_en=raw.get("description_en", ""),
                skill_area_id=area.id,
                tier=area.tier,
                track=area.track,
                delivery=Delivery(raw["delivery"]),
                hours=Decimal(str(raw["hours"])),
                eligible_job_categories=list(raw.get("job_categories", [])),
                prerequisite_tracks=list(tracks),
                prerequisite_system_duty=duty,
            ),
            actor_id=None,
        )
        added_programs += 1
    return added_areas, added_programs
