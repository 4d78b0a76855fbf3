"""The durable recompute request and the services of the jobs that run it.

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

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from indicators.models import EngineAlert, RecomputeRequest
from indicators.recompute.engine import RecomputeStats, results_recompute

logger = logging.getLogger(__name__)

COMPUTE_LOCK_KEY = 7_301_202_020  # any constant: the one lock of the results table


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


def full_recompute_and_reconcile() -> RecomputeStats:
    """The nightly job's service: recompute everything and raise an alert for any stored
    result that differed (a lost or wrong incremental recompute)."""
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
