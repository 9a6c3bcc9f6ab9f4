"""Attendance and completions: recording who came, completions and their certificates.

Below ``registrations`` (seats → attendance → registrations), because registering reads
completions (a programme's prerequisites, :mod:`regional.registrations.eligibility`);
above ``seats``, whose registration row it marks attended. Recording attendance
(:mod:`.recording`), the certificate issued with a completion (:mod:`.certification`)
and the attendance and e-learning completion files (:mod:`.imports`). Its pages are on
the registrations blueprint (``regional/registrations/views.py`` and ``views_files.py``).
"""

from regional.attendance.recording import (
    add_completions,
    attendance_roster,
    may_record_attendance,
    record_attendance,
)

__all__ = ["add_completions", "attendance_roster", "may_record_attendance", "record_attendance"]
