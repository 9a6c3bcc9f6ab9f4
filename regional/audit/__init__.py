"""The audit trail: who did what, when, to what, with before and after.

``from regional.audit import record_audit`` is the one way to write an entry;
``record_audit_across`` writes one into another member's trail (regional work);
``audited(...)`` wraps an edit and records the before and after of what it changed.
Entries are append-only (see :mod:`regional.audit.models`).
"""

from regional.audit.audited import audited
from regional.audit.services import record_audit, record_audit_across

__all__ = ["audited", "record_audit", "record_audit_across"]
