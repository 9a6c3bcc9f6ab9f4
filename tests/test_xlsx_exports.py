"""Is every XLSX the platform sends usable as is, like the progress exports?

Each download is opened as an office worker would: the header row frozen and
filterable, every column given a width, dates and times stored as dates, counts and
ids as numbers (never text that merely looks like one), and an A4 print set-up.
The checks read the files only; they share no code with ``regional.workbooks``.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from tests import factories
from tests.conftest import CODE_A
from tests.fixtures_registrations import register
from tests.fixtures_sessions import within
from tests.fixtures_targets import complete, target

FY = fiscal_year_of(now_utc())
#: Columns that hold codes of digits on purpose: text keeps their leading zeros.
CODE_COLUMNS = {"職員番号", "市町コード", "Employee number", "Municipality code", "団体コード"}
LOOKS_LIKE_A_DATE = re.compile(r"^\d{4}[-/年]\d{1,2}[-/月]\d{1,2}")
LOOKS_LIKE_A_NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")
A4 = 9  # the paper-size code of A4 in SpreadsheetML


@pytest.fixture
def exported(app, world):
    """A session with registrants, a target with completions: something in every export."""
    with within(app):
        ts = factories.make_session(capacity=1, starts_in=timedelta(days=6))
        register(ts.id, world.employee_a)
        register(ts.id, world.employee_a2)  # waiting: a position in line
        target(world.muni_a, "security", 10, start=2024, population=400)
        complete(world.muni_a, world.employee_a, "GEN-SEC-101", max(date(FY, 4, 2), _yesterday()))
        db.session.commit()
        return ts.id


def _yesterday() -> date:
    return (now_utc() - timedelta(days=1)).date()


COORDINATOR_EXPORTS = [
    "/registrations/session/{ts}/export.xlsx",
    "/registrations/export?fiscal_year={fy}&format=xlsx",
    "/people/roster/export.xlsx",
    "/progress/m/{code}/export.xlsx?fy={fy}",
    "/progress/m/{code}/t/security/export.xlsx?fy={fy}&show=counted",
    "/progress/m/{code}/council.xlsx?fy={fy}",
]
ADMIN_EXPORTS = [
    "/progress/region/export.xlsx?fy={fy}",
    "/progress/region/council.xlsx?fy={fy}",
]


def _header_row(ws) -> int:
    frozen = ws.freeze_panes
    assert frozen, f"{ws.title}: the header row is not frozen"
    return int(re.sub(r"\D", "", frozen)) - 1


def _check_sheet(ws) -> list[str]:
    """What an office worker would have to fix by hand on this sheet."""
    head = _header_row(ws)
    found = []
    ref = ws.auto_filter.ref or ""
    if not ref.startswith("A") or int(re.match(r"[A-Z]+(\d+)", ref).group(1)) != head:
        found.append(f"{ws.title}: no filter on the header row {head} ({ref!r})")
    titles = {c.column_letter: c.value for c in ws[head] if c.value not in (None, "")}
    found += [
        f"{ws.title}: column {letter} ({title}) has no width"
        for letter, title in titles.items()
        if not ws.column_dimensions[letter].customWidth
    ]
    if ws.page_setup.paperSize != A4 or ws.page_setup.orientation != "landscape":
        found.append(f"{ws.title}: not set up for A4 landscape")
    if not ws.sheet_properties.pageSetUpPr.fitToPage or ws.page_setup.fitToWidth != 1:
        found.append(f"{ws.title}: not fitted to the page's width")
    if not ws.print_title_rows:
        found.append(f"{ws.title}: the header is not repeated on printed pages")
    for row in ws.iter_rows(min_row=head + 1):
        for c in row:
            if not isinstance(c.value, str) or titles.get(c.column_letter) in CODE_COLUMNS:
                continue
            if LOOKS_LIKE_A_DATE.match(c.value) or LOOKS_LIKE_A_NUMBER.match(c.value):
                found.append(f"{ws.title}!{c.coordinate} ({titles.get(c.column_letter)}): text")
    return found


def _open(client, path: str, ts: int):
    resp = client.get(path.format(ts=ts, fy=FY, code=CODE_A), headers={"Accept-Language": "ja"})
    assert resp.status_code == 200, path
    assert resp.data[:4] == b"PK\x03\x04", path
    return load_workbook(io.BytesIO(resp.data))


@pytest.mark.parametrize("path", COORDINATOR_EXPORTS + ADMIN_EXPORTS)
def test_every_xlsx_is_frozen_filterable_sized_typed_and_printable(
    path, exported, as_coordinator_a, as_admin
):
    client = as_admin if path in ADMIN_EXPORTS else as_coordinator_a
    wb = _open(client, path, exported)
    assert [problem for ws in wb.worksheets for problem in _check_sheet(ws)] == []


def _column(ws, title: str) -> list[object]:
    head = _header_row(ws)
    letter = next(c.column_letter for c in ws[head] if c.value == title)
    return [c.value for c in ws[letter][head:] if c.value is not None]


def test_the_registrant_list_stores_times_ids_and_positions_as_such(exported, as_coordinator_a):
    ws = _open(as_coordinator_a, COORDINATOR_EXPORTS[0], exported).active
    starts = _column(ws, "開催日時")
    assert len(starts) == 2 and all(isinstance(v, datetime) for v in starts)
    assert all(isinstance(v, datetime) for v in _column(ws, "申込日時"))
    assert all(isinstance(v, int) for v in _column(ws, "登録ID"))
    assert _column(ws, "キャンセル待ち順位") == [1]
    assert ws.column_dimensions["E"].width >= 12  # 氏名


def test_the_roster_keeps_employee_numbers_as_text(exported, as_coordinator_a):
    ws = _open(as_coordinator_a, COORDINATOR_EXPORTS[2], exported).active
    numbers = _column(ws, "職員番号")
    assert numbers and all(isinstance(v, str) for v in numbers)


def test_one_helper_makes_every_workbook():
    """No module but ``regional/workbooks.py`` creates a workbook, so none can skip the set-up."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "regional"
    makers = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if re.search(r"\bWorkbook\(", path.read_text(encoding="utf-8"))
    ]
    assert makers == ["workbooks.py"]
