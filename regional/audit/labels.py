"""The audit trail in the reader's language: actions, fields and values by name, not by code.

``ACTION_LABELS`` is also the registry of action codes: :func:`regional.audit.record_audit`
refuses a code that is not here, so every entry the trail can hold has a name
(tests/test_audit_labels.py checks the codes written in the source too).

Values of before/after are named by their field (``status`` of an account, of a
registration ...): the features' own label tables, read when first needed (this
module is imported by the audit writer, below every feature).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "account.create": _l("Account added"),
    "account.update": _l("Account changed"),
    "account.approve": _l("Account approved"),
    "account.reject": _l("Account refused"),
    "account.role": _l("Role changed"),
    "account.disable": _l("Account disabled"),
    "account.enable": _l("Account enabled"),
    "account.invite": _l("Invitation sent"),
    "account.reinvite": _l("Invitation sent again"),
    "unit.create": _l("Organisation unit added"),
    "unit.update": _l("Organisation unit changed"),
    "unit.deactivate": _l("Organisation unit taken out of use"),
    "unit.reactivate": _l("Organisation unit in use again"),
    "roster.import": _l("Personnel roster imported"),
    "job_word.set": _l("Job category name of the personnel system set"),
    "job_word.delete": _l("Job category name of the personnel system removed"),
    "program.create": _l("Programme added"),
    "program.update": _l("Programme revised"),
    "program.retire": _l("Programme retired"),
    "program.reactivate": _l("Programme offered again"),
    "synonyms.add": _l("Search synonyms added"),
    "synonyms.remove": _l("Search synonyms deleted"),
    "survey.questionnaire_add": _l("Survey questionnaire added"),
    "survey.question_add": _l("Survey question added"),
    "survey.question_edit": _l("Survey question changed"),
    "survey.attach": _l("Survey questionnaire chosen"),
    "survey.followup_on": _l("3-month follow-up switched on"),
    "survey.followup_off": _l("3-month follow-up switched off"),
    "session.create": _l("Session added"),
    "session.duplicate": _l("Session copied to a new day"),
    "session.update": _l("Session changed"),
    "session.cancel": _l("Session cancelled"),
    "reservation.update": _l("Seat reservation changed"),
    "reservations.update": _l("Seat reservations changed"),
    "registration.create": _l("Registered someone"),
    "registration.approve": _l("Registration approved"),
    "registration.decline": _l("Registration declined"),
    "registration.cancel": _l("Registration cancelled"),
    "registration.head_approve": _l("Approved by the head of unit"),
    "registration.head_decline": _l("Declined by the head of unit"),
    "registration.head_skipped": _l("No head of unit to approve: step skipped"),
    "heads.set": _l("Head of unit set"),
    "heads.setting": _l("Head of unit's approval turned on or off"),
    "report.write": _l("Participant's report written"),
    "report.edit": _l("Participant's report edited"),
    "report.acknowledge": _l("Participant's report acknowledged"),
    "attendance.record": _l("Attendance recorded"),
    "elearning.import": _l("E-learning completions imported"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.revoke": _l("Certificate revoked"),
    "qualification.record": _l("Qualification recorded"),
    "qualification.resubmit": _l("Qualification corrected"),
    "qualification.verify": _l("Qualification verified"),
    "qualification.return": _l("Qualification returned"),
    "qualification.persona_rule": _l("Qualifications counting towards a persona changed"),
    "ojt.record": _l("On-the-job training recorded"),
    "ojt.confirm": _l("On-the-job training confirmed"),
    "material.publish": _l("Learning material published"),
    "material.delete": _l("Learning material deleted"),
    "notice.post": _l("Notice posted"),
    "notice.edit": _l("Notice edited"),
    "notice.withdraw": _l("Notice withdrawn"),
    "target.create": _l("Target set"),
    "target.update": _l("Target changed"),
    "measure.update": _l("Measure definition changed"),
    "measure.redefine": _l("Measure re-defined from a past day (figures counted again)"),
    "year.close": _l("Fiscal year closed (figures kept as reported)"),
    "year.reopen": _l("Closed fiscal year re-opened"),
    "reminder.required": _l("Reminder of required training sent"),
    "progress.invite": _l("Invited people to a session"),
    "interest.notify": _l("People who registered interest told that a session opened"),
    "mail.undelivered": _l("Mail could not be delivered"),
    "mail.retry": _l("Undelivered mail sent again"),
    "mail.discard": _l("Undelivered mail discarded"),
    "mail.signature": _l("Mail signature changed"),
}

#: Names of the fields an entry's before and after hold (unknown ones are shown as they are).
FIELD_LABELS = {
    "word": _l("Name in the personnel system"),
    "category": _l("Job category"),
    "email": _l("E-mail address"),
    "name": _l("Name"),
    "name_kana": _l("Name in kana"),
    "employee_number": _l("Employee number"),
    "job_category": _l("Job category"),
    "org_unit": _l("Organisation unit"),
    "system_duty": _l("Builds or maintains systems"),
    "role": _l("Role"),
    "status": _l("Status"),
    "level": _l("Level"),
    "equivalent": _l("An equivalent of another name"),
    "parent": _l("Parent unit"),
    "active": _l("In use"),
    "code": _l("Code"),
    "title": _l("Title"),
    "title_ja": _l("Title (Japanese)"),
    "title_en": _l("Title (English)"),
    "tier": _l("Tier"),
    "track": _l("Track"),
    "skill_area": _l("Skill area"),
    "skill_areas": _l("Skill areas"),
    "delivery": _l("Delivery"),
    "hours": _l("Hours"),
    "eligible_job_categories": _l("Job categories"),
    "prerequisite_tracks": _l("Prerequisites"),
    "prerequisite_system_duty": _l("Only for people who build or maintain systems"),
    "elearning_url": _l("E-learning address"),
    "report_required": _l("Participant's report"),
    "report_template": _l("Report template"),
    "revision": _l("Revision"),
    "program": _l("Programme"),
    "program_id": _l("Programme"),
    "words": _l("Words of the same meaning"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "venue": _l("Venue"),
    "online_url": _l("Online address"),
    "capacity": _l("Capacity"),
    "registration_opens_at": _l("Registration opens"),
    "registration_closes_at": _l("Registration closes"),
    "cancellation_deadline": _l("Cancellation deadline"),
    "requires_approval": _l("Needs the coordinator's approval"),
    "notes": _l("Notes"),
    "open_to_all": _l("Open to every member"),
    "audience_ids": _l("Members invited"),
    "seats": _l("Reserved seats"),
    "release_at": _l("Release unclaimed seats on"),
    "exam": _l("Exam"),
    "exams": _l("Exams"),
    "passed_on": _l("Passed on"),
    "certificate_number": _l("Certificate number"),
    "division": _l("Division"),
    "started_on": _l("Started on"),
    "ended_on": _l("Ended on"),
    "supported_by": _l("Supported by"),
    "valid": _l("Valid"),
    "cause": _l("Cause"),
    "target": _l("Target"),
    "period_start_fy": _l("Plan period from (fiscal year)"),
    "period_end_fy": _l("Plan period to (fiscal year)"),
    "population": _l("Eligible people"),
    "key": _l("Measure"),
    "kind": _l("Kind"),
    "rule": _l("Rule"),
    "min_programs": _l("Programmes at least"),
    "required": _l("Required"),
    "audience": _l("Audience"),
    "url": _l("Web address"),
    "file": _l("File"),
    "file_kind": _l("File type"),
    "file_size": _l("File size (bytes)"),
    "to": _l("Address"),
    "mail_subject": _l("Mail subject"),
    "answer": _l("Mail server's answer"),
    "attempts": _l("Attempts"),
    "refused": _l("Refused for good"),
}

#: What happened to a person in a roster import (the lines of its entry).
ROSTER_CHANGE_LABELS = {
    "created": _l("Added"),
    "updated": _l("Details changed"),
    "moved": _l("Moved"),
    "renamed": _l("Renamed"),
    "reactivated": _l("Back in use"),
    "deactivated": _l("Deactivated"),
}

#: A status that is not one of an enum's: an account refused and deleted.
_EXTRA_VALUES = {"deleted": _l("Deleted")}

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def action_label(code: str) -> str:
    """The action's name in the reader's language (an unregistered old code as it is)."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def field_label(key: str) -> str:
    """A before/after field's name; a member's code (seat reservations) is the member's name."""
    label = FIELD_LABELS.get(key)
    if label is not None:
        return str(label)
    member = _member_names().get(key)
    return member if member is not None else key


#: (subject type or None for any, field) -> {code: label}: each feature registers its own
#: table where it defines it (:func:`register_values`), so the trail imports no feature.
_VALUE_TABLES: dict[tuple[str | None, str], dict] = {}


def register_values(table: Mapping, *keys: tuple[str | None, str]) -> None:
    """Label the codes of ``table`` (an enum or code -> label) under each of ``keys``."""
    values = {getattr(k, "value", k): v for k, v in table.items()}
    for key in keys:
        merged = dict(values)
        if key == ("user", "status"):
            merged.update(_EXTRA_VALUES)
        _VALUE_TABLES[key] = merged


def _value_tables() -> dict[tuple[str | None, str], Mapping]:
    return _VALUE_TABLES


def _list_separator() -> str:
    from regional.i18n import locale_code

    return "、" if locale_code() == "ja" else ", "


def _member_names() -> dict[str, str]:
    """Members' names by code, in the reader's language (seat reservations are keyed so);
    read once per request."""
    from flask import g, has_app_context

    from regional.extensions import db
    from regional.i18n import locale_code
    from tenants.models import Municipality

    if not has_app_context():
        return {}
    if "audit_member_names" not in g:
        locale = locale_code()
        g.audit_member_names = {
            m.code: m.name(locale) for m in db.session.scalars(Municipality.ordered())
        }
    return g.audit_member_names


def value_label(value: Any, *, key: str, subject_type: str = "") -> str:
    """One value of a before/after field, as the reader should see it.

    Codes of statuses, roles, job categories and the like become their names (by the
    field and the kind of record), booleans Yes/No, times Japan's local time; lists
    are read item by item. Anything else is shown as it is.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if isinstance(value, list | tuple):
        items = [value_label(v, key=key, subject_type=subject_type) for v in value]
        return _list_separator().join(items) or "—"
    tables = _value_tables()
    table = tables.get((subject_type, key)) or tables.get((None, key))
    if table is not None and isinstance(value, str) and value in table:
        return str(table[value])
    if isinstance(value, str) and _ISO_TIME.match(value):
        return _local_time(value)
    if isinstance(value, datetime | date):
        return _local_time(value.isoformat())
    if isinstance(value, str) and _ISO_DAY.match(value):
        return value
    return str(value)


def _local_time(text: str) -> str:
    from regional.fiscal import to_local

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def roster_change_label(code: str) -> str:
    label = ROSTER_CHANGE_LABELS.get(code)
    return str(label) if label is not None else code
