"""Errors a rule can raise, turned into a JSON error or a form message by the caller."""

from __future__ import annotations

from typing import Any


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
