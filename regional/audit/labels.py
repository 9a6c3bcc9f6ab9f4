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
    "account.invite": _l("Invitation sent"),
    "account.enable": _l("Account enabled"),
    "session.create": _l("Session added"),
    "session.update": _l("Session changed"),
    "session.cancel": _l("Session cancelled"),
    "reservation.update": _l("Seat reservation changed"),
    "reservations.update": _l("Seat reservations changed"),
    "roster.import": _l("Personnel roster imported"),
    "unit.create": _l("Organisation unit added"),
    "unit.update": _l("Organisation unit changed"),
    "unit.retire": _l("Organisation unit retired"),
    "unit.reactivate": _l("Organisation unit in use again"),
    "attendance.import": _l("Attendance imported"),
    "elearning.import": _l("E-learning completions imported"),
    "qualification.record": _l("Qualification recorded"),
    "qualification.resubmit": _l("Qualification corrected"),
    "qualification.verify": _l("Qualification verified"),
    "qualification.return": _l("Qualification returned"),
    "qualification.persona_rule": _l("Qualifications counting towards a persona changed"),
    "ojt.record": _l("On-the-job training recorded"),
    "ojt.confirm": _l("On-the-job training confirmed"),
    "material.publish": _l("Learning material published"),
    "material.delete": _l("Learning material deleted"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.revoke": _l("Certificate revoked"),
    "reminder.required": _l("Reminder of required training sent"),
    "progress.invite": _l("Invited people to a session"),
    "interest.notify": _l("People who registered interest told that a session opened"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
