"""Server-rendered charts: progress against plan, and a trend by fiscal year.

The platform serves every asset and its Content-Security-Policy allows no inline
style or script, so a chart is plain markup: geometry computed here, drawn by
``dashboards/_charts.html`` with presentation attributes and classes from
``dashboards.css``. The progress chart writes its words in HTML beside SVG bars drawn in
percent, so its text is at body size at any width; the trend chart is one SVG sized for
its text. Nothing depends on colour alone: the achieved bar is hatched, the plan is a
dashed line with its own label, and every value is written out in text beside its
shape; each chart is followed by the same numbers as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Drawing units of the viewBox; the SVG scales to its container's width.
WIDTH = 760
LABEL_W = 240
VALUE_W = 200
ROW_H = 44
BAR_H = 16
TOP = 8


@dataclass(frozen=True)
class ProgressRow:
    """One target: how many are counted against how many are planned by now and in all."""

    label: str
    achieved: int
    target: int
    expected: int | None = None
    #: Words for the status ("ahead of plan"), written beside the bar.
    status: str = ""
    #: "achieved" | "on_track" | "behind" | ... : chooses a hatch, never the only signal.
    status_key: str = ""


@dataclass(frozen=True)
class ProgressBar:
    label: str
    y: float
    bar_y: float
    track_x: float
    track_w: float
    done_w: float
    plan_x: float | None
    value_text: str
    status: str
    status_key: str

    @property
    def done_pct(self) -> float:
        """The filled part as a share of the track, in percent (drawn in HTML at any width)."""
        return round(self.done_w / self.track_w * 100, 1) if self.track_w else 0.0

    @property
    def plan_pct(self) -> float | None:
        """Where the plan-by-now mark stands on the track, in percent."""
        if self.plan_x is None or not self.track_w:
            return None
        return round((self.plan_x - self.track_x) / self.track_w * 100, 1)


@dataclass(frozen=True)
class ProgressChart:
    width: int
    height: int
    bars: list[ProgressBar]
    plan_label: str


def _scale(value: int, full: int, width: float) -> float:
    if full <= 0:
        return 0.0
    return round(min(value, full) / full * width, 1)


def progress_chart(rows: list[ProgressRow], *, plan_label: str, of: str = "/") -> ProgressChart:
    """Horizontal bars, each from 0 to its own target, with the plan-by-now as a dashed mark.

    Bars of different targets have different scales (30 people and 7,700 people do not
    share an axis): the bar shows the share of the target, the text gives the numbers.
    """
    track_x = LABEL_W
    track_w = WIDTH - LABEL_W - VALUE_W
    bars = []
    for i, row in enumerate(rows):
        y = TOP + i * ROW_H
        pct = f" ({row.achieved / row.target:.0%})" if row.target else ""
        bars.append(
            ProgressBar(
                label=row.label,
                y=y,
                bar_y=y + 6,
                track_x=track_x,
                track_w=track_w,
                done_w=_scale(row.achieved, row.target, track_w),
                plan_x=(
                    None
                    if row.expected is None or not row.target
                    else round(track_x + _scale(row.expected, row.target, track_w), 1)
                ),
                value_text=f"{row.achieved:,} {of} {row.target:,}{pct}",
                status=row.status,
                status_key=row.status_key,
            )
        )
    height = TOP * 2 + max(1, len(rows)) * ROW_H
    return ProgressChart(width=WIDTH, height=height, bars=bars, plan_label=plan_label)


@dataclass(frozen=True)
class TrendColumn:
    label: str
    x: float
    y: float
    w: float
    h: float
    value: int
    value_y: float
    #: The year still running: drawn hatched (a partial figure), said in the table.
    partial: bool


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    base_y: float
    columns: list[TrendColumn]
    target_y: float | None
    target_text: str


#: About as wide as the chart is drawn on a 375 px phone and in the desktop grid (a user
#: unit is about a CSS pixel there, and dashboards.css caps the width), so the labels,
#: 16 units high, read at body size on both.
TREND_W = 320
TREND_H = 210
TREND_TOP = 28
TREND_BOTTOM = 36


def trend_chart(
    points: list[tuple[str, int, bool]], *, target: int | None = None, target_text: str = ""
) -> TrendChart:
    """Columns per fiscal year ``(label, value, partial)``, with an annual target line."""
    top = max([v for _, v, _ in points] + [target or 0, 1])
    plot_h = TREND_H - TREND_TOP - TREND_BOTTOM
    base_y = TREND_H - TREND_BOTTOM
    n = max(1, len(points))
    slot = (TREND_W - 20) / n
    w = min(56.0, slot * 0.6)
    cols = []
    for i, (label, value, partial) in enumerate(points):
        h = round(value / top * plot_h, 1)
        x = round(10 + slot * i + (slot - w) / 2, 1)
        cols.append(
            TrendColumn(
                label=label,
                x=x,
                y=round(base_y - h, 1),
                w=round(w, 1),
                h=h,
                value=value,
                value_y=round(base_y - h - 6, 1),
                partial=partial,
            )
        )
    target_y = None if not target else round(base_y - target / top * plot_h, 1)
    return TrendChart(
        width=TREND_W,
        height=TREND_H,
        base_y=base_y,
        columns=cols,
        target_y=target_y,
        target_text=target_text,
    )
