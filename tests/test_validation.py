"""The edge rules themselves: human text, whole numbers, dates, paging, log redaction."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from regional import validation
from regional.redaction import redact, redact_path, redact_query, redact_text
from regional.validation import InputProblem


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    "text",
    [
        "a\r\nb",
        "A\rBEGIN:VEVENT",
        "tab\there",
        "nul\x00",
        "del\x7f",
        "c1\x85",
        "line\u2028sep",
        "para\u2029sep",
        "bidi\u202eevil",
        "isolate\u2066x",
        "lone\ud800",
    ],
)
def test_human_text_refuses_controls_separators_bidi_and_surrogates(text):
    assert validation.text_problem(text) == "Remove the invisible control characters."
    with pytest.raises(InputProblem):
        validation.check_text(text)


@pytest.mark.parametrize("text", ["髙橋 太郎", "𠮷野 花子", "O'Brien-Smith", "café", "", "ｶﾀｶﾅ"])
def test_real_names_pass(text):
    assert validation.text_problem(text) is None


def test_multiline_text_keeps_line_breaks_and_tabs_only():
    assert validation.text_problem("one\r\ntwo\tthree", multiline=True) is None
    assert validation.text_problem("one\u202etwo", multiline=True) is not None
    assert validation.text_problem("one\x0btwo", multiline=True) is not None


def test_printable_makes_stored_text_safe_for_one_line():
    assert validation.printable("A\rBEGIN:VEVENT\u202e") == "A BEGIN:VEVENT "


@pytest.mark.parametrize("raw", ["1e20", "1.0", "", " ", "0x10", "9" * 13, "١٢"])
def test_whole_number_refuses_what_is_not_a_plain_decimal(raw):
    with pytest.raises(InputProblem):
        validation.whole_number(raw)


def test_whole_number_bounds():
    assert validation.whole_number(" 42 ") == 42
    with pytest.raises(InputProblem):
        validation.whole_number(str(2**31))
    with pytest.raises(InputProblem):
        validation.whole_number("0", minimum=1)


@pytest.mark.parametrize(
    "raw",
    [
        "²",
        "²⁰²⁶",
        "٣",
        "١٢",
        "①",
        "𝟏",
        "፩",
        "1²",
        "-",
        "+",
        "1_000",
        "1 000",
        " ",
        None,
        1.0,
        True,
        [1],
    ],
)
def test_only_ascii_and_full_width_digits_are_a_number(raw):
    """``isdigit()`` is true for ``²``, ``٣``, ``①`` and ``፩``; none of them is read as a number."""
    with pytest.raises(InputProblem):
        validation.whole_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("０２８５９８", 28598),
        ("　１２　", 12),
        ("－５", -5),
        ("＋７", 7),
        ("007", 7),
        (42, 42),
    ],
)
def test_full_width_digits_are_read_as_their_ascii_value(raw, expected):
    assert validation.whole_number(raw) == expected


def test_the_bound_applies_to_numbers_from_json_too():
    assert validation.whole_number(2**31 - 1) == 2**31 - 1
    for value in (2**31, -(2**31), 10**25):
        with pytest.raises(InputProblem):
            validation.whole_number(value)


@pytest.mark.parametrize("raw", ["0", "-1", "²", "٣", "", "9" * 25, "1e20", None, "2147483648"])
def test_a_record_id_is_positive_and_bounded_or_none(raw):
    assert validation.record_id(raw) is None


def test_a_record_id_in_full_width_is_its_ascii_value():
    assert validation.record_id("１２") == 12
    assert validation.form_id("12") == 12
    assert validation.optional_form_id("") is None
    assert validation.optional_whole_number("None") is None
    with pytest.raises(ValueError):  # WTForms turns a ValueError from coerce into a form error
        validation.form_id("²")


def test_the_form_field_reads_numbers_with_the_one_parser(app):
    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict

    class Form(FlaskForm):
        class Meta:
            csrf = False

        n = validation.WholeNumberField("n", minimum=0, maximum=1000)

    with app.test_request_context():
        for raw in ("٣", "²", "9" * 25, "1e20", "-1", "1001", "1_0"):
            form = Form(MultiDict({"n": raw}))
            assert not form.validate(), raw
            assert form.n.data is None, raw
        form = Form(MultiDict({"n": "１２"}))
        assert form.validate() and form.n.data == 12


def test_the_decimal_field_reads_plain_decimals_only(app):
    from decimal import Decimal

    from flask_wtf import FlaskForm
    from werkzeug.datastructures import MultiDict

    class Form(FlaskForm):
        class Meta:
            csrf = False

        hours = validation.DecimalNumberField("hours")

    with app.test_request_context():
        for raw in ("sNaN", "NaN", "Infinity", "1e3", "٣", "²", "1.5.1", ""):
            form = Form(MultiDict({"hours": raw}))
            assert not form.validate(), raw
            assert form.hours.data is None, raw
        form = Form(MultiDict({"hours": "１.５"}))
        assert form.validate() and form.hours.data == Decimal("1.5")


def test_the_url_converter_takes_no_other_script_digits():
    m = Map([Rule("/p/<int:n>", endpoint="p")], converters={"int": validation.BoundedIntConverter})
    urls = m.bind("example.org")
    assert urls.match("/p/１２") == ("p", {"n": 12})
    for path in ("/p/٣", "/p/²", "/p/１２３４５６７８９０１２３"):
        with pytest.raises(NotFound):
            urls.match(path)


def test_the_url_converter_is_bounded():
    m = Map([Rule("/p/<int:n>", endpoint="p")], converters={"int": validation.BoundedIntConverter})
    urls = m.bind("example.org")
    assert urls.match("/p/2147483647") == ("p", {"n": 2147483647})
    for path in ("/p/2147483648", "/p/99999999999999999999", "/p/" + "9" * 5000):
        with pytest.raises(NotFound):
            urls.match(path)


@pytest.mark.parametrize(
    ("args", "expected"),
    [({}, (1, 100)), ({"page": "-3", "per_page": "0"}, (1, 1)), ({"per_page": "99999"}, (1, 500))],
)
def test_paging_clamps_like_the_api_always_did(args, expected):
    assert validation.parse_paging(args, per_page=100, max_per_page=500) == expected


@pytest.mark.parametrize(
    "args", [{"page": "1e20"}, {"page": "99999999999999999999"}, {"per_page": "x"}, {"page": "1.5"}]
)
def test_paging_refuses_what_is_not_a_page(args):
    with pytest.raises(InputProblem):
        validation.parse_paging(args)


def test_page_number_for_pages_clamps_quietly():
    assert validation.page_number({"page": "1e20"}, 5) == 1
    assert validation.page_number({"page": "99999999999999999999"}, 5) == 1
    assert validation.page_number({"page": "7"}, 5) == 5


@pytest.mark.parametrize("raw", ["0001-01-01", "0000-01-01", "9999-12-31", "2025-02-30", "x"])
def test_dates_out_of_range_or_unreal_are_refused(raw):
    with pytest.raises(InputProblem):
        validation.parse_date(raw)
    with pytest.raises(InputProblem):
        validation.parse_datetime(raw)


def test_dates_in_range_pass():
    assert validation.parse_date("2025-04-01") == date(2025, 4, 1)
    assert validation.parse_datetime("2025-04-01") == datetime(2025, 4, 1)
    assert validation.parse_datetime("2025-04-01T09:30+09:00").hour == 9
    assert validation.date_problem(datetime(1, 1, 1)) is not None


@pytest.mark.parametrize("raw", ["-1", "0", "1999", "2200", "2024.0", "99999999999999999999"])
def test_fiscal_years_out_of_range_are_refused(raw):
    with pytest.raises(InputProblem):
        validation.parse_fiscal_year(raw)


def test_fiscal_year_in_range():
    assert validation.parse_fiscal_year("2024") == 2024


# -- log redaction ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/registrations/feed/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ.ics",
            "/registrations/feed/[redacted]",
        ),
        ("/registrations/feed/short.ics", "/registrations/feed/[redacted]"),
        ("/password/reset/eyJtIjoiMzMyMDM4In0.aB3.xyz", "/password/reset/[redacted]"),
        ("/signup/confirm/whatever", "/signup/confirm/[redacted]"),
        ("/x/" + "A" * 40, "/x/[redacted]"),
        ("/people/42/edit", "/people/42/edit"),
    ],
)
def test_paths_are_redacted(path, expected):
    assert redact_path(path) == expected


def test_queries_are_redacted_by_name_and_by_shape():
    assert redact_query("token=abc&page=2") == "token=[redacted]&page=2"
    assert redact_query(b"x=" + b"a1" * 15) == "x=[redacted]"


def test_a_log_line_cannot_be_split_or_disguised():
    line = redact("/people/a\r\nINFO forged\u202e", "q=1")
    assert "\r" not in line and "\n" not in line and "\u202e" not in line
    assert line.endswith("?q=1")


def test_free_text_has_its_addresses_redacted_and_its_frames_kept():
    frame = (
        '  File "/srv/regional/migrations/versions/5a7e2c41d9b3_login_throttle.py", line 3, in up'
    )
    text = (
        "Traceback (most recent call last):\n"
        f"{frame}\n"
        "RuntimeError: no relay for https://x.example/password/reset/eyJtIjoiMzMy.aB3.xyz"
        " (see /registrations/feed/abcdefghijklmnopqrstuvwxyzABCDEF.ics?token=s3cr3t&page=2)"
    )
    out = redact_text(text)
    assert frame in out  # where the code failed stays readable
    assert "https://x.example/password/reset/[redacted]" in out
    assert "/registrations/feed/[redacted]?token=[redacted]&page=2" in out
    assert "eyJtIjoiMzMy" not in out and "s3cr3t" not in out and "abcdefghijklmnop" not in out
