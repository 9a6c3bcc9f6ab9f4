"""Reading attendance sheets and e-learning completion lists.

The file itself is read by :mod:`regional.spreadsheets` (CSV or XLSX, bounded);
here its rows are matched to registrations, people and programmes. Parsing
only reports: every bad row is listed with its line and column, and the caller
imports nothing unless the list is empty.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from flask_babel import gettext as _

from regional.fiscal import local_date, now_utc
from regional.spreadsheets import (  # noqa: F401  (re-exported for callers of this module)
    MAX_ROWS,
    RowError,
    SheetError,
    Table,
    cell,
    column_name,
    normalise_header,
    parse_day,
    read_table,
)
from regional.validation import record_id

# -- values --------------------------------------------------------------------

TRUE_WORDS = frozenset({"1", "yes", "y", "true", "出席", "○", "〇", "済", "present", "attended"})
FALSE_WORDS = frozenset({"0", "no", "n", "false", "欠席", "×", "x", "absent"})


def parse_attended(text: str) -> bool | None:
    """yes/no, 1/0, 出席/欠席 (any width or case); None when not understood."""
    norm = unicodedata.normalize("NFKC", text).strip().lower()
    if norm in TRUE_WORDS:
        return True
    if norm in FALSE_WORDS:
        return False
    return None


def today_tokyo() -> date:
    return local_date(now_utc())


# -- column sets ------------------------------------------------------------------

IDENTITY_ALIASES: dict[str, tuple[str, ...]] = {
    "registration_id": ("登録id", "registrationid", "registration", "id"),
    "email": ("メールアドレス", "メール", "email", "emailaddress", "mail"),
    "employee_number": ("職員番号", "employeenumber", "employeeno", "staffnumber"),
    "municipality_code": (
        "市町コード",
        "市町村コード",
        "団体コード",
        "municipalitycode",
        "municipality",
    ),
}
ATTENDANCE_ALIASES = {
    **IDENTITY_ALIASES,
    "attended": ("出席", "出欠", "attended", "attendance", "present"),
}
COMPLETION_ALIASES = {
    "email": IDENTITY_ALIASES["email"],
    "employee_number": IDENTITY_ALIASES["employee_number"],
    "municipality_code": IDENTITY_ALIASES["municipality_code"],
    "program_code": ("研修コード", "programcode", "programmecode", "coursecode", "program"),
    "completed_on": (
        "修了日",
        "完了日",
        "受講日",
        "completedon",
        "completiondate",
        "completed",
        "date",
    ),
}


@dataclass
class Preview:
    """What an import would do, and why it cannot (if ``errors``)."""

    items: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    #: Rows left alone on purpose (blank attendance, completions already recorded).
    skipped: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# -- attendance -------------------------------------------------------------------


@dataclass
class AttendanceItem:
    line: int
    registration: object  # Registration
    attended: bool


def preview_attendance(table: Table, roster: list, host_code: str | None) -> Preview:
    """Match each row to an enrolled registration of the session and read its mark.

    A row names a registration by 登録ID, or a person by e-mail, or by employee
    number with the municipality code (which a member's own session may omit).
    A blank attendance cell leaves that person unchanged.
    """
    cols = table.index(ATTENDANCE_ALIASES)
    result = Preview()
    if "attended" not in cols:
        result.errors.append(RowError(1, "出席", _("The header has no attendance column (出席).")))
    if not {"registration_id", "email", "employee_number"} & cols.keys():
        result.errors.append(
            RowError(
                1,
                "登録ID",
                _("The header needs a registration ID, e-mail or employee number column."),
            )
        )
    if result.errors:
        return result
    by_id = {r.id: r for r in roster}
    by_email = {r.employee.email: r for r in roster}
    by_number = {
        (r.employee.municipality.code, r.employee.employee_number): r
        for r in roster
        if r.employee.employee_number
    }
    seen: dict[int, int] = {}
    for line, cells in table.rows:
        reg, where, problem = _match(table, cols, cells, by_id, by_email, by_number, host_code)
        mark_text = cell(cells, cols, "attended")
        if problem:
            result.errors.append(RowError(line, where, problem))
            continue
        if not mark_text:
            result.skipped.append(
                RowError(line, table.header[cols["attended"]], _("No mark: left unchanged."))
            )
            continue
        mark = parse_attended(mark_text)
        if mark is None:
            result.errors.append(
                RowError(
                    line,
                    table.header[cols["attended"]],
                    _("Write yes or no, 1 or 0, 出席 or 欠席 (found %(v)s).", v=mark_text),
                )
            )
            continue
        if reg.id in seen:
            result.errors.append(
                RowError(
                    line, where, _("The same person is already on line %(n)d.", n=seen[reg.id])
                )
            )
            continue
        seen[reg.id] = line
        result.items.append(AttendanceItem(line, reg, mark))
    return result


def _match(table, cols, cells, by_id, by_email, by_number, host_code):
    """(registration, column named, problem) for one row."""
    rid = cell(cells, cols, "registration_id")
    if rid:
        where = column_name(table, cols, "registration_id", "登録ID")
        reg_id = record_id(rid)
        if reg_id is None:
            return None, where, _("A registration ID is a whole number (found %(v)s).", v=rid)
        reg = by_id.get(reg_id)
        if reg is None:
            return None, where, _("No enrolled registration of this session has this ID.")
        return reg, where, None
    email = cell(cells, cols, "email").lower()
    if email:
        where = column_name(table, cols, "email", "メールアドレス")
        reg = by_email.get(email)
        if reg is None:
            return None, where, _("Nobody enrolled in this session has this e-mail address.")
        return reg, where, None
    number = cell(cells, cols, "employee_number")
    where = column_name(table, cols, "employee_number", "職員番号")
    if not number:
        return None, where, _("Give a registration ID, an e-mail address or an employee number.")
    code = cell(cells, cols, "municipality_code") or host_code
    if not code:
        where = column_name(table, cols, "municipality_code", "市町コード")
        return None, where, _("An employee number needs the municipality code beside it.")
    reg = by_number.get((code, number))
    if reg is None:
        return None, where, _("Nobody enrolled in this session has this employee number.")
    return reg, where, None


# -- e-learning completions ----------------------------------------------------------


@dataclass
class CompletionItem:
    line: int
    employee: object  # User
    program: object  # Program
    completed_on: date

    def key(self) -> tuple[int, int, str]:
        return (self.employee.id, self.program.id, self.completed_on.isoformat())


class CompletionLookup:
    """Where the completion preview finds people, programmes and existing records.

    The caller's reach is the lookup's business: a coordinator's finds only their
    own staff, so anyone else's row reads "not found".
    """

    def employees(self, emails: set[str], pairs: set[tuple[str, str]]) -> tuple[dict, dict]:
        raise NotImplementedError

    def programs(self, codes: set[str]) -> dict:
        raise NotImplementedError

    def recorded(self, items: list[CompletionItem]) -> set[tuple[int, int, str]]:
        raise NotImplementedError


def _completion_header_errors(cols: dict[str, int]) -> list[RowError]:
    errors = []
    if "program_code" not in cols:
        errors.append(
            RowError(1, "研修コード", _("The header has no programme code column (研修コード)."))
        )
    if "completed_on" not in cols:
        errors.append(
            RowError(1, "修了日", _("The header has no completion date column (修了日)."))
        )
    if not {"email", "employee_number"} & cols.keys():
        errors.append(
            RowError(
                1, "メールアドレス", _("The header needs an e-mail or employee number column.")
            )
        )
    return errors


class _CompletionRow(NamedTuple):
    line: int
    email: str
    code: str
    number: str
    program_code: str
    day_text: str


@dataclass(frozen=True)
class _CompletionColumns:
    """The header names that row errors point at."""

    email: str
    number: str
    code: str
    program: str
    day: str


def _completion_rows(table: Table, cols: dict[str, int]) -> list[_CompletionRow]:
    return [
        _CompletionRow(
            line,
            cell(cells, cols, "email").lower(),
            cell(cells, cols, "municipality_code"),
            cell(cells, cols, "employee_number"),
            cell(cells, cols, "program_code"),
            cell(cells, cols, "completed_on"),
        )
        for line, cells in table.rows
    ]


def _completion_columns(table: Table, cols: dict[str, int]) -> _CompletionColumns:
    return _CompletionColumns(
        email=column_name(table, cols, "email", "メールアドレス"),
        number=column_name(table, cols, "employee_number", "職員番号"),
        code=column_name(table, cols, "municipality_code", "市町コード"),
        program=table.header[cols["program_code"]],
        day=table.header[cols["completed_on"]],
    )


def _completion_person(row: _CompletionRow, by_email: dict, by_pair: dict, columns):
    """The person a row names (e-mail, or municipality code + employee number), or errors."""
    who_col = columns.email if row.email else columns.number
    if row.email:
        employee = by_email.get(row.email)
    elif row.number and row.code:
        employee = by_pair.get((row.code, row.number))
    elif row.number:
        message = _("An employee number needs the municipality code beside it.")
        return None, [RowError(row.line, columns.code, message)]
    else:
        message = _("Give an e-mail address or an employee number.")
        return None, [RowError(row.line, who_col, message)]
    if employee is None:
        message = _("No employee you may record for was found.")
        return None, [RowError(row.line, who_col, message)]
    return employee, []


def _completion_program_errors(row: _CompletionRow, program, columns) -> list[RowError]:
    if program is not None:
        return []
    message = (
        _("No programme has the code %(v)s.", v=row.program_code)
        if row.program_code
        else _("The programme code is missing.")
    )
    return [RowError(row.line, columns.program, message)]


def _completion_day(row: _CompletionRow, today: date, columns) -> tuple[date | None, list]:
    """The completion date: a past day since 2000, written YYYY-MM-DD."""
    day = parse_day(row.day_text)
    if day is None:
        message = _("Write the date as YYYY-MM-DD (found %(v)s).", v=row.day_text)
        return None, [RowError(row.line, columns.day, message)]
    if day > today or day.year < 2000:
        message = _("The date %(v)s is not a past day.", v=day.isoformat())
        return None, [RowError(row.line, columns.day, message)]
    return day, []


def _skip_recorded(result: Preview, lookup: CompletionLookup, columns) -> None:
    """Completions already on record are skipped and reported, not imported twice."""
    recorded = lookup.recorded(result.items)
    kept = []
    for item in result.items:
        if item.key() in recorded:
            message = _("Already recorded for that day: skipped.")
            result.skipped.append(RowError(item.line, columns.day, message))
        else:
            kept.append(item)
    result.items = kept


def preview_completions(table: Table, lookup: CompletionLookup) -> Preview:
    """Read completion rows: who (e-mail, or municipality code + employee number), which
    programme (code) and when (date). Duplicates inside the file are errors; completions
    already on record are skipped and reported."""
    cols = table.index(COMPLETION_ALIASES)
    result = Preview(errors=_completion_header_errors(cols))
    if result.errors:
        return result
    rows = _completion_rows(table, cols)
    by_email, by_pair = lookup.employees(
        {r.email for r in rows if r.email},
        {(r.code, r.number) for r in rows if not r.email and r.code and r.number},
    )
    programs = lookup.programs({r.program_code for r in rows if r.program_code})
    columns = _completion_columns(table, cols)
    today, seen = today_tokyo(), {}
    for row in rows:
        employee, errors = _completion_person(row, by_email, by_pair, columns)
        program = programs.get(row.program_code)
        errors += _completion_program_errors(row, program, columns)
        day, day_errors = _completion_day(row, today, columns)
        if errors or day_errors:
            result.errors.extend(errors + day_errors)
            continue
        item = CompletionItem(row.line, employee, program, day)
        if item.key() in seen:
            who_col = columns.email if row.email else columns.number
            message = _(
                "Duplicate of line %(n)d: same person, programme and day.", n=seen[item.key()]
            )
            result.errors.append(RowError(row.line, who_col, message))
            continue
        seen[item.key()] = row.line
        result.items.append(item)
    if result.ok:
        _skip_recorded(result, lookup, columns)
    return result
