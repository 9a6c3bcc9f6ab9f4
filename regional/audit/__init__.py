"""The audit trail: who did what, when, to what, with before and after.

``from regional.audit import record_audit`` is the one way to write an entry;
``record_audit_across`` writes one into another member's trail (regional work).
Entries are append-only (see :mod:`regional.audit.models`).
"""

from regional.audit.services import record_audit, record_audit_across

__all__ = ["record_audit", "record_audit_across"]
