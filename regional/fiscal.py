"""Time, fiscal years and eras in one place.

Times are stored in UTC and shown in Asia/Tokyo. A Japanese fiscal year (年度)
runs 1 April to 31 March and is named by the Gregorian year it starts in
(2024 = 令和6年度). 令和 began on 2019-05-01; FY2019 is called 令和元年度.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")

#: (first day, name in Japanese, name in English); newest first.
ERAS = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    """An aware datetime in Asia/Tokyo (naive input is taken to be UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TOKYO)


def local_to_utc(value: datetime) -> datetime:
    """A wall-clock time in Tokyo (naive) or any aware time, as aware UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=TOKYO)
    return value.astimezone(UTC)


def day_start_utc(day: date) -> datetime:
    """Midnight at the start of ``day`` in Tokyo, as aware UTC."""
    return local_to_utc(datetime.combine(day, time(0)))


def day_after_utc(day: date) -> datetime:
    """Midnight at the end of ``day`` in Tokyo (an exclusive bound), as aware UTC."""
    return day_start_utc(day + timedelta(days=1))


def last_day_before(bound: datetime) -> date:
    """The Tokyo day that ends at the exclusive bound ``bound`` (:func:`day_after_utc`)."""
    return local_date(bound - timedelta(seconds=1))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the month's last day where it is
    shorter: 30 November + 3 months is the last day of February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def months_after_utc(value: datetime, months: int) -> datetime:
    """Tokyo midnight starting the day ``months`` calendar months after the Tokyo day of
    ``value``, as aware UTC (a session ended 31 May: 31 August, 00:00 in Tokyo)."""
    return day_start_utc(add_months(local_date(value), months))


def local_date(value: datetime) -> date:
    return to_local(value).date()


def today() -> date:
    """Today in Japan (the day rules and records are dated by)."""
    return local_date(now_utc())


def fiscal_year_of(day: date | datetime) -> int:
    """The fiscal year a day (or an instant, judged in Tokyo) belongs to."""
    if isinstance(day, datetime):
        day = local_date(day)
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of fiscal year ``fy`` (inclusive)."""
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fiscal_year_utc_range(fy: int) -> tuple[datetime, datetime]:
    """[start, end) of fiscal year ``fy`` as UTC instants (Tokyo midnights)."""
    start = datetime.combine(date(fy, 4, 1), time(0), TOKYO)
    end = datetime.combine(date(fy + 1, 4, 1), time(0), TOKYO)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class EraYear:
    era_ja: str
    era_en: str
    year: int

    @property
    def ja(self) -> str:
        return f"{self.era_ja}{'元' if self.year == 1 else self.year}年"

    @property
    def en(self) -> str:
        return f"{self.era_en} {self.year}"


def era_year(day: date) -> EraYear:
    """The era and year of a calendar day (2019-04-30 is 平成31年, 2019-05-01 令和元年)."""
    for start, ja, en in ERAS:
        if day >= start:
            return EraYear(ja, en, day.year - start.year + 1)
    raise ValueError("dates before 昭和 are not supported")


def fiscal_year_era(fy: int) -> EraYear:
    """The era name of a fiscal year as offices write it: FY2019 is 令和元年度.

    A fiscal year is numbered like the calendar year it starts in, in the era that
    calendar year ended in: FY2019 (令和 from 1 May 2019) is 令和元年度, and FY1988
    (平成 from 8 January 1989, in its last quarter) stays 昭和63年度, never "平成0年度".
    """
    return era_year(date(fy, 12, 31))


def fiscal_year_label(fy: int, locale: str = "ja") -> str:
    """'令和8年度' in Japanese, 'FY2026 (Reiwa 8)' in English."""
    era = fiscal_year_era(fy)
    if locale == "en":
        return f"FY{fy} ({era.en})"
    return f"{era.ja}度"


def fiscal_year_both(fy: int) -> str:
    """Both ways at once, as the policy asks: '令和8年度 / FY2026'."""
    return f"{fiscal_year_label(fy, 'ja')} / FY{fy}"


def era_date_ja(day: date) -> str:
    """A calendar day as Japanese offices write it: '令和7年11月20日'."""
    return f"{era_year(day).ja}{day.month}月{day.day}日"


def era_date_en(day: date) -> str:
    """The same day in English with its era: '20 November 2025 (Reiwa 7)'."""
    month = _MONTHS[day.month - 1]
    return f"{day.day} {month} {day.year} ({era_year(day).en})"


def era_day(day: date, locale: str = "ja") -> str:
    """A day in running text with its era: '令和8年8月10日'; '10 August 2026' in English."""
    if locale == "en":
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return era_date_ja(day)


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


#: The first fiscal year the platform holds records for (history entered from FY2024 on).
FIRST_FISCAL_YEAR = 2024


def fiscal_year_option(fy: int, locale: str = "ja") -> str:
    """How a fiscal year reads in a select: '令和8年度（2026年度）', 'FY2026 (Reiwa 8)'."""
    if locale == "en":
        return fiscal_year_label(fy, "en")
    return f"{fiscal_year_label(fy, 'ja')}（{fy}年度）"


def fiscal_years_offered(today: date | None = None, ahead: int = 1) -> list[int]:
    """Fiscal years a person may choose, newest first: from FY2024 to next year."""
    current = fiscal_year_of(today or now_utc())
    return list(range(current + ahead, FIRST_FISCAL_YEAR - 1, -1))


def fiscal_months(fy: int) -> list[tuple[int, int]]:
    """(year, month) of a fiscal year, April to March."""
    return [(fy + (m < 4), m) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


def month_utc_range(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in Tokyo, as UTC instants."""
    start = datetime(year, month, 1, tzinfo=TOKYO)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=TOKYO)
    return start.astimezone(UTC), end.astimezone(UTC)
