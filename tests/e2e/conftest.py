"""Browser tests: the real app on a live server, driven by headless Chromium.

The live server runs the app in a background thread against its own database
(built by the real migrations and committed for real), so these tests are
marked ``real_commits`` and never share the rolled-back transaction of the
unit tests. Chromium is Debian's ``/usr/bin/chromium``; axe-core is served
from the project's ``node_modules`` (``npm install``), never from a CDN, and
injected into a test context that bypasses the app's strict CSP.

Every test in this folder is marked ``e2e`` and ``real_commits`` by the hook
below; without Chromium they are skipped with the reason on a developer's
machine, and FAIL in CI (``CI=true``): a CI image that lost its browser must
not go green by skipping every browser test.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from regional import create_app
from regional.catalogue.models import Program
from regional.config import TestingConfig
from regional.extensions import db
from tenants import set_current_tenant
from tests import factories
from tests.conftest import (
    CODE_A,
    CODE_ADMIN,
    CODE_B,
    PASSWORD,
    DatabaseUrls,
    World,
    _prepare_database,
    worker_database_url,
)
from tests.e2e.helpers import AUDITED, AXE_JS

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TIMEOUT_MS = 15_000  # generous for 2 shared cores, but bounded
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Mark this folder's tests (before ``-m`` selection runs); skip them without Chromium."""
    missing = not os.access(CHROMIUM, os.X_OK)
    for item in items:
        if E2E_DIR not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.real_commits)
        if missing and not _in_ci():
            item.add_marker(pytest.mark.skip(reason=f"e2e: Chromium not found at {CHROMIUM}"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def pytest_runtest_setup(item) -> None:
    """In CI a missing browser is a failure, not a skip."""
    if E2E_DIR in Path(str(item.path)).parents and _in_ci() and not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"e2e: Chromium not found at {CHROMIUM} (CI=true: browser tests must run)")


# --------------------------------------------------------------------------- live server


def _e2e_database_url(tmp_path_factory, suffix: str = "e2e") -> DatabaseUrls:
    """Its own database: ``<test db>_<suffix>`` on PostgreSQL, else a temporary SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return _prepare_database(
            f"sqlite:///{tmp_path_factory.mktemp(suffix) / f'{suffix}.sqlite3'}"
        )
    parsed = make_url(worker_database_url(url, os.environ.get("PYTEST_XDIST_WORKER")))
    return _prepare_database(
        parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)
    )


@dataclass
class LiveServer:
    """The running app: its URL, its world of accounts, and any server errors seen."""

    app: Flask
    url: str
    #: The accounts of ``build_world``; None on a server of the demo data.
    world: World | None
    errors: list[str] = field(default_factory=list)

    @contextmanager
    def db(self) -> Iterator[None]:
        """Work on the live database directly (arranging a test), committed on exit."""
        with self.app.app_context():
            set_current_tenant(db.session, None)
            try:
                yield
                db.session.commit()
            finally:
                db.session.remove()


def _seed_sessions() -> None:
    """Two sessions of a policy programme, so session and programme pages have content."""
    program = db.session.scalar(select(Program).order_by(Program.id))
    factories.make_session(program, capacity=20)
    factories.make_session(
        program, capacity=5, requires_approval=True, starts_in=timedelta(days=21)
    )


@pytest.fixture(scope="package")
def live_server(tmp_path_factory, _smtp_controller) -> Iterator[LiveServer]:
    """The real app served on 127.0.0.1 (a free port) from a background thread."""
    from flask_migrate import upgrade

    controller, _box = _smtp_controller
    urls = _e2e_database_url(tmp_path_factory)

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = urls.url
        MIGRATION_DATABASE_URL = urls.migration_url
        MAIL_PORT = controller.port
        WTF_CSRF_ENABLED = True

    app = create_app(Config)
    with app.app_context():
        upgrade()
        world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
        _seed_sessions()
        db.session.commit()
        db.session.remove()

    with serving(app, world) as server:
        yield server


@contextmanager
def serving(app: Flask, world: World | None) -> Iterator[LiveServer]:
    """Serve ``app`` on 127.0.0.1 (a free port) from a background thread while the block runs."""
    errors: list[str] = []

    def _record(sender, exception, **extra) -> None:
        errors.append(repr(exception))

    got_request_exception.connect(_record, app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=base, world=world, errors=errors)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        got_request_exception.disconnect(_record, app)
        with app.app_context():
            db.engine.dispose()


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the whole e2e run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, timeout=TIMEOUT_MS * 2)
        try:
            yield b
        finally:
            b.close()


def new_context(browser, live_server: LiveServer, **overrides):
    """A fresh browser profile: Japanese, desktop size, CSP bypassed (by default) for axe."""
    options = dict(
        base_url=live_server.url,
        locale="ja-JP",
        viewport={"width": 1280, "height": 800},
        bypass_csp=True,
        accept_downloads=True,
    )
    options.update(overrides)
    context = browser.new_context(**options)
    if AXE_JS.exists():
        # Ready in every page, cheaper than injecting each time; an init script runs even
        # where the CSP is enforced, so strict contexts (bypass_csp=False) can audit too.
        context.add_init_script(path=str(AXE_JS))
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser, live_server):
    ctx = new_context(browser, live_server)
    yield ctx
    ctx.close()


@pytest.fixture(autouse=True)
def _no_server_errors(request):
    """Any browser test fails if the live server raised while it ran."""
    if "live_server" not in request.fixturenames:
        yield
        return
    live_server = request.getfixturevalue("live_server")
    seen = len(live_server.errors)
    yield
    new_errors = live_server.errors[seen:]
    assert not new_errors, f"the live server raised: {new_errors}"


@pytest.fixture
def page(context):
    """A page in a fresh profile (Japanese, 1280×800, CSP bypassed for axe)."""
    pg = context.new_page()
    yield pg
    pg.close()


@pytest.fixture
def new_page(browser, live_server):
    """More pages, each in its own profile (two people at once): ``new_page(**context_options)``."""
    contexts = []

    def _make(**overrides):
        ctx = new_context(browser, live_server, **overrides)
        contexts.append(ctx)
        return ctx.new_page()

    yield _make
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def world(live_server) -> World:
    """The live server's accounts (overrides the unit tests' ``world``)."""
    return live_server.world


def pytest_terminal_summary(terminalreporter) -> None:
    """List the pages axe-core audited, so a reader sees what the audit covered."""
    if AUDITED:
        terminalreporter.section("axe-core audits (WCAG 2.1 A + AA)")
        for where in sorted(set(AUDITED)):
            terminalreporter.write_line(where)
