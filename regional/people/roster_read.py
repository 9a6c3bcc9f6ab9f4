"""Reading a staff roster (職員名簿): its columns, and every cell checked.

The file itself is read by the one hardened spreadsheet reader (:mod:`regional.spreadsheets`:
CSV in CP932 or UTF-8, or XLSX); this module finds the columns by their header names, checks
each cell (formula-like starts, control characters, lengths, addresses) and gives each
data row's values. A row with any problem is reported, line and column, and left out.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from regional.people import job_categories
from regional.people.models import JobCategory
from regional.people.roster_units import UnitRef
from regional.spreadsheets import RowError, Table, normalise_header
from regional.validation import text_problem, typed_code

#: Data rows a roster may have (the largest member has a few thousand staff).
MAX_ROSTER_ROWS = 20000

#: Column keys and the header names that mean them (normalised: see ``_header_key``).
ALIASES: dict[str, tuple[str, ...]] = {
    "employee_number": (
        "職員番号",
        "職員no",
        "職員コード",
        "職員cd",
        "職員id",
        "個人番号",
        "個人コード",
        "個人cd",
        "employeenumber",
        "employeeno",
        "employeeid",
        "staffnumber",
        "staffno",
        "staffid",
    ),
    "name": ("氏名", "名前", "職員名", "職員氏名", "氏名漢字", "漢字氏名", "name", "fullname"),
    "name_kana": (
        "氏名カナ",
        "氏名かな",
        "氏名フリガナ",
        "職員氏名カナ",
        "カナ氏名",
        "フリガナ",
        "フリガナ氏名",
        "ふりがな",
        "カナ",
        "namekana",
        "kana",
    ),
    "email": (
        "メールアドレス",
        "メール",
        "メールアドレス庁内",
        "庁内メール",
        "庁内メールアドレス",
        "eメール",
        "eメールアドレス",
        "電子メール",
        "電子メールアドレス",
        "email",
        "emailaddress",
        "mail",
        "mailaddress",
    ),
    "org_unit": (
        "所属",
        "所属名",
        "所属名称",
        "所属部署",
        "所属部課",
        "所属部課名",
        "所属組織",
        "所属パス",
        "配属先",
        "部署",
        "部署名",
        "組織名",
        "orgunit",
        "organisationunit",
        "organizationunit",
        "unit",
    ),
    "job_category": ("職種", "職種名", "職種名称", "職種区分", "職種区分名", "jobcategory", "job"),
    "job_title": ("役職", "役職名", "職名", "職位", "jobtitle", "title", "position"),
    "head": ("所属長", "所属長区分", "所属長フラグ", "headofunit", "unithead", "head"),
}
REQUIRED = ("employee_number", "name", "email")
#: The name a column is called in messages when the file has none.
DEFAULT_NAMES = {
    "employee_number": "職員番号",
    "name": "氏名",
    "name_kana": "氏名カナ",
    "email": "メールアドレス",
    "org_unit": "所属",
    "job_category": "職種",
    "job_title": "役職",
    "head": "所属長",
}
MAX_LENGTH = {
    "employee_number": 20,
    "name": 100,
    "name_kana": 100,
    "email": 254,
    "org_unit": 500,
    "job_category": 40,
    "job_title": 100,
    "head": 20,
}

HEAD, DEPUTY = "head", "deputy"
#: The 所属長 cell's accepted values (after NFKC and lower case): head, or deputy.
HEAD_WORDS = ("〇", "○", "1", "はい", "yes", "true", "所属長", "正")
DEPUTY_WORDS = ("代理",)

#: Cells that a spreadsheet program would read as a formula (ASVS 1.2.10).
FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


def _header_key(name: str) -> str:
    return re.sub(r"[.。:：]", "", normalise_header(name))


def number_key(value: str | None) -> str:
    """An employee number as compared: NFKC, no spaces, every hyphen variant a '-'."""
    return typed_code(value)


def match_key(number: str) -> str:
    """How numbers are compared: a number of digits only without its leading zeros.

    Excel and LibreOffice read ``000104`` in a CSV as the number 104 and save it so.
    """
    if number.isdigit():
        return number.lstrip("0") or "0"
    return number


_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def valid_email(text: str) -> str | None:
    """The address in lower case, or None; plain ASCII addresses skip the full validator (speed)."""
    if len(text) <= 254 and _PLAIN_EMAIL.fullmatch(text):
        return text.lower()
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@dataclass
class Change:
    """One field of a person's record that a row changes, as the preview shows it."""

    field: str
    before: str
    after: str


@dataclass
class PersonRow:
    """A person's row of the file; planning fills in whom it matches and what it changes."""

    line: int
    number: str
    name: str
    email: str
    name_kana: str | None
    job_category: JobCategory | None
    unit: UnitRef | None  # None: the file has no 所属 column
    user_id: int | None = None
    changes: list[Change] = field(default_factory=list)
    #: 役職 (None: blank, or the file has no such column).
    job_title: str | None = None
    #: The 所属長 cell: "head", "deputy", or None (empty: nothing changes).
    head: str | None = None

    @property
    def moved(self) -> bool:
        return any(c.field == "org_unit" for c in self.changes)

    @property
    def reactivate(self) -> bool:
        """The row brings a disabled account back into use."""
        return any(c.field == "status" for c in self.changes)

    def unit_id_in(self, unit_ids: dict[tuple[str, ...], int]) -> int | None:
        """The unit the row places its person in, once the import's new units have ids."""
        if self.unit is None:
            return None
        if self.unit.planned is not None:
            return unit_ids[self.unit.planned]
        return self.unit.unit_id


@dataclass
class UnknownJob:
    """A 職種 name neither the member's words nor the defaults know: imported as その他."""

    word: str
    lines: list[int] = field(default_factory=list)


@dataclass
class ReadRow(PersonRow):
    """A row as read: its 所属 cell still text (None: the file has no 所属 column)."""

    unit_text: str | None = None


def read_head_flag(text: str) -> str | None:
    """A 所属長 cell: HEAD, DEPUTY, or None for an empty one; ValueError for anything else."""
    word = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not word:
        return None
    if word in HEAD_WORDS:
        return HEAD
    if word in DEPUTY_WORDS:
        return DEPUTY
    raise ValueError(word)


def _head_flag_problem() -> str:
    return _(
        "Not a value of this column. Write 所属長 (or 〇, ○, 1, はい, yes, true, 正) for the "
        "head of the row's unit, 代理 for the deputy, or leave the cell empty."
    )


# -- columns -------------------------------------------------------------------


def map_columns(table: Table) -> tuple[dict[str, int], list[RowError]]:
    """Which column holds each key; a key named by two columns, or a required one missing, is an error."""
    found: dict[str, list[int]] = defaultdict(list)
    for i, head in enumerate(table.header):
        norm = _header_key(head)
        for key, names in ALIASES.items():
            if norm in names:
                found[key].append(i)
    errors: list[RowError] = []
    cols: dict[str, int] = {}
    for key, idx in found.items():
        if len(idx) > 1:
            names = "、".join(table.header[i] for i in idx)
            errors.append(
                RowError(
                    1,
                    table.header[idx[1]],
                    _("These columns all mean the same thing: %(names)s. Keep one.", names=names),
                )
            )
        else:
            cols[key] = idx[0]
    for key in REQUIRED:
        if key not in found:
            errors.append(
                RowError(
                    1,
                    DEFAULT_NAMES[key],
                    _("The header has no %(name)s column.", name=DEFAULT_NAMES[key]),
                )
            )
    return cols, errors


def _cell(cells: list[str], cols: dict[str, int], key: str) -> str:
    i = cols.get(key)
    return cells[i].strip() if i is not None and i < len(cells) else ""


def check_cell(text: str) -> str | None:
    """Why a cell cannot be taken as it is: a formula-like start or a control character."""
    if text.startswith(FORMULA_FIRST):
        return _("The value begins with %(c)s and would become a spreadsheet formula.", c=text[:1])
    return text_problem(text)


# -- rows ----------------------------------------------------------------------


#: A trailer row's first character (a note such as the Shift_JIS export's, or 「※件数」).
NOTE_MARK = "※"


def is_note_row(cells: list[str]) -> bool:
    """A row with a single cell, starting with ※: a note, not a person."""
    filled = [c for c in cells if c.strip()]
    return len(filled) == 1 and filled[0].lstrip().startswith(NOTE_MARK)


def read_rows(
    table: Table,
    cols: dict[str, int],
    heads: dict[str, str],
    errors: list[RowError],
    unknown: dict[str, UnknownJob],
) -> list[ReadRow]:
    """Each data row's values, checked cell by cell; a row with any problem is left out.

    A 職種 that is not known is no problem: the row is read as その他 and ``unknown``
    lists the name with its lines (the preview warns)."""
    rows: list[ReadRow] = []
    lookup = job_categories.Lookup() if "job_category" in cols else None
    for line, cells in table.rows:
        if is_note_row(cells):
            continue
        values, problems = _read_cells(line, cells, cols, heads)
        number, email = _check_required(line, values, heads, problems)
        head = _read_head(line, values, heads, problems)
        if problems:
            errors.extend(problems)
            continue
        rows.append(
            ReadRow(
                line=line,
                number=number,
                name=values["name"],
                email=email,
                name_kana=values.get("name_kana") or None,
                job_category=_read_job(values.get("job_category", ""), line, lookup, unknown),
                unit=None,
                unit_text=values.get("org_unit") if "org_unit" in cols else None,
                job_title=values.get("job_title") or None,
                head=head,
            )
        )
    return rows


def _read_head(line: int, values: dict[str, str], heads: dict[str, str], problems: list):
    """The 所属長 cell: "head", "deputy" or None; any other value is the row's problem."""
    if "head" not in heads or heads["head"] in {p.column for p in problems}:
        return None
    try:
        return read_head_flag(values.get("head", ""))
    except ValueError:
        problems.append(RowError(line, heads["head"], _head_flag_problem()))
        return None


def _read_cells(
    line: int, cells: list[str], cols: dict[str, int], heads: dict[str, str]
) -> tuple[dict[str, str], list[RowError]]:
    """The row's cells by key, and the problems of each (formula-like, control, length)."""
    values: dict[str, str] = {}
    problems: list[RowError] = []
    for key in cols:
        text = _cell(cells, cols, key)
        column = heads[key]
        why = check_cell(text) if text else None
        if why is None and len(text) > MAX_LENGTH[key]:
            why = _("Longer than %(n)d characters.", n=MAX_LENGTH[key])
        if why is not None:
            problems.append(RowError(line, column, why))
        values[key] = text
    return values, problems


def _check_required(
    line: int, values: dict[str, str], heads: dict[str, str], problems: list[RowError]
) -> tuple[str, str]:
    """The row's employee number and address as compared; a missing number or name, or an
    invalid address, added to ``problems``."""
    number = number_key(values.get("employee_number", ""))
    if not number and heads["employee_number"] not in {p.column for p in problems}:
        problems.append(
            RowError(line, heads["employee_number"], _("The employee number is missing."))
        )
    elif len(number) > MAX_LENGTH["employee_number"]:
        problems.append(
            RowError(line, heads["employee_number"], _("Longer than %(n)d characters.", n=20))
        )
    if not values.get("name") and heads["name"] not in {p.column for p in problems}:
        problems.append(RowError(line, heads["name"], _("The name is missing.")))
    email = ""
    raw_email = values.get("email", "")
    if raw_email and heads["email"] not in {p.column for p in problems}:
        email = valid_email(raw_email)
        if email is None:
            problems.append(
                RowError(line, heads["email"], _("This is not a valid e-mail address."))
            )
    return number, email


def _read_job(text: str, line: int, lookup, unknown: dict[str, UnknownJob]) -> JobCategory | None:
    """The job category a 職種 cell means (None: blank, left as it is); unknown: その他."""
    if not text or lookup is None:
        return None
    category = lookup(text)
    if category is None:
        unknown.setdefault(job_categories.word_key(text), UnknownJob(text)).lines.append(line)
        return JobCategory.OTHER
    return category
