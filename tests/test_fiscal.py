"""Fiscal years (年度) and eras: April to March in Tokyo, named both ways (令和8年度 / FY2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from regional.fiscal import (
    TOKYO,
    era_year,
    fiscal_year_both,
    fiscal_year_bounds,
    fiscal_year_era,
    fiscal_year_label,
    fiscal_year_of,
    fiscal_year_utc_range,
    local_date,
    local_to_utc,
    now_utc,
    to_local,
)


def test_the_fiscal_year_turns_between_31_march_and_1_april():
    assert fiscal_year_of(date(2024, 3, 31)) == 2023
    assert fiscal_year_of(date(2024, 4, 1)) == 2024
    assert fiscal_year_of(date(2025, 3, 31)) == 2024
    assert fiscal_year_of(date(2024, 12, 31)) == 2024
    assert fiscal_year_of(date(2025, 1, 1)) == 2024


def test_an_instant_is_judged_by_the_calendar_in_tokyo():
    last_utc_instant_of_fy2024 = datetime(2025, 3, 31, 14, 59, 59, tzinfo=UTC)
    first_tokyo_moment_of_fy2025 = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
    assert fiscal_year_of(last_utc_instant_of_fy2024) == 2024
    assert fiscal_year_of(first_tokyo_moment_of_fy2025) == 2025  # 2025-04-01 00:00 JST
    assert local_date(first_tokyo_moment_of_fy2025) == date(2025, 4, 1)


def test_an_instant_in_another_zone_is_judged_in_tokyo_too():
    new_york = timezone(timedelta(hours=-4))
    assert fiscal_year_of(datetime(2025, 3, 31, 11, 0, tzinfo=new_york)) == 2025  # 00:00 JST 1 Apr


def test_a_naive_instant_is_taken_as_utc():
    assert fiscal_year_of(datetime(2025, 3, 31, 15, 0)) == 2025
    assert to_local(datetime(2025, 3, 31, 15, 0)).hour == 0


def test_fiscal_year_bounds_are_inclusive_days():
    assert fiscal_year_bounds(2024) == (date(2024, 4, 1), date(2025, 3, 31))
    assert fiscal_year_bounds(2027) == (
        date(2027, 4, 1),
        date(2028, 3, 31),
    )  # 2028 is leap: no effect


def test_fiscal_year_utc_range_runs_from_tokyo_midnight_to_tokyo_midnight():
    start, end = fiscal_year_utc_range(2024)
    assert start == datetime(2024, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    assert fiscal_year_of(start) == 2024
    assert fiscal_year_of(end - timedelta(microseconds=1)) == 2024
    assert fiscal_year_of(end) == 2025


def test_consecutive_fiscal_years_meet_without_gap_or_overlap():
    for fy in range(2018, 2030):
        assert fiscal_year_utc_range(fy)[1] == fiscal_year_utc_range(fy + 1)[0]


def test_the_era_changed_on_1_may_2019():
    assert era_year(date(2019, 4, 30)).ja == "平成31年"
    assert era_year(date(2019, 5, 1)).ja == "令和元年"
    assert era_year(date(2019, 5, 1)).en == "Reiwa 1"
    assert era_year(date(2020, 1, 1)).ja == "令和2年"
    assert era_year(date(1989, 1, 7)).ja == "昭和64年"
    assert era_year(date(1989, 1, 8)).ja == "平成元年"


def test_fiscal_years_are_named_by_the_era_of_their_last_day():
    assert fiscal_year_label(2018) == "平成30年度"
    assert fiscal_year_label(2019) == "令和元年度"  # the year the era changed takes the new name
    assert fiscal_year_label(2020) == "令和2年度"
    assert fiscal_year_label(2024) == "令和6年度"
    assert fiscal_year_era(2019).year == 1


def test_an_era_that_began_in_the_last_quarter_does_not_rename_the_fiscal_year():
    assert fiscal_year_label(1988) == "昭和63年度"  # 平成 began on 8 January 1989
    assert fiscal_year_label(1989) == "平成元年度"
    assert fiscal_year_label(1988, "en") == "FY1988 (Showa 63)"


@pytest.mark.parametrize("fy", range(2019, 2040))
def test_reiwa_year_is_gregorian_minus_2018(fy):
    assert fiscal_year_era(fy).era_ja == "令和"
    assert fiscal_year_era(fy).year == fy - 2018


def test_fiscal_year_labels_both_ways():
    assert fiscal_year_label(2026) == "令和8年度"
    assert fiscal_year_both(2026) == "令和8年度 / FY2026"
    assert fiscal_year_label(2026, "en") == "FY2026 (Reiwa 8)"
    assert fiscal_year_label(2019, "en") == "FY2019 (Reiwa 1)"
    assert fiscal_year_label(2018, "en") == "FY2018 (Heisei 30)"


def test_tokyo_wall_clock_times_round_trip_through_utc():
    wall = datetime(2026, 4, 1, 9, 30)
    stored = local_to_utc(wall)
    assert stored == datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    assert stored.tzinfo == UTC
    back = to_local(stored)
    assert back.replace(tzinfo=None) == wall
    assert back.utcoffset() == timedelta(hours=9)


def test_an_aware_time_keeps_its_instant():
    paris = datetime(2026, 4, 1, 2, 30, tzinfo=timezone(timedelta(hours=2)))
    assert local_to_utc(paris) == datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    assert to_local(paris) == paris
    assert to_local(paris).tzinfo == TOKYO


def test_round_trips_hold_across_a_whole_year_of_hours():
    t = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(0, 24 * 366, 7):
        assert local_to_utc(to_local(t).replace(tzinfo=None)) == t
        t += timedelta(hours=7)


def test_now_is_aware_utc():
    now = now_utc()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_the_footer_shows_the_current_fiscal_year_both_ways(client):
    html = client.get("/login").get_data(as_text=True)
    fy = fiscal_year_of(now_utc())
    assert fiscal_year_both(fy) in html


def test_dates_before_showa_are_refused():
    with pytest.raises(ValueError):
        era_year(date(1926, 12, 24))
