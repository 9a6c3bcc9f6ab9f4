"""The list pages' filter form and pager: one macro each, labelled, the current page marked."""

from __future__ import annotations

import re

from regional.people.forms import PeopleFilterForm
from tests import factories
from tests.fixtures_people import in_app


def _macros(app):
    return app.jinja_env.get_template("_macros/lists.html").module


def test_a_single_page_has_no_pager(app):
    with app.test_request_context("/"):
        assert _macros(app).pager(1, 1, endpoint="people.index").strip() == ""


def test_the_pager_marks_the_current_page_and_keeps_the_filters(app):
    with app.test_request_context("/"):
        html = str(_macros(app).pager(2, 3, endpoint="people.index", args={"q": "髙橋"}))
    assert re.search(r'<nav class="pagination" aria-label="[^"]+">', html)
    assert re.search(r'<span aria-current="page">[^<]*2[^<]*3[^<]*</span>', html)
    prev = re.search(r'<a href="([^"]+)" rel="prev">', html).group(1)
    nxt = re.search(r'<a href="([^"]+)" rel="next">', html).group(1)
    assert "page=1" in prev and "page=3" in nxt
    assert "q=%E9%AB%99%E6%A9%8B" in prev and "q=%E9%AB%99%E6%A9%8B" in nxt


def test_the_pager_takes_a_page_url_and_has_no_link_past_the_ends(app):
    with app.test_request_context("/"):
        html = str(_macros(app).pager(3, 3, page_url=lambda n: f"/x?page={n}"))
    assert '<a href="/x?page=2" rel="prev">' in html and 'rel="next"' not in html


def test_the_filter_form_is_a_labelled_get_search_without_missing_fields(app):
    with app.test_request_context("/people/?q=x"):
        form = PeopleFilterForm(meta={"csrf": False})
        html = str(
            _macros(app).filter_form("/people/", [form.q, None, form.status], label="絞込み")
        )
    assert (
        '<form class="filters" method="get" action="/people/" role="search" aria-label="絞込み">'
        in html
    )
    for f in (form.q, form.status):
        assert f'<label for="{f.id}">' in html and f'id="{f.id}"' in html
    assert "csrf_token" not in html and html.count('<div class="field') == 3


def test_the_people_list_marks_its_page_and_pages_with_its_filter(as_coordinator_a, world, app):
    with in_app(app):
        for i in range(55):
            factories.make_user(world.muni_a, name=f"頁 職員{i:02d}")
    page = as_coordinator_a.get("/people/?page=2&status=active").get_data(as_text=True)
    assert re.search(r'class="pagination"[^>]*>\s*<ul>.*<span aria-current="page">', page, re.S)
    prev = re.search(r'<a href="([^"]+)" rel="prev">', page).group(1)
    assert "page=1" in prev and "status=active" in prev
