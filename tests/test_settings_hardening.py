"""Issue 14 #11 and #14: production refuses a weak secret key and checks its deployment
settings before it starts; the development server keeps no database connections."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
STRONG_KEY = "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"  # 56 characters


def _settings(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter (they are read once per process)."""
    script = (
        "import sys; sys.argv = ['manage.py', *sys.argv[1:]]\n"
        "import dezhou_carbon.settings as s\n"
        "print(s.DATABASES['default'].get('CONN_MAX_AGE'))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "-c", script, *argv],
        env={**clean, "DATABASE_URL": "postgres://u@127.0.0.1:5432/d", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("key", ["x", "change-me", "k" * 49])
def test_production_refuses_a_secret_key_shorter_than_50_characters(key):
    started = _settings({"DJANGO_SECRET_KEY": key, "DJANGO_DEBUG": "0"})

    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"DJANGO_SECRET_KEY has {len(key)} characters" in started.stderr
    assert "至少需要 50 个随机字符" in started.stderr


def test_a_long_key_starts_production_and_debugging_accepts_any_key():
    assert _settings({"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_DEBUG": "0"}).returncode == 0
    assert _settings({"DJANGO_SECRET_KEY": "x", "DJANGO_DEBUG": "1"}).returncode == 0


def test_runserver_keeps_no_database_connection_and_gunicorn_does():
    env = {"DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_DEBUG": "1"}

    runserver = _settings(env, "runserver", "0:8000")
    served = _settings(env, "migrate")

    assert runserver.stdout.strip() == "0"
    assert served.stdout.strip() == "60"
    assert _settings({**env, "DJANGO_CONN_MAX_AGE": "5"}, "migrate").stdout.strip() == "5"


def test_the_documented_start_ups_run_the_deployment_checks_first():
    check = "manage.py check --deploy --fail-level WARNING"
    unit = (BASE_DIR / "deploy/systemd/dezhou-web.service").read_text()
    dockerfile = (BASE_DIR / "deploy/Dockerfile").read_text()
    readme = (BASE_DIR / "README.md").read_text()

    assert f"ExecStartPre=/opt/dezhou-carbon/.venv/bin/python {check}" in unit
    assert unit.index("ExecStartPre=") < unit.index("ExecStart=")
    cmd = dockerfile[dockerfile.index("\nCMD ") :]
    assert f"python {check} && exec gunicorn" in cmd
    start = readme[readme.index("## Running on PostgreSQL and Redis") :]
    assert start.index(check) < start.index("gunicorn dezhou_carbon.wsgi")
