"""``audited(...)``: snapshot a record, change it, record what changed, in one block.

The edit paths all did the same three steps: read the before-state, change the record,
then write an entry with the before and after of what changed. The block does the first
and the last, so a call site holds only the change::

    with audited("qualification.resubmit", target=q, snapshot=_snapshot, ...) as trail:
        q.status = QS.UNVERIFIED
        trail.detail["reason"] = reason

The entry is added when the block ends without an error, and nothing when it raises (the
change is rolled back with the unit of work anyway). One-shot records (an action with no
before and after) call :func:`regional.audit.record_audit` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from regional.audit.services import record_audit, record_audit_across

#: A subject's id or label, given as a value or read from the record when the block ends
#: (a record created in the block has its id only then).
Lazy = Any


@dataclass
class Trail:
    """What the entry will hold; the block may change any of it before it ends."""

    action: str
    before: dict | None
    #: Set by the block to record more than the snapshot (None: the snapshot on exit).
    after: dict | None = None
    detail: dict = field(default_factory=dict)
    #: Record the entry even if no field changed (e.g. a re-definition from a past day).
    always: bool = False


def _fields_snapshot(names: Sequence[str]) -> Callable[[Any], dict]:
    def snap(target: Any) -> dict:
        values = {name: getattr(target, name) for name in names}
        return {k: list(v) if isinstance(v, list) else v for k, v in values.items()}

    return snap


def _changed_only(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [key for key in after if after[key] != before.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _resolve(value: Lazy, target: Any) -> Any:
    return value(target) if callable(value) else value


@contextmanager
def audited(
    action: str,
    *,
    target: Any,
    fields: Sequence[str] = (),
    snapshot: Callable[[Any], dict] | None = None,
    creating: bool = False,
    changed_only: bool = True,
    always: bool = False,
    across: bool = False,
    subject_type: str,
    subject_id: Lazy = None,
    subject_label: Lazy = "",
    **where: Any,
) -> Iterator[Trail]:
    """Record ``action`` on ``target`` if the block ends without an error.

    The before-state is ``snapshot(target)`` (or the named ``fields``) read on entry, the
    after-state the same read on exit. With ``changed_only`` (the default) the entry keeps
    the keys that changed and is not written if none did; otherwise the whole snapshots
    are kept and compared; ``always`` writes the entry even if nothing changed. ``creating``: there is no before-state (the entry holds the
    after only). ``subject_id`` defaults to ``target.id`` read on exit; id and label may be
    callables of the target. ``across`` writes into ``municipality_id``'s trail from any
    member (:func:`regional.audit.record_audit_across`); ``where`` goes to the recorder
    (``actor``, ``municipality_id``).
    """
    snap = snapshot or _fields_snapshot(fields)
    trail = Trail(action=action, before=None if creating else snap(target), always=always)
    yield trail
    after = snap(target) if trail.after is None else trail.after
    before = trail.before
    if before is not None and changed_only:
        before, after = _changed_only(before, after)
        if not after and not trail.always:
            return
    elif before == after and not trail.always:
        return
    record = record_audit_across if across else record_audit
    record(
        trail.action,
        subject_type=subject_type,
        subject_id=getattr(target, "id", None)
        if subject_id is None
        else _resolve(subject_id, target),
        subject_label=_resolve(subject_label, target),
        before=before,
        after=after,
        detail=trail.detail or None,
        **where,
    )
