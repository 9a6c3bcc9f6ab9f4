"""Server-rendered charts: geometry, and markup that needs no inline style or script."""

from __future__ import annotations

import re

from flask import render_template_string

from regional.dashboards.charts import ProgressRow, progress_chart, trend_chart

MACROS = '{% import "dashboards/_charts.html" as charts %}'


def test_progress_bar_is_a_share_of_its_own_target_with_the_plan_mark():
    chart = progress_chart(
        [
            ProgressRow("高度", achieved=15, target=30, expected=20, status="計画より遅れ"),
            ProgressRow("セキュリティ", achieved=9000, target=7700, expected=None),
        ],
        plan_label="計画",
    )
    a, b = chart.bars
    assert a.done_w == a.track_w / 2
    assert a.plan_x == a.track_x + round(a.track_w * 20 / 30, 1)
    assert a.value_text == "15 / 30 (50%)"
    assert b.done_w == b.track_w  # over the target: a full bar, the text says 117%
    assert b.plan_x is None and "117%" in b.value_text


def test_a_bar_is_drawn_in_percent_of_its_track():
    a, b = progress_chart(
        [ProgressRow("高度", 15, 30, 20), ProgressRow("全員", 9000, 7700, None)], plan_label="計画"
    ).bars
    assert (a.done_pct, a.plan_pct) == (50.0, 66.7)
    assert (b.done_pct, b.plan_pct) == (100.0, None)


def test_a_table_bar_is_the_share_of_its_target_and_the_plan_mark():
    from types import SimpleNamespace

    from regional.dashboards.tables import bar_shares

    assert bar_shares(SimpleNamespace(target=30, achieved=15, expected_by_now=20)) == (50.0, 66.7)
    assert bar_shares(SimpleNamespace(target=10, achieved=40, expected_by_now=None)) == (
        100.0,
        None,
    )
    assert bar_shares(SimpleNamespace(target=0, achieved=3, expected_by_now=0)) == (0.0, None)


def test_trend_labels_read_at_body_size_on_a_phone():
    """The trend's viewBox is about as wide as a 375 px phone draws it (317 px inside its
    frame) and the desktop grid caps it at 22rem: a 16-unit label stays 14-18 px high."""
    from regional.dashboards.charts import TREND_W

    assert 16 * 317 / TREND_W >= 14 and 16 * 352 / TREND_W <= 18


def test_a_target_of_zero_draws_an_empty_bar():
    (bar,) = progress_chart([ProgressRow("x", 3, 0, 0)], plan_label="計画").bars
    assert bar.done_w == 0 and bar.plan_x is None and bar.value_text == "3 / 0"


def test_trend_columns_scale_to_the_highest_value_or_the_target():
    chart = trend_chart([("R6", 100, False), ("R7", 50, True)], target=200, target_text="目標 200")
    assert chart.columns[0].h == 2 * chart.columns[1].h
    assert chart.target_y < chart.columns[0].y
    assert chart.columns[1].partial


def test_markup_has_no_style_or_script_and_says_its_numbers(app):
    with app.test_request_context():
        html = render_template_string(
            MACROS
            + "{{ charts.progress(p, 'p1', 'Progress', 'desc') }}"
            + "{{ charts.trend(t, 't1', 'Trend', 'desc', 'partial') }}",
            p=progress_chart(
                [ProgressRow("高度", 15, 30, 20, "遅れ", "behind")], plan_label="計画"
            ),
            t=trend_chart([("R6", 100, False), ("R7", 1234, True)]),
        )
    assert "<script" not in html and "style=" not in html and "<style" not in html
    # The progress rows are one image for a screen reader, named by caption and description;
    # the trend is an SVG image with its own title.
    assert 'role="img" aria-labelledby="p1-cap p1-desc"' in html
    assert '<title id="t1-title">Trend</title>' in html
    # Bars are drawn in percent of their width (nothing scales with the screen), words in HTML.
    assert 'width="50.0%"' in html and 'x1="66.7%"' in html
    assert '<span class="chart-label">高度</span>' in html
    assert "15 / 30 (50%)" in html and "遅れ" in html and "1,234*" in html
    # Pattern ids are prefixed per chart, so two charts on a page never share one.
    ids = re.findall(r'id="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_standing_keeps_the_thousands_separator_in_japanese(app):
    """ngettext fills %(num)s with the bare number unless given: 1,733 people, not 1733."""
    from types import SimpleNamespace

    from regional.dashboards.tables import standing

    behind = SimpleNamespace(status="behind", achieved=100, expected_by_now=1833, target=3000)
    ahead = SimpleNamespace(status="on_track", achieved=2300, expected_by_now=1000, target=3000)
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert standing(behind) == "計画より1,733人遅れている"
        assert "1,300" in standing(ahead)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert standing(behind) == "Behind plan by 1,733 people"
