"""The main navigation: grouped (受講 / 管理 / 集計), one menu button on a phone, links without script."""

from __future__ import annotations

import re

from regional.main.helpers import NAV, NAV_GROUPS


def _nav(html: str) -> str:
    return html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def _groups(html: str) -> dict[str, list[str]]:
    """Group label (or "" for the entries before the groups) → the link paths under it."""
    groups = {}
    for part in re.split(r'<div class="nav-group', _nav(html))[1:]:
        label = re.search(r'class="nav-group-label"[^>]*>([^<]+)<', part)
        groups[label.group(1) if label else ""] = re.findall(r'<a href="([^"]+)"', part)
    return groups


def test_every_entry_belongs_to_a_known_group():
    keys = {key for key, _label in NAV_GROUPS}
    assert all(group is None or group in keys for *_rest, group in NAV)
    assert [e for e, *_rest, group in NAV if group is None] == ["main.home"]


def test_an_employee_sees_home_and_taking_training_only(as_employee_a):
    groups = _groups(as_employee_a.get("/", headers={"Accept-Language": "ja"}).get_data(True))
    assert list(groups) == ["", "受講"]
    assert groups[""] == ["/"]
    assert "/catalogue/" in groups["受講"]


def test_a_coordinator_sees_three_groups(as_coordinator_a):
    groups = _groups(as_coordinator_a.get("/", headers={"Accept-Language": "ja"}).get_data(True))
    assert list(groups) == ["", "受講", "管理", "集計"]
    assert "/people/" in groups["管理"] and "/progress/" in groups["集計"]
    assert "/targets/" in groups["集計"]
    assert not any(path.startswith("/admin") for paths in groups.values() for path in paths)


def test_an_administrator_sees_regional_administration_under_managing(as_admin):
    groups = _groups(as_admin.get("/", headers={"Accept-Language": "ja"}).get_data(True))
    assert "/admin/" in groups["管理"]


def test_the_menu_button_is_hidden_until_its_script_runs(as_employee_a):
    """Without script every link is shown: the button starts hidden and collapsed; the script
    that shows it is served by the platform (no inline script under the CSP)."""
    html = as_employee_a.get("/").get_data(True)
    button = re.search(r'<button type="button" class="nav-toggle"[^>]*>', _nav(html)).group(0)
    assert 'aria-controls="nav-menu"' in button and "hidden" in button
    assert 'aria-expanded="false"' in button
    assert 'id="nav-menu"' in _nav(html)
    assert '<script src="/static/js/nav.js" defer></script>' in html
    assert as_employee_a.get("/static/js/nav.js").status_code == 200
