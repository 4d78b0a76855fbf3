"""No circle of imports crosses apps (imports inside functions count; a jobs module and the
service of its own app may import each other). The check is scripts/import_circles.py (the
team's shared hook, kept in the repository so CI runs it), over this checkout."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings

HOOK = Path(__file__).resolve().parent.parent / "scripts" / "import_circles.py"


def test_no_import_circle_crosses_apps():
    checked = subprocess.run(
        [sys.executable, str(HOOK), str(settings.BASE_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 import circle(s) across apps" in checked.stdout


def test_the_check_finds_a_circle_across_apps(tmp_path):
    """The check itself: two apps importing each other (one of them inside a function)."""
    for app in ("alpha", "beta"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    (tmp_path / "alpha" / "services.py").write_text("from beta.services import run\n")
    (tmp_path / "beta" / "services.py").write_text(
        "def run():\n    from alpha import services\n    return services\n"
    )
    checked = subprocess.run(
        [sys.executable, str(HOOK), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 1
    assert "circle across apps: alpha.services, beta.services" in checked.stdout
