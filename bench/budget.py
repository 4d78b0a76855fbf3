"""Energy budget speed (issue 18, Speed: "the budget forecast and statuses update within the
same recompute that follows an approval — the incremental recompute stays ≤ 200 ms with
2,000 enterprises and 500 projects"; "the budget page keeps a constant query count"):

    [DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou] .venv/bin/python bench/budget.py

Creates a throw-away test database (`test_<name>` on PostgreSQL, in memory on SQLite), seeds
the plan, imports the demo park's figures 2020 Q1 – 2026 Q3 as approved except DRS's 2026 Q3
(which DRS's clerk enters and submits) and computes the results, registers 2,000 enterprises
with their 2025 and 2026 Q1–Q3 results (energy and CO₂), 500 projects with approved energy
reviews starting operation through 2026, drafts and approves the 2026 budget (2,000
enterprise allocations and the projects'), and times, 30 times each after a warm-up:
  (a) the budget's follow-up of a recompute (budgets.services.budgets_recompute: reads the
      park's history, the 500 projects' starts and the 2,000 enterprises' use, writes the
      quarters' use, forecast and status with every allocation's status, raises the warning),
      each in a transaction rolled back;
  (b) the budget dashboard for the committee (and its query count, against 10 enterprises);
  (c) a trivial view for comparison in the same run (GET /health/);
  (d) what follows DRS's head approving the park's 2026 Q3 (20 times, each rolled back): the
      approval itself (reporting.workflow.department_period_approve), then what the
      recompute job does with the request it wrote — the engine's incremental recompute
      (indicators.recompute.recompute_run) and the budget's follow-up in the same job
      (budgets.apps, RESULTS_RECOMPUTED) — timed apart and together. The job's other
      follow-ups only queue jobs of their own (warnings, pilot workspaces) and are left out.
Prints p50/p95 of each, writes bench/results/budget-latest.json and exits non-zero if the p95
of (a) or of (d)'s recompute with its budget follow-up is above 200 ms.
"""

from __future__ import annotations

import datetime as dt
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
ENTERPRISES = 2000
PROJECTS = 500
RUNS = 30
APPROVALS = 20
LIMIT_MS = 200
PERIOD = "2026Q3"


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


def _results(rows):
    from indicators.models import IndicatorResult, results_traces_resolve

    results_traces_resolve(rows)
    IndicatorResult.objects.bulk_create(rows, batch_size=2000)


def _park_figures(administrator, clerk):
    """The demo park's figures 2020 Q1 – 2026 Q3 approved and computed, except DRS's
    2026 Q3, entered and submitted by DRS's clerk (what the timed approval approves)."""
    from indicators.demo import demo_rows
    from indicators.exchange import item_specs
    from indicators.importing import parse_import_records
    from indicators.recompute import results_recompute
    from indicators.services import statistics_import
    from reporting import workflow
    from reporting.services import round_open
    from tasks.models import Department

    drs = Department.objects.get(code="DRS")
    held_items = {item.code for item in workflow.department_items(drs, PERIOD)}
    rows = demo_rows()
    held = {
        r["item"]: r["value"] for r in rows if r["period"] == PERIOD and r["item"] in held_items
    }
    rows = [r for r in rows if not (r["period"] == PERIOD and r["item"] in held_items)]
    statistics_import(parsed=parse_import_records(rows, item_specs()), user=administrator,
                      source="bench", approve=True)  # fmt: skip
    results_recompute()
    round_open(period=PERIOD, user=administrator)
    entries = [workflow.EntryValue(code, Decimal(value), "bench") for code, value in held.items()]
    workflow.department_period_save(department=drs, period=PERIOD, entries=entries, user=clerk)
    workflow.department_period_submit(department=drs, period=PERIOD, user=clerk)


def _world():
    from accounts.models import User
    from enterprises.models import Enterprise
    from indicators.models import Indicator, IndicatorResult
    from projects.models import EnergyReview, Project, StageEvent
    from tasks.models import Department

    drs = Department.objects.get(code="DRS")
    clerk = User.objects.create_user("bench.drs", role=User.Role.CLERK, department=drs)
    committee = User.objects.create_user("bench.committee", role=User.Role.COMMITTEE)
    head = User.objects.create_user("bench.head", role=User.Role.HEAD, department=drs)
    administrator = User.objects.create_user(
        "bench.admin", role=User.Role.ADMINISTRATOR, is_staff=True, is_superuser=True
    )
    _park_figures(administrator, clerk)
    energy = Indicator.objects.get(code="energy_total_calorific")
    co2 = Indicator.objects.get(code="co2_emissions")
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(code=f"91371400MB{n:08d}", name=f"基准企业{n:04d}", industry="2614",
                   supervising_department=drs)
        for n in range(ENTERPRISES)
    )  # fmt: skip
    rows = []
    for enterprise in enterprises:
        rows.append(IndicatorResult(indicator=energy, period="2025", year=2025,
                                    scope=enterprise.code, value=Decimal(100)))  # fmt: skip
        rows.append(IndicatorResult(indicator=co2, period="2025", year=2025,
                                    scope=enterprise.code, value=Decimal(300)))  # fmt: skip
        for quarter, value in ((1, 24), (2, 50), (3, 77)):
            rows.append(IndicatorResult(indicator=energy, period=f"2026Q{quarter}", year=2026,
                                        quarter=quarter, scope=enterprise.code,
                                        value=Decimal(value)))  # fmt: skip
    _results(rows)
    projects = Project.objects.bulk_create(
        Project(code=f"BENCH-{n:04d}", name=f"基准项目{n}", enterprise=enterprises[n], kind="new",
                department=drs, value_added=Decimal(1000), created_by=clerk)
        for n in range(PROJECTS)
    )  # fmt: skip
    EnergyReview.objects.bulk_create(
        EnergyReview(project=p, uses=[], calorific_tce=Decimal(20), equal_value_tce=Decimal(40),
                     electricity_wan_kwh=Decimal(10), coal_t=Decimal(0), authority="local",
                     document_no=f"德发改审〔2026〕{n}号", approved_calorific_tce=Decimal(20),
                     recorded_by=clerk)
        for n, p in enumerate(projects)
    )  # fmt: skip
    StageEvent.objects.bulk_create(
        StageEvent(project=p, stage="operation", planned_date=dt.date(2026, 1 + n % 12, 1),
                   recorded_by=clerk)
        for n, p in enumerate(projects)
    )  # fmt: skip
    return drs, clerk, committee, head


def _after_approval(drs, head) -> dict:
    """(d): DRS's head approves the park's 2026 Q3; the recompute request it wrote is run
    as the job runs it, with the budget's follow-up. Each run rolled back (the quarter is
    approved again the next time)."""
    from django.db import transaction

    from budgets.apps import _budget_recompute_followup
    from budgets.models import BudgetStatus
    from indicators.models import RecomputeRequest
    from indicators.recompute import recompute_run
    from reporting import workflow

    samples = {"approve": [], "recompute": [], "budget_followup": [], "recompute_with_budget": [],
               "recompute_cpu": [], "budget_followup_cpu": []}  # fmt: skip
    statuses = None
    for run in range(APPROVALS + 1):
        with transaction.atomic():
            started = time.perf_counter()
            workflow.department_period_approve(department=drs, period=PERIOD, user=head)
            approved, cpu_approved = time.perf_counter(), time.process_time()
            request = RecomputeRequest.objects.get(status=RecomputeRequest.Status.PENDING, scope="")
            outcome = recompute_run(request_id=request.pk)
            computed, cpu_computed = time.perf_counter(), time.process_time()
            _budget_recompute_followup()
            finished, cpu_finished = time.perf_counter(), time.process_time()
            assert outcome == "done", outcome
            statuses = list(BudgetStatus.objects.filter(budget__year=2026).values_list(
                "period", "status", "forecast_tce"))  # fmt: skip
            transaction.set_rollback(True)
        if run == 0:
            continue  # warm-up
        samples["approve"].append((approved - started) * 1000)
        samples["recompute"].append((computed - approved) * 1000)
        samples["budget_followup"].append((finished - computed) * 1000)
        samples["recompute_with_budget"].append((finished - approved) * 1000)
        # This process's CPU only (the database server's work is not in it): what the shared
        # machine's load moves least.
        samples["recompute_cpu"].append((cpu_computed - cpu_approved) * 1000)
        samples["budget_followup_cpu"].append((cpu_finished - cpu_computed) * 1000)
    summary = {
        key: {"p50_ms": round(statistics.median(values), 2), "p95_ms": round(_p(values, 0.95), 2)}
        for key, values in samples.items()
    }
    summary["runs"] = APPROVALS
    summary["statuses_after"] = [[p, s, str(round(f))] for p, s, f in statuses]
    return summary


def main() -> int:
    import django

    django.setup()
    from django.db import connection, reset_queries, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from budgets import services
        from budgets.models import Allocation
        from dezhou_carbon.seeding import SeedReport
        from indicators.seed import indicators_seed
        from tasks.models import Plan
        from tasks.services import plan_seed

        plan_seed(report=SeedReport())
        indicators_seed(plan=Plan.objects.get(), report=SeedReport())
        drs, clerk, committee, head = _world()
        budget = services.budget_draft(user=clerk, year=2026, basis="calorific", department=drs,
                                       energy_tce=Decimal(600000), co2_t=Decimal(1900000))  # fmt: skip
        services.budget_approve(user=committee, budget=budget, reason="bench", document_no="bench")
        allocations = Allocation.objects.filter(budget=budget).count()

        def recompute():
            with transaction.atomic():
                services.budgets_recompute({2026})
                transaction.set_rollback(True)

        services.budgets_recompute({2026})  # the stored state the page reads
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            cProfile.runctx("recompute()", globals(), locals(), "/tmp/budget.prof")
            pstats.Stats("/tmp/budget.prof").sort_stats("cumtime").print_stats(25)
        client = Client()
        client.force_login(committee)
        if os.environ.get("BENCH_PROFILE"):
            cProfile.runctx("client.get('/budgets/2026/')", globals(), locals(), "/tmp/page.prof")
            pstats.Stats("/tmp/page.prof").sort_stats("tottime").print_stats(20)
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            client.get("/budgets/2026/")
        results = {
            "enterprises": ENTERPRISES,
            "projects": PROJECTS,
            "allocations": allocations,
            "database": connection.vendor,
            "budget_recompute": _time(recompute),
            "dashboard": _time(lambda: client.get("/budgets/2026/")),
            "dashboard_queries": len(queries),
            "trivial_view": _time(lambda: client.get("/health/")),
            "after_approval": _after_approval(drs, head),
        }
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    results["limit_ms"] = LIMIT_MS
    results["pass"] = (
        results["budget_recompute"]["p95_ms"] <= LIMIT_MS
        and results["after_approval"]["recompute_with_budget"]["p95_ms"] <= LIMIT_MS
    )
    out = ROOT / "bench" / "results" / "budget-latest.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0 if results["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
