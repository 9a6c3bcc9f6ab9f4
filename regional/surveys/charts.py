"""Charts of survey results: one bar per choice, drawn by the dashboards' SVG macro; and
the programme review's trend, a 5-point question's mean per fiscal year (its own macro)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from regional.dashboards.charts import (
    TREND_BOTTOM,
    TREND_H,
    TREND_TOP,
    TREND_W,
    ProgressChart,
    ProgressRow,
    progress_chart,
)
from regional.fiscal import fiscal_year_label
from regional.surveys.models import QuestionKind
from regional.surveys.results import QuestionResult, Results


@dataclass(frozen=True)
class QuestionChart:
    question: QuestionResult
    chart: ProgressChart


def followup_question(results: Results | None) -> QuestionResult | None:
    """The 3-month follow-up as a question of the results (None where nobody was asked)."""
    f = results.followup if results is not None else None
    if f is None:
        return None
    shown = f.shown
    return QuestionResult(
        "applied",
        _("Could you use it in your work? (3 months on)"),
        QuestionKind.SCALE5,
        f.answered if shown else None,
        f.mean,
        f.distribution,
    )


def distribution_charts(results: Results | None) -> list[QuestionChart]:
    """A chart per question with figures (none below the threshold, none for free text),
    then the follow-up's."""
    if results is None:
        return []
    out = []
    followup = followup_question(results)
    for q in [*results.questions, *([followup] if followup else [])]:
        if q.distribution is None or q.count is None:
            continue
        rows = [ProgressRow(label=label, achieved=n, target=q.count) for label, n in q.distribution]
        out.append(QuestionChart(q, progress_chart(rows, plan_label="")))
    return out


@dataclass(frozen=True)
class MeanColumn:
    """One fiscal year's mean (1-5) as a column; ``text`` is the mean, or — when hidden."""

    label: str
    x: float
    y: float
    w: float
    h: float
    text: str
    text_y: float
    hidden: bool


@dataclass(frozen=True)
class MeanTrend:
    """One 5-point question's mean per fiscal year (the axis runs 0 to 5)."""

    label: str
    width: int
    height: int
    base_y: float
    top_y: float
    columns: list[MeanColumn]

    @property
    def has_hidden(self) -> bool:
        return any(c.hidden for c in self.columns)


def mean_trend(label: str, points: list[tuple[str, float | None]]) -> MeanTrend:
    """Columns per fiscal year ``(year label, mean or None)`` on a fixed 0-5 axis; a year
    below the threshold draws no column and says — (the note and the table give why)."""
    plot_h = TREND_H - TREND_TOP - TREND_BOTTOM
    base_y = TREND_H - TREND_BOTTOM
    n = max(1, len(points))
    slot = (TREND_W - 20) / n
    w = min(48.0, slot * 0.6)
    cols = []
    for i, (year, mean) in enumerate(points):
        h = 0.0 if mean is None else round(mean / 5 * plot_h, 1)
        x = round(10 + slot * i + (slot - w) / 2, 1)
        cols.append(
            MeanColumn(
                label=year,
                x=x,
                y=round(base_y - h, 1),
                w=round(w, 1),
                h=h,
                text="—" if mean is None else f"{mean:.2f}",
                text_y=round(base_y - h - 6, 1),
                hidden=mean is None,
            )
        )
    return MeanTrend(label, TREND_W, TREND_H, base_y, base_y - plot_h, cols)


def review_trend_charts(trend, locale: str, followup_label: str) -> list[MeanTrend]:
    """A chart per 5-point question over the trend's years, then the follow-up's."""
    labels: dict[str, str] = {}
    for year in trend:
        labels.update(
            (q.key, q.label) for q in year.survey.questions if q.kind == QuestionKind.SCALE5
        )
    years = [fiscal_year_label(y.fiscal_year, locale) for y in trend]
    charts = []
    for key, label in labels.items():
        means = [{q.key: q.mean for q in y.survey.questions}.get(key) for y in trend]
        charts.append(mean_trend(label, list(zip(years, means, strict=True))))
    if any(y.survey.followup is not None for y in trend):
        means = [y.survey.followup.mean if y.survey.followup else None for y in trend]
        charts.append(mean_trend(followup_label, list(zip(years, means, strict=True))))
    return charts
