"""Fixtures for tests that need real services: PostgreSQL, Redis, a real Celery worker and
Debian's Chromium driven by Playwright. Loaded by `tests/conftest.py` as a plugin.

Without the services configured these tests skip; with `REQUIRE_SERVICES=1` (CI) they
fail instead, so a missing service can never pass silently.

Tests that use these fixtures get the `services` or `browser` marker automatically, so
`-m "not services and not browser"` selects the tests that need nothing installed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs the tests as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The closed network refuses Chromium's own background connections.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WORKER_START_TIMEOUT = 30.0
WORKER_STOP_TIMEOUT = 10.0

SERVICE_FIXTURES = {
    "require_postgres",
    "require_redis",
    "celery_worker_process",
    "private_redis_server",
    "private_postgres",
}
BROWSER_FIXTURES = {"browser_page"}

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 30, interval: float = 0.2) -> T:
    """Call `predicate` until it returns something truthy or `timeout` seconds pass.

    Returns the last value, so `assert wait_for(...)` fails with a falsy value on timeout.
    Exceptions raised by `predicate` propagate.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def _unavailable(message: str) -> None:
    """Skip, or fail when the run promised that every service is there."""
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(message)


# --- markers and failure reports --------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & SERVICE_FIXTURES and not item.get_closest_marker("services"):
            item.add_marker(pytest.mark.services)
        if names & BROWSER_FIXTURES and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)


_reports_key = pytest.StashKey[dict]()
_worker_log_key = pytest.StashKey[Path]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports_key, {})[report.when] = report
    log_path = item.stash.get(_worker_log_key, None)
    if report.failed and log_path is not None and log_path.exists():
        report.sections.append(
            (f"celery worker log ({report.when})", log_path.read_text(errors="replace"))
        )
    return report


def _test_failed(request) -> bool:
    reports = request.node.stash.get(_reports_key, {})
    return any(report.failed for report in reports.values())


# --- PostgreSQL and Redis ---------------------------------------------------------------


@pytest.fixture
def require_postgres() -> None:
    """Skip unless DATABASE_URL points at PostgreSQL (fail under REQUIRE_SERVICES)."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        _unavailable("PostgreSQL is not configured: set DATABASE_URL=postgres://...")


@pytest.fixture
def require_redis() -> str:
    """Skip unless REDIS_URL is set (fail under REQUIRE_SERVICES); fail if it is unreachable."""
    url = settings.REDIS_URL
    if not url:
        _unavailable("Redis is not configured: set REDIS_URL=redis://...")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL={url} is set but Redis does not answer: {exc}")
    finally:
        client.close()
    return url


def _database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL for the database Django is connected to (the test database)."""
    user = quote(str(settings_dict.get("USER") or ""), safe="")
    password = str(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = str(settings_dict.get("HOST") or "")
    if host.startswith("/"):  # Unix socket directory
        host = quote(host, safe="")
    netloc = f"{auth}@{host}" if auth else host
    if settings_dict.get("PORT"):
        netloc += f":{settings_dict['PORT']}"
    options = {
        key: value
        for key, value in (settings_dict.get("OPTIONS") or {}).items()
        if isinstance(value, str | int) and not isinstance(value, bool)
    }
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{netloc}/{quote(str(settings_dict['NAME']), safe='')}{query}"


# --- Private Redis and PostgreSQL servers, to stop and restart ----------------------------


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PrivateRedis:
    """A redis-server process of one test alone (no persistence, like a restarted broker
    that lost its queues), so stopping it disturbs nobody else."""

    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for(self.answers, timeout=10):
            self.stop()
            pytest.fail(f"private redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def celery_broker_use(url: str) -> None:
    """Point this process's Celery producer at `url`, dropping pooled connections (call it
    again after the broker restarts: kombu keeps the dead ones otherwise)."""
    from kombu import pools

    from dezhou_carbon.celery import app

    app.conf.broker_url = url
    pools.reset()
    app._pool = None
    if "amqp" in app.__dict__:  # created lazily on first publish
        app.__dict__["amqp"]._producer_pool = None


@pytest.fixture
def private_redis_server() -> Iterator[PrivateRedis]:
    """A private redis-server this process publishes to (restored afterwards). A test that
    also wants a worker on it overrides `require_redis` to return its `url`."""
    if not shutil.which("redis-server"):
        _unavailable("redis-server is not installed (apt-get install redis-server)")
    from dezhou_carbon.celery import app

    server = PrivateRedis(free_port())
    server.start()
    previous = app.conf.broker_url
    try:
        celery_broker_use(server.url)
        yield server
    finally:
        server.stop()
        celery_broker_use(previous)


def _postgres_bin() -> Path:
    """Debian's server binaries, the newest major version installed (15 on this machine)."""
    found = [
        path.parent
        for path in Path("/usr/lib/postgresql").glob("*/bin/initdb")
        if path.parent.parent.name.isdigit()
    ]
    found.sort(key=lambda path: int(path.parent.name))
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


POSTGRES_BIN = _postgres_bin()


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of one test alone (data and socket in a temporary directory,
    trust authentication, loopback only), so it can be crashed and restarted. As root the
    server runs as the `postgres` OS user, as PostgreSQL requires."""

    directory: Path
    port: int

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log_path(self) -> Path:
        return self.directory / "server.log"

    def url(self, database: str = "postgres", **options: str) -> str:
        query = f"?{urlencode(options)}" if options else ""
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}{query}"

    def _run(self, *command: str, timeout: float = 120) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        return subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _pg_ctl(self, action: str, *extra: str, timeout: float = 120) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=50"
        )  # fsync off: only processes crash here, never the machine
        done = self._run(
            str(POSTGRES_BIN / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log_path),
            "-o", options, "-w", "-t", str(int(timeout)), *extra,
            timeout=timeout + 10,
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"pg_ctl {action} failed: {done.stdout}{done.stderr}\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def init(self) -> None:
        done = self._run(
            str(POSTGRES_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        if done.returncode != 0:
            pytest.fail(f"initdb failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self, mode: str = "immediate") -> None:
        """`immediate`: every server process quits at once, without a checkpoint, as in a
        crash; the restart then runs crash recovery from the write-ahead log."""
        self._pg_ctl("restart", "-m", mode)

    def stop(self, mode: str = "immediate") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(POSTGRES_BIN / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode,
                      "-w", "-t", "60", timeout=70)  # fmt: skip

    def query(self, sql: str, params=(), *, database: str = "postgres") -> list[tuple]:
        """Run one statement in autocommit and return its rows ([] when it returns none)."""
        import psycopg2

        connection = psycopg2.connect(
            self.url(database), connect_timeout=5, options="-c statement_timeout=120s"
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()


@pytest.fixture
def private_postgres(require_postgres) -> Iterator[PrivatePostgres]:
    """A started private PostgreSQL cluster on a free port, removed afterwards."""
    if not (POSTGRES_BIN / "initdb").exists():
        _unavailable(f"{POSTGRES_BIN}/initdb is missing (apt-get install postgresql-15)")
    if os.geteuid() == 0:
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root without a `postgres` OS user to run PostgreSQL as")
    directory = Path(tempfile.mkdtemp(prefix="dezhou_private_pg_"))
    if os.geteuid() == 0:
        os.chown(directory, owner.pw_uid, owner.pw_gid)
    server = PrivatePostgres(directory, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --- a real Celery worker ---------------------------------------------------------------


@dataclass
class CeleryWorker:
    process: subprocess.Popen
    queue: str
    hostname: str
    log_path: Path
    database_url: str
    command: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (it runs in a session of its own), as
        a crash or an out-of-memory kill would: no warm shutdown, no ack, no cleanup."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WORKER_STOP_TIMEOUT)

    def start_another(self) -> None:
        """Start a new worker process on the same queue (after `kill`), and wait until it
        answers; the fixture stops whichever process is current at teardown."""
        if self.process.poll() is None:
            raise RuntimeError("the previous worker is still running: kill or stop it first")
        self.process = _worker_spawn(self.command, self.env, self.log_path, append=True)
        _worker_wait_ready(self)


def _purge(app, queue: str, *, forget: bool = False) -> None:
    """Empty `queue`; with `forget`, also drop kombu's binding keys so no run leaves keys."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        channel.queue_purge(queue)
        if forget:
            channel.client.delete(
                channel.keyprefix_queue % queue, channel.keyprefix_binding_permanent % queue
            )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current job, then exit
    try:
        process.wait(timeout=WORKER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=WORKER_STOP_TIMEOUT)


def _worker_spawn(
    command: list[str], env: dict[str, str], log_path: Path, *, append: bool = False
) -> subprocess.Popen:
    with log_path.open("ab" if append else "wb") as log:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: `CeleryWorker.kill` ends it all
        )


def _worker_wait_ready(worker: CeleryWorker) -> None:
    from dezhou_carbon.celery import app

    process = worker.process

    def answered() -> bool:
        if process.poll() is not None:
            pytest.fail(
                f"celery worker exited with code {process.returncode} while starting:\n"
                f"{worker.log()}"
            )
        return bool(app.control.ping(destination=[worker.hostname], timeout=0.5))

    if not wait_for(answered, timeout=WORKER_START_TIMEOUT, interval=0.1):
        pytest.fail(
            f"celery worker {worker.hostname} did not answer ping within "
            f"{WORKER_START_TIMEOUT:.0f} s:\n{worker.log()}"
        )


@pytest.fixture
def celery_worker_process(
    require_postgres, require_redis, transactional_db, request, tmp_path
) -> Iterator[CeleryWorker]:
    """A real `celery worker` subprocess on a queue of its own, reading and writing the test
    database over real Redis. Jobs queued with `.delay()` in the test go to this worker.

    Uses `transactional_db` so the worker sees what the test committed and the test sees
    what the worker committed. There is no result backend: wait for the job's effect in
    the database (with `wait_for`), never `AsyncResult.get()`.
    """
    from django.db import connection

    from dezhou_carbon.celery import app

    suffix = uuid.uuid4().hex[:12]
    queue = f"dezhou_test_{suffix}"
    hostname = f"test-{suffix}@{os.uname().nodename}"
    log_path = tmp_path / "celery-worker.log"
    database_url = _database_url(connection.settings_dict)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": require_redis,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_QUEUE": queue,
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable, "-m", "celery", "-A", "dezhou_carbon", "worker",
        "--pool=solo", "--concurrency=1", "-Q", queue, "-n", hostname,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning",
    ]  # fmt: skip

    saved = {
        "task_always_eager": app.conf.task_always_eager,
        "task_default_queue": app.conf.task_default_queue,
    }
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    request.node.stash[_worker_log_key] = log_path
    worker = None
    try:
        _purge(app, queue)
        process = _worker_spawn(command, env, log_path)
        worker = CeleryWorker(process, queue, hostname, log_path, database_url, command, env)
        _worker_wait_ready(worker)
        yield worker
    finally:
        if worker is not None:
            # The current process (a test may have started another); a failing test's
            # report gets the worker log (makereport above).
            _stop(worker.process)
        try:
            _purge(app, queue, forget=True)
        except Exception as exc:  # teardown must not hide the test's own result
            sys.stderr.write(f"could not purge Celery queue {queue}: {exc}\n")
        for key, value in saved.items():
            setattr(app.conf, key, value)


# --- Playwright with Debian's Chromium --------------------------------------------------


@pytest.fixture
def artifacts_dir(request) -> Path:
    """`test-artifacts/<test name>/`, emptied and created, for screenshots; CI keeps it."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    path = Path(settings.BASE_DIR) / "test-artifacts" / name
    shutil.rmtree(path, ignore_errors=True)  # no stale failure.png from an earlier run
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser_page(request, monkeypatch, settings, artifacts_dir) -> Iterator[Any]:
    """A Playwright page in headless Debian Chromium, locale zh-CN.

    Never `playwright install`: the browser is the apt package `chromium`. Playwright's
    sync API runs an asyncio loop in this thread while it is alive, so Django's async
    safety check is switched off for this test only (the driver and the browser are
    started and stopped per test, so the loop never leaks into other tests). Pair it with
    pytest-django's `live_server`. A failing test leaves `failure.png` in `artifacts_dir`.

    `live_server` serves static files from the finders, and there is no `collectstatic`
    manifest in a test run, so the manifest storage that settings choose when DEBUG is off
    (pytest-django always turns DEBUG off) is replaced by plain storage for this test.
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"playwright is not installed: {exc}")

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800}
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            yield page
            if _test_failed(request):
                try:
                    page.screenshot(path=artifacts_dir / "failure.png", full_page=True)
                except Exception as exc:
                    sys.stderr.write(f"could not take the failure screenshot: {exc}\n")
            context.close()
        finally:
            browser.close()
