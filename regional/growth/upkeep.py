"""Keeping stored files and rows in step: ``flask files sweep`` (cron) and ``flask files check``.

``sweep`` (daily, or hourly: it is cheap) finishes what a machine that died left half done
and removes what no row needs, only once it is a day old (so an upload still on its way
to its commit is never touched):

* a temporary file (``<name>.pending``) whose row committed but was never moved into
  place is moved now (``finished``);
* a temporary file no row names (a rolled-back upload, a run that died before its commit),
  a leftover ``.part`` of a write cut short, and a stored file no row names (its row
  deleted by a run that died before removing it) are removed (``removed``).

Anything else in the storage (names the platform never writes) is left alone and counted.
``check`` lists the rows whose file is missing and exits 1 when there is any.
Both read every member's rows (the files belong to all of them).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from regional.cronlock import one_run_at_a_time
from regional.extensions import db
from regional.fiscal import now_utc
from regional.growth import files
from regional.growth.models import Material, Qualification
from tenants import all_tenants

log = logging.getLogger(__name__)

#: How old a file no row names must be before the sweep removes it.
GRACE = timedelta(days=1)
_STORED = re.compile(r"^[0-9a-f]{32}$")
_PENDING = re.compile(r"^([0-9a-f]{32})\.pending$")
_PART = re.compile(r"^[0-9a-f]{32}(\.pending)?(\.[0-9a-f]{8})?\.part$")


@dataclass(frozen=True)
class FileRow:
    table: str
    row_id: int
    municipality_id: int | None
    name: str


def file_rows() -> list[FileRow]:
    """Every row of every member that names a stored file."""
    with all_tenants(db.session):
        materials = db.session.execute(
            select(Material.id, Material.audience_municipality_id, Material.file_name)
            .where(Material.file_name.is_not(None))
            .order_by(Material.id)
            .execution_options(all_tenants=True)
        ).all()
        scans = db.session.execute(
            select(Qualification.id, Qualification.municipality_id, Qualification.scan_name)
            .where(Qualification.scan_name.is_not(None))
            .order_by(Qualification.id)
            .execution_options(all_tenants=True)
        ).all()
    return [FileRow("materials", *row) for row in materials] + [
        FileRow("qualifications", *row) for row in scans
    ]


@dataclass
class Sweep:
    finished: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_young: int = 0
    unknown: list[str] = field(default_factory=list)


def sweep(now: datetime | None = None, grace: timedelta = GRACE) -> Sweep:
    """Finish interrupted moves and remove orphans and temporary files older than ``grace``."""
    now = now or now_utc()
    place = files.storage()
    listed = list(place.list())  # before the rows: a file stored after this is not looked at
    named = {row.name for row in file_rows()}
    db.session.commit()  # end the read: nothing stays open while the storage is worked on
    present = {obj.key for obj in listed}
    out = Sweep()
    for obj in listed:
        old = now - obj.modified >= grace
        pending = _PENDING.match(obj.key)
        if pending and pending.group(1) in named:
            name = pending.group(1)
            if name not in present:
                try:
                    place.move(obj.key, name)
                except Exception:
                    if place.exists(name):
                        continue  # moved by its own commit meanwhile
                    raise
                out.finished.append(name)
            elif old:
                place.delete(obj.key)  # the file is in place already: a copy left behind
                out.removed.append(obj.key)
            continue
        if pending or _PART.match(obj.key) or (_STORED.match(obj.key) and obj.key not in named):
            if old:
                place.delete(obj.key)
                out.removed.append(obj.key)
            else:
                out.kept_young += 1
            continue
        if not _STORED.match(obj.key):
            out.unknown.append(obj.key)
    for name in out.finished:
        log.info("stored file moved into place by the sweep name=%s", name)
    for key in out.removed:
        log.info("stored file swept key=%s", key)
    return out


def missing_files() -> list[FileRow]:
    """Rows whose file is in neither its own place nor its temporary one."""
    rows = file_rows()
    db.session.commit()
    present = {obj.key for obj in files.storage().list()}
    return [
        row
        for row in rows
        if row.name not in present and files.pending_key(row.name) not in present
    ]


files_cli = AppGroup("files", help="Uploaded files (learning materials, certificate scans).")


@files_cli.command("sweep")
@click.option(
    "--older-than-hours",
    default=24,
    show_default=True,
    type=click.IntRange(1, 24 * 365),
    help="Remove orphans and temporary files only when at least this old.",
)
@one_run_at_a_time("files-sweep")
def sweep_command(older_than_hours: int) -> None:
    """Finish interrupted uploads; remove files no row names and old temporary files (cron)."""
    result = sweep(grace=timedelta(hours=older_than_hours))
    click.echo(
        f"files in {files.storage().describe()}: {len(result.finished)} moved into place, "
        f"{len(result.removed)} removed, {result.kept_young} unnamed but younger than "
        f"{older_than_hours} h kept"
        + (f", {len(result.unknown)} of unknown names left alone" if result.unknown else "")
    )
    for name in result.finished:
        click.echo(f"moved into place: {name}")
    for key in result.removed:
        click.echo(f"removed: {key}")


@files_cli.command("check")
def check_command() -> None:
    """List rows whose stored file is missing; exit 1 when there is any."""
    missing = missing_files()
    for row in missing:
        owner = "all members" if row.municipality_id is None else f"member {row.municipality_id}"
        click.echo(f"missing: {row.table} id {row.row_id} ({owner}): file {row.name}")
    if missing:
        raise click.ClickException(
            f"{len(missing)} row(s) name a file missing from {files.storage().describe()}"
        )
    click.echo(f"every stored file named by a row is in {files.storage().describe()}")
