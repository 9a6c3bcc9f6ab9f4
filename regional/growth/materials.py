"""Learning materials: publish a file or a link per skill area and per exam; delete it.

Regional administrators publish for every member (or for the member they act in);
coordinators for their own municipality only. Deleting removes the row and, once
that commits, the stored file; the audit trail keeps both entries (publish and delete).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from regional.audit import record_audit
from regional.catalogue.models import SkillArea
from regional.errors import DomainError
from regional.extensions import db
from regional.growth import files, rules
from regional.growth.exams import exam_by_code
from regional.growth.models import Material, MaterialKind
from regional.people.models import User
from regional.roles import is_coordinator, is_regional_admin
from tenants import all_tenants
from tenants.scoping import current_tenant_id

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class MaterialData:
    title: object
    description: object = ""
    skill_area_key: object = None
    exam_code: object = None
    url: object = None
    upload: bytes | None = None
    filename: str | None = None


def _clean_url(value: object) -> str:
    url = rules.text(value, "url", max_len=500)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
        raise rules.InvalidInput(
            "invalid_url", _l("Give a web address starting with https:// or http://."), field="url"
        )
    return url


def _clean_area(value: object) -> str | None:
    if value in (None, ""):
        return None
    if (
        not isinstance(value, str)
        or db.session.scalar(select(SkillArea.id).where(SkillArea.key == value)) is None
    ):
        raise rules.InvalidInput(
            "invalid_skill_area",
            _l("Unknown skill area: use the keys of the policy's table."),
            field="skill_area_key",
        )
    return value


def _clean_exam(value: object) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or exam_by_code(value) is None:
        raise rules.InvalidInput(
            "invalid_exam", _l("Unknown exam: give an IPA exam code such as FE."), field="exam_code"
        )
    return value


def publish(data: MaterialData, actor: User, *, for_everyone: bool) -> Material:
    """A new material; a file is checked by content and stored under a generated name."""
    if not is_coordinator(actor):
        raise DomainError("forbidden", _l("You are not allowed to do this."), status=403)
    audience = (
        None if (for_everyone and is_regional_admin(actor)) else current_tenant_id(db.session)
    )
    material = Material(
        audience_municipality_id=audience,
        title=rules.text(data.title, "title", max_len=200),
        description=rules.text(
            data.description, "description", max_len=2000, required=False, lines=True
        ),
        skill_area_key=_clean_area(data.skill_area_key),
        exam_code=_clean_exam(data.exam_code),
        published_by_id=actor.id,
    )
    if data.upload:
        kind = files.sniff(data.upload, files.MATERIAL_KINDS)
        material.kind = MaterialKind.FILE
        material.file_kind = kind.key
        material.file_size = len(data.upload)
        material.original_filename = files.clean_filename(data.filename, kind)
        material.file_name = files.store(data.upload)
    elif data.url:
        material.kind = MaterialKind.LINK
        material.url = _clean_url(data.url)
    else:
        raise rules.InvalidInput(
            "missing_field", _l("Upload a file or give a web address."), field="file"
        )
    db.session.add(material)
    if audience is None:
        # The region's material is no member's: behind every member's wall (PostgreSQL).
        with all_tenants(db.session):
            db.session.flush()
    else:
        db.session.flush()
    _audit("material.publish", material, actor, after=_snapshot(material))
    return material


def _snapshot(m: Material) -> dict:
    return {
        "title": m.title,
        "kind": m.kind.value,
        "skill_area": m.skill_area_key,
        "exam": m.exam_code,
        "url": m.url,
        "file": m.original_filename,
        "file_kind": m.file_kind,
        "file_size": m.file_size,
        "audience": "all" if m.audience_municipality_id is None else m.audience_municipality_id,
    }


def _audit(action: str, m: Material, actor: User, **kw) -> None:
    """In the trail of the audience's municipality, or the publisher's for regional material."""
    owner = m.audience_municipality_id or actor.municipality_id
    if owner == current_tenant_id(db.session):
        record_audit(
            action,
            subject_type="material",
            subject_id=m.id,
            subject_label=m.title,
            actor=actor,
            **kw,
        )
        return
    with all_tenants(db.session):
        record_audit(
            action,
            subject_type="material",
            subject_id=m.id,
            subject_label=m.title,
            actor=actor,
            municipality_id=owner,
            **kw,
        )
        db.session.flush()


def may_delete(m: Material, user: User) -> bool:
    if is_regional_admin(user):
        return True
    return is_coordinator(user) and m.audience_municipality_id == user.municipality_id


def delete(m: Material, actor: User) -> str | None:
    """Remove the material; its stored file goes once the deletion commits (returned)."""
    if not may_delete(m, actor):
        raise DomainError("forbidden", _l("You may not delete this material."), status=403)
    _audit("material.delete", m, actor, before=_snapshot(m))
    stored = m.file_name
    db.session.delete(m)
    # may_delete decided: a regional administrator may delete any member's or the region's.
    with all_tenants(db.session):
        db.session.flush()
    files.remove_after_commit(stored)
    return stored


def load_material(material_id: int) -> Material | None:
    """The one load gate: a material the signed-in person's municipality may see."""
    if not current_user.is_authenticated or not 0 < material_id <= MAX_ID:
        return None
    # The checks below decide (the region's material is behind every member's wall).
    with all_tenants(db.session):
        m = db.session.get(Material, material_id)
    if m is None:
        return None
    if is_regional_admin(current_user):
        return m
    if m.audience_municipality_id not in (None, current_user.municipality_id):
        return None
    return m


def listing(skill_area: str | None = None, exam: str | None = None):
    """What the signed-in person may see (administrators: everything), with the filters."""
    stmt = Material.visible_to(
        None if is_regional_admin(current_user) else current_user.municipality_id
    )
    if skill_area:
        stmt = stmt.where(Material.skill_area_key == skill_area)
    if exam:
        stmt = stmt.where(Material.exam_code == exam)
    # visible_to is the filter (the region's material is behind every member's wall).
    return stmt.execution_options(all_tenants=True)
