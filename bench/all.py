"""Every speed requirement in one command, one table (see docs/performance.md, "One command
for every benchmark"):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou_bench \\
        .venv/bin/python bench/all.py [--quick]

It runs, one after the other and each as its own process:

1. the engine benchmark `bench/run.py` (full recompute from 1,000,000 figures against a
   bare SQL GROUP BY, the incremental recompute, the import of 100,000 rows against a bare
   pd.read_csv) on the database of DATABASE_URL (its name must contain "bench"), and reads
   the results file it writes (bench/results/latest.json, or quick.json with --quick);
2. the overview load test `bench/overview.py` (50 concurrent clients against gunicorn on
   127.0.0.1: the committee's overview against a trivial view, p50/p95 of both and the
   gunicorn workers' peak memory) on a database of its own, by default the same name with
   "bench" replaced by "bench_overview" (`--overview-database` to choose another).

Both databases are dropped and recreated by the scripts themselves. It then prints ONE
table — step, seconds, baseline, ratio, limit, peak MB, pass/fail — and writes
bench/results/all-latest.json (all-quick.json with --quick). Exit code 0 when every limit
is met, 1 when one is not, 2 when a benchmark could not run. Every child is bounded by a
timeout and stopped (its whole process group) if this command is interrupted.

Options not listed below (e.g. --figures N, --reuse, --import-rows N) go to bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
ENGINE_TIMEOUT = 4 * 3600  # seconds: bench/run.py bounds each of its own steps to one hour
OVERVIEW_TIMEOUT = 3600
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
OVERVIEW_LIMIT_RATIO = 2.0  # time per request ≤ 2 × the trivial view's ⇔ throughput ≥ 0.5 ×


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path="/" + name))


def overview_database_for(name: str) -> str:
    """dezhou_bench → dezhou_bench_overview; dezhou_bench_h7 → dezhou_bench_overview_h7."""
    return name.replace("bench", "bench_overview", 1)


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run(command: list[str], *, env: dict, timeout: float, label: str) -> int:
    """Run a benchmark in its own process group, streaming its output; on timeout or
    Ctrl-C the whole group is stopped (gunicorn, its workers, child steps)."""
    print(f"\n=== {label}: {' '.join(command[1:])}", flush=True)
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        return process.wait(timeout=timeout)
    except BaseException:  # timeout, KeyboardInterrupt
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        raise


def fresh_json(path: Path, started: float) -> dict | None:
    """The results file a child wrote in this run (None if it is missing or older)."""
    if not path.exists() or path.stat().st_mtime < started:
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# --- The table ----------------------------------------------------------------------------


def row(step, seconds, baseline=None, ratio=None, limit="", peak_mb=None, result="") -> dict:
    return {
        "step": step,
        "seconds": None if seconds is None else round(seconds, 4),
        "baseline": None if baseline is None else round(baseline, 4),
        "ratio": None if ratio is None else round(ratio, 2),
        "limit": limit,
        "peak_mb": None if peak_mb is None else round(peak_mb, 1),
        "result": result,
    }


def engine_rows(report: dict) -> list[dict]:
    """bench/run.py's own table, with the baseline each ratio was taken against."""
    steps = report.get("steps") or {}
    group_by = (steps.get("group_by") or {}).get("seconds")
    read_csv = (steps.get("pandas") or {}).get("seconds")
    rows = []
    for entry in report.get("table", []):
        seconds, ratio = entry.get("seconds"), entry.get("ratio")
        baseline = None
        if ratio:
            label = entry["step"].lower()
            if "import" in label and read_csv:
                baseline = read_csv
            elif "recompute" in label and group_by:
                baseline = group_by
            else:
                baseline = seconds / ratio
        rows.append(
            row(
                # Sub-rows keep bench/run.py's indentation under the row they belong to.
                entry["step"] if entry["step"].startswith(" ") else "engine: " + entry["step"],
                seconds,
                baseline,
                ratio,
                entry.get("limit", ""),
                entry.get("peak_mb"),
                entry.get("result", ""),
            )
        )
    return rows


def overview_rows(report: dict) -> list[dict]:
    """The load test as rows: time per request (1 / throughput) of the overview against the
    trivial view's — the requirement "throughput ≥ 0.5 × the trivial view" read as
    "≤ 2 × its time per request" — then the p95 latency of each, for information."""
    trivial, target = report["trivial"], report["target"]
    memory = report.get("memory") or {}
    per_request = {
        name: (1 / page["requests_per_second"]) if page["requests_per_second"] else None
        for name, page in (("trivial", trivial), ("target", target))
    }
    ratio = (
        per_request["target"] / per_request["trivial"]
        if per_request["target"] and per_request["trivial"]
        else None
    )
    errors = trivial["errors"] + target["errors"]
    clients = target["clients"]
    return [
        row(
            f"overview: {target['path']} vs {trivial['path']}, {clients} clients "
            f"({target['requests_per_second']:.1f} vs {trivial['requests_per_second']:.1f} "
            "req/s; s per request)",
            per_request["target"],
            per_request["trivial"],
            ratio,
            f"≤{OVERVIEW_LIMIT_RATIO:g}× (req/s ≥0.5×), 0 errors",
            memory.get("peak_mb_sum_of_workers"),
            "PASS" if report.get("ok") and errors == 0 else "FAIL",
        ),
        row(f"  p95 latency {target['path']}", target["p95_ms"] / 1000, limit="info"),
        row(f"  p95 latency {trivial['path']}", trivial["p95_ms"] / 1000, limit="info"),
    ]


def print_table(rows: list[dict]) -> None:
    width = max(len(r["step"]) for r in rows)
    header = (
        f"{'step':<{width}} {'seconds':>9} {'baseline':>9} {'ratio':>8}  {'limit':<30} "
        f"{'peak MB':>8}  pass/fail"
    )
    print("\n" + header)
    print("-" * len(header))

    def number(value, spec: str, size: int) -> str:
        return f"{value:{spec}}" if value is not None else " " * size

    for r in rows:
        ratio = f"{r['ratio']:7.1f}×" if r["ratio"] is not None else " " * 8
        print(
            f"{r['step']:<{width}} {number(r['seconds'], '9.3f', 9)} "
            f"{number(r['baseline'], '9.3f', 9)} {ratio}  {r['limit']:<30} "
            f"{number(r['peak_mb'], '8.0f', 8)}  {r['result']}"
        )


# --- Main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Other options (--figures N, --reuse, --import-rows N, …) go to bench/run.py.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: bench/run.py --quick (100k figures, 10k import rows) and a 5 s load",
    )
    parser.add_argument("--overview-database", help="database of the load test")
    parser.add_argument("--clients", type=int, default=50, help="load test clients")
    parser.add_argument("--duration", type=float, help="load test seconds per page (15; quick 5)")
    parser.add_argument("--warmup", type=float, help="load test warm-up per page (3; quick 1)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--skip-engine", action="store_true", help="only the load test")
    parser.add_argument("--skip-overview", action="store_true", help="only the engine benchmark")
    parser.add_argument("--no-json", action="store_true", help="do not write the results file")
    args, engine_extra = parser.parse_known_args()

    url = os.environ.get("DATABASE_URL", "")
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql") or parts.hostname not in LOOPBACK:
        sys.exit("bench/all: DATABASE_URL must be postgres:// on this machine (loopback)")
    name = database_name(url)
    if "bench" not in name:
        sys.exit(f"bench/all: refusing {name!r}: the name must contain 'bench' (it is recreated)")
    overview_name = args.overview_database or overview_database_for(name)
    if "bench_overview" not in overview_name:
        sys.exit(f"bench/all: refusing {overview_name!r}: it must contain 'bench_overview'")
    duration = args.duration if args.duration is not None else (5.0 if args.quick else 15.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 3.0)
    suffix = "quick" if args.quick else "latest"

    started_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    loads = {"start": load_average()}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    engine = overview = None
    problems = []

    if not args.skip_engine:
        engine_json = RESULTS_DIR / ("quick.json" if args.quick else "latest.json")
        command = [
            sys.executable,
            "bench/run.py",
            *(["--quick"] if args.quick else []),
            *engine_extra,
        ]
        began = time.time()
        code = run(
            command, env={**env, "DATABASE_URL": url}, timeout=ENGINE_TIMEOUT, label="engine"
        )
        engine = fresh_json(engine_json, began)
        if engine is None:
            problems.append(f"bench/run.py exited {code} without writing {engine_json.name}")
        loads["after_engine"] = load_average()

    if not args.skip_overview:
        overview_json = RESULTS_DIR / f"overview-{suffix}.json"
        command = [
            sys.executable, "bench/overview.py",
            "--clients", str(args.clients), "--duration", str(duration),
            "--warmup", str(warmup), "--workers", str(args.workers),
            "--json", str(overview_json),
        ]  # fmt: skip
        began = time.time()
        code = run(
            command,
            env={**env, "DATABASE_URL": with_database(url, overview_name)},
            timeout=OVERVIEW_TIMEOUT,
            label="overview",
        )
        overview = fresh_json(overview_json, began)
        if overview is None:
            problems.append(f"bench/overview.py exited {code} without writing {overview_json.name}")
        loads["after_overview"] = load_average()

    rows = (engine_rows(engine) if engine else []) + (overview_rows(overview) if overview else [])
    print(f"\n=== all benchmarks ({'quick' if args.quick else 'full'}), started {started_at}")
    print(f"1-minute load average: {loads} on {os.cpu_count()} cores")
    if rows:
        print_table(rows)
    for problem in problems:
        print(f"bench/all: {problem}", file=sys.stderr)
    failed = [r["step"] for r in rows if r["result"] == "FAIL"]
    report = {
        "when": started_at,
        "command": " ".join(["bench/all.py", *sys.argv[1:]]),
        "quick": args.quick,
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "load_average_1min": loads,
        "databases": {"engine": name, "overview": overview_name},
        "table": rows,
        "failed": failed,
        "problems": problems,
        "engine": engine,
        "overview": overview,
    }
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"all-{suffix}.json"
        path.write_text(
            json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8"
        )
        print(f"\nwrote {path.relative_to(ROOT)}")
    if problems:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
