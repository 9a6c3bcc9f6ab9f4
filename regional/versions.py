"""Edits checked against the version the editor loaded: nothing is overwritten unseen.

Every row people edit in a form carries a ``version`` (:class:`tenants.base.Versioned`).
An edit form holds the version it was loaded at (:class:`VersionField`), an API client
the ETag it read (:func:`etag`); the save first *claims* the row with it
(:func:`claim_version`: one conditional UPDATE, atomic on both databases, which also
takes the row's lock on PostgreSQL), so of two saves of the same version exactly one
goes through and the other is told (:class:`StaleEdit`) with nothing written. Every
other change of such a row (a roster import, a role change, a cancellation) bumps the
version in the same flush (:func:`install_versions`), so a form loaded before it is
stale too.

The registration hot path writes only a session's seat counters, which are
``__unversioned__``: it pays nothing here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    SelectFieldBase,
    SubmitField,
)

from regional.errors import DomainError
from regional.extensions import db
from regional.validation import MAX_INT, record_id
from tenants.base import Versioned

#: On ``session.info``: rows whose version this transaction claimed (the flush leaves them).
_CLAIMED = "regional_versions_claimed"

_installed = False


class StaleEdit(DomainError):
    """The record changed since the editor loaded it; nothing was written."""

    status = 409

    def __init__(self, obj: Versioned, current: int | None):
        super().__init__(
            "edit_conflict",
            _l(
                "Someone else changed this record after you opened it; nothing was saved. "
                "Check the values saved now and save again."
            ),
        )
        self.obj = obj
        self.current_version = current


# -- the hook: every change bumps the version --------------------------------------------


def _identity(obj: Any) -> tuple:
    return (type(obj), inspect(obj).identity)


def _edited(obj: Versioned) -> bool:
    """Whether a flush would change anything of ``obj`` other than its unversioned attributes."""
    state = inspect(obj)
    skip = obj.__unversioned__ | {"version"}
    for attr in state.mapper.attrs:
        if attr.key in skip:
            continue
        if getattr(attr, "viewonly", False):
            continue
        if state.attrs[attr.key].history.has_changes():
            return True
    return False


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    claimed = session.info.get(_CLAIMED, set())
    for obj in session.dirty:
        if not isinstance(obj, Versioned) or obj in session.deleted:
            continue
        if _identity(obj) in claimed:
            continue  # its save claimed a new version already
        if _edited(obj):
            _bump(obj)


def _bump(obj: Versioned) -> None:
    # In the database, not from the value in memory: two changes at once both count.
    obj.version = type(obj).version + 1


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_CLAIMED, None)


def install_versions(session_class: Any = Session) -> None:
    """Bump the version of every edited row in the flush that changes it (the app factory)."""
    global _installed
    if _installed:
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_commit", _forget)
    event.listen(session_class, "after_rollback", _forget)
    _installed = True


def touch(obj: Versioned) -> None:
    """Count a change to ``obj`` that lives in other rows (its reservations, say)."""
    if _identity(obj) not in db.session.info.get(_CLAIMED, set()):
        _bump(obj)


# -- the claim: a save checks the version it was loaded at --------------------------------


def claim_version(obj: Versioned, loaded: int | None) -> int:
    """Take ``obj``'s next version if it still is ``loaded``; :class:`StaleEdit` otherwise.

    ``loaded`` None (an API call without If-Match, a form without a version): no check,
    the change is applied as before, and still counts as one. One conditional UPDATE:
    on PostgreSQL a concurrent save of the same row waits for this transaction and then
    finds the version moved; on SQLite writers run one at a time. The row is named with
    its municipality too (Core bypasses the ORM's tenant filter).
    """
    if loaded is not None and not 0 <= loaded <= MAX_INT:
        raise StaleEdit(obj, current_version(obj))  # no row holds it (nor can the column)
    table = type(obj).__table__
    stmt = update(table).where(table.c.id == obj.id)
    if "municipality_id" in table.c:
        stmt = stmt.where(table.c.municipality_id == obj.municipality_id)
    if loaded is not None:
        stmt = stmt.where(table.c.version == loaded)
    stmt = stmt.values(version=table.c.version + 1).returning(table.c.version)
    new = db.session.execute(stmt).scalar_one_or_none()
    if new is None:
        raise StaleEdit(obj, current_version(obj))
    set_committed_value(obj, "version", new)
    db.session.info.setdefault(_CLAIMED, set()).add(_identity(obj))
    return new


def current_version(obj: Versioned) -> int | None:
    """The version the database holds now (None: the row is gone)."""
    table = type(obj).__table__
    stmt = table.select().with_only_columns(table.c.version).where(table.c.id == obj.id)
    if "municipality_id" in table.c:
        stmt = stmt.where(table.c.municipality_id == obj.municipality_id)
    return db.session.execute(stmt).scalar_one_or_none()


def take_turns(name: str) -> None:
    """Writers of ``name`` (a group of rows checked, then inserted) take turns until commit.

    PostgreSQL: a transaction-scoped advisory lock; the second writer waits, then reads
    what the first committed (each statement sees the latest commit). SQLite: writers
    already take turns (``BEGIN IMMEDIATE``).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))


def digest(value: Any) -> str:
    """A short fingerprint of a set of rows edited as one (a form's "version" of them)."""
    text = json.dumps(value, sort_keys=True, default=sorted, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- ETags (the API) ----------------------------------------------------------------------


def etag(kind: str, obj: Versioned) -> str:
    """The strong ETag of one record, quoted: it changes with every saved change."""
    return f'"{kind}-{obj.id}-v{obj.version}"'


def etag_version(kind: str, obj_id: int, tag: str) -> int | None:
    """The version an ETag of this record names (None: another record's, or not ours)."""
    prefix = f"{kind}-{obj_id}-v"
    if not tag.startswith(prefix):
        return None
    digits = tag[len(prefix) :]
    if not digits.isascii() or not digits.isdigit():
        return None
    return record_id(digits)  # beyond any version a row can hold: not ours


# -- forms: the version field and what changed meanwhile -----------------------------------


class VersionField(HiddenField):
    """The version the record was loaded at, carried by its edit form.

    Absent or empty: None (the save is applied as before; a new record's form). Not a
    whole number: 0, which no row has, so the save is refused as stale rather than
    applied unchecked.
    """

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist:
            self.data = None
            return
        raw = (valuelist[0] or "").strip()
        if not raw:
            self.data = None  # a form for a new record: nothing to check
        else:  # beyond any version a row can hold (the column's range) is not a number here
            self.data = record_id(raw) or 0

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, int) else None

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


@dataclass(frozen=True)
class ConflictRow:
    """One item of a refused save: the value saved now beside the one the editor entered."""

    label: str
    saved: str
    entered: str


@dataclass(frozen=True)
class Conflict:
    """What a stale save shows: the items that differ (maybe none)."""

    rows: list[ConflictRow]


_SKIPPED = (VersionField, FileField, SubmitField)


def _text(field: Field) -> str:
    """A field's value as a reader sees it (a choice's label, yes/no, a date)."""
    data = field.data
    if isinstance(field, BooleanField):
        return _("Yes") if data else _("No")
    if isinstance(field, SelectFieldBase):
        labels = [
            str(label) for _value, label, selected, *_rest in field.iter_choices() if selected
        ]
        return "、".join(labels) if labels else "—"
    if isinstance(data, datetime):
        return data.strftime("%Y-%m-%d %H:%M")
    if isinstance(data, date):
        return data.isoformat()
    if data is None or data == "" or data == []:
        return "—"
    return str(data)


def _flat(form: Any, top: Any, caption: str = "") -> Iterator[tuple[str, str, str]]:
    """(name, label, shown value) of every field a person fills in, rows included."""
    for field in form:
        if isinstance(field, _SKIPPED) or field.type in ("CSRFTokenField", "HiddenField"):
            continue
        label = f"{caption} {field.label.text}".strip() if caption else str(field.label.text)
        if isinstance(field, FieldList):
            for index, entry in enumerate(field.entries):
                inner = entry.form if isinstance(entry, FormField) else None
                if inner is None:
                    yield entry.name, f"{label} {index + 1}", _text(entry)
                    continue
                row = top.caption_of(inner) if hasattr(top, "caption_of") else None
                yield from _flat(inner, top, row or f"{label} {index + 1}")
        elif isinstance(field, FormField):
            yield from _flat(field.form, top, label)
        else:
            yield field.name, label, _text(field)


def conflict(entered: Any, saved: Any) -> Conflict:
    """The items where the form as entered differs from the record as saved now.

    ``saved`` is the same form filled from the record reloaded. The entered form is
    given the saved version, so saving it again (having seen this) replaces what is
    saved with what was entered.
    """
    now = {name: (label, text) for name, label, text in _flat(saved, saved)}
    rows = []
    for name, label, text in _flat(entered, entered):
        if name in now and now[name][1] != text:
            rows.append(ConflictRow(label=label, saved=now[name][1], entered=text))
    if "version" in entered and "version" in saved:
        entered.version.data = saved.version.data
    return Conflict(rows)
