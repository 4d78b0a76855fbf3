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

import logging
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
from indicators.models import EngineAlert, Figure, IndicatorResult, RecomputeRequest
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
    "method",
    "input_figure_ids",
    "computed_at",
]
COMPARED_FIELDS = ["value", "status", "target_value", "change_vs_base", "change_yoy"]


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
    windows = _windows(extent, base_year=base_year)
    computed: dict[tuple[str, str], dict[calc.Window, calc.Computed]] = {}
    for window in windows:
        for key, value in calc.compute_window(
            inputs, book, rules, window, base_year=base_year
        ).items():
            computed.setdefault(key, {})[window] = value
    is_park = scope == ""
    rows = []
    for (code, variant), series in computed.items():
        if code not in indicators:
            continue
        indicator, spec = indicators[code]
        values = {w: c.value for w, c in series.items()}
        evaluations = (
            calc.evaluate_series(
                spec, values, targets.get(indicator.pk, []), plan_base_year=base_year
            )
            if is_park
            else {}
        )
        for window, result in series.items():
            if result.value is None and not is_park:
                continue
            evaluation = evaluations.get(window) or calc.Evaluation(status="")
            if not is_park:
                evaluation.change_vs_base = (
                    calc.relative_change(
                        result.value, values.get(calc.Window(base_year, window.quarters))
                    )
                    if spec.has_base_year
                    else None
                )
                evaluation.change_yoy = calc.relative_change(
                    result.value, values.get(window.shifted(-1))
                )
            method = {
                **result.method,
                "engine_version": ENGINE_VERSION,
                "counting": "approved figures only / 仅计已审核数据",
            }
            if evaluation.target is not None:
                method["target"] = evaluation.target.code
            if evaluation.notes:
                method["notes"] = evaluation.notes
            q = calc.safe_quantize
            rows.append(
                IndicatorResult(
                    indicator=indicator,
                    period=window.label,
                    year=window.year,
                    quarter=None if window.is_annual else window.quarters,
                    scope=scope,
                    variant=variant,
                    value=q(result.value),
                    change_vs_base=q(evaluation.change_vs_base),
                    change_yoy=q(evaluation.change_yoy),
                    target_id=evaluation.target.id if evaluation.target else None,
                    target_value=q(evaluation.target_value),
                    target_pending_base=evaluation.target_pending_base,
                    path_value=q(evaluation.path_value),
                    status=evaluation.status,
                    completion=q(evaluation.completion),
                    time_progress=q(evaluation.time_progress),
                    required_annual_change=q(evaluation.required_annual_change),
                    projection=q(evaluation.projection),
                    provisional=result.provisional,
                    method=method,
                    input_figure_ids=result.figure_ids,
                    computed_at=timezone.now(),
                )
            )
    return rows


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


def results_recompute(
    *, from_year: int | None = None, scopes: set[str] | None = None, reconcile: bool = False
) -> RecomputeStats:
    """Recompute and store the results of `scopes` (None: every scope) for `from_year` and
    every later year. With `reconcile`, differences from the stored results are returned
    (the nightly check that incremental recomputes lost nothing)."""
    plan = Plan.objects.order_by("pk").first()
    base_year = plan.base_year if plan else 2020
    book = selectors.coefficient_book()
    rules = selectors.counting_rules()
    indicators = selectors.indicator_specs()
    targets = selectors.target_specs_by_indicator()
    extents = _data_extent(scopes)
    inputs_by_scope = selectors.counting_inputs_by_scope(scopes=scopes)
    stats = RecomputeStats()
    target_scopes = set(extents) | (scopes or set())
    new_rows: list[IndicatorResult] = []
    for scope, extent in extents.items():
        rows = compute_scope_rows(
            scope=scope,
            inputs=inputs_by_scope[scope],
            extent=extent,
            book=book,
            rules=rules,
            indicators=indicators,
            targets=targets,
            base_year=base_year,
        )
        new_rows.extend(r for r in rows if from_year is None or r.year >= from_year)
        stats.scopes += 1
    with transaction.atomic():
        existing = IndicatorResult.objects.all()
        if scopes is not None:
            existing = existing.filter(scope__in=target_scopes)
        if from_year is not None:
            existing = existing.filter(year__gte=from_year)
        new_keys = {(r.indicator_id, r.period, r.scope, r.variant) for r in new_rows}
        if reconcile:
            by_key = {(r.indicator_id, r.period, r.scope, r.variant): r for r in new_rows}
            for old in existing.iterator(chunk_size=5000):
                key = (old.indicator_id, old.period, old.scope, old.variant)
                new = by_key.get(key)
                if new is None or not _same_result(new, old):
                    stats.differences.append(
                        {
                            "indicator_id": old.indicator_id,
                            "period": old.period,
                            "scope": old.scope,
                            "variant": old.variant,
                            "stored": _comparable(old),
                            "recomputed": _comparable(new),
                        }
                    )
        stale = [
            pk
            for pk, indicator_id, period, scope, variant in existing.values_list(
                "pk", "indicator_id", "period", "scope", "variant"
            ).iterator(chunk_size=5000)
            if (indicator_id, period, scope, variant) not in new_keys
        ]
        for start in range(0, len(stale), 5000):
            IndicatorResult.objects.filter(pk__in=stale[start : start + 5000]).delete()
        stats.deleted = len(stale)
        IndicatorResult.objects.bulk_create(
            new_rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["indicator", "period", "scope", "variant"],
            update_fields=RESULT_FIELDS,
        )
        stats.written = len(new_rows)
    from indicators.cache import results_generation_bump

    transaction.on_commit(results_generation_bump)
    return stats


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
