"""What a log line may say about a request: secrets masked, typed text escaped.

Links in mail and the calendar feed carry their secret in the path
(``/password/reset/<token>``, ``/registrations/feed/<token>.ics``), and a
query string may carry one too. Every log line that names a request goes
through :func:`redact`: the application's own lines and gunicorn's access log
alike (``gunicorn.conf.py`` uses :func:`redact_path`). A traceback may name a
request too (an exception's message quoting a link), so every logged traceback
goes through :func:`redact_text` (:func:`install_traceback_redaction`). Kept free
of Flask so the gunicorn configuration can import it cheaply.
"""

from __future__ import annotations

import logging
import re
import traceback
from urllib.parse import parse_qsl, urlencode

MASK = "[redacted]"

#: Path segments after these words are secrets whatever they look like.
_SECRET_AFTER = re.compile(r"(?<=/)(feed|confirm|reset|token|tokens|certificates)/[^/]+")
#: A segment that looks like a secret: 20 or more URL-safe characters with a digit,
#: or 32 or more whatever they are (token_urlsafe(32) may hold no digit at all).
_SECRET_SEGMENT = re.compile(
    r"(?<=/)(?:(?=[^/]*\d)[A-Za-z0-9_\-.~=]{20,}|[A-Za-z0-9_\-.~=]{32,})(?=/|$)"
)
#: Query parameters whose value is always a secret.
_SECRET_PARAMS = frozenset(
    {"token", "access_token", "key", "secret", "signature", "sig", "password", "code", "payload"}
)
_SECRET_VALUE = re.compile(r"(?=[^&]*\d)[A-Za-z0-9_\-.~=]{20,}|[A-Za-z0-9_\-.~=]{32,}")
#: Characters that would split or disguise a log line.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape(text: str) -> str:
    """Control, separator and bidi characters written as ``\\xNN``/``\\uNNNN``."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def redact_path(path: str | None) -> str:
    """A request path with its secret-bearing segments masked."""
    path = _SECRET_AFTER.sub(lambda m: f"{m.group(1)}/{MASK}", path or "")
    return _SECRET_SEGMENT.sub(MASK, path)


def redact_query(query: str | bytes | None) -> str:
    """A query string with secret parameters (and token-like values) masked."""
    if isinstance(query, bytes):
        query = query.decode("utf-8", "replace")
    if not query:
        return ""
    pairs = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        secret = key.lower() in _SECRET_PARAMS or _SECRET_VALUE.fullmatch(value)
        pairs.append((key, MASK if secret and value else value))
    return urlencode(pairs, safe="[]")


def redact(path: str | None, query: str | bytes | None = None) -> str:
    """The one form of a request's address fit for a log line: masked and escaped."""
    text = redact_path(path)
    q = redact_query(query)
    return escape(f"{text}?{q}" if q else text)


#: A path (``/…``) with its query, on its own or after a scheme and host, in free text.
_ADDRESS = re.compile(
    r"(?P<origin>[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#'\"<>]*)?"
    r"(?P<path>/[^\s?#'\"<>]*)(?:\?(?P<query>[^\s#'\"<>]*))?"
)
#: A traceback's own frame lines name source files, never requests.
_FRAME = re.compile(r'^  File "[^"\n]*", line \d+(?:, in \S+)?$')


def redact_text(text: str) -> str:
    """Free text (an exception's message, a whole traceback) with every address in it redacted
    as a log line's is: secret path segments and secret query values masked."""

    def one(m: re.Match) -> str:
        query = redact_query(m.group("query")) if m.group("query") is not None else None
        path = redact_path(m.group("path"))
        return (m.group("origin") or "") + path + (f"?{query}" if query is not None else "")

    return "\n".join(
        line if _FRAME.match(line) else _ADDRESS.sub(one, line) for line in text.split("\n")
    )


def _redacted_record_factory(base):
    def factory(*args, **kwargs):
        record = base(*args, **kwargs)
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            # Formatted here, once, so that every handler (the console, gunicorn's error log,
            # a test's capture) prints this text instead of formatting the raw exception.
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact_text(text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return record

    factory.redacts_tracebacks = True
    return factory


def install_traceback_redaction() -> None:
    """Every log record's traceback (and stack) redacted, whichever logger or handler (idempotent)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacts_tracebacks", False):
        logging.setLogRecordFactory(_redacted_record_factory(current))
