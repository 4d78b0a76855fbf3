"""The long fuzz's script (`scripts/fuzz-api`), run for a few seconds: it starts the product
under gunicorn with DEBUG off, fuzzes as a role and finds no 5xx and no error outside the
envelope. The real run (five minutes per role) is recorded in docs/security.md."""

import json
import os
import subprocess
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def test_the_fuzz_script_runs_against_a_live_server_and_finds_nothing(tmp_path):
    report = tmp_path / "fuzz.json"
    # The embedded default (SQLite in a temporary directory): no database of anyone's is
    # touched, and the run does not depend on PostgreSQL being there.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}

    done = subprocess.run(
        [str(BASE_DIR / "scripts/fuzz-api"), "0.1", "--roles", "clerk", "--report", str(report)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(report.read_text())
    assert summary["database"] == "sqlite"
    assert summary["server_errors"] == 0
    assert summary["findings"] == []
    (clerk,) = summary["roles"]
    assert clerk["role"] == "clerk"
    assert clerk["requests"] > 0
