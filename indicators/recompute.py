"""Recomputing stored results: the durable request, the job's service, the sweep and the
nightly reconciliation.

Promises:
- a request is a row written in the caller's transaction; the job is queued only after
  commit, and if the broker is down the sweep queues it later — nothing is lost;
- running the same request twice gives the same results as once (results are upserted
  by (indicator, period, scope, variant) from the same inputs);
- two workers never compute at once (a PostgreSQL advisory lock; SQLite has one writer).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import io
import itertools
import json
import logging
import multiprocessing
import os
import queue
import threading
import traceback
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from indicators import calculations as calc
from indicators import selectors
from indicators.models import (
    EngineAlert,
    Figure,
    IndicatorResult,
    MethodTrace,
    RecomputeRequest,
    results_traces_resolve,
    trace_key,
)
from tasks.models import Plan

logger = logging.getLogger(__name__)

ENGINE_VERSION = 1
COMPUTE_LOCK_KEY = 7_301_202_020  # any constant: the one lock of the results table
RESULT_FIELDS = [
    "year",
    "quarter",
    "value",
    "change_vs_base",
    "change_yoy",
    "target",
    "target_value",
    "target_pending_base",
    "path_value",
    "status",
    "completion",
    "time_progress",
    "required_annual_change",
    "projection",
    "provisional",
    "trace",
    "input_figure_ids",
    "computed_at",
]
COMPARED_FIELDS = ["value", "status", "target_value", "change_vs_base", "change_yoy"]
# The columns of indicator_result_unique, the key a recompute upserts by.
RESULT_KEY = "scope, year, indicator_id, period, variant"


# --- Requests ------------------------------------------------------------------------------


def recompute_request(*, from_year: int, reason: str, scopes: set[str] | None = None) -> None:
    """Note, in the caller's transaction, that results from `from_year` on need recomputing
    for `scopes` (default: the park); the job is queued once the transaction commits.
    Repeated requests coalesce into the one pending row per scope."""
    for scope in sorted(scopes or {""}):
        request = _pending_upsert(scope=scope, from_year=from_year, reason=reason)
        transaction.on_commit(lambda pk=request.pk: recompute_enqueue(pk), robust=True)


def _pending_upsert(*, scope: str, from_year: int, reason: str) -> RecomputeRequest:
    for _attempt in range(3):
        pending = (
            RecomputeRequest.objects.select_for_update()
            .filter(scope=scope, status=RecomputeRequest.Status.PENDING)
            .first()
        )
        if pending is not None:
            if from_year < pending.from_year:
                pending.from_year = from_year
                pending.save(update_fields=["from_year", "updated_at"])
            return pending
        try:
            with transaction.atomic():
                return RecomputeRequest.objects.create(
                    scope=scope, from_year=from_year, reason=reason[:200]
                )
        except IntegrityError:
            continue  # another transaction created the pending row first: coalesce into it
    raise RuntimeError("could not record the recompute request")


def recompute_enqueue(request_id: int) -> bool:
    """Hand the request to the broker; False (and a log line) when the broker is down —
    the request row stays pending and the sweep queues it again."""
    from indicators.jobs import recompute_job

    try:
        recompute_job.delay(request_id)
    except Exception:  # broker unreachable: kombu raises OperationalError and friends
        logger.warning(
            "recompute request %s not queued; the sweep will retry", request_id, exc_info=True
        )
        return False
    return True


@contextmanager
def compute_lock():
    """Yield True when this process may compute; False when another one is computing."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [COMPUTE_LOCK_KEY])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [COMPUTE_LOCK_KEY])


def _back_to_pending(request: RecomputeRequest, error: str = "") -> None:
    """Return a claimed request to the queue, merging it into a newer pending one."""
    other = (
        RecomputeRequest.objects.select_for_update()
        .filter(scope=request.scope, status=RecomputeRequest.Status.PENDING)
        .exclude(pk=request.pk)
        .first()
    )
    request.last_error = error[:2000]
    if other is not None:
        other.from_year = min(other.from_year, request.from_year)
        other.save(update_fields=["from_year", "updated_at"])
        request.status = RecomputeRequest.Status.DONE
        request.reason = f"merged into {other.pk}"[:200]
    else:
        request.status = RecomputeRequest.Status.PENDING
        request.lease_until = None
    request.save()


def recompute_run(*, request_id: int) -> str:
    """The recompute job's service. Returns "done", "gone" (nothing to do), "busy"
    (another worker holds the lock: retry later) or raises after putting the request back."""
    now = timezone.now()
    with compute_lock() as acquired:
        if not acquired:
            return "busy"
        with transaction.atomic():
            request = RecomputeRequest.objects.select_for_update().filter(pk=request_id).first()
            if request is None or request.status in (
                RecomputeRequest.Status.DONE,
                RecomputeRequest.Status.FAILED,
            ):
                return "gone"
            if (
                request.status == RecomputeRequest.Status.RUNNING
                and request.lease_until
                and request.lease_until > now
            ):
                return "gone"  # claimed by a worker that is still within its lease
            request.status = RecomputeRequest.Status.RUNNING
            request.lease_until = now + settings.RECOMPUTE_LEASE
            request.attempts += 1
            request.save()
        try:
            scopes = None if request.scope == RecomputeRequest.ALL_SCOPES else {request.scope}
            results_recompute(from_year=request.from_year, scopes=scopes)
        except Exception as error:
            with transaction.atomic():
                request = RecomputeRequest.objects.select_for_update().get(pk=request_id)
                if request.attempts >= 5:
                    request.status = RecomputeRequest.Status.FAILED
                    request.last_error = repr(error)[:2000]
                    request.save()
                    EngineAlert.objects.create(
                        kind="recompute_failed",
                        message_zh=f"指标重算多次失败(请求 {request_id})",
                        message_en=f"Recompute request {request_id} failed repeatedly",
                        details={"error": repr(error)[:2000]},
                    )
                else:
                    _back_to_pending(request, repr(error))
            raise
        with transaction.atomic():
            RecomputeRequest.objects.filter(pk=request_id).update(
                status=RecomputeRequest.Status.DONE, lease_until=None, updated_at=timezone.now()
            )
    return "done"


def recompute_sweep() -> int:
    """Re-queue requests the broker lost: pending ones older than the sweep delay, and
    running ones whose worker died (lease expired). Returns how many were queued."""
    now = timezone.now()
    with transaction.atomic():
        for request in RecomputeRequest.objects.select_for_update().filter(
            status=RecomputeRequest.Status.RUNNING, lease_until__lt=now
        ):
            _back_to_pending(request, "lease expired (worker lost)")
    stale = RecomputeRequest.objects.filter(
        status=RecomputeRequest.Status.PENDING,
        updated_at__lte=now - settings.RECOMPUTE_SWEEP_AFTER,
    ).values_list("pk", flat=True)
    queued = 0
    for pk in list(stale):
        queued += recompute_enqueue(pk)
    return queued


def oldest_pending_age() -> timedelta | None:
    oldest = RecomputeRequest.objects.filter(
        status__in=[RecomputeRequest.Status.PENDING, RecomputeRequest.Status.RUNNING]
    ).aggregate(oldest=Min("created_at"))["oldest"]
    return timezone.now() - oldest if oldest else None


# --- Computing results -----------------------------------------------------------------------


@dataclass
class RecomputeStats:
    scopes: int = 0
    written: int = 0
    deleted: int = 0
    differences: list[dict] = field(default_factory=list)


def _windows(inputs_years: tuple[int, int, int], *, base_year: int) -> list[calc.Window]:
    first_year, last_year, last_quarter = inputs_years
    windows = []
    for year in range(min(first_year, base_year), last_year + 1):
        quarters = last_quarter if year == last_year else 4
        windows.extend(calc.Window(year, q) for q in range(1, quarters + 1))
    return windows


def _data_extent(scopes: set[str] | None) -> dict[str, tuple[int, int, int]]:
    """Per scope: first year, last year and last quarter (4 when only yearly data)."""
    queryset = Figure.objects.counting()
    if scopes is not None:
        queryset = queryset.filter(scope__in=scopes)
    extent = {}
    for row in queryset.values("scope").annotate(first=Min("year"), last=Max("year")):
        extent[row["scope"]] = [row["first"], row["last"], 0]
    for row in queryset.values("scope", "year").annotate(last_quarter=Max("quarter")):
        if row["year"] == extent[row["scope"]][1]:
            extent[row["scope"]][2] = row["last_quarter"] or 4
    return {scope: tuple(values) for scope, values in extent.items()}


def _extent_of(figures) -> tuple[int, int, int] | None:
    """`_data_extent` of one scope, from its counting figures {(item, year, quarter): …}."""
    if not figures:
        return None
    years = {year for _item, year, _quarter in figures}
    first, last = min(years), max(years)
    quarters = [q for _item, year, q in figures if year == last and q is not None]
    return first, last, max(quarters) if quarters else 4


# A result row as the engine produces it: the IndicatorResult fields in this order, with
# the Indicator instance first (compute_scope_rows builds instances from it; the
# PostgreSQL writer sends its id). Every value is final (quantized decimals, method dict).
ROW_FIELDS = (
    "indicator",
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
    "method",
    "input_figure_ids",
)
_VALUE, _STATUS = ROW_FIELDS.index("value"), ROW_FIELDS.index("status")
_COUNTING_NOTE = "approved figures only / 仅计已审核数据"


def _scope_result_rows(
    *,
    scope: str,
    inputs: calc.Inputs,
    extent: tuple[int, int, int],
    book: calc.CoefficientBook,
    rules: calc.CountingRules,
    indicators: dict,
    targets: dict,
    base_year: int,
    from_year: int | None = None,
    shared_methods: dict | None = None,
) -> list[tuple]:
    """Every result of one scope as row tuples (ROW_FIELDS), from `from_year` on.

    Enterprise rows with equal methods share one method dict, taken from `shared_methods`
    (signature → method; pass the same dict for every scope computed with this `book` and
    `rules`): building one per row cost more than its formula, and the COPY formatter
    recognises a shared one by identity. Never mutate a row's method."""
    if shared_methods is None:
        shared_methods = {}
    windows = _windows(extent, base_year=base_year)
    computed: dict[tuple[str, str], dict[calc.Window, calc.Computed]] = {}
    for window in windows:
        for key, value in calc.compute_window(
            inputs, book, rules, window, base_year=base_year
        ).items():
            computed.setdefault(key, {})[window] = value
    is_park = scope == ""
    q = calc.safe_quantize
    relative_change = calc.relative_change
    labels = {window: window.label for window in windows}
    rows = []
    for (code, variant), series in computed.items():
        if code not in indicators:
            continue
        indicator, spec = indicators[code]
        if is_park:
            values = {w: c.value for w, c in series.items()}
            evaluations = calc.evaluate_series(
                spec,
                values,
                targets.get(indicator.pk, []),
                plan_base_year=base_year,
                from_year=from_year,
            )
        else:
            by_period = {(w.year, w.quarters): c.value for w, c in series.items()}
        for window, result in series.items():
            year = window.year
            if from_year is not None and year < from_year:
                continue
            quarters = window.quarters
            quarter = None if quarters == 4 else quarters
            if not is_park:
                # Enterprises: only values that exist, with their changes; no targets.
                value = result.value
                if value is None:
                    continue
                change_vs_base = (
                    relative_change(value, by_period.get((base_year, quarters)))
                    if spec.has_base_year
                    else None
                )
                change_yoy = relative_change(value, by_period.get((year - 1, quarters)))
                method = shared_methods.get(result.signature)
                if method is None:
                    method = {
                        **result.method,
                        "engine_version": ENGINE_VERSION,
                        "counting": _COUNTING_NOTE,
                    }
                    if result.signature is not None:
                        shared_methods[result.signature] = method
                rows.append(
                    (
                        indicator,
                        labels[window],
                        year,
                        quarter,
                        scope,
                        variant,
                        q(value),
                        q(change_vs_base),
                        q(change_yoy),
                        None,
                        None,
                        False,
                        None,
                        "",
                        None,
                        None,
                        None,
                        None,
                        result.provisional,
                        method,
                        result.figure_ids,
                    )
                )
                continue
            method = {
                **result.method,
                "engine_version": ENGINE_VERSION,
                "counting": _COUNTING_NOTE,
            }
            evaluation = evaluations.get(window) or calc.Evaluation(status="")
            if evaluation.target is not None:
                method["target"] = evaluation.target.code
            if evaluation.notes:
                method["notes"] = evaluation.notes
            rows.append(
                (
                    indicator,
                    window.label,
                    year,
                    quarter,
                    scope,
                    variant,
                    q(result.value),
                    q(evaluation.change_vs_base),
                    q(evaluation.change_yoy),
                    evaluation.target.id if evaluation.target else None,
                    q(evaluation.target_value),
                    evaluation.target_pending_base,
                    q(evaluation.path_value),
                    evaluation.status,
                    q(evaluation.completion),
                    q(evaluation.time_progress),
                    q(evaluation.required_annual_change),
                    q(evaluation.projection),
                    result.provisional,
                    method,
                    result.figure_ids,
                )
            )
    return rows


def _result_instance(row: tuple, computed_at) -> IndicatorResult:
    return IndicatorResult(**dict(zip(ROW_FIELDS, row, strict=True)), computed_at=computed_at)


def compute_scope_rows(
    *,
    scope: str,
    inputs: calc.Inputs,
    extent: tuple[int, int, int],
    book: calc.CoefficientBook,
    rules: calc.CountingRules,
    indicators: dict,
    targets: dict,
    base_year: int,
) -> list[IndicatorResult]:
    """Every result of one scope (unsaved). Pure apart from building model instances."""
    rows = _scope_result_rows(
        scope=scope,
        inputs=inputs,
        extent=extent,
        book=book,
        rules=rules,
        indicators=indicators,
        targets=targets,
        base_year=base_year,
    )
    return [_result_instance(row, timezone.now()) for row in rows]


RELATIVE_TOLERANCE = Decimal("1e-12")  # SQLite keeps decimals as 64-bit floats


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is b
    a, b = Decimal(a), Decimal(b)
    return abs(a - b) <= max(abs(a), abs(b)) * RELATIVE_TOLERANCE


def _same_result(new: IndicatorResult, old: IndicatorResult) -> bool:
    return new.status == old.status and all(
        _same_number(getattr(new, name), getattr(old, name))
        for name in COMPARED_FIELDS
        if name != "status"
    )


def _comparable(result: IndicatorResult | None) -> dict | None:
    if result is None:
        return None
    return {
        name: None if getattr(result, name) is None else str(getattr(result, name))
        for name in COMPARED_FIELDS
    }


_COMPARED_INDEX = [ROW_FIELDS.index(name) for name in COMPARED_FIELDS]


def _row_comparable(row: tuple | None) -> dict | None:
    if row is None:
        return None
    return {
        name: None if row[index] is None else str(row[index])
        for name, index in zip(COMPARED_FIELDS, _COMPARED_INDEX, strict=True)
    }


def _same_row(new: tuple, stored: dict) -> bool:
    """`_same_result` for a new row tuple and the stored COMPARED_FIELDS."""
    return new[_STATUS] == stored["status"] and all(
        _same_number(new[index], stored[name])
        for name, index in zip(COMPARED_FIELDS, _COMPARED_INDEX, strict=True)
        if name != "status"
    )


# --- Writing results ---------------------------------------------------------------------

CHUNK_ROWS = 20_000  # rows computed before they are handed to the database
CHUNK_SCOPES = 400  # at most this many scopes per chunk (keeps IN lists short on SQLite)


class _OrmWriter:
    """Any database: per chunk, delete the chunk's stale results and upsert its rows with
    bulk_create (the behaviour the engine always had)."""

    def __init__(self, existing):
        self.existing = existing
        self.deleted = 0
        self.written = 0

    def write(self, scopes: list[str], rows: list[tuple]) -> None:
        new_keys = {(row[0].pk, row[1], row[4], row[5]) for row in rows}
        stale = [
            pk
            for pk, indicator_id, period, scope, variant in self.existing.filter(
                scope__in=scopes
            ).values_list("pk", "indicator_id", "period", "scope", "variant")
            if (indicator_id, period, scope, variant) not in new_keys
        ]
        self._delete(stale)
        now = timezone.now()
        results = [_result_instance(row, now) for row in rows]
        results_traces_resolve(results)
        IndicatorResult.objects.bulk_create(
            results,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["scope", "year", "indicator", "period", "variant"],
            update_fields=RESULT_FIELDS,
        )
        self.written += len(rows)

    def finish(self, leftover_scopes: list[str]) -> None:
        """Scopes with stored results but no counting figures any more lose them."""
        for start in range(0, len(leftover_scopes), CHUNK_SCOPES):
            chunk = leftover_scopes[start : start + CHUNK_SCOPES]
            self._delete(list(self.existing.filter(scope__in=chunk).values_list("pk", flat=True)))

    def database(self):
        return contextlib.nullcontext()

    read = None  # figures are read when needed, in the caller's thread

    def stop(self) -> None:
        pass

    def _delete(self, pks: list[int]) -> None:
        for start in range(0, len(pks), 5000):
            IndicatorResult.objects.filter(pk__in=pks[start : start + 5000]).delete()
        self.deleted += len(pks)


def _copy_escape(text: str) -> str:
    """A string in PostgreSQL's COPY text format."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


# target, target value, pending base, path value, status, completion, time progress,
# required annual change, projection: all empty, as on every enterprise row.
_EMPTY_TARGET_FIELDS = "\\N\t\\N\tf\t\\N\t\t\\N\t\\N\t\\N\t\\N"


class _IdTexts(dict):
    """int → its decimal text, made on first use (a lookup costs a third of `str`)."""

    __slots__ = ()

    def __missing__(self, number: int) -> str:
        text = self[number] = str(number)
        return text


class _RowFormatter:
    """Result rows (ROW_FIELDS) as the text lines of `COPY` into the results table, with
    the id of their method trace (`trace_key`: from its content, so no process asks the
    database for it), and each distinct trace as a line of `COPY` into the traces'
    staging table the first time this formatter meets it."""

    def __init__(self, computed_at: str, *, stored_traces: frozenset[str] = frozenset()):
        self.computed_at = computed_at
        # id(method) → (trace id, method): rows share method dicts (see _scope_result_rows),
        # so most rows are recognised by identity. The dict is kept, so its id stays its own.
        self.by_identity: dict[int, tuple[str, dict]] = {}
        # The ids of the traces sent, or stored already (traces are never deleted): a
        # recompute over stored results sends none of its few thousand traces again.
        self.sent: set[str] = set(stored_traces)
        self.texts: dict[str, str] = {}  # scopes and variants in COPY text format
        self.heads: dict[tuple, tuple[str, object]] = {}  # see format
        self.new_methods: list[str] = []

    def _method_id(self, method: dict) -> str:
        """The id of this trace (as COPY text), sending the trace the first time.

        Enterprise rows share one dict per trace (see _scope_result_rows), so a dict is
        hashed (`trace_key`) only the first time it is met; park rows, a few hundred, each
        bring their own. The dict is kept, so its id can never stand for another one."""
        known = self.by_identity.get(id(method))
        if known is None:
            trace_id = str(trace_key(method))
            if trace_id not in self.sent:
                self.sent.add(trace_id)
                text = _copy_escape(json.dumps(method, ensure_ascii=False))
                self.new_methods.append(f"{trace_id}\t{text}\n")
            known = self.by_identity[id(method)] = (trace_id, method)
        return known[0]

    def format(self, rows: list[tuple]) -> tuple[bytes, bytes]:
        """(the traces not sent before, the rows) in COPY text."""
        lines = []
        append = lines.append
        texts, heads = self.texts, self.heads
        method_id, computed_at = self._method_id, self.computed_at
        # A figure's id is in ~14 rows of its scope (every window and indicator using it):
        # its text is made once per batch.
        id_text = _IdTexts().__getitem__
        null = "\\N"
        for (
            indicator,
            period,
            year,
            quarter,
            scope,
            variant,
            value,
            change_vs_base,
            change_yoy,
            target_id,
            target_value,
            target_pending_base,
            path_value,
            status,
            completion,
            time_progress,
            required_annual_change,
            projection,
            provisional,
            method,
            figure_ids,
        ) in rows:
            scope_text = texts.get(scope)
            if scope_text is None:
                scope_text = texts[scope] = _copy_escape(scope)
            variant_text = texts.get(variant)
            if variant_text is None:
                variant_text = texts[variant] = _copy_escape(variant)
            # The key's leading fields repeat for every scope: their text is made once.
            head_key = (id(indicator), period, year, quarter)
            head = heads.get(head_key)
            if head is None:
                text = (
                    f"{indicator.pk}\t{_copy_escape(period)}\t{year}\t"
                    f"{null if quarter is None else quarter}\t"
                )
                head = heads[head_key] = (text, indicator)  # kept: its id stays its own
            if (
                target_id is None
                and target_value is None
                and path_value is None
                and completion is None
                and time_progress is None
                and required_annual_change is None
                and projection is None
                and not target_pending_base
                and not status
            ):
                tail = _EMPTY_TARGET_FIELDS  # enterprise rows
            elif target_id is None and target_value is None and path_value is None:
                # Park rows without a target: most fields empty.
                tail = (
                    f"{null}\t{null}\t{'t' if target_pending_base else 'f'}\t{null}\t"
                    f"{_copy_escape(status)}\t"
                    f"{null if completion is None else str(completion)}\t"
                    f"{null if time_progress is None else str(time_progress)}\t"
                    f"{null if required_annual_change is None else str(required_annual_change)}\t"
                    f"{null if projection is None else str(projection)}"
                )
            else:
                tail = "\t".join(
                    (
                        null if target_id is None else str(target_id),
                        null if target_value is None else str(target_value),
                        "t" if target_pending_base else "f",
                        null if path_value is None else str(path_value),
                        _copy_escape(status),
                        null if completion is None else str(completion),
                        null if time_progress is None else str(time_progress),
                        null if required_annual_change is None else str(required_annual_change),
                        null if projection is None else str(projection),
                    )
                )
            # str(), not the f-string's format(): a third of the cost for a Decimal.
            append(
                f"{head[0]}{scope_text}\t"
                f"{variant_text}\t{null if value is None else str(value)}\t"
                f"{null if change_vs_base is None else str(change_vs_base)}\t"
                f"{null if change_yoy is None else str(change_yoy)}\t{tail}\t"
                f"{'t' if provisional else 'f'}\t{method_id(method)}\t"
                f"{{{','.join(map(id_text, figure_ids))}}}\t{computed_at}\n"
            )
        methods = "".join(self.new_methods).encode()
        self.new_methods = []
        return methods, "".join(lines).encode()


class _CopyWriter:
    """PostgreSQL: the same rows and values bulk_create would write, sent with COPY.

    Per chunk: the traces not sent before are stored (MethodTrace, ids from their
    content); when the chunk's scopes have no stored result, the rows are COPYed straight
    into the results table; otherwise they go to a temporary table, and the new keys are
    inserted, the stored rows that differ updated (identical ones are not rewritten) and
    stale ones deleted, each only when there are some (see `_merge`). A helper thread does
    this on the same connection and transaction while the engine computes the next chunk
    (the database and Python each keep a core busy); the main thread only formats text (or
    passes on the workers')."""

    _sequence = itertools.count(1)

    def __init__(
        self,
        *,
        from_year: int | None,
        computed_at: str | None = None,
        stored_traces: frozenset[str] = frozenset(),
    ):
        self.from_year = from_year
        suffix = next(self._sequence)
        self.chunk_table = f"recompute_chunk_{suffix}"
        self.traces_table = f"recompute_traces_{suffix}"
        self.computed_at = computed_at or timezone.now().isoformat()
        self.formatter = _RowFormatter(self.computed_at, stored_traces=stored_traces)
        self.deleted = 0
        self.written = 0
        columns = self._columns()
        target = [*columns, "trace_id", "input_figure_ids", "computed_at"]
        self.copy_columns = ", ".join(target)
        updates = [f"{name}_id" if name in ("target", "trace") else name for name in RESULT_FIELDS]
        self.insert_sql = (
            f"INSERT INTO indicators_indicatorresult ({', '.join(target)}) "
            f"SELECT {', '.join('t.' + c for c in target)} FROM {self.chunk_table} t"
        )
        self.upsert_sql = (
            f"{self.insert_sql} ON CONFLICT ({RESULT_KEY}) DO UPDATE SET "
            + ", ".join(f"{name} = EXCLUDED.{name}" for name in updates)
        )
        self.insert_new_sql = f"{self.insert_sql} ON CONFLICT ({RESULT_KEY}) DO NOTHING"
        in_scopes = "r.scope = ANY(%s)" + (" AND r.year >= %s" if from_year is not None else "")
        # A stored row that already holds exactly what was computed (value, status, trace
        # and figure ids alike) is left as it is: rewriting it (or locking it, as
        # ON CONFLICT DO UPDATE does even when its WHERE is false) would only cost a dead
        # tuple, five index entries and the WAL. Its computed_at stays the time it last
        # changed.
        compared = [name for name in updates if name != "computed_at"]
        new_value = {name: f"n.{name}" for name in updates}
        self.update_changed_sql = (
            "UPDATE indicators_indicatorresult r SET "
            + ", ".join(f"{name} = {new_value[name]}" for name in updates)
            + f" FROM {self.chunk_table} n"
            f" WHERE {in_scopes} AND r.year = n.year AND r.indicator_id = n.indicator_id"
            " AND r.period = n.period AND r.scope = n.scope AND r.variant = n.variant"
            f" AND ({', '.join('r.' + name for name in compared)}) IS DISTINCT FROM"
            f" ({', '.join(new_value[name] for name in compared)})"
        )
        # One pass over the chunk joined with its stored rows: how many of the computed
        # rows are stored, and how many of those differ. The statements that insert,
        # update and delete run only when there is something for them to do.
        self.check_sql = (
            "SELECT count(*), count(*) FILTER (WHERE"
            f" ({', '.join('r.' + name for name in compared)}) IS DISTINCT FROM"
            f" ({', '.join(new_value[name] for name in compared)}))"
            f" FROM {self.chunk_table} n"
            f" JOIN indicators_indicatorresult r ON {in_scopes}"
            " AND r.year = n.year AND r.indicator_id = n.indicator_id AND r.period = n.period"
            " AND r.scope = n.scope AND r.variant = n.variant"
        )
        self.stale_sql = (
            f"DELETE FROM indicators_indicatorresult r WHERE {in_scopes}"
            f" AND NOT EXISTS (SELECT 1 FROM {self.chunk_table} t WHERE "
            "t.year = r.year AND t.indicator_id = r.indicator_id AND t.period = r.period "
            "AND t.scope = r.scope AND t.variant = r.variant)"
        )
        self.stored_sql = f"SELECT count(*) FROM indicators_indicatorresult r WHERE {in_scopes}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.chunk_table} ON COMMIT DROP AS "
                f"SELECT {self.copy_columns} FROM indicators_indicatorresult WITH NO DATA"
            )
            # The traces a chunk sends, before they are stored.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.traces_table} (id uuid NOT NULL, "
                "document jsonb NOT NULL) ON COMMIT DROP"
            )
            # The chunk (~20,000 rows) joined with the chunk's stored rows:
            # with the default 4 MB these joins sort and hash in batches on disk. Only for
            # this transaction (or savepoint), and set back in `finish`.
            cursor.execute("SHOW work_mem")
            self.work_mem = cursor.fetchone()[0]
            cursor.execute("SET LOCAL work_mem = '64MB'")
        connection.ensure_connection()
        self.dbapi = connection.connection  # psycopg2: one connection, safe across threads
        self.integrity_error = connection.Database.IntegrityError
        self.jobs: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.stopping = False
        # libpq runs one command at a time and psycopg2 does not hold its connection lock
        # through a COPY: every use of the connection while the thread lives takes this.
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._work, name="recompute-writer", daemon=True)
        self.thread.start()

    @staticmethod
    def _columns() -> list[str]:
        """The row columns before the method (ROW_FIELDS without method and figure ids)."""
        names = ["indicator_id" if f == "indicator" else f for f in ROW_FIELDS]
        return names[: names.index("method")]

    # --- The helper thread ---

    def _work(self) -> None:
        cursor = self.dbapi.cursor()
        try:
            while (job := self.jobs.get()) is not None:
                kind, *arguments = job
                if self.error is not None or self.stopping:  # only drain the queue
                    if kind == "read":
                        arguments[-1].set_exception(
                            self.error or RuntimeError("the recompute writer stopped")
                        )
                    continue
                try:
                    with self.lock:
                        if kind == "read":
                            sql, params, future = arguments
                            cursor.execute(sql, params)
                            future.set_result(cursor.fetchall())
                        else:
                            self._merge(cursor, *arguments)
                except BaseException as error:
                    self.error = error
                    if kind == "read":
                        arguments[-1].set_exception(error)
        finally:
            cursor.close()

    def read(self, queryset):
        """Queue reading `queryset`'s rows in the thread, in turn with the writing; return
        a callable that waits for them (see selectors.counting_inputs_stream)."""
        sql, params = queryset.query.sql_with_params()
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._submit(("read", sql, params, future))

        def rows() -> list[tuple]:
            error = future.exception()
            if error is not None:
                with connection.wrap_database_errors:
                    raise error
            return future.result()

        return rows

    @staticmethod
    def _copy(cursor, table: str, columns: str, data: bytes) -> None:
        cursor.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN", io.BytesIO(data), size=len(data) + 1
        )

    def _to_chunk_table(self, cursor, rows: bytes) -> None:
        cursor.execute(f"TRUNCATE {self.chunk_table}")
        if rows:
            self._copy(cursor, self.chunk_table, self.copy_columns, rows)

    def _merge(
        self, cursor, scopes: list[str], methods: bytes, rows: bytes, row_count: int
    ) -> None:
        if methods:
            # The traces first met in this chunk; those stored before (by an earlier run)
            # are left as they are. In id order, so two writers storing the same traces
            # could never wait on each other. (DELETE: a TRUNCATE per chunk cost ~20 ms.)
            cursor.execute(f"DELETE FROM {self.traces_table}")
            self._copy(cursor, self.traces_table, "id, document", methods)
            cursor.execute(
                "INSERT INTO indicators_methodtrace (id, document) "
                f"SELECT id, document FROM {self.traces_table} ORDER BY id "
                "ON CONFLICT (id) DO NOTHING"
            )
        params = [scopes] if self.from_year is None else [scopes, self.from_year]
        if not rows:  # scopes without figures: every stored result of theirs goes
            self._to_chunk_table(cursor, rows)
            cursor.execute(self.stale_sql, params)
            self.deleted += cursor.rowcount
            return
        cursor.execute(self.stored_sql, params)
        stored = cursor.fetchone()[0]
        if stored:
            self._to_chunk_table(cursor, rows)
            cursor.execute(self.check_sql, params)
            already_stored, changed = cursor.fetchone()
            if already_stored < row_count:  # new keys (rows stored meanwhile are left)
                cursor.execute(self.insert_new_sql)
            if changed or already_stored < row_count:
                # Stored rows that differ, and any stored by another transaction meanwhile.
                cursor.execute(self.update_changed_sql, params)
            # Stale results: stored, no longer computed. The anti-join that finds them reads
            # every stored row of the chunk again, so it runs only when there are some.
            if already_stored < stored:
                cursor.execute(self.stale_sql, params)
                self.deleted += cursor.rowcount
            return
        # No stored result of these scopes: nothing to compare or update, so the rows go
        # straight into the table (one write of each row instead of two). Should another
        # transaction have stored some in the meantime, the upsert runs instead.
        cursor.execute("SAVEPOINT recompute_insert")
        try:
            self._copy(cursor, "indicators_indicatorresult", self.copy_columns, rows)
        except self.integrity_error:
            cursor.execute("ROLLBACK TO SAVEPOINT recompute_insert")
            self._to_chunk_table(cursor, rows)
            cursor.execute(self.upsert_sql)
        cursor.execute("RELEASE SAVEPOINT recompute_insert")

    def _raise_failure(self) -> None:
        """Raise what failed in the thread, as Django's database errors are raised."""
        if self.error is not None:
            with connection.wrap_database_errors:
                raise self.error

    def _submit(self, job) -> None:
        while True:
            self._raise_failure()
            try:
                self.jobs.put(job, timeout=1)
                return
            except queue.Full:
                if not self.thread.is_alive():
                    raise RuntimeError("the recompute writer stopped") from None

    def close(self) -> None:
        """Wait for every chunk to be written (the thread ends); raise what failed."""
        if self.thread.is_alive():
            self.jobs.put(None)
            self.thread.join()
        self._raise_failure()

    def database(self):
        """A reusable context manager to hold around any other use of the connection
        while the thread lives; it raises what failed in the thread (the transaction is
        aborted then)."""
        return self

    def __enter__(self):
        self.lock.acquire()
        try:
            self._raise_failure()
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.lock.release()

    def stop(self) -> None:
        """End the helper thread without writing what is still queued (something failed
        and the transaction is rolled back); a no-op once `close` has run."""
        if self.thread.is_alive():
            self.stopping = True
            self.jobs.put(None)
            self.thread.join()

    # --- The main thread ---

    def write(self, scopes: list[str], rows: list[tuple]) -> None:
        methods, text = self.formatter.format(rows)
        self.write_text(scopes, methods, text, len(rows))

    def write_text(self, scopes: list[str], methods: bytes, rows: bytes, row_count: int) -> None:
        """Queue rows already in COPY text (see _RowFormatter) for writing."""
        self._submit(("merge", list(scopes), methods, rows, row_count))
        self.written += row_count

    def finish(self, leftover_scopes: list[str]) -> None:
        """Write what is queued, then remove the results of scopes without figures."""
        for start in range(0, len(leftover_scopes), CHUNK_SCOPES):
            self._submit(("merge", leftover_scopes[start : start + CHUNK_SCOPES], b"", b"", 0))
        self.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {self.chunk_table}, {self.traces_table}")
            cursor.execute("SELECT set_config('work_mem', %s, true)", [self.work_mem])


# --- Computing in worker processes ------------------------------------------------------------

PARALLEL_WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_MIN_SCOPES = 64  # fewer scopes are computed in the caller's process
PARALLEL_BATCH_SCOPES = 30  # scopes per batch handed to a worker (~14,000 rows)


def _pack_figures(batch: list[tuple[str, dict]]) -> list[tuple]:
    """A batch of (scope, figures) as few objects to pickle: pickling a Decimal goes
    through its text anyway, one object at a time (it cost the caller ~1 s at 1M figures).
    `_unpack_figures` gives back equal figures: a Decimal's text keeps its exact value
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


def _unpack_figures(packed: list[tuple]) -> list[tuple[str, dict]]:
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


def _parallel_worker(compute, computed_at: str, stored_traces, tasks, results):
    """A worker process: compute and format each batch of (scope, figures) it is given."""
    # What the worker inherited stays alive in the caller: the cyclic collector need not
    # scan it again and again (nor touch, and so copy, its pages).
    gc.freeze()
    formatter = _RowFormatter(computed_at, stored_traces=stored_traces)
    try:
        while (packed := tasks.get()) is not None:
            rows: list[tuple] = []
            for scope, figures in _unpack_figures(packed):
                rows.extend(compute(scope, figures))
            methods, text = formatter.format(rows)
            results.put((methods, text, len(rows)))
    except BaseException:
        results.put(traceback.format_exc())


class _ParallelRows:
    """Result rows computed and formatted as COPY text in forked worker processes, which
    share the engine's inputs (coefficients, rules, indicators, targets) without pickling
    them. The caller hands out batches of scopes with their figures and gets each batch's
    text back in the order it handed them out. Create it before any other thread starts
    (a fork copies only the forking thread).

    Trace ids come from the traces' content (see _RowFormatter), so workers agree on them
    without talking to each other; a worker's batches come back in order, so a trace is
    always stored with or before the first batch using it."""

    def __init__(self, *, workers: int, compute, computed_at: str, stored_traces: frozenset[str]):
        context = multiprocessing.get_context("fork")
        self.workers = workers
        self.tasks = [context.Queue() for _ in range(workers)]
        self.results = [context.Queue() for _ in range(workers)]
        self.processes = [
            context.Process(
                target=_parallel_worker,
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
        self.tasks[worker].put(_pack_figures(batch))
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


def _parallel_rows(
    *, compute, computed_at: str, stored_traces: frozenset[str]
) -> _ParallelRows | None:
    """Worker processes for a full recompute, or None where this process may not have
    children (a daemonic process, e.g. some pool workers): the caller computes then."""
    if multiprocessing.current_process().daemon:
        return None
    try:
        return _ParallelRows(
            workers=PARALLEL_WORKERS,
            compute=compute,
            computed_at=computed_at,
            stored_traces=stored_traces,
        )
    except (AssertionError, OSError):
        logger.warning("recompute worker processes not started", exc_info=True)
        return None


def _stored_scopes(existing, from_year: int | None) -> set[str]:
    """The scopes that have stored results (from `from_year` on)."""
    if connection.vendor != "postgresql":
        return set(existing.order_by().values_list("scope", flat=True).distinct())
    # A skip scan of indicator_result_unique (scope, year, …): one probe per scope, not a
    # table scan.
    year = "" if from_year is None else " AND year >= %(year)s"
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE s(scope) AS ("
            f" SELECT min(scope) FROM indicators_indicatorresult WHERE TRUE{year}"
            " UNION ALL SELECT (SELECT min(scope) FROM indicators_indicatorresult"
            f" WHERE scope > s.scope{year}) FROM s WHERE s.scope IS NOT NULL"
            ") SELECT scope FROM s WHERE scope IS NOT NULL",
            {"year": from_year},
        )
        return {scope for (scope,) in cursor.fetchall()}


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


def _copy_supported() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy_expert")


def results_recompute(
    *, from_year: int | None = None, scopes: set[str] | None = None, reconcile: bool = False
) -> RecomputeStats:
    """Recompute and store the results of `scopes` (None: every scope) for `from_year` and
    every later year. With `reconcile`, differences from the stored results are returned
    (the nightly check that incremental recomputes lost nothing).

    Scopes are computed and written a chunk at a time from one streaming read of the
    counting figures, so memory holds one chunk of results, never all of them."""
    plan = Plan.objects.order_by("pk").first()
    base_year = plan.base_year if plan else 2020
    book = selectors.coefficient_book()
    rules = selectors.counting_rules()
    indicators = selectors.indicator_specs()
    targets = selectors.target_specs_by_indicator()
    stats = RecomputeStats()
    existing = IndicatorResult.objects.all()
    if scopes is not None:
        existing = existing.filter(scope__in=scopes)
    if from_year is not None:
        existing = existing.filter(year__gte=from_year)
    differences: list[tuple[tuple, dict]] = []

    def compare(chunk_scopes: list[str], rows: list[tuple]) -> None:
        by_key = {(row[0].pk, row[1], row[4], row[5]): row for row in rows}
        stored_rows = existing.filter(scope__in=chunk_scopes).values(
            "indicator_id", "period", "scope", "variant", "year", "quarter", *COMPARED_FIELDS
        )
        for stored in stored_rows.iterator(chunk_size=5000):
            new = by_key.get(
                (stored["indicator_id"], stored["period"], stored["scope"], stored["variant"])
            )
            if new is None or not _same_row(new, stored):
                differences.append(
                    (
                        _difference_order(stored, indicators),
                        {
                            "indicator_id": stored["indicator_id"],
                            "period": stored["period"],
                            "scope": stored["scope"],
                            "variant": stored["variant"],
                            "stored": {
                                name: None if stored[name] is None else str(stored[name])
                                for name in COMPARED_FIELDS
                            },
                            "recomputed": _row_comparable(new),
                        },
                    )
                )

    with transaction.atomic(), _fewer_collections():
        copy = _copy_supported()
        computed_at = timezone.now().isoformat()
        stream_scopes, parallel = scopes, None
        # A full recompute uses nearly every stored trace: read their ids once rather than
        # send thousands of traces again. An incremental one (an approval's few scopes,
        # within its 200 ms) sends the few it uses and lets the database skip stored ones.
        stored_traces = (
            frozenset(str(pk) for pk in MethodTrace.objects.values_list("pk", flat=True))
            if copy and scopes is None
            else frozenset()
        )

        shared_methods: dict = {}  # lives as long as `book` and `rules`

        def scope_rows(scope: str, figures: dict, inputs: calc.Inputs) -> list[tuple]:
            return _scope_result_rows(
                scope=scope,
                inputs=inputs,
                extent=_extent_of(figures),
                book=book,
                rules=rules,
                indicators=indicators,
                targets=targets,
                base_year=base_year,
                from_year=from_year,
                shared_methods=shared_methods,
            )

        if copy and not reconcile and PARALLEL_WORKERS > 1:
            # Many scopes (a full recompute): compute them in worker processes, started
            # before the writer's thread (see _ParallelRows).
            if stream_scopes is None:
                stream_scopes = set(selectors.counting_scopes())
            if len(stream_scopes) >= PARALLEL_MIN_SCOPES:
                item_rules = selectors.item_rules()

                def compute(scope: str, figures: dict) -> list[tuple]:
                    return scope_rows(scope, figures, calc.Inputs(figures, item_rules))

                parallel = _parallel_rows(
                    compute=compute, computed_at=computed_at, stored_traces=stored_traces
                )
        writer = (
            _CopyWriter(from_year=from_year, computed_at=computed_at, stored_traces=stored_traces)
            if copy
            else _OrmWriter(existing)
        )
        try:
            computed_scopes: set[str] = set()
            chunk_scopes: list[str] = []
            chunk_rows: list[tuple] = []

            def flush() -> None:
                if reconcile:
                    with writer.database():
                        compare(chunk_scopes, chunk_rows)
                writer.write(chunk_scopes, chunk_rows)
                chunk_scopes.clear()
                chunk_rows.clear()

            def write_computed(everything: bool) -> None:
                while parallel.pending and (everything or parallel.busy()):
                    writer.write_text(*parallel.next())

            figures_by_scope = selectors.counting_inputs_stream(
                scopes=stream_scopes, lock=writer.database(), read=writer.read
            )
            batch: list[tuple[str, dict]] = []
            for scope, figures, inputs in figures_by_scope:
                computed_scopes.add(scope)
                stats.scopes += 1
                if parallel is not None:
                    batch.append((scope, figures))
                    if len(batch) >= PARALLEL_BATCH_SCOPES:
                        parallel.submit(batch)
                        batch = []
                        write_computed(everything=False)
                    continue
                chunk_rows.extend(scope_rows(scope, figures, inputs))
                chunk_scopes.append(scope)
                if len(chunk_rows) >= CHUNK_ROWS or len(chunk_scopes) >= CHUNK_SCOPES:
                    flush()
            if parallel is not None:
                if batch:
                    parallel.submit(batch)
                write_computed(everything=True)
            if chunk_scopes:
                flush()
            with writer.database():
                stored = set(scopes) if scopes is not None else _stored_scopes(existing, from_year)
                leftover = sorted(stored - computed_scopes)
                if reconcile:
                    for start in range(0, len(leftover), CHUNK_SCOPES):
                        compare(leftover[start : start + CHUNK_SCOPES], [])
            writer.finish(leftover)
        finally:
            writer.stop()
            if parallel is not None:
                parallel.close()
        stats.deleted = writer.deleted
        stats.written = writer.written
    differences.sort(key=lambda pair: pair[0])
    stats.differences = [difference for _order, difference in differences]
    from indicators.cache import results_generation_bump

    transaction.on_commit(results_generation_bump)
    return stats


def _difference_order(stored: dict, indicators: dict) -> tuple:
    """IndicatorResult's default ordering (indicator, scope, variant, year, quarter), as
    the stored rows were read before: the order differences are reported in."""
    indicator = next(
        (i for i, _spec in indicators.values() if i.pk == stored["indicator_id"]), None
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


def full_recompute_and_reconcile() -> RecomputeStats:
    """Nightly: recompute everything and raise an alert for any stored result that
    differed (a lost or wrong incremental recompute)."""
    with compute_lock() as acquired:
        if not acquired:
            return RecomputeStats()
        stats = results_recompute(reconcile=True)
    if stats.differences:
        EngineAlert.objects.create(
            kind="reconciliation_difference",
            message_zh=f"夜间全量重算发现 {len(stats.differences)} 个结果与增量结果不一致",
            message_en=(
                f"The nightly full recompute found {len(stats.differences)} result(s) that "
                "differed from the incremental ones"
            ),
            details={"differences": stats.differences[:200]},
        )
        logger.error("reconciliation found %s differences", len(stats.differences))
    return stats
