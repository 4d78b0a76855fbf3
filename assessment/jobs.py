"""Celery jobs of the assessment. Each takes ids, calls one service and is safe to run
twice."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def assessment_export_job(export_id: int) -> str:
    """Render a requested export of the units' ranking."""
    from assessment.services import ranking_export_generate

    return ranking_export_generate(export_id=export_id)


@shared_task
def assessment_export_sweep() -> int:
    """Re-queue exports the broker lost (every five minutes under beat)."""
    from assessment.services import ranking_exports_requeue

    return ranking_exports_requeue()
