"""The region's member list is data: load it from a TOML file, idempotently."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.codes import is_valid_code
from tenants.models import Municipality, MunicipalityKind


class RegionFileError(ValueError):
    """The member list is malformed; nothing was loaded."""


@dataclass(frozen=True)
class MemberSpec:
    code: str
    name_ja: str
    name_en: str
    kind: MunicipalityKind
    coordinating: bool
    population: int | None
    email_domains: tuple[str, ...]


def read_region_file(path: str | Path) -> list[MemberSpec]:
    """Parse and validate the whole file before anything touches the database."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    members, errors = [], []
    for i, raw in enumerate(data.get("municipality", []), start=1):
        code = str(raw.get("code", ""))
        if not is_valid_code(code):
            errors.append(f"member {i}: {code!r} is not a valid local-government code")
            continue
        try:
            kind = MunicipalityKind(raw.get("kind", "city"))
        except ValueError:
            errors.append(f"member {i}: unknown kind {raw.get('kind')!r}")
            continue
        if not raw.get("name_ja") or not raw.get("name_en"):
            errors.append(f"member {i}: name_ja and name_en are required")
            continue
        members.append(
            MemberSpec(
                code=code,
                name_ja=raw["name_ja"],
                name_en=raw["name_en"],
                kind=kind,
                coordinating=bool(raw.get("coordinating", False)),
                population=raw.get("population"),
                email_domains=tuple(d.lower() for d in raw.get("email_domains", [])),
            )
        )
    codes = [m.code for m in members]
    if len(codes) != len(set(codes)):
        errors.append("a code appears twice")
    if sum(m.coordinating for m in members) != 1:
        errors.append("exactly one member must be the coordinating municipality")
    if errors:
        raise RegionFileError("; ".join(errors))
    return members


def load_region(session: Session, path: str | Path) -> tuple[int, int]:
    """Insert or update every member; returns (created, updated). Safe to run again."""
    members = read_region_file(path)
    existing = {m.code: m for m in session.scalars(select(Municipality))}
    created = updated = 0
    for spec in members:
        row = existing.get(spec.code)
        values = dict(
            name_ja=spec.name_ja,
            name_en=spec.name_en,
            kind=spec.kind,
            coordinating=spec.coordinating,
            population=spec.population,
            email_domains=list(spec.email_domains),
        )
        if row is None:
            session.add(Municipality(code=spec.code, **values))
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            updated += 1
    session.flush()
    return created, updated
