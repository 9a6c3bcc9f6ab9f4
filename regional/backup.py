"""Backups: the database and the uploaded files, together and consistent (``flask backup``,
``flask restore``; README: Running in production, step 9).

A backup is a folder:

* ``database.dump``: PostgreSQL, ``pg_dump -Fc`` as the tables' owner
  (``MIGRATION_DATABASE_URL``), reading every member's rows as migrations do
  (``app.all_tenants``; the tables force row-level security on their owner too);
  or ``database.sqlite3``: SQLite, through its backup API (a consistent copy while
  the application writes);
* ``files.tar``: the uploaded files the dump's rows refer to, read after the dump from
  the configured storage (``GROWTH_FILES_DIR``, or the object store's bucket). Files are written before their row commits and deleted only after
  it, so every row in the dump finds its file unless the row was deleted since: such a
  file is reported missing (and the command fails), never silently left out;
* ``manifest.json``: when, the schema revision, the row count of every table and the
  size and SHA-256 of every file, read in the dump's own snapshot. ``restore`` checks
  the restored database and files against it.

``restore`` writes into a new place only: an empty PostgreSQL database (as its owner,
with ``pg_restore``) or a SQLite file that does not exist yet, and a files folder (or
bucket) that holds none of the backup's files with other contents.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import column as column_
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy import table as table_
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

MANIFEST = "manifest.json"
FILES_TAR = "files.tar"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
FORMAT = 1

#: Where rows name a stored file (``regional.growth.files``): table, column.
FILE_COLUMNS = (("materials", "file_name"), ("qualifications", "scan_name"))
_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
#: Tables that are not the platform's data.
_SKIPPED = {"sqlite_stat1", "sqlite_stat4", "sqlite_sequence"}


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; nothing half-done is left as if complete."""


@dataclass
class Snapshot:
    """What the dump holds, read in its own snapshot."""

    revision: str | None
    tables: dict[str, int]
    files: list[str]


@dataclass
class Report:
    folder: Path
    snapshot: Snapshot
    stored: dict[str, dict] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


# -- reading a database ------------------------------------------------------------------


def owner_url() -> str:
    """The tables' owner: it reads and restores every row (runtime role: never)."""
    cfg = current_app.config
    return cfg.get("MIGRATION_DATABASE_URL") or cfg["SQLALCHEMY_DATABASE_URI"]


def _lift_the_wall(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT set_config('app.all_tenants', 'on', true)")


def read_snapshot(conn: Connection) -> Snapshot:
    """Row counts of every table, the schema revision and the stored files named by rows."""
    _lift_the_wall(conn)
    names = sorted(set(inspect(conn).get_table_names()) - _SKIPPED)
    tables = {
        n: conn.execute(select(func.count()).select_from(table_(n))).scalar_one() for n in names
    }
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        del tables["alembic_version"]
    files: set[str] = set()
    for name, column in FILE_COLUMNS:
        if name in tables:
            named = column_(column)
            files.update(
                conn.execute(
                    select(named).select_from(table_(name)).where(named.is_not(None))
                ).scalars()
            )
    return Snapshot(revision, tables, sorted(files))


# -- PostgreSQL client programs ----------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def client_program(name: str, server_version_num: int) -> str:
    """``pg_dump``/``pg_restore`` of the server's major version (Debian installs each
    version's under /usr/lib/postgresql/<major>/bin); else the one on PATH if not older."""
    major = server_version_num // 10000
    for candidate in (f"/usr/lib/postgresql/{major}/bin/{name}", shutil.which(name)):
        if candidate and Path(candidate).is_file():
            found = subprocess.run(  # noqa: S603 - a fixed program, no shell
                [candidate, "--version"], capture_output=True, text=True, check=False
            ).stdout
            match = re.search(r"(\d+)(?:\.\d+)?", found)
            if match and int(match.group(1)) >= major:
                return candidate
    raise BackupError(
        f"{name} for PostgreSQL {major} is not installed: "
        f"apt-get install postgresql-client-{major} (scripts/ensure-system does)"
    )


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


# -- backup ------------------------------------------------------------------------------


def _check_owner(conn: Connection) -> None:
    """Only the tables' owner (or a superuser) is sure to read every row: the runtime role
    must never be trusted to make a whole backup."""
    others = conn.execute(
        text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> "
            "current_user AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
        )
    ).scalar_one()
    if others:
        raise BackupError(
            "back up as the tables' owner: set MIGRATION_DATABASE_URL (README: Running in "
            "production, step 9)"
        )


def _dump_postgres(url: str, target: Path) -> Snapshot:
    """``pg_dump -Fc`` in a snapshot exported by a transaction that reads the same rows."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                _check_owner(conn)
                version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
                uri, env = _libpq(url)
                # Every member's rows: the tables force row-level security on their owner.
                env["PGOPTIONS"] = (env.get("PGOPTIONS", "") + " -c app.all_tenants=on").strip()
                _run(
                    [
                        client_program("pg_dump", version),
                        "--format=custom",
                        "--enable-row-security",
                        f"--snapshot={snapshot_id}",
                        f"--file={target}",
                        f"--dbname={uri}",
                    ],
                    env,
                )
                return read_snapshot(conn)
    finally:
        engine.dispose()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def _dump_sqlite(url: str, target: Path) -> Snapshot:
    """SQLite's backup API: a consistent copy while the application reads and writes."""
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    engine = create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return read_snapshot(conn)
    finally:
        engine.dispose()


def files_place() -> str:
    """Where the files are (GROWTH_FILES_DIR, or the object store's bucket)."""
    from regional.growth import files

    return files.storage().describe()


def _tar_files(names: list[str], target: Path) -> tuple[dict[str, dict], list[str]]:
    """The named files, read now (after the dump) through the configured storage (the local
    folder or the object store); those gone are reported, not invented."""
    from regional.growth import files

    stored: dict[str, dict] = {}
    missing: list[str] = []
    with tarfile.open(target, "w") as tar:
        for name in names:
            data = files.read(name) if _STORED_NAME.match(name) else None
            if data is None:
                missing.append(name)
                continue
            info = tarfile.TarInfo(f"files/{name}")
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
            stored[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return stored, missing


def backup(folder: Path) -> Report:
    """Write a backup into ``folder`` (created; it must not exist)."""
    try:
        folder.mkdir(parents=True)
    except FileExistsError as exc:
        raise BackupError(f"{folder} exists: give a new folder for each backup") from exc
    url = owner_url()
    postgres = make_url(url).get_backend_name() == "postgresql"
    try:
        if postgres:
            snapshot = _dump_postgres(url, folder / PG_DUMP)
        else:
            snapshot = _dump_sqlite(url, folder / SQLITE_COPY)
        stored, missing = _tar_files(snapshot.files, folder / FILES_TAR)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing that looks like a backup
        raise
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if postgres else "sqlite",
        "revision": snapshot.revision,
        "tables": snapshot.tables,
        "files": stored,
        "missing_files": missing,
    }
    (folder / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True), encoding="utf-8"
    )
    return Report(folder, snapshot, stored, missing)


# -- restore -----------------------------------------------------------------------------


def _manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} holds no readable {MANIFEST}: is it a backup?") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


@contextmanager
def _connection(url: str) -> Iterator[Connection]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _restore_postgres(folder: Path, url: str) -> None:
    with _connection(url) as conn:
        if set(inspect(conn).get_table_names()):
            raise BackupError("the target database has tables: restore into a new, empty one")
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    uri, env = _libpq(url)
    _run(
        [
            client_program("pg_restore", version),
            "--no-owner",  # the restoring role (the new database's owner) owns everything
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={uri}",
            str(folder / PG_DUMP),
        ],
        env,
    )


def _restore_sqlite(folder: Path, url: str) -> None:
    target = _sqlite_path(url)
    if target.exists() and target.stat().st_size > 0:
        raise BackupError(f"{target} exists: restore into a new SQLite file")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(folder / SQLITE_COPY)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def _restore_files(folder: Path, manifest: dict) -> int:
    """Unpack the files into the configured storage; a different file of the same name refuses."""
    from regional.growth import files

    place = files.storage()
    expected = manifest.get("files", {})
    written = 0
    with tarfile.open(folder / FILES_TAR) as tar:
        for member in tar:
            name = member.name.removeprefix("files/")
            if not member.isfile() or not _STORED_NAME.match(name) or name not in expected:
                raise BackupError(f"unexpected entry in {FILES_TAR}: {member.name!r}")
            data = tar.extractfile(member).read()
            if hashlib.sha256(data).hexdigest() != expected[name]["sha256"]:
                raise BackupError(f"{name} in {FILES_TAR} does not match the manifest")
            there = place.get(name)
            if there is not None:
                if hashlib.sha256(there).hexdigest() != expected[name]["sha256"]:
                    raise BackupError(
                        f"{name} exists in {place.describe()} with other contents: restore "
                        "into a new folder (or bucket)"
                    )
                continue
            place.put(name, data)  # whole or not at all
            written += 1
    return written


def restore(folder: Path) -> tuple[dict, Snapshot, int]:
    """Restore the backup in ``folder`` into the configured (new) database and files folder,
    then check both against its manifest."""
    manifest = _manifest(folder)
    url = owner_url()
    postgres = make_url(url).get_backend_name() == "postgresql"
    if manifest["database"] != ("postgresql" if postgres else "sqlite"):
        raise BackupError(
            f"a {manifest['database']} backup restores into a {manifest['database']} database"
        )
    if postgres:
        _restore_postgres(folder, url)
    else:
        _restore_sqlite(folder, url)
    written = _restore_files(folder, manifest)
    with _connection(url) as conn:
        restored = read_snapshot(conn)
    if restored.tables != manifest["tables"] or restored.revision != manifest["revision"]:
        differ = sorted(
            n
            for n in set(restored.tables) | set(manifest["tables"])
            if restored.tables.get(n) != manifest["tables"].get(n)
        )
        raise BackupError(f"the restored database differs from the backup's manifest: {differ}")
    return manifest, restored, written


# -- commands ----------------------------------------------------------------------------


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Back up the database and the uploaded files into FOLDER (new; for cron, nightly)."""
    report = backup(folder)
    rows = sum(report.snapshot.tables.values())
    click.echo(
        f"backup in {report.folder}: {len(report.snapshot.tables)} tables, {rows} rows, "
        f"{len(report.stored)} files, schema {report.snapshot.revision}"
    )
    if report.missing:
        raise BackupError(
            f"{len(report.missing)} file(s) named by the database are missing from "
            f"{files_place()}: {', '.join(report.missing)} (listed in {MANIFEST}; the rest is "
            "backed up)"
        )


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(folder: Path) -> None:
    """Restore a backup from FOLDER into a new database and files folder, and check it."""
    manifest, restored, written = restore(folder)
    click.echo(
        f"restored {sum(restored.tables.values())} rows in {len(restored.tables)} tables "
        f"(schema {restored.revision}) and {written} files; they match the backup of "
        f"{manifest['created_at']}"
    )
    if manifest.get("missing_files"):
        click.echo(
            f"note: the backup lacked {len(manifest['missing_files'])} file(s) its rows name: "
            + ", ".join(manifest["missing_files"]),
            err=True,
        )
