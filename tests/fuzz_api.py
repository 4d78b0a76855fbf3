"""The long API fuzz: `scripts/fuzz-api MINUTES [--roles ...]` (issue 14).

Starts the product as production runs it — gunicorn, DEBUG off, on a scratch database
(PostgreSQL when DATABASE_URL is set: a fresh `<name>_fuzz_<pid>` database, dropped afterwards;
else SQLite in a temporary directory) with the demo data — gives every role a token, and
runs schemathesis over every operation of the OpenAPI schema as each role for MINUTES
minutes per role. Checks on every answer:

* no 5xx;
* an error (4xx) is the promised JSON envelope: code, message_zh, message_en, request_id.

Prints a summary (and writes it as JSON with --report), with a curl command to reproduce
each finding and the server's log. Exit status 1 when anything was found. The short
version runs in the test suite (tests/test_api_schema.py through WSGI, and
tests/test_fuzz_api.py runs this driver for a few seconds).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Role -> the demo account (accounts/demo.py) or, for "outsider", one made here; anonymous
# sends no token.
ROLES = {
    "anonymous": None,
    "outsider": "fuzz_outsider",
    "clerk": "drs_clerk",
    "head": "drs_head",
    "committee": "committee",
    "statistics_office": "stats",
    "auditor": "auditor",
    "administrator": "admin",
}


@dataclass
class Finding:
    role: str
    operation: str
    status: int
    problem: str
    request_id: str
    body: str
    curl: str


@dataclass
class RoleRun:
    role: str
    seconds: float = 0.0
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    operations: set = field(default_factory=set)


class _TimeUp(Exception):
    pass


# ---------------------------------------------------------------- the server


def say(text: str) -> None:
    """Progress for the person running the script (a command's output, not a log)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _scratch_database(url: str) -> tuple[str, callable]:
    """A fresh PostgreSQL database beside DATABASE_URL's; returns its URL and a dropper."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_fuzz_{os.getpid()}"  # one per run: runs may overlap
    admin = psycopg2.connect(url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()

    return urlunsplit(parts._replace(path=f"/{name}")), drop


def _environment(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_HTTPS": "0",
            "DEZHOU_VAR_DIR": str(var_dir),
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "LOG_FORMAT": "plain",
        }
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


_TOKENS_SCRIPT = """
import json
from accounts.models import ApiToken, User
from accounts.tokens import key_hash
roles = json.loads(ROLES)
User.objects.get_or_create(username="fuzz_outsider", defaults={"role": User.Role.NONE})
keys = {}
for role, username in roles.items():
    if username is None:
        continue
    key = "fuzz-" + role + "-" + __import__("secrets").token_urlsafe(24)
    ApiToken.objects.create(
        user=User.objects.get(username=username), name="fuzz", prefix=key[:8],
        key_hash=key_hash(key),
    )
    keys[role] = key
print("KEYS=" + json.dumps(keys))
"""


def _manage(env, *args, capture=False) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=False,
        text=True,
        capture_output=capture,
    )
    if done.returncode != 0:
        raise SystemExit(f"fuzz-api: manage.py {args[0]} failed:\n{done.stderr or ''}")
    return done


def _start_server(env, port: int, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    command = [PYTHON, "-m", "gunicorn", "dezhou_carbon.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "2", "--threads", "4", "--worker-class", "gthread"]
    command += ["--timeout", "120", "--error-logfile", "-"]
    server = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    import requests

    for _ in range(240):
        if server.poll() is not None:
            raise SystemExit(f"fuzz-api: the server stopped at start-up; see {log}")
        try:
            requests.get(f"http://127.0.0.1:{port}/health/", timeout=2)
            return server
        except requests.RequestException:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"fuzz-api: the server did not answer within 2 minutes; see {log}")


# ---------------------------------------------------------------- the fuzz


def _header(response, name: str) -> str:
    """A response header, whatever the transport's spelling (schemathesis keeps lower-case
    names, each with a list of values)."""
    for key, value in dict(response.headers).items():
        if key.lower() == name.lower():
            return value[0] if isinstance(value, list | tuple) else value
    return ""


def _problem(response) -> str:
    if response.status_code >= 500:
        return "server error"
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            return "error answer is not JSON"
        missing = {"code", "message_zh", "message_en", "request_id"} - set(body)
        if not isinstance(body, dict) or missing:
            return f"error answer lacks {sorted(missing)}"
        if body["request_id"] != _header(response, "X-Request-ID"):
            return "error answer's request_id is not the X-Request-ID header"
    return ""


def fuzz_role(schema, base_url: str, role: str, key: str | None, seconds: float, findings):
    from hypothesis import HealthCheck, Phase, given, settings

    headers = {"Authorization": f"Token {key}"} if key else {}
    run = RoleRun(role)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Revoking a token may revoke the role's own (its id is as good as any other): that
    # operation runs once, in the role's last seconds, so the rest is not fuzzed with 401s.
    last = [op for op in operations if op.path.endswith("/revoke/")]
    operations = [op for op in operations if op not in last]
    started = time.monotonic()
    deadline = started + seconds
    main_deadline = deadline - min(15.0, seconds / 10)
    seen_problems: set[tuple[str, str, int]] = set()

    def run_operation(operation, stop: float) -> None:
        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case):
            if time.monotonic() >= stop:
                raise _TimeUp
            response = case.call(base_url=base_url, headers=headers, timeout=60)
            run.cases += 1
            run.statuses[response.status_code] += 1
            name = f"{case.method.upper()} {case.path}"
            run.operations.add(name)
            problem = _problem(response)
            if problem and (name, problem, response.status_code) not in seen_problems:
                seen_problems.add((name, problem, response.status_code))
                findings.append(
                    Finding(
                        role=role,
                        operation=name,
                        status=response.status_code,
                        problem=problem,
                        request_id=_header(response, "X-Request-ID"),
                        body=response.text[:300],
                        curl=case.as_curl_command(headers=headers, base_url=base_url),
                    )
                )

        with contextlib.suppress(_TimeUp):
            exercise()

    while time.monotonic() < main_deadline:
        for operation in operations:
            if time.monotonic() >= main_deadline:
                break
            run_operation(operation, main_deadline)
    for operation in last:
        run_operation(operation, deadline + 30)
    run.seconds = time.monotonic() - started
    return run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/fuzz-api", description=__doc__.split("\n")[0])
    parser.add_argument("minutes", type=float, help="minutes of fuzzing per role")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles")
    parser.add_argument("--report", help="write the summary as JSON here")
    args = parser.parse_args(argv)
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}; known: {', '.join(ROLES)}")

    import schemathesis

    work = Path(tempfile.mkdtemp(prefix="fuzz-api-"))
    drop = None
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        database_url, drop = _scratch_database(database_url)
    env = _environment(work / "var", database_url)
    log = work / "server.log"
    server = None
    findings: list[Finding] = []
    runs: list[RoleRun] = []
    try:
        say(f"fuzz-api: scratch {'PostgreSQL' if drop else 'SQLite'}; setting up the demo park")
        _manage(env, "setup_park", "--demo", capture=True)
        created = _manage(
            env,
            "shell",
            "-c",
            _TOKENS_SCRIPT.replace("ROLES", repr(json.dumps(ROLES))),
            capture=True,
        )
        keys = json.loads(created.stdout.split("KEYS=", 1)[1].strip())
        port = _free_port()
        server = _start_server(env, port, log)
        base_url = f"http://127.0.0.1:{port}"
        schema = schemathesis.openapi.from_url(
            f"{base_url}/api/schema/?format=json",
            headers={"Authorization": f"Token {keys['administrator']}"},
            timeout=60,
        )
        for role in roles:
            say(f"fuzz-api: {role} for {args.minutes:g} min")
            run = fuzz_role(schema, base_url, role, keys.get(role), args.minutes * 60, findings)
            runs.append(run)
            say(
                f"  {run.cases} requests over {len(run.operations)} operations in "
                f"{run.seconds:.0f} s; statuses {dict(sorted(run.statuses.items()))}",
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if drop is not None:
            drop()
    summary = {
        "minutes_per_role": args.minutes,
        "database": "postgresql" if drop else "sqlite",
        "roles": [
            {
                "role": run.role,
                "seconds": round(run.seconds),
                "requests": run.cases,
                "operations": len(run.operations),
                "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
            }
            for run in runs
        ],
        "server_errors": sum(
            count for run in runs for status, count in run.statuses.items() if status >= 500
        ),
        "findings": [finding.__dict__ for finding in findings],
        "server_log": str(log),
    }
    if args.report:
        Path(args.report).write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    for finding in findings:
        say(
            f"FOUND [{finding.role}] {finding.operation} -> {finding.status}: {finding.problem} "
            f"(request id {finding.request_id})\n  {finding.curl}\n  {finding.body[:200]}"
        )
    say(
        f"fuzz-api: {sum(r.cases for r in runs)} requests, {summary['server_errors']} server "
        f"errors, {len(findings)} findings; server log {log}"
    )
    if not findings:  # nothing to look into: the scratch directory goes
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
