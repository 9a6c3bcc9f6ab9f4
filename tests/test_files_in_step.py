"""Stored files move in step with the rows that name them.

A new file has a temporary key until its row commits (a rollback removes it); a file a
change stops naming (a replaced scan, a deleted material) goes only after that change
commits (a failed commit keeps it). ``flask files sweep`` finishes interrupted moves and
removes old orphans; ``flask files check`` lists rows whose file is missing.
"""

from __future__ import annotations

import os
import time
from datetime import date

import pytest
from sqlalchemy import event

from regional.extensions import db
from regional.growth import files, materials, qualifications
from regional.growth.models import Material, MaterialKind, Qualification
from regional.people.models import User
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import fixtures_files as ff


@pytest.fixture
def place(app, tmp_path, monkeypatch):
    """A files folder of the test's own (the local back end), empty at the start."""
    monkeypatch.setitem(app.config, "GROWTH_FILES_DIR", str(tmp_path / "files"))
    with app.app_context():
        yield files.storage()
        db.session.remove()


def keys(place) -> set[str]:
    return {obj.key for obj in place.list()}


class FailingCommit:
    """Make the session's next commit fail (as a lost connection or a constraint would)."""

    def __init__(self):
        self.session = db.session()

    def _fail(self, session):
        raise RuntimeError("the commit failed")

    def __enter__(self):
        event.listen(self.session, "before_commit", self._fail)
        return self

    def __exit__(self, *exc):
        event.remove(self.session, "before_commit", self._fail)


def _scan(world, data: bytes) -> Qualification:
    with acting_as(db.session, world.muni_a):
        employee = db.session.get(User, world.employee_a)
        q = qualifications.record_pass(
            employee,
            qualifications.PassData("FE", date(2025, 11, 20), "FE-1"),
            employee,
        )
        qualifications.attach_scan(q, data, "scan.png")
        db.session.commit()
    return q


# -- temporary name, then moved into place ------------------------------------------------


def test_a_new_file_takes_its_own_key_only_when_its_row_commits(place):
    name = files.store(b"notes")
    assert keys(place) == {f"{name}.pending"}  # not yet where a row would look for it
    assert files.read(name) == b"notes"  # the transaction that stored it reads it
    db.session.commit()
    assert keys(place) == {name}
    assert files.read(name) == b"notes"


def test_a_rollback_removes_the_temporary_file(place):
    name = files.store(b"notes")
    db.session.rollback()
    assert keys(place) == set()
    assert files.read(name) is None


def test_a_session_closed_without_commit_removes_the_temporary_file(place):
    files.store(b"notes")
    db.session.remove()  # a request that failed before its commit
    assert keys(place) == set()


# -- deleted only after the commit --------------------------------------------------------


def test_a_replaced_scan_goes_only_after_the_commit(place, world):
    q = _scan(world, ff.png())
    old = q.scan_name
    with acting_as(db.session, world.muni_a):
        qualifications.attach_scan(q, ff.jpeg(), "new.jpg")
        new = q.scan_name
        assert files.read(old) == ff.png()  # still there while the change is open
        db.session.commit()
    assert files.read(old) is None
    assert files.read(new) == ff.jpeg()
    assert keys(place) == {new}


def test_a_failed_commit_keeps_the_old_scan_and_drops_the_new_file(place, world):
    q = _scan(world, ff.png())
    old, qid = q.scan_name, q.id
    with acting_as(db.session, world.muni_a):
        qualifications.attach_scan(q, ff.jpeg(), "new.jpg")
        with FailingCommit(), pytest.raises(RuntimeError):
            db.session.commit()
        db.session.rollback()
        again = db.session.get(Qualification, qid)
        assert again.scan_name == old
    assert files.read(old) == ff.png()  # the row still names it, and it is there
    assert keys(place) == {old}  # the new scan's temporary file is gone


def test_a_deleted_material_keeps_its_file_until_the_deletion_commits(place, world):
    with acting_as(db.session, world.muni_admin):
        admin = db.session.get(User, world.admin)
        m = materials.publish(
            materials.MaterialData(title="消す資料", upload=ff.pdf(), filename="a.pdf"),
            admin,
            for_everyone=True,
        )
        db.session.commit()
        stored = m.file_name
        materials.delete(m, admin)
        db.session.rollback()  # the deletion did not happen
        assert files.read(stored) == ff.pdf()
        m = db.session.get(Material, m.id)
        materials.delete(m, admin)
        assert files.read(stored) == ff.pdf()  # not before the commit
        db.session.commit()
    assert files.read(stored) is None and keys(place) == set()


# -- the sweep and the check --------------------------------------------------------------


def _age(place, key: str, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(place.folder / key, (then, then))


def _material(name: str) -> Material:
    m = Material(
        audience_municipality_id=None,
        title=f"教材 {name[:6]}",
        kind=MaterialKind.FILE,
        file_name=name,
        file_kind="txt",
        file_size=5,
        original_filename="memo.txt",
    )
    with all_tenants(db.session):  # the region's material is behind every member's wall
        db.session.add(m)
        db.session.flush()
    return m


def test_the_sweep_finishes_moves_and_removes_only_old_orphans(app, place):
    kept = "a" * 32
    place.put(kept, b"named")
    _material(kept)
    interrupted = "b" * 32  # its row committed, the machine died before the move
    place.put(files.pending_key(interrupted), b"late")
    _material(interrupted)
    orphan, young_orphan = "c" * 32, "d" * 32  # rows deleted, files left behind
    place.put(orphan, b"x")
    place.put(young_orphan, b"x")
    rolled_back = files.pending_key("e" * 32)  # an upload whose machine died before commit
    place.put(rolled_back, b"x")
    half_written = f"{'f' * 32}.pending.0123abcd.part"
    (place.folder / half_written).write_bytes(b"x")
    (place.folder / "README").write_text("not ours")
    for key in (kept, files.pending_key(interrupted), orphan, rolled_back, half_written):
        _age(place, key, 25)
    _age(place, young_orphan, 23)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["files", "sweep"])
    assert result.exit_code == 0, result.output
    assert "1 moved into place, 3 removed, 1 unnamed but younger than 24 h kept" in result.output
    assert f"removed: {orphan}" in result.output
    assert keys(place) == {kept, interrupted, young_orphan, "README"}
    assert files.read(interrupted) == b"late"

    again = app.test_cli_runner().invoke(args=["files", "sweep", "--older-than-hours", "1"])
    assert again.exit_code == 0, again.output
    assert keys(place) == {kept, interrupted, "README"}


def test_the_check_lists_rows_whose_file_is_missing(app, place):
    present, pending, lost = "1" * 32, "2" * 32, "3" * 32
    place.put(present, b"x")
    place.put(files.pending_key(pending), b"x")  # readable: not missing
    for name in (present, pending):
        _material(name)
    db.session.commit()
    ok = app.test_cli_runner().invoke(args=["files", "check"])
    assert ok.exit_code == 0, ok.output

    m = _material(lost)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["files", "check"])
    assert result.exit_code == 1
    assert f"missing: materials id {m.id} (all members): file {lost}" in result.output
    assert "1 row(s) name a file missing" in result.output
