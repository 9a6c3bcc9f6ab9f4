"""Errors a rule can raise, turned into a JSON error or a form message by the caller."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import exc as sa_exc


class DomainError(Exception):
    """A request refused by a business rule; nothing it would have written is kept.

    ``code`` is the stable machine code of the API contract, ``message`` a
    (lazy) translatable text, ``status`` the HTTP status the API answers with.
    """

    status = 422

    def __init__(self, code: str, message: Any, status: int | None = None, **details: Any):
        super().__init__(code)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class StorageUnavailable(Exception):
    """The place uploaded files are kept (the folder, the object store) cannot serve now."""


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error means "the database cannot serve right now", not "this request is wrong".

    SQLite: the write lock not obtained within the busy timeout ("database is locked").
    PostgreSQL: the connection lost, refused or shut down, a deadlock or serialization failure
    (psycopg's OperationalError family, and its InterfaceError: a connection already closed),
    or no pooled connection free in time. Either: a transaction that an earlier failure left
    unusable (``PendingRollbackError``: a flush that failed, then the same session used
    again). Each of these is over when the database is back; the request changed nothing
    (its transaction rolled back). The files' storage away (``StorageUnavailable``) is
    answered the same way.
    """
    if isinstance(exc, StorageUnavailable):
        return True
    if isinstance(exc, sa_exc.TimeoutError | sa_exc.PendingRollbackError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "database is locked" in text or "database is busy" in text
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)
