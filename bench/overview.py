"""Overview page throughput under concurrent clients (see docs/performance-overview.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou_bench_overview \\
        .venv/bin/python bench/overview.py [--target /dashboards/] [--clients 50] [--duration 15]

`bench/all.py` runs it together with the engine benchmark (`bench/run.py`) and prints one
table of both.

The requirement: "Overview throughput under 50 concurrent clients is at least half the
throughput of a trivial view on the same server, measured in the same run."

It drops and recreates its own PostgreSQL database (the name must contain
"bench_overview"; the server must be on this machine), migrates it, seeds the plan, loads
the park's demo statistics through the real import service, recomputes every result and
raises the warnings, and creates a committee member with a password made up for this run.
Then it collects the static files into a temporary DEZHOU_VAR_DIR, starts gunicorn
(`dezhou_carbon.wsgi`, 3 sync workers, DEBUG off) on a free loopback port, signs in once
through the login form for a session cookie, and drives `--clients` concurrent clients
(threads with http.client, nothing to install) for `--duration` seconds each against

  (a) the trivial view: GET /health/ as an anonymous visitor (the monitoring endpoint),
      or GET /accounts/login/ where the server has no /health/ answering 200, and
  (b) the target page (default /dashboards/, the committee's overview) with the session.

Both are measured in the same run against the same server, after a short warm-up of each.
While the clients run, the resident memory of gunicorn's worker processes is sampled from
/proc; each worker's peak (VmHWM) is read before gunicorn stops. It prints requests/s, p50,
p95 and errors of each, the ratio and the workers' peak memory, writes
bench/results/overview-latest.json (or --json PATH), and exits non-zero if the ratio is
below 0.5 or any request failed. gunicorn is always stopped; every loop and wait is
bounded; only loopback addresses are ever contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "overview-latest.json"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
HOST = "127.0.0.1"
USERNAME = "bench.committee"
REQUIRED_RATIO = 0.5
SETUP_TIMEOUT = 900  # seconds, per child step
SERVER_START_TIMEOUT = 60
SERVER_STOP_TIMEOUT = 15
REQUEST_TIMEOUT = 60  # a single request; gunicorn's own worker timeout is 30 s
MAX_REQUESTS_PER_CLIENT = 1_000_000  # a second bound besides the clock
HEALTH_PATH = "/health/"
LOGIN_PATH = "/accounts/login/"
MEMORY_SAMPLE_SECONDS = 0.5


# --- Guards ----------------------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def check_database(url: str) -> None:
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("bench/overview: DATABASE_URL must be a postgres:// URL")
    if "bench_overview" not in database_name(url):
        sys.exit(
            f"bench/overview: refusing to use {database_name(url)!r}: the name must contain "
            "'bench_overview' (the database is dropped and recreated)"
        )
    if parts.hostname not in LOOPBACK:
        sys.exit(f"bench/overview: refusing {parts.hostname!r}: loopback only")


def check_redis(url: str) -> None:
    if url and urlparse(url).hostname not in LOOPBACK:
        sys.exit(f"bench/overview: refusing Redis at {urlparse(url).hostname!r}: loopback only")


def admin_execute(url: str, *statements: str) -> None:
    import psycopg2

    connection = psycopg2.connect(with_database(url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


# --- Child steps (run with DATABASE_URL set; Django is imported only there) -------------------


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", HOST)
    # Jobs run in this process (no broker): the recompute and warnings are made here.
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def step_setup() -> dict:
    """Migrate, seed the plan, load the demo statistics, recompute, raise warnings."""
    from django.core.management import call_command

    from accounts.models import User
    from dashboards.services import warnings_sync
    from indicators.demo import demo_statistics_load
    from indicators.recompute import compute_lock, results_recompute
    from indicators.seed import indicators_seed
    from tasks.models import Plan
    from tasks.services import plan_seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    plan_seed()
    indicators_seed(plan=Plan.objects.get())
    loader = User.objects.create_user(
        "bench.admin", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True
    )
    outcome = demo_statistics_load(user=loader)
    with compute_lock() as acquired:
        if not acquired:
            raise SystemExit("bench/overview: the compute lock is taken")
        stats = results_recompute()
    warnings = warnings_sync()
    from indicators.models import Figure, IndicatorResult

    return {
        "seconds": time.perf_counter() - started,
        "figures": Figure.objects.count(),
        "imported_rows": outcome.row_count,
        "results": IndicatorResult.objects.count(),
        "results_written": stats.written,
        "warnings_raised": len(warnings),
    }


def step_user() -> dict:
    """The committee member the clients sign in as, with this run's password."""
    from accounts.models import User

    user, _ = User.objects.get_or_create(username=USERNAME, defaults={"role": User.Role.COMMITTEE})
    user.role = User.Role.COMMITTEE
    user.is_active = True
    user.set_password(os.environ["BENCH_PASSWORD"])
    user.save()
    return {"user": USERNAME}


def step_static() -> dict:
    """collectstatic into this run's DEZHOU_VAR_DIR with the manifest the pages' {% static %}
    tags read, as in production, but without whitenoise's gzip and brotli copies: the
    clients fetch pages, never static files, and compressing every file (plotly's package
    data included) takes many minutes on a busy two-core machine."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    started = time.perf_counter()
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    return {"seconds": time.perf_counter() - started}


CHILD_STEPS = {"setup": step_setup, "user": step_user, "static": step_static}


def child_main(step: str, out: str) -> None:
    django_setup()
    result = CHILD_STEPS[step]()
    Path(out).write_text(json.dumps(result, default=str), encoding="utf-8")


def run_child(step: str, env: dict, work: Path) -> dict:
    out = work / f"{step}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--child", step, "--out", str(out)]
    print(f"  … {step}", flush=True)
    subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=SETUP_TIMEOUT)
    return json.loads(out.read_text(encoding="utf-8"))


# --- The server --------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    env: dict
    log_path: Path
    workers: int
    process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "dezhou_carbon.wsgi",
            "-w", str(self.workers), "-b", f"{HOST}:{self.port}",
            "--backlog", "2048", "--timeout", "30", "--log-level", "warning",
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its workers are stopped with it
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                status, _, _ = request("GET", self.port, "/accounts/login/")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not answer within {SERVER_START_TIMEOUT} s:\n{self.log()}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn stops its workers gracefully
        try:
            self.process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: gunicorn and workers
            self.process.wait(timeout=SERVER_STOP_TIMEOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


def request(method: str, port: int, path: str, *, headers=None, body: bytes | None = None):
    """One request on a fresh connection (gunicorn's sync workers close after each)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, response.getheaders(), data
    finally:
        connection.close()


def cookies_from(headers) -> dict[str, str]:
    jar = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key.strip()] = val.strip()
    return jar


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{key}={value}" for key, value in jar.items())


def sign_in(port: int, password: str) -> str:
    """Through the login form, as a browser would; returns the Cookie header to send."""
    status, headers, body = request("GET", port, "/accounts/login/")
    if status != 200:
        raise RuntimeError(f"login page answered {status}")
    jar = cookies_from(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not token or "csrftoken" not in jar:
        raise RuntimeError("login page carried no CSRF token")
    form = urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "username": USERNAME, "password": password}
    ).encode()
    status, headers, _ = request(
        "POST",
        port,
        "/accounts/login/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
        },
        body=form,
    )
    jar.update(cookies_from(headers))
    if status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"signing in failed (HTTP {status}); is the password right?")
    return cookie_header(jar)


# --- Memory of gunicorn's workers ---------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers), from /proc/*/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # ended meanwhile
        # "pid (comm) state ppid …": comm may contain spaces and parentheses.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB."""
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line[:5]] = int(line.split()[1])
    except OSError:
        return {}
    return values


class WorkerMemory:
    """Samples the RSS of gunicorn's workers in a thread while the load runs; `stop` reads
    each worker's own peak (VmHWM, which the kernel keeps) one last time."""

    def __init__(self, master_pid: int):
        self.master_pid = master_pid
        self.peak_kb: dict[int, int] = {}  # worker pid → its VmHWM, last read
        self.peak_sum_rss_kb = 0  # the largest sum of the workers' RSS in one sample
        self.samples = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        total = 0
        for pid in children_of(self.master_pid):
            values = memory_kb(pid)
            if values:
                total += values.get("VmRSS", 0)
                self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), values.get("VmHWM", 0))
        self.peak_sum_rss_kb = max(self.peak_sum_rss_kb, total)
        self.samples += 1

    def _run(self) -> None:
        while not self._stopping.wait(MEMORY_SAMPLE_SECONDS):
            self.sample()

    def start(self) -> None:
        self.sample()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
        self.sample()

    def summary(self) -> dict:
        peaks = sorted(self.peak_kb.values(), reverse=True)
        return {
            "workers_seen": len(peaks),
            "peak_mb_sum_of_workers": round(sum(peaks) / 1024, 1),
            "peak_mb_largest_worker": round(peaks[0] / 1024, 1) if peaks else None,
            "peak_mb_sum_of_rss_sampled": round(self.peak_sum_rss_kb / 1024, 1),
            "samples": self.samples,
            "source": "VmHWM in /proc/<pid>/status of each gunicorn worker (children of the master)",
        }


# --- The load ----------------------------------------------------------------------------------


@dataclass
class Measurement:
    label: str
    path: str
    clients: int
    seconds: float = 0.0  # the measured window (requests still running at its end drain)
    wall_seconds: float = 0.0  # the window plus the drain
    latencies: list[float] = field(default_factory=list)
    in_window: int = 0  # successful requests that finished inside the window
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    bytes: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def throughput(self) -> float:
        """Successful requests finished inside the window, per second of the window."""
        return self.in_window / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    def summary(self) -> dict:
        return {
            "label": self.label,
            "path": self.path,
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "wall_seconds_with_drain": round(self.wall_seconds, 3),
            "ok_in_window": self.in_window,
            "ok": len(self.latencies),
            "errors": self.errors,
            "error_samples": self.error_samples[:5],
            "requests_per_second": round(self.throughput, 2),
            "p50_ms": round(self.percentile(50) * 1000, 1),
            "p95_ms": round(self.percentile(95) * 1000, 1),
            "mean_body_bytes": round(self.bytes / len(self.latencies)) if self.latencies else 0,
        }


def drive(
    port: int, path: str, *, label: str, clients: int, duration: float, cookie: str, marker: bytes
) -> Measurement:
    """`clients` threads, each sending one request after the other for `duration` seconds.
    A request counts as an error unless it answers 200 with `marker` in its body."""
    measurement = Measurement(label, path, clients)
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    headers = {"Cookie": cookie} if cookie else {}
    ends_at: list[float] = []

    def client() -> None:
        start_gate.wait(timeout=30)
        mine, errors, samples, size, in_window = [], 0, [], 0, 0
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            began = time.perf_counter()
            if began >= ends_at[0]:
                break
            try:
                status, _, body = request("GET", port, path, headers=headers)
            except OSError as exc:
                errors += 1
                samples.append(f"{type(exc).__name__}: {exc}")
                continue
            if status == 200 and marker in body:
                finished = time.perf_counter()
                mine.append(finished - began)
                size += len(body)
                in_window += finished <= ends_at[0]
            else:
                errors += 1
                samples.append(f"HTTP {status}")
        with lock:
            measurement.latencies.extend(mine)
            measurement.errors += errors
            measurement.error_samples.extend(samples[:2])
            measurement.bytes += size
            measurement.in_window += in_window

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    ends_at.append(began + duration)
    start_gate.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=duration + REQUEST_TIMEOUT + 5)
    measurement.seconds = duration
    measurement.wall_seconds = time.perf_counter() - began
    if any(thread.is_alive() for thread in threads):
        measurement.errors += 1
        measurement.error_samples.append("a client did not finish in time")
    return measurement


# --- Reporting ---------------------------------------------------------------------------------


def machine() -> dict:
    memory_kb = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def print_table(rows: list[Measurement], ratio: float, ok: bool, memory: dict) -> None:
    print()
    print(f"{'page':<34} {'req/s':>9} {'p50 ms':>9} {'p95 ms':>9} {'ok':>8} {'errors':>7}")
    for row in rows:
        print(
            f"{row.label + ' ' + row.path:<34} {row.throughput:>9.1f} "
            f"{row.percentile(50) * 1000:>9.1f} {row.percentile(95) * 1000:>9.1f} "
            f"{len(row.latencies):>8} {row.errors:>7}"
        )
    print(
        f"\nratio target/trivial = {ratio:.3f} (required ≥ {REQUIRED_RATIO}) → "
        f"{'PASS' if ok else 'FAIL'}"
    )
    print(
        f"gunicorn workers' peak memory: {memory['peak_mb_sum_of_workers']} MB together "
        f"({memory['workers_seen']} workers, largest {memory['peak_mb_largest_worker']} MB)"
    )


# --- Main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default="/dashboards/", help="page measured (b)")
    parser.add_argument(
        "--trivial",
        default="auto",
        help=f"trivial view (a); auto: {HEALTH_PATH} if it answers 200, else {LOGIN_PATH}",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per page")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per page, unmeasured")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the existing bench database (no reseeding)"
    )
    parser.add_argument("--no-json", action="store_true", help="do not write the results file")
    parser.add_argument(
        "--json",
        type=Path,
        default=RESULTS,
        help="where to write the results (default %(default)s)",
    )
    parser.add_argument("--child", choices=sorted(CHILD_STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child, args.out)
        return 0
    if not 1 <= args.clients <= 200:
        sys.exit("bench/overview: --clients must be 1..200")
    if not 1 <= args.duration <= 300 or not 0 <= args.warmup <= 60:
        sys.exit("bench/overview: --duration must be 1..300 s and --warmup 0..60 s")
    if not 1 <= args.workers <= 16:
        sys.exit("bench/overview: --workers must be 1..16")
    for page in (args.target, args.trivial):
        if page != "auto" and not page.startswith("/"):
            sys.exit(f"bench/overview: {page!r} must be a path on this server")

    url = os.environ.get("DATABASE_URL", "")
    check_database(url)
    redis_url = os.environ.get("BENCH_REDIS_URL", "")
    check_redis(redis_url)
    name = database_name(url)
    work = Path(tempfile.mkdtemp(prefix="dezhou_bench_overview_"))
    password = secrets.token_urlsafe(18)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_HTTPS": "0",
            "DJANGO_DEBUG": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DEZHOU_VAR_DIR": str(work / "var"),
            "BENCH_PASSWORD": password,
        }
    )
    if redis_url:  # optional: the cache in Redis as in production (own key prefix)
        env.update({"REDIS_URL": redis_url, "CACHE_KEY_PREFIX": "bench_overview"})
    print(
        f"bench/overview: database {name}, {args.clients} clients × {args.duration:.0f} s, "
        f"target {args.target}, trivial {args.trivial} (work dir {work})",
        flush=True,
    )
    setup = None
    server = Server(free_port(), env, work / "gunicorn.log", args.workers)
    try:
        if not args.reuse:
            admin_execute(
                url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
            )
            setup = run_child("setup", env, work)
            print(f"    seeded: {setup}", flush=True)
        run_child("user", env, work)
        run_child("static", env, work)  # collectstatic
        print(f"  … gunicorn -w {args.workers} on {HOST}:{server.port}", flush=True)
        server.start()
        cookie = sign_in(server.port, password)
        status, _, body = request("GET", server.port, args.target, headers={"Cookie": cookie})
        if status != 200 or b"</html>" not in body:
            print(
                f"bench/overview: {args.target} answered HTTP {status} to the committee member; "
                "measure another page with --target (e.g. /plan/) until it exists",
                file=sys.stderr,
            )
            return 2
        target_marker = b"</html>"
        trivial = args.trivial
        if trivial == "auto":
            status, _, _ = request("GET", server.port, HEALTH_PATH)
            trivial = HEALTH_PATH if status == 200 else LOGIN_PATH
            print(f"  … trivial view: {trivial} ({HEALTH_PATH} answered HTTP {status})", flush=True)
        # A request counts only with its page's marker in the body (else it is an error).
        markers = {LOGIN_PATH: b'name="csrfmiddlewaretoken"', HEALTH_PATH: b'"status"'}
        trivial_marker = markers.get(trivial, b"")
        pages = [
            ("trivial", trivial, "", trivial_marker),
            ("target", args.target, cookie, target_marker),
        ]
        if args.warmup:
            print(f"  … warm-up {args.warmup:.0f} s per page", flush=True)
            for label, path, jar, marker in pages:
                drive(
                    server.port,
                    path,
                    label=label,
                    clients=args.clients,
                    duration=args.warmup,
                    cookie=jar,
                    marker=marker,
                )
        measured = []
        memory = WorkerMemory(server.process.pid)
        memory.start()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        for label, path, jar, marker in pages:
            print(f"  … {label} {path}: {args.duration:.0f} s", flush=True)
            measured.append(
                drive(
                    server.port,
                    path,
                    label=label,
                    clients=args.clients,
                    duration=args.duration,
                    cookie=jar,
                    marker=marker,
                )
            )
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        memory.stop()  # before gunicorn stops: each worker's peak is read from /proc
    finally:
        server.stop()
        gunicorn_log = server.log()
        shutil.rmtree(work / "var", ignore_errors=True)

    trivial, target = measured
    ratio = target.throughput / trivial.throughput if trivial.throughput else 0.0
    errors = trivial.errors + target.errors
    ok = ratio >= REQUIRED_RATIO and errors == 0
    memory_summary = memory.summary()
    print_table(measured, ratio, ok, memory_summary)
    if errors:
        print(f"errors: {trivial.error_samples[:3] + target.error_samples[:3]}")
        print(f"gunicorn log (tail):\n{gunicorn_log}")
    report = {
        "requirement": "overview throughput under 50 concurrent clients ≥ 0.5 × a trivial view",
        "ok": ok,
        "ratio": round(ratio, 4),
        "required_ratio": REQUIRED_RATIO,
        "trivial": trivial.summary(),
        "target": target.summary(),
        "server": {"gunicorn_workers": args.workers, "worker_class": "sync", "debug": False},
        "memory": memory_summary,
        "cache": "redis" if redis_url else "locmem (per worker)",
        "client_cpu_seconds": round(
            (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime),
            2,
        ),
        "warmup_seconds": args.warmup,
        "database": name,
        "setup": setup,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if not args.no_json:
        path = args.json.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
