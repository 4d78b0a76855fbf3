"""Celery jobs of the indicator engine. Each takes ids, calls one service and is safe to
run twice (see indicators/recompute/request_queue.py for the promises)."""

from celery import shared_task

from dezhou_carbon.followups import RESULTS_RECOMPUTED, announce


@shared_task(bind=True, acks_late=True, max_retries=120)
def recompute_job(self, request_id: int) -> str:
    """Recompute the results a RecomputeRequest asks for."""
    from indicators.recompute import recompute_run

    outcome = recompute_run(request_id=request_id)
    if outcome == "done":
        # New results may raise or update warnings: the dashboards app follows up
        # (registered there, so the engine never imports the apps built on it).
        announce(RESULTS_RECOMPUTED)
    if outcome == "busy":
        # Another worker is computing; come back when it is likely done. If this retry
        # cannot be published, the request stays pending and the sweep queues it.
        raise self.retry(countdown=3)
    return outcome


@shared_task
def recompute_sweep() -> int:
    """Re-queue recompute requests the broker lost (runs every two minutes under beat)."""
    from indicators.recompute import recompute_sweep as sweep

    return sweep()


@shared_task(acks_late=True)
def full_recompute_and_reconcile() -> int:
    """Nightly full recompute; returns the number of differences found."""
    from indicators.recompute import full_recompute_and_reconcile as reconcile

    return len(reconcile().differences)


@shared_task
def probe_write(marker: str) -> int:
    """Write an audit record from a worker: proves a real worker reaches the database."""
    from audit.services import audit_record

    return audit_record(actor="worker", action="probe", reason=marker).pk
