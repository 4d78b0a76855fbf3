"""Celery jobs of the committee's side. Each is safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def warnings_sync() -> int:
    """Raise or update warnings from the stored results (queued after each recompute)."""
    from dashboards.services import warnings_sync as sync

    return len(sync())


@shared_task(acks_late=True)
def warnings_daily() -> int:
    """Daily: warnings for deadlines passed, then escalation of overdue warnings."""
    from dashboards.services import warnings_escalate, warnings_sync

    warnings_sync()
    return warnings_escalate()
