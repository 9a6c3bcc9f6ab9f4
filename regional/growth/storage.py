"""Where uploaded files live: one small interface, two back ends (``FILES_STORAGE``).

* ``local`` (default): the folder ``GROWTH_FILES_DIR`` on this machine (embedded use,
  one application machine, backed up by ``flask backup`` with the database);
* ``s3``: a bucket of an S3-compatible object store (``FILES_S3_BUCKET``, optionally
  ``FILES_S3_ENDPOINT_URL`` for a store other than AWS, ``FILES_S3_PREFIX`` and
  ``FILES_S3_REGION``; credentials from the usual AWS environment variables or files),
  which several application machines share.

Keys are chosen by :mod:`regional.growth.files` (generated names, never a user's);
this module only keeps bytes under them. Every operation is on one whole object:
``put`` replaces atomically (the local back end writes a ``.part`` file and renames it),
``move`` renames (the object store copies, then deletes the source).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app

_EXTENSION = "regional_files_storage"


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime  # aware, UTC


class Storage(Protocol):
    """What the platform needs of a place for files."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def move(self, source: str, target: str) -> None: ...

    def list(self) -> Iterator[StoredObject]: ...

    def describe(self) -> str: ...


class LocalStorage:
    """A folder of this machine."""

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, key: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / key

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        tmp = target.with_name(f"{key}.{secrets.token_hex(4)}.part")
        tmp.write_bytes(data)
        tmp.replace(target)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def move(self, source: str, target: str) -> None:
        self._path(source).replace(self._path(target))

    def list(self) -> Iterator[StoredObject]:
        if not self.folder.is_dir():
            return
        with os.scandir(self.folder) as entries:
            for entry in entries:
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # removed while we looked
                    continue
                modified = datetime.fromtimestamp(st.st_mtime, UTC)
                yield StoredObject(entry.name, st.st_size, modified)

    def describe(self) -> str:
        return str(self.folder)


class S3Storage:
    """A bucket (and key prefix) of an S3-compatible object store, through boto3."""

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ):
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            config=BotoConfig(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    @staticmethod
    def _absent(exc: Exception) -> bool:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        return code in {"NoSuchKey", "404", "NotFound"}

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._absent(exc):
                return None
            raise
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if self._absent(exc):
                return False
            raise
        return True

    def move(self, source: str, target: str) -> None:
        self.client.copy_object(
            Bucket=self.bucket,
            Key=self._key(target),
            CopySource={"Bucket": self.bucket, "Key": self._key(source)},
        )
        self.delete(source)

    def list(self) -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                key = item["Key"][len(self.prefix) :]
                if "/" in key:
                    continue  # not ours: a deeper "folder" under the prefix
                yield StoredObject(key, item["Size"], item["LastModified"].astimezone(UTC))

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}{where}"


def build(config) -> Storage:
    """The back end the settings name (``FILES_STORAGE``)."""
    kind = (config.get("FILES_STORAGE") or "local").strip().lower()
    if kind == "local":
        folder = config.get("GROWTH_FILES_DIR")
        return LocalStorage(Path(folder) if folder else Path(current_app.instance_path) / "files")
    if kind == "s3":
        bucket = config.get("FILES_S3_BUCKET")
        if not bucket:
            raise RuntimeError("FILES_STORAGE=s3 needs FILES_S3_BUCKET (see README: Settings)")
        return S3Storage(
            bucket,
            prefix=config.get("FILES_S3_PREFIX") or "",
            endpoint_url=config.get("FILES_S3_ENDPOINT_URL"),
            region=config.get("FILES_S3_REGION"),
        )
    raise RuntimeError(f"FILES_STORAGE must be local or s3, not {kind!r} (see README: Settings)")


def check_settings(app: Flask) -> None:
    """At start-up: refuse settings that name no usable back end (never a 500 later)."""
    kind = (app.config.get("FILES_STORAGE") or "local").strip().lower()
    if kind not in {"local", "s3"}:
        raise RuntimeError(
            f"FILES_STORAGE must be local or s3, not {kind!r} (see README: Settings)"
        )
    if kind == "s3" and not app.config.get("FILES_S3_BUCKET"):
        raise RuntimeError("FILES_STORAGE=s3 needs FILES_S3_BUCKET (see README: Settings)")


def storage() -> Storage:
    """This application's back end (one per process, built on first use)."""
    app = current_app._get_current_object()
    cached = app.extensions.get(_EXTENSION)
    signature = (
        app.config.get("FILES_STORAGE"),
        app.config.get("GROWTH_FILES_DIR"),
        app.config.get("FILES_S3_BUCKET"),
        app.config.get("FILES_S3_PREFIX"),
        app.config.get("FILES_S3_ENDPOINT_URL"),
    )
    if cached is None or cached[0] != signature:  # tests change the settings between runs
        cached = (signature, build(app.config))
        app.extensions[_EXTENSION] = cached
    return cached[1]
