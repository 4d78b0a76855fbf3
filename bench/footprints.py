"""Footprint study speed (issue 19: "a study of 500 inventory lines computes in ≤ 100 ms"):

    [DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou] .venv/bin/python bench/footprints.py

Creates a throw-away test database (Django's test-database machinery: `test_<name>` on
PostgreSQL, in memory on SQLite), seeds the plan, registers an enterprise and 500 library
factors, and times, 30 times each after a warm-up:
  (a) the pure calculation of a 500-line study (footprints.calculations.compute_footprint);
  (b) the whole recompute service (reads the lines, the library and the registry, computes,
      stores the result and the audit event), each in a transaction rolled back;
  (c) a trivial view for comparison in the same run (GET /health/ through the test client).
Prints p50/p95 of each, writes bench/results/footprints-latest.json and exits non-zero if
(b)'s p95 is above 100 ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
LINES = 500
RUNS = 30
LIMIT_MS = 100


def _p(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _time(fn, runs=RUNS):
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(samples), 2), "p95_ms": round(_p(samples, 0.95), 2)}


def main() -> int:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from accounts.models import User
        from dezhou_carbon.seeding import SeedReport
        from enterprises.models import Enterprise
        from footprints import calculations as fc
        from footprints import services
        from footprints.models import Study
        from indicators.importing import credit_code_check_char
        from indicators.seed import indicators_seed
        from tasks.models import Department, Plan
        from tasks.services import plan_seed

        plan_seed(report=SeedReport())
        indicators_seed(plan=Plan.objects.get(), report=SeedReport())
        eco = Department.objects.get(code="ECO")
        stats = User.objects.create_user("bench.stats", role=User.Role.STATISTICS_OFFICE)
        clerk = User.objects.create_user("bench.eco", role=User.Role.CLERK, department=eco)
        first17 = "91371400MA3C00001"
        enterprise = Enterprise.objects.create(
            code=first17 + credit_code_check_char(first17), name="基准企业", industry="3841",
            leading_industry="new_energy_materials", supervising_department=eco,
        )  # fmt: skip
        for n in range(LINES):
            services.factor_revise(
                key=f"m{n}", year=2023, value=Decimal("1.5") + n, unit="kgCO₂e/kg",
                source="bench", category="material", reason="bench", user=stats,
            )  # fmt: skip
        study = services.study_create(
            user=clerk, enterprise=enterprise, product_key="bench", product_zh="基准产品",
            declared_unit="1 个", reference_year=2023,
        )  # fmt: skip
        lines = [
            services.LineInput(n + 1, f"材料{n}", "raw_materials", "material", Decimal("0.25"),
                               "kg", f"m{n}", mass_kg=Decimal("0.25"))
            for n in range(LINES - 1)
        ]  # fmt: skip
        lines.append(
            services.LineInput(LINES, "电力", "production", "energy", Decimal("12"), "kWh",
                               energy_carrier="electricity", quality="primary")
        )  # fmt: skip
        services.inventory_replace(study=study, lines=lines, user=clerk)
        study = Study.objects.get(pk=study.pk)
        pure_lines = services._pure_lines(study, lines)
        rules = services.study_rules(study)

        def recompute():
            with transaction.atomic():
                services.study_recompute(study=study, user=clerk)
                transaction.set_rollback(True)

        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            cProfile.runctx("recompute()", globals(), locals(), "/tmp/footprints.prof")
            pstats.Stats("/tmp/footprints.prof").sort_stats("cumtime").print_stats(25)
        client = Client()
        results = {
            "lines": LINES,
            "database": connection.vendor,
            "pure_compute": _time(lambda: fc.compute_footprint(pure_lines, rules)),
            "recompute_service": _time(recompute),
            "trivial_view": _time(lambda: client.get("/health/")),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    results["limit_ms"] = LIMIT_MS
    results["pass"] = results["recompute_service"]["p95_ms"] <= LIMIT_MS
    out = ROOT / "bench" / "results" / "footprints-latest.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0 if results["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
