"""Speed of the units' assessment (issue 20: "the year's assessment for all units computes in
≤ 2 s with a year of demo-scale activity plus 10,000 audit events"):

    [DATABASE_URL=postgres://postgres@127.0.0.1:5432/dezhou] .venv/bin/python bench/assessment.py

Creates a throw-away test database (`test_<name>` on PostgreSQL, in memory on SQLite), loads
the plan and the demo (`setup_park --demo`'s data: history, 2025 and 2026 quarters through
the workflow, recompute, work items, part reports, warnings), adds 10,000 audit events
spread over the departments and periods (a fifth of them submissions and returns of 2025's
department-periods, the events the timeliness component reads), then times, 10 times each
after a warm-up:
  (a) the year's assessment for all units: the snapshot of 2025 read from the records
      (assessment.selectors.snapshot_build) and every unit scored (calculations.year_scores);
  (b) the freeze service (snapshot, hash, audit), each in a transaction rolled back;
  (c) the committee's ranking page of the 2026 preview with the cache generation bumped
      before every request (the preview computed each time);
  (d) a trivial view (/health/) for comparison.
Prints p50/p95, writes bench/results/assessment-latest.json and exits non-zero when (a)'s
p95 is above 2 s.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
AUDIT_EVENTS = 10_000
RUNS = 10
LIMIT_MS = 2000


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


def _audit_events(count: int) -> None:
    from audit.models import AuditEvent
    from tasks.models import Department

    codes = list(Department.objects.values_list("code", flat=True))
    periods = ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2025", "2026Q1", "2026Q2", "2026Q3"]
    actions = ["figure_enter", "save", "figure_correct", "approve", "submit", "return",
               "warning_acknowledge", "login", "template_download", "upload_preview"]  # fmt: skip
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_label="bench",
                action=actions[n % len(actions)],
                object_type="department_period" if n % 10 in (4, 5) else "figure",
                object_id=str(n),
                department_code=codes[n % len(codes)],
                period=periods[n % len(periods)],
            )
            for n in range(count)
        ],
        batch_size=2000,
    )


def main() -> int:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import setup_test_environment

    from dezhou_carbon.celery import app

    app.conf.task_always_eager = True
    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from accounts.demo import demo_setup
        from accounts.models import User
        from assessment import calculations as calc
        from assessment import selectors, services
        from assessment.models import Assessment
        from audit.models import AuditEvent
        from dezhou_carbon.seeding import SeedReport, reference_data_seed
        from indicators.cache import page_generation_bump
        from indicators.seed import indicators_seed
        from tasks.models import Plan
        from tasks.services import plan_seed

        started = time.perf_counter()
        plan_seed(report=SeedReport())
        indicators_seed(plan=Plan.objects.get(), report=SeedReport())
        reference_data_seed()
        demo_setup()
        _audit_events(AUDIT_EVENTS)
        print(
            f"demo loaded and {AUDIT_EVENTS} audit events added in "
            f"{time.perf_counter() - started:.0f} s ({AuditEvent.objects.count()} events in all)"
        )
        rules = selectors.scheme_for(2025).rules

        def year_assessment():
            snapshot = selectors.snapshot_build("2025")
            return calc.year_scores(snapshot, rules, {})

        scores = year_assessment()
        committee = User.objects.get(username="committee")
        Assessment.objects.filter(year=2025).delete()

        def freeze():
            with transaction.atomic():
                services.assessment_freeze(year=2025, user=committee)
                transaction.set_rollback(True)

        client = Client()
        client.force_login(committee)

        def ranking():
            page_generation_bump()
            response = client.get("/assessment/2026Q3/")
            assert response.status_code == 200, response.status_code

        health = Client()
        results = {
            "database": connection.vendor,
            "audit_events": AuditEvent.objects.count(),
            "units": len(scores),
            "records": sum(len(s.components[k].lines) for s in scores for k in calc.COMPONENTS),
            "year_assessment": _time(year_assessment),
            "freeze_service": _time(freeze),
            "ranking_page_2026_preview": _time(ranking),
            "trivial_view": _time(lambda: health.get("/health/")),
        }
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    results["limit_ms"] = LIMIT_MS
    results["pass"] = results["year_assessment"]["p95_ms"] <= LIMIT_MS
    out = ROOT / "bench" / "results" / "assessment-latest.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0 if results["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
