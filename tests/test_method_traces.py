"""Method traces are stored once and shared: a result points to the trace that produced it
(id from the trace's content), traces are never changed, a recompute sends only traces not
stored yet, the migration moved every existing result's trace, and figure ids survive as
lists in the order the engine wrote them."""

import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.html import escape

from indicators import recompute
from indicators.models import IndicatorResult, MethodTrace, trace_key
from indicators.recompute import workers, writers
from tests.helpers import import_rows, worked_example_rows

pytestmark = pytest.mark.django_db
BEFORE_TRACES = ("indicators", "0003_importbatch_department_importbatch_period_and_more")


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the COPY writer and the trigger exist on PostgreSQL")


@pytest.fixture
def worked_example(administrator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(worked_example_rows(), user=administrator)


def _stored():
    return {
        (r.indicator_id, r.period, r.scope, r.variant): (
            r.value,
            r.status,
            r.trace_id,
            r.input_figure_ids,
            json.dumps(r.method, sort_keys=True),
        )
        for r in IndicatorResult.objects.select_related("trace")
    }


@pytest.mark.parametrize(
    ("_case", "first", "second", "same"),
    [
        ("key_order_does_not_matter", {"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, True),
        (
            "nested_key_order_does_not_matter",
            {"c": {"x": 1, "y": 2}},
            {"c": {"y": 2, "x": 1}},
            True,
        ),
        ("a_value_matters", {"a": "1"}, {"a": "2"}, False),
        ("list_order_matters", {"a": [1, 2]}, {"a": [2, 1]}, False),
        ("a_missing_key_matters", {"a": 1}, {"a": 1, "b": None}, False),
    ],
)
def test_a_traces_id_comes_from_its_content(_case, first, second, same):
    assert (trace_key(first) == trace_key(second)) is same


def test_each_distinct_trace_is_stored_once_and_results_read_it(worked_example):
    results = list(IndicatorResult.objects.select_related("trace"))
    distinct = {json.dumps(r.method, sort_keys=True) for r in results}
    assert MethodTrace.objects.count() == len(distinct) < len(results)
    for result in results:
        assert result.trace_id == trace_key(result.method)
        assert result.method["formula"]
        assert result.method["counting"]


def test_a_result_saved_with_a_method_stores_its_trace_once(worked_example):
    original = IndicatorResult.objects.select_related("trace").first()
    copy = IndicatorResult.objects.create(
        indicator=original.indicator,
        period="2019",
        year=2019,
        scope="",
        method=dict(reversed(list(original.method.items()))),  # same trace, other key order
        input_figure_ids=[3, 1, 2],
    )
    assert copy.trace_id == original.trace_id
    stored = IndicatorResult.objects.get(pk=copy.pk)
    assert stored.method == original.method
    assert stored.input_figure_ids == [3, 1, 2]


def test_postgresql_refuses_changing_or_deleting_a_trace(worked_example):
    postgresql_only()
    trace = MethodTrace.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        MethodTrace.objects.filter(pk=trace.pk).update(document={"formula": "rewritten"})
    with pytest.raises(DatabaseError), transaction.atomic():
        MethodTrace.objects.filter(pk=trace.pk).delete()
    assert MethodTrace.objects.get(pk=trace.pk).document == trace.document


def test_a_recompute_over_stored_results_sends_no_stored_trace_again(worked_example, monkeypatch):
    postgresql_only()
    sent = []
    merge = writers.CopyWriter._merge

    def spy(self, cursor, scopes, methods, rows, row_count):
        sent.append(methods)
        return merge(self, cursor, scopes, methods, rows, row_count)

    monkeypatch.setattr(writers.CopyWriter, "_merge", spy)
    before = _stored()
    recompute.results_recompute()
    assert sent
    assert not any(sent)
    assert _stored() == before


def test_rows_stored_meanwhile_by_another_transaction_are_upserted(worked_example, monkeypatch):
    """The COPY straight into the table is for scopes without stored results; should some
    appear after the writer looked (another transaction), the unique constraint refuses the
    COPY and the rows are upserted instead — here the writer is made to look wrongly."""
    postgresql_only()
    before = _stored()
    IndicatorResult.objects.filter(period="2025").delete()
    init = writers.CopyWriter.__init__

    def blind(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.stored_sql = "SELECT 0 WHERE cardinality(%s::text[]) >= 0"

    monkeypatch.setattr(writers.CopyWriter, "__init__", blind)
    recompute.results_recompute()
    after = _stored()
    assert after.keys() == before.keys()
    assert {k: v[:4] for k, v in after.items()} == {k: v[:4] for k, v in before.items()}


def test_the_migration_moves_every_method_into_one_shared_trace(transactional_db, park):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_TRACES])
    old = executor.loader.project_state([BEFORE_TRACES]).apps
    indicator = old.get_model("indicators", "Indicator").objects.get(code="energy_intensity_iva")
    Result = old.get_model("indicators", "IndicatorResult")
    shared = {"formula": "E ÷ V", "coefficients": {"k@0": {"key": "k", "value": "1.5"}}}
    other = {"formula": "CO₂ ÷ GDP", "notes": ["提示"]}
    for year, method, ids in [
        (2021, shared, [5, 4, 9]),
        (2022, dict(reversed(list(shared.items()))), []),
        (2023, other, [7]),
    ]:
        Result.objects.create(
            indicator=indicator,
            period=str(year),
            year=year,
            scope="",
            method=method,
            input_figure_ids=ids,
        )
    executor = MigrationExecutor(connection)
    # Forward to every app's latest migration: stopping at the one under test would leave
    # the later ones (and any app depending on them) unapplied for the tests that follow.
    executor.migrate(executor.loader.graph.leaf_nodes())

    stored = {r.year: r for r in IndicatorResult.objects.select_related("trace")}
    assert MethodTrace.objects.count() == 2
    assert stored[2021].trace_id == stored[2022].trace_id != stored[2023].trace_id
    assert stored[2021].method == shared
    assert stored[2023].method == other
    assert [stored[y].input_figure_ids for y in (2021, 2022, 2023)] == [[5, 4, 9], [], [7]]


def test_the_admin_shows_a_results_method_trace(worked_example, administrator, client):
    result = IndicatorResult.objects.select_related("trace").first()
    client.force_login(administrator)
    page = client.get(f"/admin/indicators/indicatorresult/{result.pk}/change/")
    assert page.status_code == 200
    assert escape(result.method["formula"]) in page.content.decode()


def test_figures_handed_to_worker_processes_come_back_equal_to_the_digit():
    from decimal import Decimal

    batch = [
        (
            "913714000000000011",
            {
                ("coal_raw", 2024, 1): (Decimal("1.20"), 7),
                ("coke", 2024, 2): (Decimal("1E+2"), 8),
                ("diesel", 2024, 3): (Decimal("-0.000"), None),
                ("iva_current", 2024, None): (Decimal("123456789.123456789"), 9),
            },
        ),
        ("", {}),
    ]
    back = workers.unpack_figures(workers.pack_figures(batch))
    assert back == batch
    # Equal is not enough: the same digits and exponent, as the database gave them.
    assert [[str(v) for v, _ in figures.values()] for _, figures in back] == [
        ["1.20", "1E+2", "-0.000", "123456789.123456789"],
        [],
    ]


def test_rows_sharing_a_method_and_rows_with_an_equal_copy_get_one_trace():
    from indicators import calculations as calc
    from tests.test_calculations import BOOK, RULES, annual_inputs

    computed = calc.compute_window(
        annual_inputs({2020: {"electricity_grid": "10", "natural_gas": "1"}}),
        BOOK,
        RULES,
        calc.Window(2020),
        base_year=2020,
    )[("energy_total_calorific", "")]
    shared = {**computed.method, "engine_version": recompute.ENGINE_VERSION}
    copy = json.loads(json.dumps(shared))
    formatter = writers.RowFormatter("2026-01-01T00:00:00+00:00")
    ids = [formatter._method_id(method) for method in (shared, shared, copy)]
    assert ids == [str(trace_key(shared))] * 3
    methods, _rows = formatter.format([])
    assert methods.decode().count(ids[0]) == 1  # sent once
    # The formatter keeps the shared dict alive, so its id can never name another dict.
    assert formatter.by_identity[id(shared)][1] is shared
