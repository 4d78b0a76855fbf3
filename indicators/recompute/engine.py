"""Computing and storing results: `results_recompute`, a `Recompute` in named steps.

Scopes are computed and written a chunk at a time from one streaming read of the counting
figures, so memory holds one chunk of results, never all of them. A full recompute on
PostgreSQL computes in worker processes (workers.py) while this process writes (writers.py).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from indicators import calculations as calc
from indicators import selectors
from indicators.models import IndicatorResult, MethodTrace
from indicators.recompute import workers
from indicators.recompute.rows import (
    COMPARED_FIELDS,
    ResultRow,
    extent_of,
    row_comparable,
    same_row,
    scope_result_rows,
)
from indicators.recompute.writers import (
    CHUNK_ROWS,
    CHUNK_SCOPES,
    ResultWriter,
    copy_supported,
    result_writer,
)
from tasks.selectors import plan_base_year


@dataclass
class RecomputeStats:
    scopes: int = 0
    written: int = 0
    deleted: int = 0
    differences: list[dict] = field(default_factory=list)


@contextmanager
def _fewer_collections():
    """Collect cyclic garbage less often while computing: the engine allocates a great
    many small acyclic objects (decimals, tuples, dicts) that reference counting frees,
    and the default thresholds would have the collector rescan them over and over."""
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 20_000), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


class Recompute:
    """One recompute of the results of `scopes` (None: every scope) for `from_year` (None:
    every year) and later. Its steps, in `run`'s order:

    1. `load_inputs`: the plan's base year, coefficients, counting rules, indicators and
       targets — the same for every scope; then, in the transaction, `choose_writing`: COPY
       or the ORM, and which traces are stored already;
    2. `start_workers`: worker processes for a full recompute (before any thread starts);
    3. `compute_and_write`: stream each scope's counting figures, compute its rows (here or
       in the workers) and hand them to the writer a chunk at a time;
    4. `remove_leftovers`: scopes with stored results but no figures any more lose them;
    5. with `reconcile`, every chunk is first compared with the stored results
       (`compare`): the differences are returned sorted (`differences_in_order`).
    """

    def __init__(self, *, from_year: int | None, scopes: set[str] | None, reconcile: bool):
        self.from_year = from_year
        self.scopes = scopes
        self.reconcile = reconcile
        self.stats = RecomputeStats()
        self.differences: list[tuple[tuple, dict]] = []
        self.computed_scopes: set[str] = set()
        # Enterprise rows with equal methods share one dict (rows.scope_result_rows): it
        # lives as long as `book` and `rules`.
        self.shared_methods: dict = {}
        self.parallel: workers.ParallelRows | None = None

    # --- 1. Inputs ---

    def load_inputs(self) -> None:
        self.base_year = plan_base_year()
        self.book = selectors.coefficient_book()
        self.rules = selectors.counting_rules()
        self.indicators = selectors.indicator_specs()
        self.targets = selectors.target_specs_by_indicator()
        existing = IndicatorResult.objects.all()
        if self.scopes is not None:
            existing = existing.filter(scope__in=self.scopes)
        if self.from_year is not None:
            existing = existing.filter(year__gte=self.from_year)
        self.existing = existing

    def scope_rows(self, scope: str, figures: dict, inputs: calc.Inputs) -> list[ResultRow]:
        return scope_result_rows(
            scope=scope,
            inputs=inputs,
            extent=extent_of(figures),
            book=self.book,
            rules=self.rules,
            indicators=self.indicators,
            targets=self.targets,
            base_year=self.base_year,
            from_year=self.from_year,
            shared_methods=self.shared_methods,
        )

    def choose_writing(self) -> None:
        """In the recompute's transaction: whether rows go by COPY, their time of writing,
        and the traces stored already."""
        self.copy = copy_supported()
        self.computed_at = timezone.now().isoformat()
        self.stream_scopes = self.scopes
        # A full recompute uses nearly every stored trace: read their ids once rather than
        # send thousands of traces again. An incremental one (an approval's few scopes,
        # within its 200 ms) sends the few it uses and lets the database skip stored ones.
        self.stored_traces = (
            frozenset(str(pk) for pk in MethodTrace.objects.values_list("pk", flat=True))
            if self.copy and self.scopes is None
            else frozenset()
        )

    # --- 2. Worker processes ---

    def start_workers(self) -> None:
        """Many scopes (a full recompute) with the COPY writer: compute them in worker
        processes, started before the writer's thread (see workers.ParallelRows)."""
        if not (self.copy and not self.reconcile and workers.PARALLEL_WORKERS > 1):
            return
        if self.stream_scopes is None:
            self.stream_scopes = set(selectors.counting_scopes())
        if len(self.stream_scopes) < workers.PARALLEL_MIN_SCOPES:
            return
        item_rules = selectors.item_rules()
        scope_rows = self.scope_rows

        def compute(scope: str, figures: dict) -> list[ResultRow]:
            return scope_rows(scope, figures, calc.Inputs(figures, item_rules))

        self.parallel = workers.parallel_rows(
            compute=compute, computed_at=self.computed_at, stored_traces=self.stored_traces
        )

    # --- 3. Computing and writing ---

    def compute_and_write(self, writer: ResultWriter) -> None:
        parallel = self.parallel
        chunk_scopes: list[str] = []
        chunk_rows: list[ResultRow] = []

        def flush() -> None:
            if self.reconcile:
                with writer.database():
                    self.compare(chunk_scopes, chunk_rows)
            writer.write(chunk_scopes, chunk_rows)
            chunk_scopes.clear()
            chunk_rows.clear()

        def write_computed(everything: bool) -> None:
            while parallel.pending and (everything or parallel.busy()):
                writer.write_text(*parallel.next())

        figures_by_scope = selectors.counting_inputs_stream(
            scopes=self.stream_scopes, lock=writer.database(), read=writer.read
        )
        batch: list[tuple[str, dict]] = []
        for scope, figures, inputs in figures_by_scope:
            self.computed_scopes.add(scope)
            self.stats.scopes += 1
            if parallel is not None:
                batch.append((scope, figures))
                if len(batch) >= workers.PARALLEL_BATCH_SCOPES:
                    parallel.submit(batch)
                    batch = []
                    write_computed(everything=False)
                continue
            chunk_rows.extend(self.scope_rows(scope, figures, inputs))
            chunk_scopes.append(scope)
            if len(chunk_rows) >= CHUNK_ROWS or len(chunk_scopes) >= CHUNK_SCOPES:
                flush()
        if parallel is not None:
            if batch:
                parallel.submit(batch)
            write_computed(everything=True)
        if chunk_scopes:
            flush()

    # --- 4. Scopes without figures ---

    def remove_leftovers(self, writer: ResultWriter) -> None:
        with writer.database():
            stored = (
                set(self.scopes)
                if self.scopes is not None
                else selectors.result_scopes(from_year=self.from_year)
            )
            leftover = sorted(stored - self.computed_scopes)
            if self.reconcile:
                for start in range(0, len(leftover), CHUNK_SCOPES):
                    self.compare(leftover[start : start + CHUNK_SCOPES], [])
        writer.finish(leftover)

    # --- 5. Reconciliation ---

    def compare(self, chunk_scopes: list[str], rows: list[ResultRow]) -> None:
        """Note every stored result of these scopes that the new rows do not hold."""
        by_key = {row.key(): row for row in rows}
        stored_rows = self.existing.filter(scope__in=chunk_scopes).values(
            "indicator_id", "period", "scope", "variant", "year", "quarter", *COMPARED_FIELDS
        )
        for stored in stored_rows.iterator(chunk_size=5000):
            new = by_key.get(
                (stored["indicator_id"], stored["period"], stored["scope"], stored["variant"])
            )
            if new is None or not same_row(new, stored):
                self.differences.append(
                    (
                        self._difference_order(stored),
                        {
                            "indicator_id": stored["indicator_id"],
                            "period": stored["period"],
                            "scope": stored["scope"],
                            "variant": stored["variant"],
                            "stored": {
                                name: None if stored[name] is None else str(stored[name])
                                for name in COMPARED_FIELDS
                            },
                            "recomputed": row_comparable(new),
                        },
                    )
                )

    def _difference_order(self, stored: dict) -> tuple:
        """IndicatorResult's default ordering (indicator, scope, variant, year, quarter),
        as the stored rows were read before: the order differences are reported in."""
        indicator = next(
            (i for i, _spec in self.indicators.values() if i.pk == stored["indicator_id"]),
            None,
        )
        quarter = stored["quarter"]
        nulls_last = connection.vendor == "postgresql"
        return (
            (indicator.order, indicator.code) if indicator else (0, ""),
            stored["indicator_id"],
            stored["scope"],
            stored["variant"],
            stored["year"],
            (quarter is None) == nulls_last,
            quarter or 0,
        )

    def differences_in_order(self) -> list[dict]:
        self.differences.sort(key=lambda pair: pair[0])
        return [difference for _order, difference in self.differences]

    # --- All steps ---

    def run(self) -> RecomputeStats:
        self.load_inputs()
        with transaction.atomic(), _fewer_collections():
            self.choose_writing()
            self.start_workers()
            writer = result_writer(
                existing=self.existing,
                copy=self.copy,
                from_year=self.from_year,
                computed_at=self.computed_at,
                stored_traces=self.stored_traces,
            )
            try:
                self.compute_and_write(writer)
                self.remove_leftovers(writer)
            finally:
                writer.stop()
                if self.parallel is not None:
                    self.parallel.close()
            self.stats.deleted = writer.deleted
            self.stats.written = writer.written
        self.stats.differences = self.differences_in_order()
        from indicators.cache import results_generation_bump

        transaction.on_commit(results_generation_bump)
        return self.stats


def results_recompute(
    *, from_year: int | None = None, scopes: set[str] | None = None, reconcile: bool = False
) -> RecomputeStats:
    """Recompute and store the results of `scopes` (None: every scope) for `from_year` and
    every later year. With `reconcile`, differences from the stored results are returned
    (the nightly check that incremental recomputes lost nothing)."""
    return Recompute(from_year=from_year, scopes=scopes, reconcile=reconcile).run()
