"""Recomputing stored results.

- request_queue.py: the durable recompute request, the job's service (`recompute_run`),
  the sweep that re-queues what the broker lost, the compute lock and the nightly
  reconciliation;
- engine.py: `results_recompute`, one `Recompute` in named steps;
- rows.py: `ResultRow`, the one layout of a computed result, and how a scope's rows are
  computed and compared;
- writers.py: the ORM and COPY writers behind one `ResultWriter` interface;
- workers.py: worker processes computing a full recompute's rows.

The names callers use are imported here. Patch a name where it is used (e.g.
`indicators.recompute.request_queue.results_recompute`), not here.
"""

from indicators.recompute.engine import RecomputeStats, results_recompute
from indicators.recompute.request_queue import (
    COMPUTE_LOCK_KEY,
    compute_lock,
    full_recompute_and_reconcile,
    recompute_enqueue,
    recompute_request,
    recompute_run,
    recompute_sweep,
)
from indicators.recompute.rows import (
    COMPARED_FIELDS,
    ENGINE_VERSION,
    RESULT_FIELDS,
    ResultRow,
    compute_scope_rows,
)

__all__ = [
    "COMPARED_FIELDS",
    "COMPUTE_LOCK_KEY",
    "ENGINE_VERSION",
    "RESULT_FIELDS",
    "RecomputeStats",
    "ResultRow",
    "compute_lock",
    "compute_scope_rows",
    "full_recompute_and_reconcile",
    "recompute_enqueue",
    "recompute_request",
    "recompute_run",
    "recompute_sweep",
    "results_recompute",
]
