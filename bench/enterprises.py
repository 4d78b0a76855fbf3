"""Speed of the enterprise pages and analyses (issue 17, docs/performance.md):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dz_bench_enterprises \\
        .venv/bin/python bench/enterprises.py [--enterprises 2000] [--years 10] [--repeat 30]

It drops and recreates its own PostgreSQL database (the name must contain
"bench_enterprises"; loopback only), migrates it, seeds the plan and writes, with bulk
inserts, `--enterprises` registered enterprises (15 % key units) over `--years` years
(ending 2026): per enterprise and quarter the counting figures of coal and current-price
value added, and per enterprise and period (years and the year-to-date quarters) stored
results of energy on both bases and CO₂ with one shared method trace; the park's figures
and results are the sums plus a 10 % rest of the park. Then, in this process through
Django's test client (the whole server-side stack: middleware, view, template), signed in
as a committee member:

  (a) the trivial view GET /health/, beside
  (b) the ledger (key units, first page), the ledger of every enterprise, an enterprise
      profile (with its plan, visits, certificates and products: seed_work), its products
      page, its quarter and ledger in the API, the reconciliation page, and
  (c) the decomposition over all key units for one pair of years and the reconciliation of
      one quarter, computed directly (no cache),

each `--repeat` times after a warm-up: p50, p95 and the queries per request, and the
query count of the ledger with a tenth of the enterprises (it must not grow). Prints a
table and writes bench/results/enterprises-latest.json. Exit 1 when a limit is missed:
ledger and profile p95 ≤ 300 ms, decomposition ≤ 1 s, reconciliation ≤ 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "enterprises-latest.json"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LIMITS_MS = {
    "ledger": 300,
    "ledger_all": 300,
    "profile": 300,
    "products": 300,
    "quarter_api": 300,
    "ledger_api": 300,
    "decomposition": 1000,
    "reconciliation": 500,
}
LAST_YEAR = 2026


def _database(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def prepare_database(url: str) -> None:
    parts = urlparse(url)
    name = _database(url)
    if parts.scheme not in ("postgres", "postgresql") or "bench_enterprises" not in name:
        sys.exit(
            "bench/enterprises: DATABASE_URL must be postgres://…/<name with bench_enterprises>"
        )
    if parts.hostname not in LOOPBACK:
        sys.exit("bench/enterprises: loopback databases only")
    import psycopg2

    connection = psycopg2.connect(urlunparse(parts._replace(path="/postgres")))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("DJANGO_HTTPS", "0")  # the test client speaks plain HTTP
    os.environ.pop("REDIS_URL", None)  # local-memory cache; nothing queued
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Static files from the finders (as the tests do): no collectstatic manifest needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def generate(enterprises: int, years: int) -> dict:
    """Bulk-write the register, figures and results (see the module's docstring)."""
    import random

    from django.core.management import call_command

    from enterprises import credit_code
    from enterprises.models import Enterprise
    from indicators.models import (
        Figure,
        Indicator,
        IndicatorResult,
        MethodTrace,
        StatisticalItem,
        trace_key,
    )
    from indicators.seed import indicators_seed
    from tasks.models import Department, Plan
    from tasks.services import plan_seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    plan_seed()
    indicators_seed(plan=Plan.objects.get())
    drs = Department.objects.get(code="DRS")
    rng = random.Random(17)
    codes = [credit_code.complete(f"91371400MA3B{n:05d}") for n in range(enterprises)]
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                code=code, name=f"企业{n:05d}", industry="3985", supervising_department=drs,
                is_key_unit=n % 7 == 0,
            )
            for n, code in enumerate(codes)
        ],
        batch_size=2000,
    )  # fmt: skip
    coal = StatisticalItem.objects.get(code="coal_raw")
    value_added = StatisticalItem.objects.get(code="iva_current")
    first_year = LAST_YEAR - years + 1
    quarters = [(y, q) for y in range(first_year, LAST_YEAR + 1) for q in range(1, 5)]
    size = {code: rng.uniform(100, 40000) for code in codes}
    figures = []
    park: dict[tuple, Decimal] = {}
    for code in codes:
        for year, quarter in quarters:
            for item, factor in ((coal, 1.4), (value_added, 5.0)):
                value = Decimal(str(round(size[code] * factor * rng.uniform(0.2, 0.3), 2)))
                park[(item.pk, year, quarter)] = park.get((item.pk, year, quarter), 0) + value
                figures.append(
                    Figure(
                        item=item, department=drs, period=f"{year}Q{quarter}", year=year,
                        quarter=quarter, scope=code, value=value, counts=True,
                        state="approved", is_latest=True,
                    )
                )  # fmt: skip
    for (item_id, year, quarter), total in park.items():
        figures.append(
            Figure(
                item_id=item_id, department=drs, period=f"{year}Q{quarter}", year=year,
                quarter=quarter, scope="", value=(total / Decimal("0.9")).quantize(Decimal("0.01")),
                counts=True, state="approved", is_latest=True,
            )
        )  # fmt: skip
    Figure.objects.bulk_create(figures, batch_size=5000)
    document = {"formula": "bench", "coefficients": {"co2.grid.national@2023": {"version": 1}}}
    trace = MethodTrace.objects.create(pk=trace_key(document), document=document)
    indicators = {i.code: i for i in Indicator.objects.all()}
    periods = [(y, q) for y in range(first_year, LAST_YEAR + 1) for q in (1, 2, 3, None)]
    results = []
    park_energy: dict[tuple, float] = {}
    for code in codes:
        for year, quarter in periods:
            span = quarter or 4
            energy = size[code] * span * rng.uniform(0.95, 1.05)
            park_energy[(year, quarter)] = park_energy.get((year, quarter), 0) + energy
            for indicator, factor in (
                ("energy_total_calorific", 1), ("energy_total_equal_value", 1.6), ("co2_emissions", 2.4),
            ):  # fmt: skip
                results.append(
                    IndicatorResult(
                        indicator=indicators[indicator], period=f"{year}Q{quarter}" if quarter else str(year),
                        year=year, quarter=quarter, scope=code, value=Decimal(str(round(energy * factor, 3))),
                        change_yoy=Decimal("-0.021"), change_vs_base=Decimal("-0.12"), trace=trace,
                    )
                )  # fmt: skip
    for (year, quarter), energy in park_energy.items():
        period = f"{year}Q{quarter}" if quarter else str(year)
        total = energy / 0.9
        va_current = (
            sum(float(park[(value_added.pk, year, q)]) for q in range(1, (quarter or 4) + 1)) / 0.9
        )
        for indicator, value in (
            ("energy_total_calorific", total), ("energy_intensity_iva", total / (va_current * 0.8)),
        ):  # fmt: skip
            results.append(
                IndicatorResult(
                    indicator=indicators[indicator], period=period, year=year, quarter=quarter,
                    scope="", value=Decimal(str(round(value, 9))), trace=trace,
                )
            )  # fmt: skip
    IndicatorResult.objects.bulk_create(results, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "enterprises": enterprises,
        "key_units": Enterprise.objects.filter(is_key_unit=True).count(),
        "figures": Figure.objects.count(),
        "results": IndicatorResult.objects.count(),
    }


def seed_work(years: int) -> dict:
    """The profile's and ledger's newer sections, at the same scale (once per database):
    every enterprise's product output per year (key units two products, the others one)
    with product and industry benchmarks; each key unit's 一企一策 plan (four measures with
    a quarter's progress), two visits with findings and three certificates."""
    import datetime as dt

    from accounts.models import User
    from enterprises.models import (
        Benchmark,
        Enterprise,
        EnterpriseCertificate,
        Finding,
        Measure,
        MeasureProgress,
        ProductOutput,
        Visit,
    )

    if ProductOutput.objects.exists():
        return {"product_outputs": ProductOutput.objects.count()}
    started = time.perf_counter()
    from tasks.models import Department

    clerk, _ = User.objects.get_or_create(
        username="bench.clerk",
        defaults={"role": User.Role.CLERK, "department": Department.objects.get(code="DRS")},
    )
    first_year = LAST_YEAR - years + 1
    Benchmark.objects.bulk_create(
        [
            Benchmark(product=product, metric="per_product", unit=unit, advanced=advanced,
                      baseline=baseline, year=2024, source="bench", recorded_by=clerk)
            for product, unit, advanced, baseline in (
                ("电芯", "kgce/万只", Decimal("50"), Decimal("80")),
                ("正极材料", "kgce/t", Decimal("900"), Decimal("1200")),
                ("结构件", "kgce/t", Decimal("300"), Decimal("420")),
            )
        ]
        + [
            Benchmark(industry="39", metric="per_value_added", unit="tce/万元",
                      advanced=Decimal("0.05"), baseline=Decimal("0.12"), year=2024,
                      source="bench", recorded_by=clerk)
        ]
    )  # fmt: skip
    enterprises = list(Enterprise.objects.values_list("pk", "is_key_unit"))
    outputs = []
    for n, (pk, key_unit) in enumerate(enterprises):
        made = (("电芯", "万只"), ("正极材料", "t")) if key_unit else ((("结构件", "t"),))
        for year in range(first_year, LAST_YEAR + 1):
            for product, unit in made:
                outputs.append(
                    ProductOutput(
                        enterprise_id=pk, year=year, product=product, unit=unit,
                        quantity=Decimal(1000 + n), recorded_by=clerk,
                        energy_tce=Decimal(40 + n % 50) if key_unit else None,
                    )
                )  # fmt: skip
    ProductOutput.objects.bulk_create(outputs, batch_size=5000)
    key_units = [pk for pk, key_unit in enterprises if key_unit]
    measures = Measure.objects.bulk_create(
        [
            Measure(enterprise_id=pk, title=f"措施{k}", owner="王工", start_quarter="2025Q1",
                    due_quarter="2026Q4", savings_tce=Decimal(100), savings_tco2=Decimal(260),
                    investment=Decimal(80), created_by=clerk)
            for pk in key_units
            for k in range(4)
        ],
        batch_size=5000,
    )  # fmt: skip
    MeasureProgress.objects.bulk_create(
        [
            MeasureProgress(measure=m, period="2026Q2", state="in_progress", note="推进",
                            reported_by=clerk)
            for m in measures
        ],
        batch_size=5000,
    )  # fmt: skip
    visits = Visit.objects.bulk_create(
        [
            Visit(enterprise_id=pk, visit_date=dt.date(2026, month, 10), inspectors="李明",
                  recorded_by=clerk)
            for pk in key_units
            for month in (3, 9)
        ],
        batch_size=5000,
    )  # fmt: skip
    Finding.objects.bulk_create(
        [
            Finding(visit=v, description="计量缺失", requirement="加装电表",
                    due_date=dt.date(2026, 12, 31))
            for v in visits
            for _ in range(2)
        ],
        batch_size=5000,
    )  # fmt: skip
    EnterpriseCertificate.objects.bulk_create(
        [
            EnterpriseCertificate(enterprise_id=pk, kind=kind, year=year, recorded_by=clerk)
            for pk in key_units
            for kind, year in (("energy_audit", 2024), ("green_factory", 2025),
                               ("energy_management", 2026))
        ],
        batch_size=5000,
    )  # fmt: skip
    return {
        "product_outputs": ProductOutput.objects.count(),
        "measures": len(measures),
        "visits": len(visits),
        "work_seconds": round(time.perf_counter() - started, 1),
    }


def _timed(call, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()  # warm-up
    times, queries = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "queries": max(queries),
    }


def measure(repeat: int) -> dict:
    from django.test import Client

    from accounts.models import User
    from enterprises.analysis import gap_attribution, reconciliation
    from enterprises.models import Enterprise

    committee = User.objects.create_user("bench.committee", role=User.Role.COMMITTEE)
    client = Client()
    client.force_login(committee)

    def page(path):
        def get():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return get

    some = Enterprise.objects.filter(is_key_unit=True).order_by("code").first().code
    year = LAST_YEAR - 1
    measured = {
        "trivial": _timed(page("/health/"), repeat),
        "ledger": _timed(page(f"/enterprises/ledger/?period={year}"), repeat),
        "ledger_all": _timed(page(f"/enterprises/ledger/?period={year}&all=1"), repeat),
        "profile": _timed(page(f"/enterprises/{some}/"), repeat),
        "products": _timed(page(f"/enterprises/{some}/products/"), repeat),
        "quarter_api": _timed(page(f"/api/v1/enterprises/{some}/quarters/{year}Q3/"), repeat),
        "ledger_api": _timed(page(f"/api/v1/enterprises/{some}/ledger/"), repeat),
        "reconciliation_page": _timed(
            page(f"/enterprises/reconciliation/?period={year}Q3"), repeat
        ),
        "decomposition": _timed(
            lambda: gap_attribution(period_0=str(year - 1), period_t=str(year)), max(5, repeat // 3)
        ),
        "reconciliation": _timed(lambda: reconciliation(period=f"{year}Q3"), repeat),
    }
    # The ledger's queries with a tenth of the enterprises visible as key units.
    keep = list(Enterprise.objects.filter(is_key_unit=True).values_list("pk", flat=True))
    Enterprise.objects.filter(pk__in=keep[len(keep) // 10 :]).update(is_key_unit=False)
    measured["ledger_tenth"] = _timed(page(f"/enterprises/ledger/?period={year}"), 3)
    Enterprise.objects.filter(pk__in=keep).update(is_key_unit=True)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", default=str(RESULTS))
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database a previous run generated"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not args.reuse:
        prepare_database(url)
    django_setup()
    if args.reuse:
        from accounts.models import User
        from enterprises.models import Enterprise
        from indicators.models import Figure, IndicatorResult

        User.objects.filter(username="bench.committee").update(username=f"bench.{time.time_ns()}")
        data = {
            "reused": True,
            "enterprises": Enterprise.objects.count(),
            "figures": Figure.objects.count(),
            "results": IndicatorResult.objects.count(),
        }
    else:
        data = generate(args.enterprises, args.years)
    data.update(seed_work(args.years))
    measured = measure(args.repeat)
    failures = [name for name, limit in LIMITS_MS.items() if measured[name]["p95_ms"] > limit]
    if measured["ledger_tenth"]["queries"] != measured["ledger"]["queries"]:
        failures.append("ledger query count grows with the enterprises")
    report = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "data": data,
        "measured": measured,
        "limits_ms": LIMITS_MS,
        "failures": failures,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(data, ensure_ascii=False))
    print(f"{'what':<22}{'p50 ms':>10}{'p95 ms':>10}{'queries':>9}{'limit':>8}")
    for name, row in measured.items():
        limit = LIMITS_MS.get(name, "")
        print(f"{name:<22}{row['p50_ms']:>10}{row['p95_ms']:>10}{row['queries']:>9}{limit!s:>8}")
    print("FAILED: " + "; ".join(failures) if failures else "all limits met")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
