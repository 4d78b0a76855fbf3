"""Computing result rows in worker processes: a full recompute's scopes are computed and
formatted as COPY text in forked processes (two cores: the caller writes while they
compute), which share the engine's inputs without pickling them."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import traceback
from collections import deque
from decimal import Decimal

from indicators.recompute.writers import RowFormatter

logger = logging.getLogger(__name__)

PARALLEL_WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_MIN_SCOPES = 64  # fewer scopes are computed in the caller's process
PARALLEL_BATCH_SCOPES = 30  # scopes per batch handed to a worker (~14,000 rows)


def pack_figures(batch: list[tuple[str, dict]]) -> list[tuple]:
    """A batch of (scope, figures) as few objects to pickle: pickling a Decimal goes
    through its text anyway, one object at a time (it cost the caller ~1 s at 1M figures).
    `unpack_figures` gives back equal figures: a Decimal's text keeps its exact value
    and exponent."""
    packed = []
    for scope, figures in batch:
        found = figures.values()
        packed.append(
            (
                scope,
                tuple(figures),
                ",".join([str(value) for value, _pk in found]),
                [pk for _value, pk in found],
            )
        )
    return packed


def unpack_figures(packed: list[tuple]) -> list[tuple[str, dict]]:
    return [
        (
            scope,
            dict(
                zip(
                    keys,
                    zip(map(Decimal, values.split(",") if values else ()), pks, strict=True),
                    strict=True,
                )
            ),
        )
        for scope, keys, values, pks in packed
    ]


def parallel_worker(compute, computed_at: str, stored_traces, tasks, results):
    """A worker process: compute and format each batch of (scope, figures) it is given."""
    # What the worker inherited stays alive in the caller: the cyclic collector need not
    # scan it again and again (nor touch, and so copy, its pages).
    gc.freeze()
    formatter = RowFormatter(computed_at, stored_traces=stored_traces)
    try:
        while (packed := tasks.get()) is not None:
            rows: list[tuple] = []
            for scope, figures in unpack_figures(packed):
                rows.extend(compute(scope, figures))
            methods, text = formatter.format(rows)
            results.put((methods, text, len(rows)))
    except BaseException:
        results.put(traceback.format_exc())


class ParallelRows:
    """Result rows computed and formatted as COPY text in forked worker processes, which
    share the engine's inputs (coefficients, rules, indicators, targets) without pickling
    them. The caller hands out batches of scopes with their figures and gets each batch's
    text back in the order it handed them out. Create it before any other thread starts
    (a fork copies only the forking thread).

    Trace ids come from the traces' content (see RowFormatter), so workers agree on them
    without talking to each other; a worker's batches come back in order, so a trace is
    always stored with or before the first batch using it."""

    def __init__(self, *, workers: int, compute, computed_at: str, stored_traces: frozenset[str]):
        context = multiprocessing.get_context("fork")
        self.workers = workers
        self.tasks = [context.Queue() for _ in range(workers)]
        self.results = [context.Queue() for _ in range(workers)]
        self.processes = [
            context.Process(
                target=parallel_worker,
                args=(compute, computed_at, stored_traces, tasks, results),
                name=f"recompute-worker-{number + 1}",
                daemon=True,
            )
            for number, (tasks, results) in enumerate(zip(self.tasks, self.results, strict=True))
        ]
        try:
            for process in self.processes:
                process.start()
        except BaseException:
            for process in self.processes:
                if process.pid is not None:
                    process.terminate()
            raise
        self.handed_out = 0
        self.pending: deque[tuple[int, list[str]]] = deque()

    def submit(self, batch: list[tuple[str, dict]]) -> None:
        worker = self.handed_out % self.workers
        self.handed_out += 1
        self.tasks[worker].put(pack_figures(batch))
        self.pending.append((worker, [scope for scope, _figures in batch]))

    def busy(self) -> bool:
        """True when enough batches are under way to keep every worker busy."""
        return len(self.pending) >= 2 * self.workers

    def next(self) -> tuple[list[str], bytes, bytes, int]:
        """The oldest batch: (its scopes, new traces, rows, row count)."""
        worker, scopes = self.pending.popleft()
        while True:
            try:
                answer = self.results[worker].get(timeout=1)
                break
            except queue.Empty:
                if not self.processes[worker].is_alive():
                    raise RuntimeError("a recompute worker process stopped") from None
        if isinstance(answer, str):
            raise RuntimeError(f"a recompute worker process failed:\n{answer}")
        methods, text, count = answer
        return scopes, methods, text, count

    def close(self) -> None:
        for tasks in self.tasks:
            tasks.put(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        for pipe in (*self.tasks, *self.results):
            pipe.cancel_join_thread()
            pipe.close()


def parallel_rows(
    *, compute, computed_at: str, stored_traces: frozenset[str]
) -> ParallelRows | None:
    """Worker processes for a full recompute, or None where this process may not have
    children (a daemonic process, e.g. some pool workers): the caller computes then."""
    if multiprocessing.current_process().daemon:
        return None
    try:
        return ParallelRows(
            workers=PARALLEL_WORKERS,
            compute=compute,
            computed_at=computed_at,
            stored_traces=stored_traces,
        )
    except (AssertionError, OSError):
        logger.warning("recompute worker processes not started", exc_info=True)
        return None
