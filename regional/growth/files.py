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
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from regional.errors import DomainError
from regional.growth.pdf_check import PdfProblem, check_pdf
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

_STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


def storage_dir() -> Path:
    """GROWTH_FILES_DIR, by default ``files/`` in the instance folder (never under static)."""
    configured = current_app.config.get("GROWTH_FILES_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "files"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(data: bytes) -> str:
    """Write ``data`` under a new random name (no extension); returns the name."""
    name = secrets.token_hex(16)
    target = storage_dir() / name
    tmp = target.with_suffix(".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    return name


def _path(name: str) -> Path | None:
    if not name or not _STORED_NAME.match(name):
        return None
    return storage_dir() / name


def read(name: str) -> bytes | None:
    path = _path(name)
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def remove(name: str | None) -> None:
    path = _path(name or "")
    if path is not None:
        path.unlink(missing_ok=True)


def clean_filename(filename: str | None, kind: Kind) -> str:
    """A display name for the download: the user's stem (no paths or controls), the true extension."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(c for c in stem if c.isprintable() and c not in '"<>:|?*;')[:100].strip()
    return f"{stem or 'file'}.{kind.ext}"
