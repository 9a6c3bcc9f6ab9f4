"""The declarative base every model of the platform shares (one metadata, one registry)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import DateTime, Integer, MetaData, TypeDecorator, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the platform stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING),
        type_annotation_map={datetime: UTCDateTime()},
    )


class Versioned:
    """Mixin for a row people edit in forms: ``version`` counts its saved changes.

    An editor's form (or an API client's ETag) carries the version it was loaded at; a
    save checks it, so a change made meanwhile by someone else is never overwritten
    unseen. Any flush that changes the row bumps it (see the application's hook); the
    columns named in ``__unversioned__`` (counters, sign-in bookkeeping) do not.
    """

    #: Attributes whose change is not an edit of the record and leaves the version alone.
    __unversioned__: ClassVar[frozenset[str]] = frozenset()

    #: Saved changes so far (1 when created); checked by every edit, bumped by every change.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
