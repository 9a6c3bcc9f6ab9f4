"""The object-store back end (``FILES_STORAGE=s3``) against a real S3 endpoint over HTTP.

The same contract as the local folder, the same life in step with the rows (temporary
key until the commit, gone on rollback), uploads and downloads through the pages, the
sweep, and ``flask backup``/``restore`` copying the bucket's objects.
"""

from __future__ import annotations

import io
import socket
import tarfile
from datetime import timedelta

import boto3
import pytest

from regional import backup
from regional.extensions import db
from regional.fiscal import now_utc
from regional.growth import files, storage, upkeep
from regional.growth.models import Material, MaterialKind
from tests import fixtures_files as ff
from tests.factories import add_lifted
from tests.fixtures_s3 import make_bucket, s3_endpoint, s3_settings  # noqa: F401  (fixtures)


@pytest.fixture
def on_s3(app, s3_settings, monkeypatch):  # noqa: F811
    for key, value in s3_settings.items():
        monkeypatch.setitem(app.config, key, value)
    with app.app_context():
        yield files.storage()
        db.session.remove()


def _bucket_keys(settings) -> set[str]:
    client = boto3.client("s3", endpoint_url=settings["FILES_S3_ENDPOINT_URL"])
    listed = client.list_objects_v2(Bucket=settings["FILES_S3_BUCKET"])
    return {item["Key"] for item in listed.get("Contents", ())}


@pytest.fixture(params=["local", "s3"])
def any_storage(request, tmp_path, s3_endpoint):  # noqa: F811
    if request.param == "local":
        return storage.LocalStorage(tmp_path / "files")
    return storage.S3Storage(make_bucket(s3_endpoint), prefix="p", endpoint_url=s3_endpoint)


def test_both_back_ends_keep_the_same_contract(any_storage):
    place = any_storage
    assert place.get("a" * 32) is None and not place.exists("a" * 32)
    place.put("a" * 32 + ".pending", b"one")
    place.move("a" * 32 + ".pending", "a" * 32)
    assert place.get("a" * 32) == b"one" and place.exists("a" * 32)
    assert not place.exists("a" * 32 + ".pending")
    place.put("a" * 32, b"two")  # replaced whole
    listed = {obj.key: obj for obj in place.list()}
    assert set(listed) == {"a" * 32}
    assert listed["a" * 32].size == 3
    assert abs(listed["a" * 32].modified - now_utc()) < timedelta(minutes=5)
    place.delete("a" * 32)
    place.delete("a" * 32)  # deleting what is gone is no error
    assert list(place.list()) == []


def test_settings_that_name_no_back_end_refuse_to_start(app):
    from flask import Flask

    for settings in ({"FILES_STORAGE": "s3"}, {"FILES_STORAGE": "ftp"}):
        bad = Flask("bad")
        bad.config.update(settings)
        with pytest.raises(RuntimeError, match="FILES_"):
            storage.check_settings(bad)


def test_a_file_on_s3_takes_its_key_when_its_row_commits(on_s3, s3_settings):  # noqa: F811
    name = files.store(b"notes")
    assert _bucket_keys(s3_settings) == {f"uploads/{name}.pending"}
    assert files.read(name) == b"notes"
    db.session.commit()
    assert _bucket_keys(s3_settings) == {f"uploads/{name}"}
    gone = files.store(b"rolled back")
    db.session.rollback()
    assert _bucket_keys(s3_settings) == {f"uploads/{name}"}
    assert files.read(gone) is None


def test_a_material_is_uploaded_and_downloaded_through_the_bucket(
    on_s3,
    s3_settings,  # noqa: F811
    as_admin,
    signed_in,
    world,
    app,
):
    resp = as_admin.form_post(
        "/growth/materials",
        {"title": "S3 教材", "for_everyone": "y", "file": (io.BytesIO(ff.pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with app.app_context():
        m = db.session.query(Material).filter_by(title="S3 教材").one()
    assert _bucket_keys(s3_settings) == {f"uploads/{m.file_name}"}
    got = signed_in(world.emails["employee_b"]).get(f"/growth/materials/{m.id}/download")
    assert got.status_code == 200 and got.data == ff.pdf()
    assert as_admin.form_post(f"/growth/materials/{m.id}/delete").status_code == 302
    assert _bucket_keys(s3_settings) == set()


def test_the_sweep_works_on_the_bucket(on_s3, s3_settings):  # noqa: F811
    place = on_s3
    named, interrupted, orphan = "a" * 32, "b" * 32, "c" * 32
    place.put(named, b"x")
    place.put(files.pending_key(interrupted), b"late")
    place.put(orphan, b"x")
    place.put(files.pending_key("d" * 32), b"x")
    for name in (named, interrupted):
        add_lifted(
            Material(
                audience_municipality_id=None,
                title=name[:6],
                kind=MaterialKind.FILE,
                file_name=name,
                file_kind="txt",
                file_size=1,
            )
        )
    db.session.commit()
    young = upkeep.sweep()
    assert young.finished == [interrupted] and young.removed == [] and young.kept_young == 2
    later = upkeep.sweep(now=now_utc() + timedelta(days=2))
    assert sorted(later.removed) == [orphan, files.pending_key("d" * 32)]
    assert _bucket_keys(s3_settings) == {f"uploads/{named}", f"uploads/{interrupted}"}
    assert upkeep.missing_files() == []


def test_a_backup_copies_the_objects_and_restores_them_into_a_new_bucket(
    on_s3,
    s3_endpoint,  # noqa: F811
    app,
    monkeypatch,
    tmp_path,
):
    names = [files.store(b"first"), files.store(b"second")]
    db.session.commit()
    target = tmp_path / backup.FILES_TAR
    stored, missing = backup._tar_files([*names, "e" * 32], target)
    assert missing == ["e" * 32] and set(stored) == set(names)
    with tarfile.open(target) as tar:
        assert sorted(m.name for m in tar) == sorted(f"files/{n}" for n in names)
    monkeypatch.setitem(app.config, "FILES_S3_BUCKET", make_bucket(s3_endpoint))
    assert backup._restore_files(tmp_path, {"files": stored}) == 2
    assert files.read(names[0]) == b"first" and files.read(names[1]) == b"second"
    assert backup._restore_files(tmp_path, {"files": stored}) == 0  # the same: left alone


def test_the_object_store_away_answers_503_and_records_nothing(
    on_s3,
    s3_settings,  # noqa: F811
    as_admin,
    app,
    monkeypatch,
):
    resp = as_admin.form_post(
        "/growth/materials",
        {"title": "届く教材", "for_everyone": "y", "file": (io.BytesIO(ff.pdf()), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    with app.app_context():
        m = db.session.query(Material).filter_by(title="届く教材").one()
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setitem(app.config, "FILES_S3_ENDPOINT_URL", closed)
    monkeypatch.setitem(app.config, "PROPAGATE_TEST_ERRORS", False)
    got = as_admin.get(f"/growth/materials/{m.id}/download")
    assert got.status_code == 503 and got.headers["Retry-After"]
    resp = as_admin.form_post(
        "/growth/materials",
        {"title": "届かない教材", "for_everyone": "y", "file": (io.BytesIO(ff.pdf()), "b.pdf")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 503
    with app.app_context():
        assert db.session.query(Material).filter_by(title="届かない教材").count() == 0
