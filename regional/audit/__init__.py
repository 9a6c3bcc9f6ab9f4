"""The audit trail: who did what, when, to what, with before and after.

``from regional.audit import record_audit`` is the one way to write an entry;
entries are append-only (see :mod:`regional.audit.models`).
"""

from regional.audit.services import record_audit

__all__ = ["record_audit"]
