"""Celery jobs of the reports app. Each takes ids, calls one service and is safe to run
twice."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def report_generate_job(request_id: int) -> str:
    """Generate a requested report from its round's frozen snapshot."""
    from reports.services import report_generate

    return report_generate(request_id=request_id)


@shared_task
def report_sweep() -> int:
    """Re-queue report requests the broker lost (every five minutes under beat)."""
    from reports.services import report_requests_requeue

    return report_requests_requeue()


@shared_task(acks_late=True)
def round_snapshot_job(reporting_round_id: int) -> int:
    """Freeze a closed round's report data (nothing happens if it is frozen already)."""
    from reporting.models import ReportingRound
    from reports.services import round_snapshot_take

    reporting_round = ReportingRound.objects.get(pk=reporting_round_id)
    return round_snapshot_take(reporting_round=reporting_round, user=None).pk


@shared_task(acks_late=True)
def round_freeze_sweep() -> int:
    """Freeze closed rounds left without a snapshot (every five minutes under beat)."""
    from reports.services import closed_rounds_freeze

    return closed_rounds_freeze()
