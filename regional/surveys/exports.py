"""Survey results and the programme review as formatted workbooks (the dashboards' helper)."""

from __future__ import annotations

from flask_babel import gettext as _

from regional.dashboards.exports import Col, Sheet, Table, to_xlsx
from regional.fiscal import fiscal_year_label
from regional.i18n import locale_code
from regional.main.helpers import local_datetime
from regional.surveys.models import QuestionKind
from regional.surveys.results import Results, Scope, hidden_text
from regional.surveys.review import Review


def _figure_rows(found: Results) -> list[list[object]]:
    rows = []
    for q in found.questions:
        if q.count is None:
            rows.append([q.label, None, None, hidden_text()])
            continue
        dist = ", ".join(f"{label}: {n}" for label, n in (q.distribution or []))
        rows.append([q.label, q.count, q.mean, dist])
    return rows


def _figure_cols() -> list[Col]:
    return [
        Col(_("Question"), width=30, wrap=True),
        Col(_("Answered"), "int", 10),
        Col(_("Mean (1-5)"), width=12),
        Col(_("Distribution"), width=48, wrap=True),
    ]


def _rate_line(found: Results) -> str:
    rate = "—" if found.rate is None else f"{found.rate:.1%}"
    return _(
        "Answered: %(responses)d of %(invited)d (response rate %(rate)s)",
        responses=found.responses,
        invited=found.invited,
        rate=rate,
    )


def _comments_table(found: Results) -> Table:
    rows = [[label, text] for label, text in found.comments]
    if not found.shown:
        rows = [["", hidden_text()]]
    return Table(
        _("Comments (without names)"),
        [Col(_("Question"), width=30, wrap=True), Col(_("Comment"), width=80, wrap=True)],
        rows,
    )


def _followup_table(found: Results) -> Table:
    """The 3-month follow-up beside the survey: its rate, mean and comments (without names)."""
    f = found.followup
    rows: list[list[object]] = []
    if f is None:
        rows.append([_("Not asked"), None])
    else:
        rate = "—" if f.rate is None else f"{f.rate:.1%}"
        rows.append(
            [
                _(
                    "Follow-up answered: %(answered)d of %(asked)d asked (response rate %(rate)s)",
                    answered=f.answered,
                    asked=f.asked,
                    rate=rate,
                ),
                f.mean if f.shown else hidden_text(),
            ]
        )
        rows += [[_("Comment"), text] for text in f.comments]
    return Table(
        _("Could you use it in your work? (3 months on)"),
        [Col(_("Follow-up"), width=30, wrap=True), Col(_("Mean (1-5)"), width=80, wrap=True)],
        rows,
    )


def results_workbook(found: Results, scope: Scope, names: dict) -> bytes:
    lang = locale_code()
    heading = [_("Survey results"), fiscal_year_label(scope.fiscal_year, lang)]
    if "program" in names:
        heading.append(names["program"].title(lang))
    if "member" in names:
        heading.append(names["member"].name(lang))
    heading.append(_rate_line(found))
    sheet = Sheet(
        _("Survey results"),
        _figure_cols(),
        _figure_rows(found),
        heading=heading,
        more=[_followup_table(found), _comments_table(found)],
    )
    return to_xlsx([sheet])


def review_workbook(review: Review) -> bytes:
    lang = locale_code()
    title = f"{review.program.code} {review.program.title(lang)}"
    fy = fiscal_year_label(review.fiscal_year, lang)
    sessions = Sheet(
        _("Sessions held"),
        [
            Col(_("Date"), width=22),
            Col(_("Capacity"), "int", 10),
            Col(_("Seats taken"), "int", 12),
            Col(_("Waiting list"), "int", 12),
            Col(_("Answered"), "int", 10),
            Col(_("Response rate"), "rate", 12),
        ],
        [
            [
                local_datetime(s.session.starts_at),
                s.session.capacity,
                s.counts.taken,
                s.counts.waiting,
                s.survey.responses,
                s.survey.rate,
            ]
            for s in review.sessions
        ],
        heading=[_("Programme review"), title, fy],
    )
    members = Sheet(
        _("Per member"),
        [
            Col(_("Member"), width=16),
            Col(_("Seats taken"), "int", 12),
            Col(_("Waiting list"), "int", 12),
            Col(_("Attended"), "int", 10),
            Col(_("Absent"), "int", 10),
            Col(_("Completion rate"), "rate", 12),
        ],
        [
            [m.name, m.taken, m.waiting, m.attended, m.absent, m.completion_rate]
            for m in review.members
        ],
        heading=[_("Programme review"), title, fy],
    )
    survey = review.survey
    figures = Sheet(
        _("Survey results"),
        _figure_cols(),
        _figure_rows(survey),
        heading=[_("Survey results"), title, fy, _rate_line(survey)],
        more=[_followup_table(survey), _comments_table(survey)],
    )
    return to_xlsx([sessions, members, figures, _trend_sheet(review, title)])


def _trend_sheet(review: Review, title: str) -> Sheet:
    """The trend as on the page: per fiscal year the survey's response rate, each 5-point
    question's mean, the follow-up's mean and response rate, and the completion rate; a
    figure below the threshold is the words saying so, never a number."""
    lang = locale_code()
    keys: dict[str, str] = {}
    for year in review.trend:
        keys.update(
            (q.key, q.label) for q in year.survey.questions if q.kind == QuestionKind.SCALE5
        )
    followed = any(y.survey.followup is not None for y in review.trend)
    rows = []
    for year in review.trend:
        found = year.survey
        means = {q.key: q.mean for q in found.questions}
        row = [
            fiscal_year_label(year.fiscal_year, lang),
            found.responses,
            found.invited,
            found.rate,
        ]
        row += [hidden_text() if means.get(key) is None else means[key] for key in keys]
        if followed:
            f = found.followup
            mean = None if f is None else (f.mean if f.shown else hidden_text())
            row += [mean, f.answered if f else None, f.asked if f else None, f.rate if f else None]
        rows.append(row + [year.attended, year.absent, year.completion_rate])
    cols = [
        Col(_("Fiscal year"), width=16),
        Col(_("Answered"), "int", 10),
        Col(_("Attended"), "int", 10),
        Col(_("Response rate"), "rate", 12),
    ] + [Col(label, "mean", 14, wrap=True) for label in keys.values()]
    if followed:
        cols += [
            Col(_("Could you use it in your work? (3 months on)"), "mean", 18, wrap=True),
            Col(_("Follow-up answered"), "int", 12),
            Col(_("Follow-up asked"), "int", 12),
            Col(_("Follow-up response rate"), "rate", 14),
        ]
    cols += [
        Col(_("Attended"), "int", 10),
        Col(_("Absent"), "int", 10),
        Col(_("Completion rate"), "rate", 12),
    ]
    return Sheet(
        _("Trend over years"),
        cols,
        rows,
        heading=[_("Trend over years"), title, _("the last five years with answers")],
    )
