"""Uploaded files (learning materials, certificate scans): checked by content, stored under
generated names outside the static folder, read back only to be sent as downloads.

A file is accepted only when its bytes are one of the allowed kinds, whatever its
name or declared type says:

* PDF: ``%PDF-`` at the start, ``%%EOF`` at the very end, readable by pypdf within bounds,
  and no active content (JavaScript, automatic and open actions, launch actions, embedded
  files, XFA forms, rich media) in any object, object streams and filter chains included
  (see pdf_check.py);
* PNG: the signature, then well-formed chunks up to ``IEND`` and nothing after it;
* JPEG: ``FF D8 FF`` at the start and ``FF D9`` at the end;
* XLSX, DOCX, PPTX: a zip starting at byte 0 and ending with its directory, bounded in
  entries and unpacked size, with ``[Content_Types].xml`` and the main part of that kind,
  and no macros (``vbaProject.bin``) or ActiveX;
* plain text: UTF-8 without control characters, not markup.

Any kind is refused when it carries HTML or SVG markup a browser could sniff (a
polyglot). Files are served with ``Content-Disposition: attachment``, ``nosniff``
and a sandboxing CSP (see downloads.py), so even a file that slipped through would
not run on the platform's origin.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from regional.errors import DomainError, StorageUnavailable
from regional.extensions import db
from regional.growth.pdf_check import PdfProblem, check_pdf
from regional.growth.storage import Storage
from regional.growth.storage import storage as _storage
from regional.redaction import escape

log = logging.getLogger(__name__)


class UploadRefused(DomainError):
    status = 422


@dataclass(frozen=True)
class Kind:
    key: str
    mimetype: str
    ext: str


KINDS = {
    k.key: k
    for k in (
        Kind("pdf", "application/pdf", "pdf"),
        Kind("png", "image/png", "png"),
        Kind("jpeg", "image/jpeg", "jpg"),
        Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        Kind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "pptx",
        ),
        Kind("txt", "text/plain; charset=utf-8", "txt"),
    )
}
MATERIAL_KINDS = frozenset(KINDS)
SCAN_KINDS = frozenset({"pdf", "png", "jpeg"})

#: Markup a browser would sniff as HTML or SVG, anywhere in the file.
_MARKUP = re.compile(
    rb"<\s*(script|html|svg|iframe|body|head|object|embed|!doctype|\?xml-stylesheet)\b",
    re.IGNORECASE,
)
#: Bounds on what a zip may unpack to.
MAX_ZIP_ENTRIES = 2000
MAX_UNPACKED = 100 * 1024 * 1024
MAX_RATIO = 200


def _refuse(code: str, message) -> UploadRefused:
    return UploadRefused(code, message, field="file")


def max_bytes() -> int:
    return int(current_app.config.get("GROWTH_MAX_UPLOAD_BYTES", 4 * 1024 * 1024))


def sniff(data: bytes, allowed: frozenset[str] = MATERIAL_KINDS) -> Kind:
    """The kind of ``data`` judged by its content, or UploadRefused."""
    if not data:
        raise _refuse("empty_file", _l("The file is empty."))
    if len(data) > max_bytes():
        raise _refuse(
            "file_too_large",
            _l("The file is larger than %(mb)d MB.", mb=max(1, max_bytes() // (1024 * 1024))),
        )
    kind = _detect(data)
    if kind is None or kind not in allowed:
        raise _refuse("file_type", _l("This type of file is not accepted."))
    if _MARKUP.search(data):
        raise _refuse("unsafe_file", _l("The file contains web-page markup and is refused."))
    check = _CHECKS[kind]
    if not check(data):
        raise _refuse("unsafe_file", _l("The file is damaged or contains active content."))
    return KINDS[kind]


def _detect(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _ooxml_kind(data)
    if _is_text(data):
        return "txt"
    return None


# -- per kind -----------------------------------------------------------------------


def _pdf_ok(data: bytes) -> bool:
    if not data.rstrip(b"\r\n\t \x00").endswith(b"%%EOF"):
        return False  # something is appended after the document (a polyglot)
    try:
        check_pdf(data)
    except PdfProblem as problem:
        log.info("pdf refused kind=%s why=%s", problem.kind, escape(str(problem))[:200])
        if problem.kind == "active":
            raise _refuse(
                "unsafe_file",
                _l(
                    "The PDF contains active content (scripts, automatic actions, embedded "
                    "files or forms) and is refused. Print it to a new PDF and upload that."
                ),
            ) from problem
        raise _refuse(
            "unreadable_file",
            _l(
                "The PDF could not be read: it may be damaged, protected by a password or "
                "too large once unpacked."
            ),
        ) from problem
    return True


def _png_ok(data: bytes) -> bool:
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8]
        pos += 12 + length
        if pos > len(data):
            return False
        if ctype == b"IEND":
            return pos == len(data)
    return False


def _jpeg_ok(data: bytes) -> bool:
    return data.endswith(b"\xff\xd9")


_MAIN_PART = {
    "xlsx": "xl/workbook.xml",
    "docx": "word/document.xml",
    "pptx": "ppt/presentation.xml",
}


def _zip_bounded(data: bytes) -> zipfile.ZipFile | None:
    eocd = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if eocd < 0 or eocd + 22 > len(data):
        return None
    (comment_len,) = struct.unpack("<H", data[eocd + 20 : eocd + 22])
    if eocd + 22 + comment_len != len(data):
        return None  # something hides after the zip
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, NotImplementedError):
        return None
    if len(infos) > MAX_ZIP_ENTRIES:
        return None
    total = 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            return None
        total += info.file_size
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            return None
    if total > MAX_UNPACKED:
        return None
    return archive


def _ooxml_kind(data: bytes) -> str | None:
    archive = _zip_bounded(data)
    if archive is None:
        return None
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        return None
    found = [kind for kind, part in _MAIN_PART.items() if part in names]
    return found[0] if len(found) == 1 else None


def _ooxml_ok(data: bytes) -> bool:
    archive = _zip_bounded(data)
    if archive is None:
        return False
    for name in archive.namelist():
        lower = name.lower()
        if lower.endswith("vbaproject.bin") or "activex" in lower or lower.endswith(".exe"):
            return False
    return True


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(ord(c) < 32 and c not in "\t\r\n\f" or ord(c) == 127 for c in text):
        return False
    return not text.lstrip().startswith("<")


def _text_ok(data: bytes) -> bool:
    return True  # _is_text already judged it


_CHECKS = {
    "pdf": _pdf_ok,
    "png": _png_ok,
    "jpeg": _jpeg_ok,
    "xlsx": _ooxml_ok,
    "docx": _ooxml_ok,
    "pptx": _ooxml_ok,
    "txt": _text_ok,
}


# -- storage ------------------------------------------------------------------------
#
# Files move in step with the rows that name them (README: Running in production, step 6):
#
# * ``store`` writes the bytes under a temporary key (``<name>.pending``) and notes the
#   name on the ORM session; when that session's transaction commits, the file is moved
#   to its own key (``<name>``); when it ends any other way (a rollback, an error, a
#   session closed unfinished) the temporary file is removed.
# * ``remove_after_commit`` deletes a file only once the transaction that stopped naming
#   it has committed (a replaced scan, a deleted material): a commit that fails keeps it.
#
# A machine that dies between the commit and the move leaves a row whose file still has
# its temporary key: ``read`` falls back to it, and ``flask files sweep`` finishes the
# move. Files no row names and temporary files a day old are removed by the sweep.

_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")
PENDING = ".pending"
_STAGED = "growth_files_staged"  # session.info: names written in this transaction
_DOOMED = "growth_files_doomed"  # session.info: names to delete once it commits


def storage() -> Storage:
    """The configured back end (``FILES_STORAGE``: the local folder or an object store)."""
    return _storage()


def pending_key(name: str) -> str:
    return name + PENDING


def _valid(name: str | None) -> bool:
    return bool(name) and isinstance(name, str) and _STORED_NAME.match(name) is not None


def store(data: bytes) -> str:
    """Write ``data`` under a new random name (no extension) that becomes the file's own
    key when the current transaction commits; returns the name."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that its end (commit or not) is seen below
    name = secrets.token_hex(16)
    with _storage_errors("store"):
        storage().put(pending_key(name), data)
    session.info.setdefault(_STAGED, []).append(name)
    return name


def remove_after_commit(name: str | None) -> None:
    """Delete the stored file once the current transaction commits (never before)."""
    if _valid(name):
        session = db.session()
        if not session.in_transaction():
            session.begin()
        session.info.setdefault(_DOOMED, []).append(name)


def read(name: str | None) -> bytes | None:
    if not _valid(name):
        return None
    with _storage_errors("read"):
        place = storage()
        data = place.get(name)
        if data is None:  # committed, not yet moved into place (see above)
            data = place.get(pending_key(name))
    return data


@contextmanager
def _storage_errors(action: str) -> Iterator[None]:
    """The folder or the object store failing (not the request): 503, never 500."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as exc:
        if not _unavailable(exc):
            raise
        log.warning("file storage unavailable action=%s error=%s", action, type(exc).__name__)
        raise StorageUnavailable(action) from exc


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, OSError):
        return True
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return False
    return isinstance(exc, BotoCoreError | ClientError)


def remove(name: str | None) -> None:
    """Delete the stored file now (its own key and any temporary one)."""
    if _valid(name):
        place = storage()
        place.delete(name)
        place.delete(pending_key(name))


def _publish(name: str) -> None:
    try:
        storage().move(pending_key(name), name)
    except Exception:  # the row is committed: read() still finds it, the sweep finishes it
        log.exception("stored file not moved into place name=%s (flask files sweep will)", name)


@event.listens_for(Session, "after_commit")
def _files_after_commit(session: Session) -> None:
    for name in session.info.pop(_STAGED, ()):
        _publish(name)
    for name in session.info.pop(_DOOMED, ()):
        try:
            remove(name)
        except Exception:  # left behind: no row names it, the sweep removes it
            log.exception("stored file not removed name=%s (flask files sweep will)", name)


@event.listens_for(Session, "after_transaction_end")
def _files_after_end(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_DOOMED, None)  # not committed: the rows still name them
    for name in session.info.pop(_STAGED, ()):  # not committed: no row names them
        try:
            storage().delete(pending_key(name))
        except Exception:
            log.exception("temporary file not removed name=%s (flask files sweep will)", name)


def clean_filename(filename: str | None, kind: Kind) -> str:
    """A display name for the download: the user's stem (no paths or controls), the true extension."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(c for c in stem if c.isprintable() and c not in '"<>:|?*;')[:100].strip()
    return f"{stem or 'file'}.{kind.ext}"
