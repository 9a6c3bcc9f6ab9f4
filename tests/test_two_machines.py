"""Two application machines: two gunicorn instances on one PostgreSQL database, files in
one S3 bucket (moto's server), each "machine" with a files folder of its own that must
stay unused.

A regional administrator publishes a learning material through machine A; an employee of
another member downloads it through machine B, and so does the administrator with the
session cookie A gave them. Then both machines' cron runs ``send-reminders`` and
``send-mail`` at the same moment: every reminder and every message arrives exactly once.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from regional.extensions import db
from tests import factories
from tests import fixtures_files as ff
from tests.conftest import CODE_A, CODE_ADMIN, CODE_B, PASSWORD
from tests.fixtures_databases import own_database
from tests.fixtures_registrations import register
from tests.fixtures_s3 import s3_endpoint, s3_settings  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.real_commits, pytest.mark.slow, pytest.mark.postgres_only]

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def shared_database(owner_database_url, tmp_path, s3_settings, _smtp_controller):  # noqa: F811
    if not owner_database_url.startswith("postgresql"):
        pytest.skip("two machines share a PostgreSQL database")
    controller, _ = _smtp_controller
    with own_database(
        owner_database_url,
        tmp_path,
        "two_machines",
        MAIL_DELIVERY="deferred",
        MAIL_PORT=controller.port,
        **s3_settings,
    ) as (app, owner):
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            world = factories.build_world(PASSWORD, CODE_A, CODE_B, CODE_ADMIN)
            soon = factories.make_session(
                capacity=5, starts_in=timedelta(days=2), closes_in=timedelta(days=1)
            )
            for employee in (world.employee_a, world.employee_a2, world.employee_b):
                register(soon.id, employee)
            db.session.commit()
            db.session.remove()
        yield app, world


def _machine_env(app, tmp_path: Path, name: str, s3: dict, smtp_port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "REGIONAL_ENV": "production",
        # The machines share the settings, the key among them (the database knows its wall key).
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SESSION_COOKIE_SECURE": "0",
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DELIVERY": "deferred",
        "INSTANCE_PATH": str(tmp_path / f"instance-{name}"),
        "GROWTH_FILES_DIR": str(tmp_path / f"unused-files-{name}"),
        "WEB_CONCURRENCY": "1",
        "PYTHONPATH": str(ROOT),
        **s3,
    }
    env.pop("MIGRATION_DATABASE_URL", None)
    return env


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env={**env, "BIND": f"127.0.0.1:{port}"},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn stopped:\n{log.read_text()}")
        try:
            if requests.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a first answer still slow
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer:\n{log.read_text()}")


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _sign_in(base: str, email: str) -> requests.Session:
    http = requests.Session()
    token = _token(http.get(f"{base}/login", timeout=10).text)
    resp = http.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 302, resp.text[:500]
    return http


def test_two_machines_share_the_database_the_files_and_the_crons(
    shared_database,
    s3_settings,  # noqa: F811
    _smtp_controller,
    tmp_path,
):
    app, world = shared_database
    controller, box = _smtp_controller
    box.clear()
    ports = {"a": _free_port(), "b": _free_port()}
    envs = {n: _machine_env(app, tmp_path, n, s3_settings, controller.port) for n in ports}
    base = {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}
    with ExitStack() as stack:
        for name, port in ports.items():
            log = tmp_path / f"gunicorn-{name}.log"
            proc = _serve(envs[name], port, log)
            stack.callback(proc.wait, 10)
            stack.callback(proc.terminate)
            _wait_for(base[name], proc, log)

        # Published through machine A ...
        admin = _sign_in(base["a"], world.emails["admin"])
        page = admin.get(f"{base['a']}/growth/materials", timeout=10).text
        resp = admin.post(
            f"{base['a']}/growth/materials",
            data={"title": "二台構成の教材", "for_everyone": "y", "csrf_token": _token(page)},
            files={"file": ("教材.pdf", ff.pdf(), "application/pdf")},
            allow_redirects=False,
            timeout=30,
        )
        assert resp.status_code == 302, resp.text[:500]
        listing = admin.get(f"{base['b']}/growth/materials", timeout=10).text  # A's cookie, on B
        ids = re.findall(r"/growth/materials/(\d+)/download", listing)
        assert len(ids) == 1
        # ... downloaded through machine B, by someone of another member and by the admin.
        employee = _sign_in(base["b"], world.emails["employee_b"])
        for who in (employee, admin):
            got = who.get(f"{base['b']}/growth/materials/{ids[0]}/download", timeout=10)
            assert got.status_code == 200 and got.content == ff.pdf()
        for name in ports:  # neither machine wrote to a folder of its own
            assert not any((tmp_path / f"unused-files-{name}").glob("*"))

    # Both machines' cron, at the same moment.
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *command],
            cwd=ROOT,
            env=envs[name],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for command in (["send-reminders", "--days", "3"], ["send-mail"])
        for name in ports
    ]
    outputs = [run.communicate(timeout=60)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    sent = Counter((m["To"], m["Subject"]) for m in box.messages)
    assert all(n == 1 for n in sent.values()), sent
    reminded = sum(
        int(re.search(r"reminders queued: (\d+)", o).group(1)) for o in outputs[:2] if "queued" in o
    )
    assert reminded == 3, outputs
    # 3 enrolments and 3 reminders, each once, whichever machine sent it.
    assert sum(sent.values()) == 6, sent
