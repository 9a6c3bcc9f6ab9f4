"""Human names of the audit trail's action codes (unknown codes are shown as they are)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "target.create": _l("Target set"),
    "target.update": _l("Target changed"),
    "measure.update": _l("Measure definition changed"),
    "registration.create": _l("Registered someone"),
    "registration.approve": _l("Registration approved"),
    "registration.decline": _l("Registration declined"),
    "registration.cancel": _l("Registration cancelled"),
    "attendance.record": _l("Attendance recorded"),
    "account.approve": _l("Account approved"),
    "account.reject": _l("Account refused"),
    "account.role": _l("Role changed"),
    "account.update": _l("Account changed"),
    "account.disable": _l("Account disabled"),
    "account.enable": _l("Account enabled"),
    "session.create": _l("Session added"),
    "session.update": _l("Session changed"),
    "session.cancel": _l("Session cancelled"),
    "reservation.update": _l("Seat reservation changed"),
    "roster.import": _l("Personnel roster imported"),
    "attendance.import": _l("Attendance imported"),
    "elearning.import": _l("E-learning completions imported"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
