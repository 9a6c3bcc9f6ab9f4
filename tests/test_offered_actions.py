"""No page offers an action that would then be refused for a reason the page already knew.

For sessions in every phase (募集前, 受付中, 締切, 開催中, 終了, 中止), each role opens the
session's pages; every registration form the page shows is submitted as shown, and
the answer must not be a refusal. A page that knows it cannot offer the action says
why instead (tested in test_session_life.py).
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from regional.sessions.lifecycle import Phase
from tests import factories
from tests.fixtures_sessions import within
from tests.test_session_life import _sessions_of_every_phase

EN = {"Accept-Language": "en"}


class Forms(HTMLParser):
    """The POST forms of a page: (action, {hidden and text fields})."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._current: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._current = (a.get("action") or "", {})
        elif tag == "input" and self._current is not None and a.get("name"):
            self._current[1][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None


def _registration_forms(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Forms()
    parser.feed(html)
    return [
        (action, data)
        for action, data in parser.forms
        if action.endswith(("/register", "/register-staff"))
    ]


@pytest.mark.parametrize("role", ["employee_a", "coordinator_a", "admin"])
def test_registration_forms_shown_are_never_refused(app, signed_in, world, role):
    with within(app):
        ids = _sessions_of_every_phase()
        home = world.muni_admin if role == "admin" else world.muni_a
        staff = [factories.make_user(home).email for _ in range(12)]
    client = signed_in(world.emails[role])
    offered = set()
    for phase, ts_id in ids.items():
        for url in (f"/sessions/{ts_id}", f"/registrations/session/{ts_id}"):
            page = client.get(url, headers=EN)
            if page.status_code != 200:
                continue
            for action, data in _registration_forms(page.get_data(as_text=True)):
                if "employee" in data and not data["employee"]:
                    data["employee"] = staff.pop()
                answer = client.post(action, data=data, headers=EN, follow_redirects=True)
                assert answer.status_code == 200, (phase, url, action)
                body = answer.get_data(as_text=True)
                assert "flash-error" not in body, (
                    phase,
                    role,
                    url,
                    action,
                )
                offered.add(phase)
    # The check has teeth: something was offered, and never on a cancelled session.
    assert offered and Phase.CANCELLED not in offered
    if role != "admin":
        assert offered <= {Phase.OPEN}


@pytest.mark.parametrize("role", ["coordinator_a", "admin"])
def test_record_attendance_is_offered_only_once_the_session_has_started(
    app, signed_in, world, role
):
    """Before the start (or on a cancelled session) the attendance page could only refuse."""
    with within(app):
        ids = _sessions_of_every_phase()
    client = signed_in(world.emails[role])
    offered = set()
    for phase, ts_id in ids.items():
        for url in (f"/sessions/{ts_id}", f"/registrations/session/{ts_id}"):
            page = client.get(url, headers=EN)
            if page.status_code == 200 and f"/registrations/session/{ts_id}/attendance" in (
                page.get_data(as_text=True)
            ):
                offered.add(phase)
    assert offered == {Phase.RUNNING, Phase.ENDED}
