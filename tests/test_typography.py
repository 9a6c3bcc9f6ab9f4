"""Japanese typography: full-width punctuation, one term per action, dates with weekday and era."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale

from regional.extensions import db
from regional.main.helpers import labelled, local_day
from tenants.models import Municipality
from tests import factories
from tests.fixtures_sessions import register, within

JA = {"Accept-Language": "ja"}
CJK = "\u3040-\u30ff\u3400-\u9fff\uff01-\uff5e"
#: Half-width comma, colon or parenthesis touching Japanese text: 「岡山市, 津山市」「岡山市: 」「(必須)」.
HALF_WIDTH_IN_JAPANESE = re.compile(rf"[{CJK}]\s?[,:(]|[,:)]\s?[{CJK}]")


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):  # noqa: ANN001
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def _visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


def test_days_read_with_their_weekday_in_japanese(ctx):
    with force_locale("ja"):
        assert local_day(date(2026, 12, 14)) == "2026年12月14日（月）"
        assert labelled("年度", "令和8年度") == "年度：令和8年度"
    with force_locale("en"):
        assert labelled("Fiscal year", "FY2026") == "Fiscal year: FY2026"


@pytest.fixture
def arranged(app, world):
    with within(app):
        restricted = factories.make_session(open_to_all=False, starts_in=timedelta(days=12))
        restricted.audience = [
            db.session.get(Municipality, world.muni_a),
            db.session.get(Municipality, world.muni_b),
        ]
        busy = factories.make_session(starts_in=timedelta(days=18))
        register(busy.id, world.employee_a)
        return restricted.id, busy.id


def test_no_half_width_punctuation_inside_japanese_text(arranged, signed_in, world):
    restricted, busy = arranged
    pages = {
        "employee_a": [
            "/",
            "/sessions/",
            f"/sessions/{busy}",
            "/records/my-training",
            "/catalogue/",
        ],
        "coordinator_a": ["/", "/registrations/", f"/registrations/session/{busy}"],
        "admin": ["/", f"/sessions/{restricted}", f"/sessions/{busy}"],
    }
    offending = []
    for role, paths in pages.items():
        client = signed_in(world.emails[role])
        for path in paths:
            resp = client.get(path, headers=JA)
            assert resp.status_code == 200, path
            for text in _visible(resp.get_data(as_text=True)):
                if HALF_WIDTH_IN_JAPANESE.search(text):
                    offending.append((role, path, text))
    assert not offending


def test_member_names_are_listed_with_the_japanese_comma(arranged, as_admin):
    restricted, _busy = arranged
    page = as_admin.get(f"/sessions/{restricted}", headers=JA).get_data(as_text=True)
    assert re.search(r"[市町村]、[^\s<]+[市町村]", page)


def test_can_i_take_this_is_shown_to_staff_not_to_administrators(arranged, as_admin, as_employee_a):
    _restricted, busy = arranged
    assert 'id="can-i"' in as_employee_a.get(f"/sessions/{busy}", headers=JA).get_data(as_text=True)
    assert 'id="can-i"' not in as_admin.get(f"/sessions/{busy}", headers=JA).get_data(as_text=True)


def test_cancelling_a_registration_is_called_the_same_everywhere(arranged, as_coordinator_a):
    _restricted, busy = arranged
    page = as_coordinator_a.get(f"/registrations/session/{busy}", headers=JA).get_data(as_text=True)
    assert "申込みを取り消す" in page
    assert ">キャンセル<" not in page


def test_cancelling_asks_first_and_shows_the_deadline(app, as_employee_a, world):
    with within(app):
        ts = factories.make_session(starts_in=timedelta(days=9))
        ts.cancellation_deadline = ts.starts_at - timedelta(days=3)
        reg_id = register(ts.id, world.employee_a).id
        ts_id = ts.id
    page = as_employee_a.get(f"/sessions/{ts_id}", headers=JA).get_data(as_text=True)
    assert f'href="/registrations/{reg_id}/cancel?next=' in page
    assert f'action="/registrations/{reg_id}/cancel"' not in page  # no one-click cancel
    confirm = as_employee_a.get(f"/registrations/{reg_id}/cancel", headers=JA)
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "取消期限" in text and "（" in text
    assert f'action="/registrations/{reg_id}/cancel"' in text
    done = as_employee_a.form_post(f"/registrations/{reg_id}/cancel", headers=JA)
    assert done.status_code == 302


def _mail_texts(app) -> list[str]:  # noqa: ANN001
    from sqlalchemy import select

    from regional.mail.models import OutboundMail
    from tenants import all_tenants

    with app.app_context(), all_tenants(db.session):
        return [
            m.body
            for m in factories.rendered(
                db.session.scalars(select(OutboundMail).execution_options(all_tenants=True))
            )
        ]


def test_mail_in_japanese_uses_the_full_width_colon(app, world):
    """Mail says 「研修：…」「日時：…」, not 「研修: …」 (the session block of every mail)."""
    with within(app):
        ts = factories.make_session(starts_in=timedelta(days=8))
        register(ts.id, world.employee_a)
    bodies = [b for b in _mail_texts(app) if "研修：" in b]
    assert bodies, "no Japanese registration mail was written"
    for body in bodies:
        for line in body.splitlines():
            assert not HALF_WIDTH_IN_JAPANESE.search(line.split("http")[0]), line


# The glossary's never-words: tests/test_one_voice.py (read from docs/glossary.md).
