"""A roster file between its preview and its import, kept by the server.

The preview page names the upload by id and carries the file's SHA-256 in a
signed form field; the import step reads the bytes back from here, checks the
hash and plans again. Several workers or hosts share it through the database.
Uploads are deleted once imported, and any older than a day on the next upload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from regional.extensions import db
from tenants import TenantScoped
from tenants.base import utcnow


class RosterUpload(TenantScoped, db.Model):
    """An uploaded staff roster awaiting its import (never served back to anyone)."""

    __tablename__ = "roster_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(Integer)
    #: The name the browser gave, for the audit trail only (never used as a path).
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
