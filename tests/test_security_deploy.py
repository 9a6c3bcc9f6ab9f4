"""gunicorn.conf.py: sane settings from the environment, stateless workers, and access logs
that never keep a query string or the secret in a mailed link."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "regional" / "gunicorn_conf.py"
ENV_NAMES = (
    "BIND",
    "HOST",
    "PORT",
    "WEB_CONCURRENCY",
    "MAX_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "FORWARDED_ALLOW_IPS",
)


def _load(monkeypatch, **env: str):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _settings(module) -> dict:
    cfg = Config()
    values = {k: v for k, v in vars(module).items() if k in cfg.settings}
    for name, value in values.items():
        cfg.set(name, value)  # gunicorn's own validation of every value
    return values


def test_defaults_are_safe_and_gunicorn_accepts_every_value(monkeypatch):
    conf = _load(monkeypatch)
    values = _settings(conf)
    assert conf.bind == ["127.0.0.1:8000"]
    assert 1 <= conf.workers <= 8
    assert conf.workers == min(2 * conf._cpus() + 1, 8)
    assert conf.worker_class == "sync"
    assert conf.preload_app is False
    assert 5 <= conf.timeout <= 600
    assert 1 <= conf.graceful_timeout <= conf.timeout
    assert conf.forwarded_allow_ips == "127.0.0.1,::1"
    assert conf.max_requests > 0 and conf.max_requests_jitter > 0
    assert {"bind", "workers", "timeout", "logger_class", "access_log_format"} <= set(values)


def test_settings_follow_the_environment(monkeypatch):
    conf = _load(
        monkeypatch,
        PORT="9001",
        HOST="0.0.0.0",  # noqa: S104 (a container's choice, not the default)
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="90",
        FORWARDED_ALLOW_IPS="10.0.0.5",
    )
    _settings(conf)
    assert conf.bind == ["0.0.0.0:9001"]
    assert (conf.workers, conf.threads, conf.worker_class) == (3, 4, "gthread")
    assert conf.timeout == 90
    assert conf.forwarded_allow_ips == "10.0.0.5"
    assert _load(monkeypatch, BIND="unix:/run/regional.sock, 127.0.0.1:8080").bind == [
        "unix:/run/regional.sock",
        "127.0.0.1:8080",
    ]


def test_nonsense_in_the_environment_falls_back_to_sane_values(monkeypatch):
    conf = _load(monkeypatch, WEB_CONCURRENCY="lots", GUNICORN_TIMEOUT="0", PORT="99999")
    assert conf.workers == min(2 * conf._cpus() + 1, 8)
    assert conf.timeout == 5
    assert conf.bind == ["127.0.0.1:65535"]
    assert _load(monkeypatch, WEB_CONCURRENCY="500").workers == 64


def test_access_log_keeps_neither_query_strings_nor_referrers(monkeypatch):
    fmt = _load(monkeypatch).access_log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "}i)s", "}e)s"):
        assert atom not in fmt
    assert "%(U)s" in fmt and "%(s)s" in fmt


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/signup/confirm/eyJtIjoiMzMyMDM4IiwidSI6MX0.Z1x2.abcdEF12", "/signup/confirm/[redacted]"),
        ("/password/reset/eyJtIjoiMzMyMDM4In0.aB3.xyz", "/password/reset/[redacted]"),
        ("/registrations/feed/Qm9vZ2llV29vZ2llMTIzNDU2Nzg5.ics", "/registrations/feed/[redacted]"),
        ("/sessions/42", "/sessions/42"),
        ("/people/pending", "/people/pending"),
        ("/static/css/accessibility-statement.css", "/static/css/accessibility-statement.css"),
    ],
)
def test_secrets_in_paths_are_masked(monkeypatch, path, expected):
    assert _load(monkeypatch).redact_path(path) == expected


def test_the_logger_masks_every_atom_that_could_carry_a_secret(monkeypatch):
    conf = _load(monkeypatch)
    logger = conf.RedactingLogger(Config())
    secret = "eyJtIjoiMzMyMDM4IiwidSI6MX0.Z1x2.abcdEF12"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/password/reset/{secret}?token={secret}",
        "PATH_INFO": f"/password/reset/{secret}",
        "QUERY_STRING": f"token={secret}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://training.example/signup/confirm/{secret}",
        "REMOTE_ADDR": "10.0.0.1",
    }
    req = SimpleNamespace(headers=[("AUTHORIZATION", f"Bearer {secret}"), ("COOKIE", secret)])
    resp = SimpleNamespace(status="200 OK", headers=[("Set-Cookie", secret)], sent=10)
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    assert secret not in repr(atoms)
    assert atoms["U"] == "/password/reset/[redacted]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_serves_the_app_with_this_configuration(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "SECRET_KEY": "gunicorn-test-secret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path),
        "REGIONAL_ENV": "production",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = (tmp_path / "gunicorn.log").open("w+")
    proc = subprocess.Popen(
        [str(gunicorn), "-c", str(CONF), "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        secret = "eyJtIjoiMzMyMDM4IiwidSI6MX0.Z1x2.abcdEF12"
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2) as r:
                    status = r.status
            except OSError:
                time.sleep(0.3)
        assert status == 200, log.seek(0) or log.read()
        # An invalid reset link is answered calmly with 400 (not 200, not 500).
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/password/reset/{secret}?t={secret}", timeout=5
            ).close()
        assert refused.value.code == 400
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    log.seek(0)
    output = log.read()
    assert "Booting worker" in output
    assert "/password/reset/[redacted]" in output
    assert secret not in output


def test_the_checkout_file_gives_the_packaged_settings(monkeypatch):
    """``gunicorn -c gunicorn.conf.py`` (checkout) and ``python:regional.gunicorn_conf`` (wheel)
    are one set of settings, the redacting access log included."""
    packaged = _settings(_load(monkeypatch))
    spec = importlib.util.spec_from_file_location("checkout_conf", ROOT / "gunicorn.conf.py")
    checkout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checkout)
    from_checkout = _settings(checkout)
    # Two loads of one module give two RedactingLogger classes: compare them by name.
    assert from_checkout.pop("logger_class").__name__ == "RedactingLogger"
    assert packaged.pop("logger_class").__name__ == "RedactingLogger"
    assert from_checkout == packaged
