"""Settings: importing them writes nothing; production refuses to start without SECRET_KEY
and never invents one; development generates a key once, when the app is created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL"}}
    environ.update(
        INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("env", ["production", "development", "testing"])
def test_importing_the_settings_writes_nothing(tmp_path, env):
    result = _run(
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import regional.config",
        tmp_path,
        REGIONAL_ENV=env,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "instance").exists()


def test_production_refuses_to_start_without_a_secret_key_and_writes_none(tmp_path):
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from regional import create_app; create_app()"
    result = _run(code, tmp_path, REGIONAL_ENV="production")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "instance").exists()


def test_production_starts_with_the_given_key(tmp_path):
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from regional import create_app; "
        "print(create_app().config['SECRET_KEY'])"
    )
    result = _run(code, tmp_path, REGIONAL_ENV="production", SECRET_KEY="k" * 48)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 48
    assert not (tmp_path / "instance").exists()


def test_development_generates_a_private_key_once_at_app_creation(tmp_path):
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); from regional import create_app; "
        "print(create_app().config['SECRET_KEY'])"
    )
    first = _run(code, tmp_path, REGIONAL_ENV="development")
    second = _run(code, tmp_path, REGIONAL_ENV="development")
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert len(first.stdout.strip()) >= 40
    assert first.stdout == second.stdout == key_file.read_text() + "\n"
