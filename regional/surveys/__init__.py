"""Surveys (研修アンケート): questionnaires, asking participants after attendance, their
answers, the results and the programme review (研修の見直し).

Above registrations, targets and dashboards: it reads attendance and the counts, and the
attendance recording reaches it only through its one hook (:func:`install_surveys`).
"""

from flask import Blueprint

bp = Blueprint("surveys", __name__)


def install_surveys() -> None:
    """Ask participants when their attendance is recorded (registered once per process)."""
    from regional.attendance.recording import AFTER_ATTENDED
    from regional.surveys.services import ask_attended

    if ask_attended not in AFTER_ATTENDED:
        AFTER_ATTENDED.append(ask_attended)


from regional.surveys import views, views_followups, views_questionnaires  # noqa: E402, F401
