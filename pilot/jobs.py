"""Celery jobs of the pilot app. Each takes ids, calls one service and is safe to run
twice."""

from celery import shared_task


@shared_task(acks_late=True, soft_time_limit=540, time_limit=600)
def pilot_export_job(export_id: int) -> str:
    """Render a requested export of a frozen annual report."""
    from pilot.services import export_generate

    return export_generate(export_id=export_id)


@shared_task
def pilot_export_sweep() -> int:
    """Re-queue exports the broker lost (every five minutes under beat)."""
    from pilot.services import exports_requeue

    return exports_requeue()


@shared_task(acks_late=True, soft_time_limit=120, time_limit=180)
def pilot_workspace_job(report_id: int) -> str:
    """Assemble an open workspace's document for its page."""
    from pilot.services import workspace_build

    return workspace_build(report_id=report_id)


@shared_task
def pilot_workspace_sweep() -> int:
    """Rebuild stale open workspaces (every five minutes under beat)."""
    from pilot.services import workspaces_requeue

    return workspaces_requeue()
