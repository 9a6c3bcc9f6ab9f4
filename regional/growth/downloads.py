"""Files leave the platform as downloads only: never rendered inline, never sniffed, never scripted."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from werkzeug.utils import secure_filename

#: A document opened by mistake in a tab still runs nothing and loads nothing.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def attachment(data: bytes, mimetype: str, filename: str) -> Response:
    """``data`` as an attachment named ``filename`` (an ASCII fallback and UTF-8), inert."""
    ascii_name = secure_filename(filename) or "download"
    resp = Response(data, content_type=mimetype)  # exactly as given: one charset at most
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    resp.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
