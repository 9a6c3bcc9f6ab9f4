"""Finding a programme: keyword search, filters that keep their state, and the reader's marks.

Japanese has no spaces between words, so a keyword matches anywhere (substring); Latin
words match at word boundaries; full-width and half-width forms, Latin case and
katakana/hiragana are folded on both sides; the reader's language decides which texts
are searched. What a person types is never a LIKE wildcard. (The words staff type,
synonyms and ranking: tests/test_catalogue_search_words.py.)
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from regional.catalogue.models import Delivery, Program
from regional.catalogue.normalise import fold, search_words
from regional.catalogue.services import update_program
from regional.extensions import db
from tests import factories
from tests.fixtures_sessions import within
from tests.fixtures_targets import complete

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}
OPEN_MARK = "Has a session open for registration"
DONE_MARK = "Completed"


def _get(client, url: str, headers: dict | None = None) -> str:
    resp = client.get(url, headers=headers or EN)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def _codes(page: str) -> set[str]:
    """Codes of the programmes listed (the first cell of each row)."""
    return set(re.findall(r'<td data-label="(?:Code|研修コード)">([^<]+)</td>', page))


def _row(page: str, code: str) -> str:
    """The table row of one programme."""
    for row in page.split("<tr>"):
        if f">{code}</td>" in row:
            return row.split("</tr>")[0]
    raise AssertionError(f"{code} is not listed")


def _search(client, q: str, headers: dict | None = None, **more: str) -> set[str]:
    """Codes found, by a Japanese reader unless ``headers`` say otherwise."""
    args = "&".join(f"{k}={quote(v)}" for k, v in {"q": q, **more}.items())
    return _codes(_get(client, f"/catalogue/?{args}", headers or JA))


def _program(code: str) -> Program:
    return db.session.scalar(select(Program).where(Program.code == code))


# -- folding ----------------------------------------------------------------------


def test_folding_makes_full_and_half_width_case_and_kana_one_form():
    assert fold("ＤＸ・ＩＣＴ") == fold("dx・ict") == "dx・ict"
    assert fold("ｾｷｭﾘﾃｨ") == fold("セキュリティ") == fold("せきゅりてぃ") == "せきゅりてぃ"
    assert search_words("セキュリティ\u3000全職員  せきゅりてぃ") == ["せきゅりてぃ", "全職員"]
    assert search_words("   ") == []


# -- keyword search -----------------------------------------------------------------


def test_japanese_keywords_match_inside_titles_without_spaces(as_employee_a):
    found = _search(as_employee_a, "セキュリティ")
    assert "GEN-SEC-101" in found  # 情報セキュリティ研修（全職員）
    assert "GEN-SEC-102" not in found  # 標的型攻撃メール対策: same area, other words
    assert "CORE-PM-101" not in found


def test_half_width_katakana_and_full_width_latin_find_the_same(as_employee_a):
    assert _search(as_employee_a, "ｾｷｭﾘﾃｨ") == _search(as_employee_a, "セキュリティ")
    assert "GEN-LIT-101" in _search(as_employee_a, "ＤＸ")  # DX・ICTの基礎（必須）
    assert "GEN-LIT-101" in _search(as_employee_a, "ｄｘ")


def test_english_words_match_whatever_their_case(as_employee_a):
    assert "GEN-SEC-102" in _search(as_employee_a, "PHISHING", EN)
    assert "GEN-SEC-102" in _search(as_employee_a, "Phishing", EN)


def test_descriptions_and_the_code_are_searched_too(as_employee_a):
    assert _search(as_employee_a, "EBPM") == {"GEN-LIT-102"}  # in the descriptions only
    assert _search(as_employee_a, "gen-sec-101") == {"GEN-SEC-101"}


def test_words_separated_by_a_space_must_all_match(as_employee_a):
    # A full-width (ideographic) space separates words as a normal one does.
    assert _search(as_employee_a, "セキュリティ\u3000全職員") == {"GEN-SEC-101"}
    assert _search(as_employee_a, "セキュリティ 全職員") == {"GEN-SEC-101"}
    assert _search(as_employee_a, "セキュリティ 存在しない語") == set()


def test_an_edited_programme_is_found_by_its_new_words(app, as_employee_a, world):
    with within(app):
        p = _program("GEN-MIND-101")
        values = {
            k: getattr(p, k) for k in ("title_ja", "title_en", "description_ja", "description_en")
        }
        values.update(
            skill_area_id=p.skill_area_id,
            delivery=p.delivery.value,
            hours=p.hours,
            title_ja="変革のマインドセット（ワークショップ）",
        )
        update_program(p, values, world.admin)
        db.session.commit()
    assert "GEN-MIND-101" in _search(as_employee_a, "ワークショップ")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("%", {"W-PCT"}),
        ("_", {"W-UND"}),
        ("100%", {"W-PCT"}),
        ("100_", set()),  # _ is not "any character"
        ("snake_case", {"W-UND"}),
        ("snake%case", set()),
        ("\\", set()),
        ("/", set()),
    ],
)
def test_like_wildcards_typed_by_a_person_are_plain_characters(app, as_employee_a, typed, expected):
    with within(app):
        factories.make_program("W-PCT", title_ja="稼働率100%の運用", title_en="Uptime at 100%")
        factories.make_program("W-UND", title_ja="snake_case 命名", title_en="Naming in snake_case")
        factories.make_program("W-ANY", title_ja="稼働率1000の運用", title_en="snakeXcase")
        db.session.commit()
    assert _search(as_employee_a, typed) == expected


# -- filters keep their state ----------------------------------------------------


def test_the_form_shows_the_search_in_force_and_links_keep_it(app, as_employee_a):
    page = _get(as_employee_a, "/catalogue/?q=" + quote("セキュリティ") + "&tier=general&open=y")
    assert 'value="セキュリティ"' in page
    assert re.search(r'<option selected value="general">|<option value="general" selected', page)
    assert re.search(r'id="open"[^>]*checked|checked[^>]*id="open"', page)
    assert 'href="/catalogue/"' in page  # clear the search
    # The programme's page leads back to the same search.
    with within(app):
        pid = _program("GEN-SEC-101").id
    detail = _get(as_employee_a, f"/catalogue/{pid}?q=" + quote("セキュリティ") + "&tier=general")
    back = re.search(r'href="(/catalogue/\?[^"]+)">Back to the search results', detail)
    assert back, "no way back to the search"
    assert "q=%E3%82%BB" in back.group(1) and "tier=general" in back.group(1)


def test_a_filtered_list_links_each_programme_with_the_search(app, as_employee_a):
    with within(app):
        pid = _program("GEN-SEC-101").id
    page = _get(as_employee_a, "/catalogue/?q=gen-sec-101&area=information_security")
    assert f'href="/catalogue/{pid}?q=gen-sec-101&amp;area=information_security"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("q=" + "あ" * 101, "at most 100 characters"),
        ("q=" + quote(" ".join("abcdefghi")), "at most 8 words"),
        ("q=%01abc", "invisible control characters"),
        ("tier=wizard", "Not a valid choice"),
        ("area=%3Cscript%3E", "Not a valid choice"),
        ("track=" + "x" * 5000, "Not a valid choice"),
    ],
)
def test_a_bad_filter_is_explained_and_the_rest_still_works(as_employee_a, query, message):
    page = _get(as_employee_a, f"/catalogue/?{query}")
    assert 'aria-invalid="true"' in page
    assert message in page
    assert "20 programmes" in page  # the refused filter is ignored
    assert "<script>" not in page


@pytest.mark.parametrize(
    "q",
    ["' OR 1=1 --", "%%%%%%", "\\%\\_", "\ufffd", "😀", "a" * 100, "%E3%81", "\u3000\u3000"],
)
def test_hostile_keywords_never_break_the_page(as_employee_a, q):
    resp = as_employee_a.get("/catalogue/?q=" + quote(q, safe="%"), headers=EN)
    assert resp.status_code == 200


def test_japanese_page_explains_a_refused_search_in_japanese(as_employee_a):
    page = _get(as_employee_a, "/catalogue/?q=" + "あ" * 101, JA)
    assert "100文字以内" in page


# -- marks ---------------------------------------------------------------------


def test_programmes_with_an_open_session_are_marked_in_words(app, as_employee_a, world):
    with within(app):
        opened = factories.make_program("M-OPEN")
        factories.make_session(opened)
        later = factories.make_program("M-LATER")  # registration opens next week
        factories.make_session(later, opens_in=timedelta(days=7))
        theirs = factories.make_program("M-THEIRS")  # B's own session, not for A's staff
        factories.make_session(theirs, host_municipality_id=world.muni_b, open_to_all=False)
        db.session.commit()
    page = _get(as_employee_a, "/catalogue/")
    assert OPEN_MARK in _row(page, "M-OPEN")
    assert 'aria-hidden="true"' in _row(page, "M-OPEN")  # the icon only adds to the words
    assert OPEN_MARK not in _row(page, "M-LATER")
    assert OPEN_MARK not in _row(page, "M-THEIRS")
    only_open = _codes(_get(as_employee_a, "/catalogue/?open=y"))
    assert "M-OPEN" in only_open and not {"M-LATER", "M-THEIRS"} & only_open
    assert "受付中の開催回あり" in _row(_get(as_employee_a, "/catalogue/", JA), "M-OPEN")


def test_a_completion_of_an_earlier_revision_marks_the_programme_completed(
    app, as_employee_a, as_coordinator_a, world
):
    with within(app):
        complete(world.muni_a, world.employee_a, "GEN-SEC-102", date(2025, 6, 1))
        p = _program("GEN-SEC-102")
        update_program(
            p,
            {
                "title_ja": p.title_ja + "（改訂）",
                "title_en": p.title_en,
                "description_ja": p.description_ja,
                "description_en": p.description_en,
                "skill_area_id": p.skill_area_id,
                "delivery": p.delivery.value,
                "hours": p.hours,
            },
            world.admin,
        )
        assert p.revision == 2
        pid = p.id
        db.session.commit()
    page = _get(as_employee_a, "/catalogue/")
    assert DONE_MARK in _row(page, "GEN-SEC-102")
    assert DONE_MARK not in _row(page, "GEN-SEC-101")
    assert "受講済み" in _row(_get(as_employee_a, "/catalogue/", JA), "GEN-SEC-102")
    assert DONE_MARK in _get(as_employee_a, f"/catalogue/{pid}")
    # The mark is the reader's own: their coordinator has not completed it.
    assert DONE_MARK not in _row(_get(as_coordinator_a, "/catalogue/"), "GEN-SEC-102")


# -- no dead end: e-learning ---------------------------------------------------------


def _program_form(app, **overrides) -> dict:
    with within(app):
        p = _program("GEN-SEC-101")
        data = {
            "title_ja": p.title_ja,
            "title_en": p.title_en,
            "description_ja": p.description_ja,
            "description_en": p.description_en,
            "skill_area": str(p.skill_area_id),
            "delivery": "elearning",
            "hours": str(p.hours),
            "csrf_token": "",
        }
    data.update(overrides)
    return data


def test_an_administrator_sets_the_e_learning_address_and_staff_are_led_to_it(
    app, as_admin, as_employee_a
):
    with within(app):
        pid = _program("GEN-SEC-101").id
    url = "https://intranet.example.lg.jp/elearning/security"
    data = _program_form(app, elearning_url=url)
    data["csrf_token"] = as_admin.csrf_token()
    resp = as_admin.post(f"/catalogue/{pid}/edit", data=data, headers=EN)
    assert resp.status_code == 302
    page = _get(as_employee_a, f"/catalogue/{pid}")
    assert f'href="{url}"' in page and "Take it as e-learning" in page
    assert "E-learning address" in _get(as_admin, f"/catalogue/{pid}")  # in the history


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "ftp://intranet.example/x",
        "intranet/elearning",
        "https://",
        "https://exa mple.jp/",
        "https://[::1/x",
        "https://example.jp/" + "a" * 500,
    ],
)
def test_an_e_learning_address_must_be_a_full_web_address(app, as_admin, bad):
    with within(app):
        p = _program("GEN-SEC-101")
        pid, revision = p.id, p.revision
    data = _program_form(app, elearning_url=bad)
    data["csrf_token"] = as_admin.csrf_token()
    resp = as_admin.post(f"/catalogue/{pid}/edit", data=data, headers=EN)
    assert resp.status_code == 422
    assert "aria-invalid" in resp.get_data(as_text=True)
    with within(app):
        p = _program("GEN-SEC-101")
        assert (p.revision, p.elearning_url) == (revision, None)


def test_an_e_learning_programme_without_address_or_session_says_what_to_do(app, as_employee_a):
    with within(app):
        p = _program("GEN-LIT-101")
        assert p.delivery is Delivery.ELEARNING and p.elearning_url is None
        pid = p.id
    page = _get(as_employee_a, f"/catalogue/{pid}", JA)
    assert "eラーニング" in page
    assert "研修担当者" in page
