"""Speed benchmark of the indicator engine, in one command (see docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou_bench \\
        .venv/bin/python bench/run.py [--figures 1000000] [--quick]

It drops and recreates its own PostgreSQL database (the name must contain "bench"; the
server must be on this machine), migrates it, seeds the plan, loads the park's demo
statistics through the real import service and COPYs approved counting figures of
generated enterprises (fixed random seed) up to `--figures`. Then, each in its own
process so that peak memory is per step, it measures:

(a) a bare SQL GROUP BY over the counting figures against the full recompute;
(b) one department-quarter of the park approved through the real services, then the
    recompute of the request that approval wrote;
(c) parse_import_file + statistics_import(approve=True) of a generated CSV in a fresh
    database against a bare pd.read_csv of the same file.

It prints a table and writes bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
SEED = 20_240_601
# Enterprise data: 2020Q1-2025Q4 (24 quarters). BENCH_LAST_YEAR lengthens the history, e.g.
# 2029 for the ten years of docs/scale.md (read here so the step processes inherit it).
FIRST_YEAR = 2020
LAST_YEAR = int(os.environ.get("BENCH_LAST_YEAR", "2025"))
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STEP_TIMEOUT = 3600  # seconds; every child process is bounded
LIMIT_RATIO = 10
LIMIT_PEAK_MB = 500
LIMIT_INCREMENTAL_S = 0.2
GROUP_BY_SQL = (
    "SELECT scope, item_id, year, count(*), sum(value) FROM indicators_figure "
    "WHERE counts GROUP BY scope, item_id, year"
)
ADMIN, HEAD_DRS, CLERK_DRS = "bench.admin", "bench.head.drs", "bench.clerk.drs"


# --- Small helpers ----------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


def check_target(url: str) -> None:
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("bench: DATABASE_URL must be a postgres:// URL")
    if "bench" not in database_name(url):
        sys.exit(
            f"bench: refusing to run against {database_name(url)!r}: the name must "
            "contain 'bench' (the database is dropped and recreated)"
        )
    if parts.hostname not in LOOPBACK:
        sys.exit(f"bench: refusing to run against {parts.hostname!r}: loopback only")


def credit_code(number: int) -> str:
    """A valid unified social credit code (GB 32100-2015) for enterprise `number`."""
    from indicators.importing import credit_code_check_char

    first17 = f"91371400{number:09d}"
    return first17 + credit_code_check_char(first17)


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
    os.environ.setdefault(
        "DJANGO_SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz"
    )
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    # Jobs go to an in-memory broker and are not run: each measured step calls the
    # service it measures itself, and nothing reaches a real Redis or worker.
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- Generated enterprise figures ----------------------------------------------------------


class Catalogue:
    """The shipped items as the generator needs them."""

    def __init__(self):
        from indicators.models import StatisticalItem

        self.items = list(
            StatisticalItem.objects.order_by("order", "code").values(
                "id", "code", "frequency", "aggregation", "department_id", "unit"
            )
        )

    def per_enterprise(self) -> int:
        return sum(1 for _ in enterprise_figures(self, random.Random(0), 0))


# Annual flows of a typical enterprise (scaled per enterprise); growth rates in percent.
BASE = {
    "coal_raw": 30000,
    "coal_washed": 8000,
    "coke": 5000,
    "fuel_oil": 600,
    "gasoline": 300,
    "diesel": 400,
    "lpg": 80,
    "natural_gas": 500,
    "heat_purchased": 150000,
    "electricity_grid": 12000,
    "electricity_green": 600,
    "electricity_pv": 300,
    "geothermal_heat": 4000,
    "energy_feedstock": 2000,
    "iva_current": 100000,
    "gdp_current": 260000,
    "revenue_electronic": 10,
    "revenue_new_energy_materials": 6,
    "revenue_high_end_equipment": 5,
    "revenue_food": 5,
    "iw_generated": 80000,
    "iw_utilized": 70000,
    "iw_utilized_prior_stock": 2000,
    "building_new_civil_area": 40000,
    "building_new_green_area": 30000,
    "pv_capacity": 20,
    "agri_waste_generated": 15000,
    "agri_waste_utilized": 14000,
    "manure_generated": 8000,
    "manure_utilized": 7100,
    "straw_collectable": 12000,
    "straw_utilized": 11000,
}
SEASON = (0.27, 0.23, 0.22, 0.28)
CENT = Decimal("0.01")


def enterprise_figures(catalogue: Catalogue, rng: random.Random, number: int):
    """(item, period, year, quarter, value text) of one enterprise, FIRST_YEAR–LAST_YEAR: every
    item of the catalogue (unused fuels reported as 0), growth rates from 2021."""
    scale = rng.lognormvariate(0, 0.8)
    uses = {code: rng.random() < 0.7 for code in BASE}
    trend = {code: rng.uniform(-0.04, 0.08) for code in BASE}
    for item in catalogue.items:
        code = item["code"]
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            t = year - FIRST_YEAR
            if code.endswith("_growth_ytd"):
                if year == FIRST_YEAR:
                    continue
                rate = Decimal(f"{rng.uniform(2.0, 9.0):.1f}")
                for quarter in range(1, 5):
                    yield item, f"{year}Q{quarter}", year, quarter, str(rate)
                continue
            annual = BASE[code] * scale * (1 + trend[code]) ** t
            if not uses[code] and code in FUELS_AND_OPTIONAL:
                annual = 0.0
            if item["frequency"] == "year":
                value = Decimal(annual * rng.uniform(0.97, 1.03)).quantize(CENT, ROUND_HALF_UP)
                yield item, str(year), year, None, str(value)
                continue
            for quarter in range(1, 5):
                share = SEASON[quarter - 1] if item["aggregation"] == "sum" else 1.0
                raw = annual * share * rng.uniform(0.9, 1.1)
                value = Decimal(raw).quantize(CENT, ROUND_HALF_UP)
                yield item, f"{year}Q{quarter}", year, quarter, str(value)


FUELS_AND_OPTIONAL = {
    "coal_raw",
    "coal_washed",
    "coke",
    "fuel_oil",
    "gasoline",
    "diesel",
    "lpg",
    "natural_gas",
    "electricity_green",
    "electricity_pv",
    "geothermal_heat",
    "energy_feedstock",
}


def enterprises_register(codes) -> None:
    """Put the generated enterprises in the register (figures come only for registered
    enterprises); a few columns per enterprise, so one bulk insert."""
    from enterprises.models import Enterprise
    from tasks.models import Department

    drs = Department.objects.get(code="DRS")
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                code=code, name=f"企业{code[-6:]}", industry="3985", supervising_department=drs
            )
            for code in sorted(set(codes) - {""})
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )


def copy_enterprise_figures(catalogue: Catalogue, enterprises: int, *, first: int = 1) -> int:
    """COPY approved counting figures (version 1) of `enterprises` enterprises, and put
    them in the register."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now().isoformat()
    rng = random.Random(SEED)
    columns = (
        "item_id, department_id, period, year, quarter, scope, value, version, is_latest, "
        "counts, state, note, reason, entered_at, submitted_at, decided_at, decision_comment"
    )
    written = 0
    batch = 50
    with connection.cursor() as cursor:
        for start in range(first, first + enterprises, batch):
            buffer = io.StringIO()
            for number in range(start, min(start + batch, first + enterprises)):
                scope = credit_code(number)
                for item, period, year, quarter, value in enterprise_figures(
                    catalogue, rng, number
                ):
                    buffer.write(
                        f"{item['id']}\t{item['department_id']}\t{period}\t{year}\t"
                        f"{quarter if quarter else chr(92) + 'N'}\t{scope}\t{value}\t1\tt\tt\t"
                        f"approved\t\t\t{now}\t{now}\t{now}\t\n"
                    )
                    written += 1
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY indicators_figure ({columns}) FROM STDIN", buffer)
    enterprises_register(credit_code(n) for n in range(first, first + enterprises))
    return written


def import_csv_write(path: Path, rows: int, catalogue: Catalogue) -> int:
    """A CSV of `rows` figures of generated enterprises (other codes than the COPY's)."""
    rng = random.Random(SEED + 1)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["period", "item", "value", "unit", "scope"])
        number = 500_000
        while written < rows:
            scope = credit_code(number)
            for item, period, _year, _quarter, value in enterprise_figures(catalogue, rng, number):
                writer.writerow([period, item["code"], value, item["unit"], scope])
                written += 1
                if written == rows:
                    break
            number += 1
    return written


# --- Child steps (each runs in its own process) --------------------------------------------


def step_setup(args) -> dict:
    from django.core.management import call_command

    from accounts.models import User
    from indicators.seed import indicators_seed
    from tasks.models import Department, Plan
    from tasks.services import plan_seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    plan_seed()
    indicators_seed(plan=Plan.objects.get())
    drs = Department.objects.get(code="DRS")
    User.objects.create_user(ADMIN, role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    User.objects.create_user(HEAD_DRS, role=User.Role.HEAD, department=drs)
    User.objects.create_user(CLERK_DRS, role=User.Role.CLERK, department=drs)
    return {"seconds": time.perf_counter() - started}


def step_generate(args) -> dict:
    from django.db import connection

    from accounts.models import User
    from indicators.demo import demo_statistics_load
    from indicators.models import Figure, RecomputeRequest

    started = time.perf_counter()
    demo_statistics_load(user=User.objects.get(username=ADMIN))
    park = Figure.objects.count()
    catalogue = Catalogue()
    per_enterprise = catalogue.per_enterprise()
    enterprises = max(0, -(-(args.figures - park) // per_enterprise))
    copied = copy_enterprise_figures(catalogue, enterprises)
    # The demo import's recompute request would be handled by the full recompute.
    RecomputeRequest.objects.filter(status=RecomputeRequest.Status.PENDING).update(
        status=RecomputeRequest.Status.DONE
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE indicators_figure")
    return {
        "seconds": time.perf_counter() - started,
        "park_figures": park,
        "enterprises": enterprises,
        "figures_per_enterprise": per_enterprise,
        "enterprise_years": f"{FIRST_YEAR}-{LAST_YEAR}",
        "enterprise_figures": copied,
    }


def step_describe(args) -> dict:
    """The dataset as it is now, and the import file (written afresh)."""
    from indicators.models import Figure

    catalogue = Catalogue()
    counting = Figure.objects.counting()
    return {
        "seconds": 0.0,
        "counting_figures": counting.count(),
        "park_figures": counting.filter(scope="").count(),
        "enterprises": counting.exclude(scope="").values("scope").distinct().count(),
        "figures_per_enterprise": catalogue.per_enterprise(),
        "import_rows": import_csv_write(Path(args.csv), args.import_rows, catalogue),
    }


def step_group_by(args) -> dict:
    from django.db import connection

    timings = []
    groups = 0
    for _ in range(3):
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(GROUP_BY_SQL)
            groups = len(cursor.fetchall())
            timings.append(time.perf_counter() - started)
    return {
        "seconds": statistics.median(timings),
        "runs": timings,
        "groups": groups,
        "sql": GROUP_BY_SQL,
    }


def step_full(args) -> dict:
    from indicators.models import IndicatorResult
    from indicators.recompute import results_recompute, workers

    before = current_rss_mb()
    started = time.perf_counter()
    stats = results_recompute()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "workers": workers.PARALLEL_WORKERS if stats.scopes >= workers.PARALLEL_MIN_SCOPES else 0,
        "rss_before_mb": before,
        "scopes": stats.scopes,
        "written": stats.written,
        "deleted": stats.deleted,
        "results_in_table": IndicatorResult.objects.count(),
    }


def step_incremental(args) -> dict:
    """The everyday path: DRS fills in the park's next quarter, submits it and the head
    approves it (the real workflow services); then the recompute request the approval
    wrote is run. The bare results_recompute(from_year=Y, scopes={""}) is timed too, and
    the worst case for the park (every year from the first one)."""
    from django.db import transaction

    from accounts.models import User
    from indicators.models import DepartmentPeriod, Figure, RecomputeRequest
    from indicators.recompute import recompute_run, results_recompute
    from reporting import workflow
    from tasks.models import Department

    clerk = User.objects.get(username=CLERK_DRS)
    head = User.objects.get(username=HEAD_DRS)
    drs = Department.objects.get(code="DRS")
    # With --reuse, an earlier run approved (and so locked) the requested quarter: take the
    # first quarter from it on that DRS has not approved yet.
    approved = set(
        DepartmentPeriod.objects.filter(
            department=drs, state=DepartmentPeriod.State.APPROVED
        ).values_list("period", flat=True)
    )
    year, quarter = args.incremental_year, args.incremental_quarter
    while f"{year}Q{quarter}" in approved:
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    period = f"{year}Q{quarter}"
    last_year = dict(
        Figure.objects.counting()
        .filter(scope="", department=drs, year=year - 1, quarter=quarter)
        .values_list("item__code", "value")
    )
    entries = [
        workflow.EntryValue(
            item.code,
            (last_year.get(item.code, Decimal(0)) * Decimal("1.03")).quantize(CENT),
            "bench: 3 % above the same quarter last year",
        )
        for item in workflow.department_items(drs, period)
    ]
    workflow.department_period_save(department=drs, period=period, entries=entries, user=clerk)
    workflow.department_period_submit(department=drs, period=period, user=clerk)

    started = time.perf_counter()
    workflow.department_period_approve(department=drs, period=period, user=head)
    approve_seconds = time.perf_counter() - started
    request = RecomputeRequest.objects.get(status=RecomputeRequest.Status.PENDING, scope="")
    started = time.perf_counter()
    outcome = recompute_run(request_id=request.pk)
    run_seconds = time.perf_counter() - started

    def timed(from_year: int) -> tuple[list[float], int]:
        timings, written = [], 0
        for _ in range(5):
            started = time.perf_counter()
            with transaction.atomic():
                written = results_recompute(from_year=from_year, scopes={""}).written
            timings.append(time.perf_counter() - started)
        return timings, written

    timings, written = timed(year)
    worst, worst_written = timed(FIRST_YEAR)
    return {
        "period": period,
        "figures_approved": len(entries),
        "approve_seconds": approve_seconds,
        "recompute_run_seconds": run_seconds,
        "recompute_run_outcome": outcome,
        "approve_and_recompute_seconds": approve_seconds + run_seconds,
        "results_recompute_runs": timings,
        "seconds": statistics.median(timings),
        "written": written,
        "from_first_year_runs": worst,
        "from_first_year_seconds": statistics.median(worst),
        "from_first_year_written": worst_written,
    }


def step_pandas(args) -> dict:
    import pandas as pd

    timings = []
    rows = 0
    for _ in range(3):
        started = time.perf_counter()
        frame = pd.read_csv(args.csv)
        timings.append(time.perf_counter() - started)
        rows = len(frame)
    return {"seconds": statistics.median(timings), "runs": timings, "rows": rows}


def step_import(args) -> dict:
    from accounts.models import User
    from indicators.exchange import item_specs
    from indicators.importing import parse_import_file
    from indicators.models import Figure
    from indicators.services import statistics_import

    admin = User.objects.get(username=ADMIN)
    assert not Figure.objects.exists(), "the import database must be fresh"
    started = time.perf_counter()
    content = Path(args.csv).read_bytes()
    parsed = parse_import_file(content, "bench.csv", item_specs())
    registering = time.perf_counter()
    # The statistics office registers the enterprises first (not part of the import's time).
    enterprises_register(
        parsed.columns.scopes if parsed.columns else [r.scope for r in parsed.rows]
    )
    parsed_at = time.perf_counter()
    outcome = statistics_import(parsed=parsed, user=admin, filename="bench.csv", approve=True)
    done = time.perf_counter()
    return {
        "seconds": done - started - (parsed_at - registering),
        "parse_seconds": registering - started,
        "register_seconds": parsed_at - registering,
        "import_seconds": done - parsed_at,
        "floor_seconds": import_floor(),
        "rows": outcome.row_count,
        "created": outcome.to_create,
        "errors": len(parsed.errors),
    }


def import_floor() -> float:
    """What PostgreSQL alone needs to store the imported rows: the figures just written,
    read back as COPY text, then COPYed (timed, with its commit) into a new table of the
    figure table's columns with no index, constraint, foreign key or trigger. No import
    that stores its rows in PostgreSQL can be faster than this on the same machine."""
    from django.db import connection

    from indicators.models import Figure

    stored = ", ".join(f.column for f in Figure._meta.concrete_fields if f.column != "id")
    data = io.BytesIO()
    with connection.cursor() as cursor:  # autocommit: the COPY's time includes its commit
        cursor.cursor.copy_expert(f"COPY (SELECT {stored} FROM indicators_figure) TO STDOUT", data)
        cursor.execute(
            "CREATE TABLE bench_import_floor (LIKE indicators_figure INCLUDING DEFAULTS "
            "INCLUDING IDENTITY)"
        )
        cursor.execute("CHECKPOINT")  # as after the import: no earlier writes to flush
        data.seek(0)
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY bench_import_floor ({stored}) FROM STDIN", data)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_import_floor")
    return seconds


STEPS = {
    "setup": step_setup,
    "generate": step_generate,
    "describe": step_describe,
    "group_by": step_group_by,
    "full": step_full,
    "incremental": step_incremental,
    "pandas": step_pandas,
    "import": step_import,
}


def child_main(args) -> None:
    if args.step != "pandas":
        django_setup()
    load_before = os.getloadavg()[0]
    result = STEPS[args.step](args)
    result["peak_mb"] = peak_rss_mb()
    # Worker processes (the full recompute forks some): the largest one's peak, counted once
    # per worker on top of this process's own — an upper bound, since forked workers share
    # the parent's pages until they write them.
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if workers_peak and result.get("workers"):
        result["own_peak_mb"] = result["peak_mb"]
        result["workers_peak_mb"] = workers_peak
        result["peak_mb"] += result["workers"] * workers_peak
    result["load_average_1min"] = [load_before, os.getloadavg()[0]]
    Path(args.out).write_text(json.dumps(result, default=str), encoding="utf-8")


# --- The orchestrating process -------------------------------------------------------------


def run_step(step: str, url: str, args, work: Path, extra: list[str] | None = None) -> dict:
    out = work / f"{step}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        step,
        "--out",
        str(out),
        "--csv",
        str(work / "import.csv"),
        "--figures",
        str(args.figures),
        "--import-rows",
        str(args.import_rows),
        "--incremental-year",
        str(args.incremental_year),
        "--incremental-quarter",
        str(args.incremental_quarter),
        *(extra or []),
    ]
    env = {**os.environ, "DATABASE_URL": url}
    print(f"  … {step}", flush=True)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=STEP_TIMEOUT)
    result = json.loads(out.read_text(encoding="utf-8"))
    print(f"    {step}: {time.perf_counter() - started:.1f} s wall (process)", flush=True)
    return result


def admin_execute(url: str, *statements: str, database: str = "postgres") -> None:
    """Run statements in autocommit mode (CREATE/DROP DATABASE, VACUUM)."""
    import psycopg2

    connection = psycopg2.connect(with_database(url, database))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def server_versions(url: str) -> str:
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    finally:
        connection.close()


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


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def import_only(args, url: str, work: Path) -> None:
    """The import step and its baseline alone: a seeded, figure-free database (kept as
    the template with --reuse), the import file, pd.read_csv, then the import in a fresh copy.
    Prints the two rows; writes no JSON."""
    name = database_name(url)
    template, import_name = f"{name}_template", f"{name}_import"
    if not args.reuse:
        admin_execute(
            url,
            *(
                f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'
                for db in (import_name, template, name)
            ),
            f'CREATE DATABASE "{name}"',
        )
        run_step("setup", url, args, work)
        admin_execute(url, f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
    run_step("describe", with_database(url, template), args, work)
    pandas_parse = run_step("pandas", url, args, work)
    admin_execute(
        url,
        f'DROP DATABASE IF EXISTS "{import_name}" WITH (FORCE)',
        f'CREATE DATABASE "{import_name}" TEMPLATE "{template}"',
    )
    imported = run_step("import", with_database(url, import_name), args, work)
    admin_execute(url, f'DROP DATABASE IF EXISTS "{import_name}" WITH (FORCE)')
    loads = [*pandas_parse["load_average_1min"], *imported["load_average_1min"]]
    ratio = imported["seconds"] / pandas_parse["seconds"]
    print(f"\n1-minute load average during the measured steps: {min(loads):.2f}–{max(loads):.2f}")
    print(
        f"pd.read_csv (baseline): {pandas_parse['seconds']:.3f} s, {pandas_parse['peak_mb']:.0f} MB"
    )
    print(
        f"import: parse {imported['parse_seconds']:.3f} s + statistics_import "
        f"{imported['import_seconds']:.3f} s = {imported['seconds']:.3f} s, "
        f"{imported['peak_mb']:.0f} MB, {ratio:.1f}× "
        f"(≤{LIMIT_RATIO}×: {verdict(imported['seconds'] <= LIMIT_RATIO * pandas_parse['seconds'])})"
    )
    print(
        f"floor: COPY of the same rows into a table without indexes or constraints: "
        f"{imported['floor_seconds']:.3f} s, "
        f"{imported['floor_seconds'] / pandas_parse['seconds']:.1f}× pd.read_csv"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--figures", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k figures, 10k import rows")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--incremental-year", type=int, default=2026)
    parser.add_argument("--incremental-quarter", type=int, default=4)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the existing bench database (no regeneration)",
    )
    parser.add_argument("--no-json", action="store_true", help="do not write latest.json")
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the import step and its pd.read_csv baseline (no generated figures)",
    )
    parser.add_argument("--child", dest="step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        child_main(args)
        return
    if args.quick:
        args.figures, args.import_rows = 100_000, 10_000
    if not 1 <= args.import_rows <= 100_000:
        sys.exit("bench: --import-rows must be 1..100000 (the import's row limit)")
    if not 1_000 <= args.figures <= 5_000_000:
        sys.exit("bench: --figures must be 1000..5000000")

    url = os.environ.get("DATABASE_URL", "")
    check_target(url)
    name = database_name(url)
    template, import_name = f"{name}_template", f"{name}_import"
    import_url = with_database(url, import_name)
    work = Path(tempfile.mkdtemp(prefix="dezhou_bench_"))
    print(
        f"bench: {args.figures:,} figures, {args.import_rows:,} import rows, "
        f"database {name} (work dir {work})",
        flush=True,
    )

    if args.import_only:
        import_only(args, url, work)
        return
    setup = generate = None
    if not args.reuse:
        admin_execute(
            url,
            *(
                f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'
                for db in (import_name, template, name)
            ),
            f'CREATE DATABASE "{name}"',
        )
        setup = run_step("setup", url, args, work)
        # Seeded and without figures: the fresh database every import run starts from.
        admin_execute(url, f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        generate = run_step("generate", url, args, work)
    dataset = run_step("describe", url, args, work)
    group_by = run_step("group_by", url, args, work)
    # The first full recompute starts from an empty results table; before the second,
    # VACUUM stands in for the autovacuum that runs between two nightly recomputes.
    results = "indicators_indicatorresult"
    admin_execute(url, f"TRUNCATE {results}", f"VACUUM ANALYZE {results}", database=name)
    full = run_step("full", url, args, work)
    admin_execute(url, f"VACUUM ANALYZE {results}", database=name)
    full_again = run_step("full", url, args, work)
    group_by_after = run_step("group_by", url, args, work)
    group_by["runs"] = group_by["runs"] + group_by_after["runs"]
    group_by["seconds"] = statistics.median(group_by["runs"])
    group_by["peak_mb"] = max(group_by["peak_mb"], group_by_after["peak_mb"])
    incremental = run_step("incremental", url, args, work)
    pandas_parse = run_step("pandas", url, args, work)
    admin_execute(
        url,
        f'DROP DATABASE IF EXISTS "{import_name}" WITH (FORCE)',
        f'CREATE DATABASE "{import_name}" TEMPLATE "{template}"',
    )
    imported = run_step("import", import_url, args, work)
    admin_execute(url, f'DROP DATABASE IF EXISTS "{import_name}" WITH (FORCE)')

    base = group_by["seconds"]
    rows = [
        ("SQL GROUP BY (baseline, median of 6)", base, group_by["peak_mb"], None, "", ""),
        (
            "full recompute, empty results",
            full["seconds"],
            full["peak_mb"],
            full["seconds"] / base,
            f"≤{LIMIT_RATIO}×, ≤{LIMIT_PEAK_MB} MB",
            verdict(full["seconds"] <= LIMIT_RATIO * base and full["peak_mb"] <= LIMIT_PEAK_MB),
        ),
        (
            "full recompute, results exist",
            full_again["seconds"],
            full_again["peak_mb"],
            full_again["seconds"] / base,
            f"≤{LIMIT_RATIO}×, ≤{LIMIT_PEAK_MB} MB",
            verdict(
                full_again["seconds"] <= LIMIT_RATIO * base
                and full_again["peak_mb"] <= LIMIT_PEAK_MB
            ),
        ),
        (
            f"incremental results_recompute (park, {incremental['period']})",
            incremental["seconds"],
            incremental["peak_mb"],
            None,
            f"≤{LIMIT_INCREMENTAL_S * 1000:.0f} ms",
            verdict(incremental["seconds"] <= LIMIT_INCREMENTAL_S),
        ),
        (
            f"  results_recompute(from_year={FIRST_YEAR}, park)",
            incremental["from_first_year_seconds"],
            None,
            None,
            "info",
            "",
        ),
        (
            "  recompute_run of the approval's request",
            incremental["recompute_run_seconds"],
            None,
            None,
            f"≤{LIMIT_INCREMENTAL_S * 1000:.0f} ms",
            verdict(incremental["recompute_run_seconds"] <= LIMIT_INCREMENTAL_S),
        ),
        (
            "  approve + recompute_run (whole)",
            incremental["approve_and_recompute_seconds"],
            None,
            None,
            "info",
            "",
        ),
        ("pd.read_csv (baseline)", pandas_parse["seconds"], pandas_parse["peak_mb"], None, "", ""),
        (
            "import: parse + statistics_import",
            imported["seconds"],
            imported["peak_mb"],
            imported["seconds"] / pandas_parse["seconds"],
            f"≤{LIMIT_RATIO}×",
            verdict(imported["seconds"] <= LIMIT_RATIO * pandas_parse["seconds"]),
        ),
        (
            "  floor: COPY of the rows into a bare table",
            imported["floor_seconds"],
            None,
            imported["floor_seconds"] / pandas_parse["seconds"],
            "info",
            "",
        ),
    ]
    loads = [
        load
        for step in (group_by, full, full_again, incremental, pandas_parse, imported)
        for load in step["load_average_1min"]
    ]
    print()
    print(f"1-minute load average during the measured steps: {min(loads):.2f}–{max(loads):.2f}")
    print(f"{'step':<48} {'seconds':>9} {'peak MB':>8} {'ratio':>8}  {'limit':<20} result")
    for label, seconds, peak, ratio, limit, result in rows:
        peak_text = f"{peak:8.0f}" if peak is not None else f"{'':>8}"
        ratio_text = f"{ratio:7.1f}×" if ratio is not None else f"{'':>8}"
        print(f"{label:<48} {seconds:9.3f} {peak_text} {ratio_text}  {limit:<20} {result}")

    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(["bench/run.py", *sys.argv[1:]]),
        "machine": {**machine(), "postgresql": server_versions(url)},
        "load_average_1min": {"min": min(loads), "max": max(loads)},
        "dataset": {
            k: v for k, v in dataset.items() if k not in ("seconds", "peak_mb", "load_average_1min")
        },
        "steps": {
            "setup": setup,
            "generate": generate,
            "group_by": group_by,
            "full": full,
            "full_again": full_again,
            "incremental": incremental,
            "pandas": pandas_parse,
            "import": imported,
        },
        "table": [
            {
                "step": label,
                "seconds": round(seconds, 4),
                "peak_mb": None if peak is None else round(peak, 1),
                "ratio": None if ratio is None else round(ratio, 2),
                "limit": limit,
                "result": result,
            }
            for label, seconds, peak, ratio, limit, result in rows
        ],
    }
    if not args.no_json:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        name = "latest.json" if not args.quick else "quick.json"
        (RESULTS_DIR / name).write_text(
            json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
        print(f"\nwrote bench/results/{name}")


if __name__ == "__main__":
    main()
