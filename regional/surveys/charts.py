"""Charts of survey results: one bar per choice, drawn by the dashboards' SVG macro."""

from __future__ import annotations

from dataclasses import dataclass

from regional.dashboards.charts import ProgressChart, ProgressRow, progress_chart
from regional.surveys.results import QuestionResult, Results


@dataclass(frozen=True)
class QuestionChart:
    question: QuestionResult
    chart: ProgressChart


def distribution_charts(results: Results | None) -> list[QuestionChart]:
    """A chart per question with figures (none below the threshold, none for free text)."""
    if results is None:
        return []
    out = []
    for q in results.questions:
        if q.distribution is None or q.count is None:
            continue
        rows = [ProgressRow(label=label, achieved=n, target=q.count) for label, n in q.distribution]
        out.append(QuestionChart(q, progress_chart(rows, plan_label="")))
    return out
