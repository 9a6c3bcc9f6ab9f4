"""Input at the edge: one rule for human text, and bounds for numbers, dates and paging.

Pages (WTForms validators), the JSON API and spreadsheet imports share these, so
one input is refused the same way wherever it arrives, and nothing a person can
type reaches the database or a file format as something that breaks it:

* human text refuses control characters (C0, DEL, C1), the line and paragraph
  separators U+2028/2029, bidirectional overrides and isolates (U+202A-202E,
  U+2066-2069) and lone surrogates: they break iCalendar lines, CSV cells and
  log lines, and bidi overrides make a name read differently than it is stored;
* whole numbers (ids and counts from a path, a query string, a form or a JSON body)
  are read by one parser, :func:`whole_number`: ASCII digits, the full-width ones a
  Japanese input method types folded to ASCII (NFKC), bounded by :data:`MAX_INT`
  (the database's 32-bit ids and counts; SQLite raises OverflowError past 2**63,
  PostgreSQL past 2**31). ``str.isdigit()`` and ``int()`` are not that rule: they
  take ``²``, ``٣`` and ``𝟏``, and ``int("²")`` raises;
* numbers and codes a person types that are not quantities (職員番号, certificate
  numbers, a certificate's code) are read by :func:`typed_code`: NFKC (the full-width
  digits and letters a Japanese input method types become ASCII), spaces removed and
  every hyphen variant a ``-``, before they are looked up or stored;
* dates lie between :data:`MIN_DATE` and :data:`MAX_DATE` (``date(0, ...)``
  raises, and year 1 overflows when converted to another time zone);
* paging parameters are whole numbers within :data:`MAX_PAGE`.
"""

from __future__ import annotations

import builtins
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, time

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms.fields import DecimalField, IntegerField
from wtforms.validators import ValidationError as FormValidationError

from regional.errors import DomainError

#: Largest id, count or other whole number accepted from outside (PostgreSQL ``integer``).
MAX_INT = 2**31 - 1
#: The first and last day the platform accepts anywhere (sessions, records, filters).
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
#: Fiscal years are named by the year they start in.
MIN_FISCAL_YEAR = 2000
MAX_FISCAL_YEAR = 2199
#: Deepest page a list can be asked for.
MAX_PAGE = 100_000

_OTHERS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_BAD_TEXT = re.compile(f"[\x00-\x1f{_OTHERS}]")
#: Multi-line text keeps tab, line feed and carriage return.
_BAD_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_OTHERS}]")
_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")

TEXT_MESSAGE = _l("Remove the invisible control characters.")


class InputProblem(ValueError):
    """A value from outside that the platform refuses; ``message`` says why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


# -- human text ------------------------------------------------------------------


def text_problem(value: object, *, multiline: bool = False) -> str | None:
    """Why ``value`` is not acceptable human text (None when it is, or is not text).

    ``multiline`` text (notes, descriptions) may hold line breaks and tabs.
    """
    if not isinstance(value, str) or not value:
        return None
    pattern = _BAD_MULTILINE if multiline else _BAD_TEXT
    return str(TEXT_MESSAGE) if pattern.search(value) else None


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` itself, or :class:`InputProblem` when it holds a refused character."""
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise InputProblem(problem)
    return value


def printable(value: object) -> str:
    """Stored text made safe for a one-line output (calendar, file name, log).

    Rows written before the rule existed may hold anything: refused characters
    become a space, so an old bad row never breaks what is built from it.
    """
    return _BAD_TEXT.sub(" ", "" if value is None else str(value))


class HumanText:
    """WTForms validator: the human text rule for a form field."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: object, field: object) -> None:
        problem = text_problem(getattr(field, "data", None), multiline=self.multiline)
        if problem:
            raise FormValidationError(problem)


# -- numbers and URL ids ---------------------------------------------------------


def fold_width(raw: str) -> str | None:
    """``raw`` with full-width forms (０-９, －, ＋, the ideographic space) made ASCII by NFKC.

    Only width is folded: superscripts (``²``), circled (``①``) and mathematical
    (``𝟏``) digits, and the digits of other scripts (``٣``), which NFKC would turn
    into ASCII or leave as they are, make the value unreadable (None) rather than
    guessed at.
    """
    if raw.isascii():
        return raw
    if any(not c.isascii() and not unicodedata.decomposition(c).startswith("<wide>") for c in raw):
        return None
    return unicodedata.normalize("NFKC", raw)


_HYPHENS = re.compile(r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63\u2043]")
#: Spaces after NFKC (the ideographic and no-break spaces are " " by then). Tabs, line
#: breaks and other controls are left in place for the human-text rule to refuse.
_SPACES = re.compile(" +")
#: Zero-width characters pasted with a code (a zero-width space, joiners, a BOM); other
#: invisible characters (bidi overrides) stay, for the text check to refuse.
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")


def typed_code(value: str | None) -> str:
    """A number or code as a person typed it (職員番号 ０２８５９８, 証書番号 ＦＥ－１２３),
    as it is compared and stored: NFKC, no spaces, no zero-width characters (a zero-width
    space or a BOM pasted with it), every hyphen variant (‐ – — − ー ｰ) a '-'.

    Not a quantity: leading zeros stay (``whole_number`` reads counts and ids)."""
    text = unicodedata.normalize("NFKC", value or "")
    text = _ZERO_WIDTH.sub("", text)
    return _HYPHENS.sub("-", _SPACES.sub("", text))


def typed_code_or_none(value: object) -> object:
    """The one filter of a typed number or code, for every form field and the API alike:
    :func:`typed_code` (full width read as ASCII), blank as None; a non-string is left
    for the field's own check."""
    if value is None or not isinstance(value, str):
        return value
    return typed_code(value) or None


def whole_number(text: object, *, minimum: int = -MAX_INT, maximum: int = MAX_INT) -> int:
    """The one parser of whole numbers from outside: an id or a count, bounded.

    A string must be decimal digits (an optional sign; full-width ones accepted as
    their ASCII value); ``1e20``, ``1.0``, ``²``, ``٣``, the empty string and more
    than 12 digits are refused. An ``int`` (from JSON or a form's own choices) is
    only bounded; anything else (a bool, a float, a list) is refused. Every refusal
    is an :class:`InputProblem` (a ValueError, so WTForms shows it as a form error).
    """
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        raw = fold_width(text) if isinstance(text, str) else None
        raw = raw.strip() if raw is not None else None
        if raw is None or not _WHOLE.fullmatch(raw):
            raise InputProblem(_("Write a whole number."))
        value = int(raw)
    if not minimum <= value <= maximum:
        raise InputProblem(_("Write a whole number from %(lo)d to %(hi)d.", lo=minimum, hi=maximum))
    return value


def record_id(text: object) -> int | None:
    """An id of a record (1 to :data:`MAX_INT`), or None when ``text`` cannot be one.

    Callers answer None as they answer an id that names nothing (404, or the item
    skipped), so a malformed id and a missing record look alike.
    """
    try:
        return whole_number(text, minimum=1)
    except InputProblem:
        return None


def form_id(value: object) -> int:
    """``coerce`` for a WTForms choice of records: an id, or a ValueError (a form error)."""
    return whole_number(value, minimum=1)


def optional_form_id(value: object) -> int | None:
    """``coerce`` for an optional choice of records: empty is None, otherwise :func:`form_id`."""
    return None if _empty_choice(value) else form_id(value)


def optional_whole_number(value: object) -> int | None:
    """``coerce`` for an optional choice of numbers (a year): empty is None."""
    return None if _empty_choice(value) else whole_number(value)


def _empty_choice(value: object) -> bool:
    # WTForms renders a None choice as "None", and sends it back so.
    return value is None or value == "" or value == "None"


class WholeNumberField(IntegerField):
    """WTForms IntegerField read by :func:`whole_number` (``int()`` would take ``٣``, ``1_0``
    and 25 digits); ``minimum``/``maximum`` bound it before any validator runs."""

    def __init__(self, *args, minimum: int = -MAX_INT, maximum: int = MAX_INT, **kwargs):
        super().__init__(*args, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist:
            return
        try:
            self.data = whole_number(valuelist[0], minimum=self.minimum, maximum=self.maximum)
        except InputProblem as exc:
            self.data = None
            raise ValueError(exc.message) from exc


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` for the whole app: beyond :data:`MAX_INT` the route does not match (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        # A route's own ``max`` may be lower than the app's bound, never higher.
        bound = MAX_INT if max is None else builtins.min(max, MAX_INT)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)

    def to_python(self, value: str) -> int:
        # Werkzeug's ``\d+`` matches every script's digits (``٣``) and int() takes them;
        # the one parser takes ASCII and full-width digits only, within the bound.
        if self.fixed_digits and len(value) != self.fixed_digits:
            raise ValidationError()
        try:
            number = whole_number(value, minimum=-MAX_INT if self.signed else 0)
        except InputProblem as exc:
            raise ValidationError() from exc
        if (self.min is not None and number < self.min) or number > self.max:
            raise ValidationError()
        return number


_DECIMAL = re.compile(r"[+-]?[0-9]{1,12}(?:\.[0-9]{1,12})?")


class DecimalNumberField(DecimalField):
    """WTForms DecimalField for numbers written plainly (``1.5``, full width folded).

    ``Decimal()`` also takes ``NaN``, ``sNaN``, ``Infinity``, exponents and other scripts'
    digits, and NumberRange then raises on ``sNaN`` (a 500): only decimals are read.
    """

    def process_formdata(self, valuelist: list) -> None:
        if not valuelist:
            return
        raw = fold_width(valuelist[0]) if isinstance(valuelist[0], str) else None
        if raw is None or not _DECIMAL.fullmatch(raw.strip()):
            self.data = None
            raise ValueError(str(_l("Write a number such as 1.5.")))
        super().process_formdata([raw.strip()])


def refuse_nul_bytes() -> None:
    """Before every request: a NUL in the path, query or form is a 400, never a 500.

    PostgreSQL text cannot hold NUL (psycopg raises), so a ``%00`` in a search box,
    a municipality code or an e-mail address would otherwise fail deep inside a query.
    The API's code says where: ``invalid_filter`` (path or query), ``invalid_field`` (form).
    """
    sources = [("invalid_filter", [request.path])]
    for code, source in (("invalid_filter", request.args), ("invalid_field", request.form)):
        if source:
            sources.append((code, [v for key, items in source.lists() for v in (key, *items)]))
    for code, values in sources:
        if any("\x00" in v for v in values if isinstance(v, str)):
            raise DomainError(code, _("The request could not be understood."), status=400)


# -- paging ----------------------------------------------------------------------


def parse_paging(
    args: Mapping[str, str], *, per_page: int = 100, max_per_page: int = 500
) -> tuple[int, int]:
    """``page`` and ``per_page`` from a query string; InputProblem when not whole numbers.

    A page below 1 is page 1 and a size outside 1..max_per_page is clamped, as the
    API always did; a page past :data:`MAX_PAGE` is refused.
    """
    try:
        page = whole_number(args.get("page", 1), maximum=MAX_PAGE)
        size = whole_number(args.get("per_page", per_page), maximum=MAX_INT)
    except InputProblem as exc:
        raise InputProblem(_("page and per_page must be whole numbers.")) from exc
    return max(1, page), min(max_per_page, max(1, size))


def page_number(args: Mapping[str, str], pages: int) -> int:
    """A page's ``?page=`` clamped into 1..pages; anything unreadable is page 1."""
    try:
        page = whole_number(args.get("page", 1), maximum=MAX_PAGE)
    except InputProblem:
        return 1
    return min(max(1, page), max(1, pages))


# -- dates -----------------------------------------------------------------------


def date_problem(value: date | datetime | None) -> str | None:
    """Why a date or time is out of the platform's range (None when it is fine)."""
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    if MIN_DATE <= day <= MAX_DATE:
        return None
    return _(
        "Enter a date between %(start)s and %(end)s.",
        start=MIN_DATE.isoformat(),
        end=MAX_DATE.isoformat(),
    )


def check_date(value: date | datetime) -> date | datetime:
    """``value`` itself, or :class:`InputProblem` when outside the platform's range."""
    problem = date_problem(value)
    if problem:
        raise InputProblem(problem)
    return value


def parse_date(text: str) -> date:
    """An ISO 8601 day (``2025-04-01``) within the platform's range."""
    try:
        value = date.fromisoformat(str(text).strip())
    except ValueError as exc:
        raise InputProblem(_("Write the date as YYYY-MM-DD.")) from exc
    return check_date(value)  # type: ignore[return-value]


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 day or time within the platform's range (naive: as written).

    A bare day is its midnight. Time zones are the caller's business
    (``regional.fiscal.local_to_utc`` reads a naive time as Tokyo time).
    """
    raw = str(text).strip()
    try:
        value = (
            datetime.combine(date.fromisoformat(raw), time(0))
            if len(raw) == 10
            else datetime.fromisoformat(raw)
        )
    except ValueError as exc:
        raise InputProblem(_("Write an ISO 8601 date or time.")) from exc
    return check_date(value)  # type: ignore[return-value]


def parse_fiscal_year(text: object) -> int:
    """A fiscal year (named by the year it starts in) within the platform's range."""
    try:
        return whole_number(text, minimum=MIN_FISCAL_YEAR, maximum=MAX_FISCAL_YEAR)
    except InputProblem as exc:
        raise InputProblem(
            _(
                "A fiscal year is a year from %(lo)d to %(hi)d.",
                lo=MIN_FISCAL_YEAR,
                hi=MAX_FISCAL_YEAR,
            )
        ) from exc


class SensibleDate:
    """WTForms validator for DateField/DateTimeLocalField: within the platform's range."""

    def __call__(self, form: object, field: object) -> None:
        problem = date_problem(getattr(field, "data", None))
        if problem:
            raise FormValidationError(problem)
