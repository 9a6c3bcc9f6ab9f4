"""Reading an uploaded spreadsheet into a header and rows, safely.

One reader for every upload (attendance sheets, completion lists, staff rosters).
A file is CSV (UTF-8, with or without BOM, or Shift_JIS/CP932 as Excel in Japan
saves it) or XLSX; the type is judged by content (an XLSX is a zip), never by
the name. The file is read in memory and never stored. The first row is the
header; ``row`` numbers are lines of the file, the header being line 1.

An XLSX is a zip of XML, so a small upload can unpack into gigabytes or
millions of rows. Before openpyxl sees the file the zip directory is checked
(member count, total unpacked size, compression ratio); the worksheet's
declared dimension is checked before any row is read; rows are then streamed
(``read_only=True``) and reading stops at the cap. XML is parsed through
defusedxml (openpyxl uses it when installed), so entity tricks are refused.

Reading only reports: the caller lists bad rows as :class:`RowError` and
imports nothing unless the list is empty.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _

#: Data rows (the header and blank lines not counted) a file may hold.
MAX_ROWS = 20000
#: Columns read from a row; a workbook declaring more is refused.
MAX_COLUMNS = 100
#: Blank lines tolerated beyond the row cap before reading stops.
MAX_BLANK_LINES = 1000
#: Everything inside an XLSX, unpacked (a real 20,000-row roster is a few MB).
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
#: Members of an XLSX zip (a workbook has a dozen or so).
MAX_ZIP_MEMBERS = 200
#: Unpacked size over packed size for one member, above a small floor. Sheet XML
#: compresses 5-20x; a bomb compresses hundreds or thousands of times.
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"


class SheetError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, too large, no header)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowError:
    """One problem, at a line of the file (the header is line 1) and a column."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Table:
    """A file's header cells and its non-blank rows as ``(line, cells)``; cells are text."""

    header: list[str]
    rows: list[tuple[int, list[str]]]

    def index(self, aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
        """Which column holds each known key (the first header matching one of its names).

        Names in ``aliases`` are written normalised (see :func:`normalise_header`).
        """
        found: dict[str, int] = {}
        for i, name in enumerate(self.header):
            norm = normalise_header(name)
            for key, names in aliases.items():
                if key not in found and norm in names:
                    found[key] = i
        return found


def normalise_header(name: str) -> str:
    """Width, case, spaces and punctuation do not matter: 'Registration ID' = 'registration_id'."""
    text = unicodedata.normalize("NFKC", name or "").strip().lower()
    return re.sub(r"[\s_\-()（）・]", "", text)


def column_name(table: Table, cols: dict[str, int], key: str, fallback: str) -> str:
    """The header as the file wrote it for ``key``, or ``fallback`` when absent."""
    return table.header[cols[key]] if key in cols else fallback


def cell(cells: list[str], cols: dict[str, int], key: str) -> str:
    """The text of ``key``'s column in one row ('' when the column or cell is missing)."""
    i = cols.get(key)
    return cells[i].strip() if i is not None and i < len(cells) else ""


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")


def parse_day(text: str) -> date | None:
    """2025-04-01, 2025/4/1, 2025.4.1, 2025年4月1日 or 20250401 (an XLSX date cell too).

    None when not a calendar day; callers bound the range they accept.
    """
    text = text.strip()
    m = _DATE.match(text)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if re.fullmatch(r"\d{8}", text):
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return None


def read_table(data: bytes, *, max_rows: int = MAX_ROWS) -> Table:
    """A CSV or XLSX file's header and rows, judged by content; SheetError if unreadable."""
    if not data:
        raise SheetError(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return _finish(_xlsx_rows(data, max_rows), max_rows)
    if b"\x00" in data[:4096]:
        raise SheetError(_("The file is neither CSV text nor an XLSX workbook."))
    return _finish(_csv_rows(data), max_rows)


# -- internals -----------------------------------------------------------------


def _too_many(max_rows: int) -> SheetError:
    return SheetError(_("The file has more than %(n)d rows.", n=max_rows))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _finish(raw_rows: Iterable[tuple[int, Iterable[object]]], max_rows: int) -> Table:
    """Header and non-blank rows, stopping as soon as the file proves too long."""
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    max_lines = max_rows + MAX_BLANK_LINES + 1
    for line, values in raw_rows:
        if line > max_lines:
            raise _too_many(max_rows)
        cells = [_cell_text(c) for c in values]
        while cells and not cells[-1]:
            cells.pop()
        if header is None:
            if line != 1 or not cells:
                raise SheetError(_("The first line must be the header row naming the columns."))
            header = cells
            continue
        if not cells:
            continue
        if len(rows) >= max_rows:
            raise _too_many(max_rows)
        rows.append((line, cells))
    if header is None:
        raise SheetError(_("The file is empty."))
    return Table(header, rows)


def _unreadable() -> SheetError:
    return SheetError(_("The file is not a readable XLSX workbook."))


def _check_zip(data: bytes) -> None:
    """Refuse a zip that would unpack too large, before any XML is parsed.

    The sizes come from the zip directory, which a hostile file may forge; but
    Python's zipfile never returns more than the declared size of a member, so
    the declared sizes bound what openpyxl can read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _unreadable() from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise _unreadable()
    total = 0
    for info in members:
        total += info.file_size
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise SheetError(_("The workbook unpacks to far more than its size: refused."))
    if total > MAX_UNPACKED_BYTES:
        raise SheetError(
            _(
                "The workbook unpacks to more than %(n)d MB: refused.",
                n=MAX_UNPACKED_BYTES // (1024 * 1024),
            )
        )


def _count_rows(data: bytes, max_rows: int) -> None:
    """Refuse a workbook any of whose parts holds more row elements than the cap allows.

    openpyxl parses a whole sheet to size it when the sheet declares no
    dimension, before a single row can be streamed; counting ``<row`` tags in
    the unpacked bytes (C speed, bounded by :data:`MAX_UNPACKED_BYTES`) stops
    a sheet of millions of rows first.
    """
    max_lines = max_rows + MAX_BLANK_LINES + 1
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(".xml"):
                continue
            count, tail = 0, b""
            with archive.open(info) as member:
                while chunk := member.read(1024 * 1024):
                    both = tail + chunk
                    count += both.count(b"<row") + both.count(b":row")
                    count -= tail.count(b"<row") + tail.count(b":row")
                    tail = chunk[-8:]
                    if count > max_lines:
                        raise _too_many(max_rows)


def _xlsx_rows(data: bytes, max_rows: int) -> Iterator[tuple[int, tuple]]:
    _check_zip(data)
    try:
        _count_rows(data, max_rows)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _unreadable() from exc
    from openpyxl import load_workbook  # imported late: only uploads need it

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise _unreadable() from exc
    try:
        if not wb.worksheets:
            raise SheetError(_("The file is empty."))
        ws = wb.worksheets[0]
        declared_rows, declared_cols = ws.max_row, ws.max_column
        if declared_rows is not None and declared_rows > max_rows + MAX_BLANK_LINES + 1:
            raise _too_many(max_rows)
        if declared_cols is not None and declared_cols > MAX_COLUMNS:
            raise SheetError(_("The file has more than %(n)d columns.", n=MAX_COLUMNS))
        # The declared dimension may also be too small; do not let it cut rows off.
        ws.reset_dimensions()
        try:
            yield from enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1)
        except Exception as exc:  # damaged XML inside a valid zip, forbidden entities
            raise _unreadable() from exc
    finally:
        wb.close()


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(_("The file is neither UTF-8 nor Shift_JIS (CP932) text."))
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield start, cells[:MAX_COLUMNS]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise SheetError(
            _("Line %(n)d is not valid CSV: %(why)s", n=reader.line_num, why=str(exc))
        ) from exc
