"""A newcomer's first hour from the README on a fresh clone (issue 15): the commands it
gives work as written, the worker explains a missing secret in one line, scripts/demo takes
a port and says when a worker is needed, and tests keep out of production's Redis keys."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DEMO = ROOT / "scripts" / "demo"


def test_the_worker_without_a_secret_key_says_so_in_one_line():
    celery = Path(sys.executable).parent / "celery"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG")}
    run = subprocess.run(
        [str(celery), "-A", "dezhou_carbon", "worker", "-l", "info"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "DJANGO_SECRET_KEY" in lines[0]
    assert "Traceback" not in run.stderr + run.stdout


def test_the_readme_commands_work_as_written():
    # The venv's own programs: `celery` alone is not on a fresh machine's PATH.
    assert not re.search(r"^(celery|gunicorn) ", README, re.MULTILINE)
    assert ".venv/bin/celery -A dezhou_carbon worker" in README
    assert ".venv/bin/celery -A dezhou_carbon beat" in README
    assert "createdb dezhou" in README
    assert "DATABASE_URL=postgres:///dezhou" in README


def test_the_readme_lists_every_debian_package_scripts_test_installs_and_says_how_long():
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    packages = re.search(r'APT_PACKAGES="([^"]+)"', script).group(1).split()
    assert [p for p in packages if f"`{p}`" not in README] == []
    assert "about three\nminutes" in README or "about three minutes" in README
    assert "half an hour" in README


def _demo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DEMO), *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )


def test_scripts_demo_accepts_a_port_and_refuses_nonsense_before_installing_anything():
    assert _demo("--port", "abc").returncode == 2
    assert "port must be a number" in _demo("--port", "abc").stderr
    assert _demo("--frobnicate").returncode == 2
    text = DEMO.read_text(encoding="utf-8")
    assert 'runserver "127.0.0.1:$PORT"' in text
    # With REDIS_URL the jobs need a worker: the script says how to start one.
    assert re.search(r'if \[ -n "\$\{REDIS_URL:-\}" \]', text)
    assert ".venv/bin/celery -A dezhou_carbon worker" in text


def test_tests_cache_under_their_own_prefix_never_productions():
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["KEY_PREFIX"] != "dezhou"
    assert os.environ.get("CACHE_KEY_PREFIX") not in (None, "", "dezhou")
