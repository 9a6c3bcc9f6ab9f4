"""A backup restores: the database and the uploaded files, into a new place, and they work.

A populated database of its own (tests/fixtures_populated.py: a certificate, a learning
material and a qualification scan with their files) is backed up with ``flask backup``
and restored with ``flask restore`` into a new database (a new SQLite file, or a new
PostgreSQL database) and a new files folder. The restored platform answers the public
certificate check and serves both files; every table has the rows it had.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import tarfile
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from regional.backup import FILES_TAR, MANIFEST, client_program
from regional.extensions import db
from tenants.rls import lift_wall
from tests import factories
from tests.conftest import CODE_A, CODE_ADMIN, CODE_B, PASSWORD, Client
from tests.fixtures_databases import own_database
from tests.fixtures_populated import populate

pytestmark = pytest.mark.real_commits


def _counts(owner) -> dict[str, int]:
    with owner.begin() as conn:
        if conn.dialect.name == "postgresql":
            lift_wall(conn)
        names = set(inspect(conn).get_table_names()) - {"sqlite_stat1", "sqlite_stat4"}
        return {n: conn.execute(text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}


@pytest.fixture
def source(owner_database_url, tmp_path):
    with own_database(owner_database_url, tmp_path, "backup_src", plain_owner=True) as (
        app,
        owner,
    ):
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
            made = populate(world)
            db.session.commit()
            db.session.remove()
        yield app, owner, world, made


def _run(app, *args: str):
    """The command as cron runs it (``flask`` pushes an app context for it)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _signed_in(app, email: str) -> Client:
    app.test_client_class = Client
    client = app.test_client()
    assert client.login(email).status_code == 302
    return client


def test_a_backup_restores_into_a_new_place_and_works(source, owner_database_url, tmp_path):
    app, owner, world, made = source
    before = _counts(owner)
    folder = tmp_path / "backup-1"
    result = _run(app, "backup", str(folder))
    assert result.exit_code == 0, result.output
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["missing_files"] == []
    assert len(manifest["files"]) == 2  # the material and the scan
    assert {n: c for n, c in before.items() if n != "alembic_version"} == manifest["tables"]
    # Consistent with the dump: a second backup folder is refused, nothing overwritten.
    assert _run(app, "backup", str(folder)).exit_code != 0

    with own_database(owner_database_url, tmp_path, "backup_dst", plain_owner=True) as (
        restored,
        new_owner,
    ):
        result = _run(restored, "restore", str(folder))
        assert result.exit_code == 0, result.output
        assert _counts(new_owner) == before
        # The public check of a certificate, with no sign-in.
        code = made["certificate_code"]
        restored.test_client_class = Client  # each request in its own context, as in a worker
        answer = restored.test_client().get(f"/api/v1/certificates/{code}")
        assert answer.status_code == 200 and answer.get_json()["valid"] is True
        # A learning material and a qualification scan, downloaded from the new files folder.
        employee = _signed_in(restored, world.emails["employee_a"])
        got = employee.get(f"/growth/materials/{made['material_id']}/download")
        assert got.status_code == 200 and got.data == made["material_bytes"]
        coordinator = _signed_in(restored, world.emails["coordinator_a"])
        scan = coordinator.get(f"/growth/qualifications/{made['qualification_id']}/scan")
        assert scan.status_code == 200 and scan.data == made["scan_bytes"]
        # Restoring again over it is refused: a restore writes into a new place only.
        again = _run(restored, "restore", str(folder))
        assert again.exit_code != 0
        assert _counts(new_owner) == before


def test_a_file_named_by_a_row_but_gone_is_reported(source, tmp_path):
    app, owner, world, made = source
    from pathlib import Path

    files_dir = Path(app.config["GROWTH_FILES_DIR"])
    with owner.connect() as conn:
        name = conn.execute(
            text("SELECT file_name FROM materials WHERE id = :id"), {"id": made["material_id"]}
        ).scalar_one()
    (files_dir / name).unlink()
    folder = tmp_path / "backup-2"
    result = _run(app, "backup", str(folder))
    assert result.exit_code != 0
    assert name in result.output and "missing" in result.output
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["missing_files"] == [name]
    with tarfile.open(folder / FILES_TAR) as tar:
        assert [m.name for m in tar] == [f"files/{n}" for n in manifest["files"]]


def test_a_sqlite_backup_is_consistent_while_the_application_writes(source, tmp_path):
    app, owner, world, made = source
    if owner.dialect.name != "sqlite":
        pytest.skip("SQLite's backup API (PostgreSQL: pg_dump reads one snapshot)")
    stop = threading.Event()

    def write() -> None:
        with owner.connect() as conn:
            n = 0
            while not stop.is_set():
                n += 1
                conn.execute(
                    text(
                        "INSERT INTO login_throttle (key, failures, last_failure_at, "
                        "window_started_at) VALUES (:k, 1, :t, :t)"
                    ),
                    {"k": f"addr:test-{n}", "t": datetime.now(UTC).replace(tzinfo=None)},
                )
                conn.commit()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        folder = tmp_path / "backup-3"
        assert _run(app, "backup", str(folder)).exit_code == 0
    finally:
        stop.set()
        writer.join()
    copy = sqlite3.connect(folder / "database.sqlite3")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        assert (
            copy.execute("SELECT count(*) FROM login_throttle").fetchone()[0]
            == (manifest["tables"]["login_throttle"])
        )
    finally:
        copy.close()


def test_the_postgresql_client_matches_the_server(owner_database_url):
    if not owner_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    from sqlalchemy import create_engine

    engine = create_engine(owner_database_url)
    with engine.connect() as conn:
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    engine.dispose()
    for name in ("pg_dump", "pg_restore"):
        program = client_program(name, version)
        said = subprocess.run([program, "--version"], capture_output=True, text=True).stdout
        assert int(re.search(r"(\d+)", said).group(1)) == version // 10000, said


def test_the_runtime_role_may_not_make_a_backup(source, tmp_path, monkeypatch):
    """It might not read every member's rows: only the tables' owner backs up."""
    app, owner, world, made = source
    if owner.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's roles")
    monkeypatch.setitem(app.config, "MIGRATION_DATABASE_URL", None)
    folder = tmp_path / "backup-4"
    result = _run(app, "backup", str(folder))
    assert result.exit_code != 0 and "MIGRATION_DATABASE_URL" in result.output
    assert not folder.exists()
