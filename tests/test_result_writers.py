"""The two result writers (indicators/recompute/writers.py) store the same rows.

The ORM writer (any database) and the COPY writer (PostgreSQL, with or without worker
processes) are run from the same state — an empty results table, and stored results with
changed, missing and stale rows — and what each leaves in the results and traces tables
is compared field by field. The time of writing (`computed_at`) is the one field that may
differ."""

import pytest
from django.db import connection, transaction

from indicators.models import Figure, IndicatorResult, MethodTrace
from indicators.recompute import engine, results_recompute, workers
from tests.helpers import import_rows, worked_example_rows

pytestmark = pytest.mark.django_db

COMPARED = [
    "indicator_id",
    "period",
    "year",
    "quarter",
    "scope",
    "variant",
    "value",
    "change_vs_base",
    "change_yoy",
    "target_id",
    "target_value",
    "target_pending_base",
    "path_value",
    "status",
    "completion",
    "time_progress",
    "required_annual_change",
    "projection",
    "provisional",
    "trace_id",
    "input_figure_ids",
]
WRITERS = ("orm", "copy", "copy_in_worker_processes")


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY writer needs PostgreSQL; on SQLite only the ORM writer exists")


@pytest.fixture
def park_and_enterprises(administrator):
    """The park's demo statistics and two enterprises with part of the worked example,
    approved; no result computed yet (the recompute jobs queued on commit never run)."""
    from indicators.demo import demo_rows
    from indicators.importing import credit_code_check_char

    import_rows(demo_rows(), user=administrator)
    rows = worked_example_rows()
    for number in (1, 2):
        first17 = f"91371400{number:09d}"
        scope = first17 + credit_code_check_char(first17)
        kept = rows[: len(rows) - 11 * number]
        import_rows([{**row, "scope": scope} for row in kept], user=administrator)
    assert not IndicatorResult.objects.exists()


def counting_scopes() -> set[str]:
    return set(Figure.objects.counting().values_list("scope", flat=True))


def stored_results() -> dict:
    return {
        (r["indicator_id"], r["period"], r["scope"], r["variant"]): r
        for r in IndicatorResult.objects.values(*COMPARED)
    }


def stored_traces() -> dict:
    return dict(MethodTrace.objects.values_list("pk", "document"))


def written_with(writer: str, monkeypatch, **recompute) -> tuple[dict, dict, tuple[int, int]]:
    """Run the recompute with one writer in a savepoint that is rolled back afterwards:
    (the results and traces it left, (rows written, rows deleted))."""
    with monkeypatch.context() as patch:
        if writer == "orm":
            patch.setattr(engine, "copy_supported", lambda: False)
        elif writer == "copy_in_worker_processes":
            patch.setattr(workers, "PARALLEL_WORKERS", 2)
            patch.setattr(workers, "PARALLEL_MIN_SCOPES", 1)
            patch.setattr(workers, "PARALLEL_BATCH_SCOPES", 1)
        else:
            patch.setattr(workers, "PARALLEL_MIN_SCOPES", 10**6)
        with transaction.atomic():
            savepoint = transaction.savepoint()
            stats = results_recompute(**recompute)
            left = stored_results(), stored_traces(), (stats.written, stats.deleted)
            transaction.savepoint_rollback(savepoint)
    return left


@pytest.mark.parametrize("recompute", [{}, {"from_year": 2025}], ids=["all_years", "from_2025"])
def test_orm_and_copy_writers_store_the_same_rows_in_an_empty_table(
    park_and_enterprises, monkeypatch, recompute
):
    written = {writer: written_with(writer, monkeypatch, **recompute) for writer in WRITERS}
    results, traces, counts = written["orm"]
    assert len(results) > 100
    # Park rows with targets and statuses, enterprise rows without: both kinds of COPY line.
    assert any(row["target_id"] for row in results.values())
    assert {key[2] for key in results} == counting_scopes()
    assert len(counting_scopes()) == 3
    assert counts == (len(results), 0)
    for writer in WRITERS[1:]:
        assert written[writer][0] == results, writer
        assert written[writer][1] == traces, writer
        assert written[writer][2] == counts, writer


def test_orm_and_copy_writers_merge_into_stored_results_alike(park_and_enterprises, monkeypatch):
    """Over stored results: a changed value is rewritten, a missing row inserted, a row
    of a period no longer computed and every row of a scope without figures deleted."""
    results_recompute()
    complete = stored_results()
    park_rows = IndicatorResult.objects.filter(scope="").order_by("pk")
    changed = park_rows.filter(period="2024").first()
    IndicatorResult.objects.filter(pk=changed.pk).update(value=12345, status="lagging")
    missing = park_rows.filter(period="2025Q2").first()
    missing_key = (missing.indicator_id, missing.period, missing.scope, missing.variant)
    IndicatorResult.objects.filter(pk=missing.pk).delete()
    stale = park_rows.filter(period="2023").first()
    stale.pk, stale.period, stale.year, stale.quarter = None, "2019", 2019, None
    stale.save()
    gone_scope = IndicatorResult.objects.exclude(scope="").order_by("pk").first()
    gone_scope.pk, gone_scope.scope = None, "913714009999999990"
    gone_scope.save()

    written = {writer: written_with(writer, monkeypatch) for writer in WRITERS}
    results, traces, counts = written["orm"]
    assert results == complete
    assert missing_key in results
    assert counts[1] == 2  # the stale row and the scope without figures
    for writer in WRITERS[1:]:
        assert written[writer][0] == results, writer
        assert written[writer][1] == traces, writer
        assert written[writer][2] == counts, writer
