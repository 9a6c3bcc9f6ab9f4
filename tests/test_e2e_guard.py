"""Browser tests fail, not skip, in CI when Chromium is missing.

The guard is two hooks of ``tests/e2e/conftest.py``; they are called here directly on
items of that folder and of another (no nested pytest run: the guard is what is tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e import conftest as e2e

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Item:
    """What the hooks read of a collected test: its path, and the markers they add."""

    path: Path
    marks: list = field(default_factory=list)

    def add_marker(self, marker) -> None:
        self.marks.append(getattr(marker, "mark", marker))

    def names(self) -> set[str]:
        return {m.name for m in self.marks}


def _collect(*paths: Path) -> list[Item]:
    items = [Item(p) for p in paths]
    e2e.pytest_collection_modifyitems(None, items)
    return items


BROWSER_TEST = e2e.E2E_DIR / "test_csp.py"
OTHER_TEST = ROOT / "tests" / "test_fiscal.py"


def test_missing_chromium_fails_in_ci(monkeypatch):
    monkeypatch.setattr(e2e, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    browser, other = _collect(BROWSER_TEST, OTHER_TEST)
    assert {"e2e", "real_commits"} <= browser.names()
    assert "skip" not in browser.names()  # never skipped in CI
    with pytest.raises(pytest.fail.Exception, match="Chromium not found"):
        e2e.pytest_runtest_setup(browser)
    assert other.names() == set()
    e2e.pytest_runtest_setup(other)  # the rest of the suite is not concerned


def test_missing_chromium_skips_with_the_reason_elsewhere(monkeypatch):
    monkeypatch.setattr(e2e, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    (browser,) = _collect(BROWSER_TEST)
    (skip,) = [m for m in browser.marks if m.name == "skip"]
    assert "Chromium not found at /nonexistent/chromium" in skip.kwargs["reason"]
    e2e.pytest_runtest_setup(browser)  # no failure: the skip marker decides


def test_present_chromium_runs_browser_tests(monkeypatch, tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n")
    chromium.chmod(0o755)
    monkeypatch.setattr(e2e, "CHROMIUM", str(chromium))
    monkeypatch.setenv("CI", "true")
    (browser,) = _collect(BROWSER_TEST)
    assert "skip" not in browser.names()
    e2e.pytest_runtest_setup(browser)
